import pytest


@pytest.fixture(scope="session")
def demo_network():
    from console.network import generate_demo

    return generate_demo(3000, seed=1)
