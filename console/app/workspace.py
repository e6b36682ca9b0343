"""Workspaces and the bundled demo district.

A workspace is a folder: ``network.gpkg`` (GIS layers, the native project file) and, as later features arrive,
``console.db`` and ``ledger/``. The demo district is generated once into the user data directory (seconds) and
opened from its GeoPackage afterwards, so a second start is fast.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

from console.app.jobs import Feedback
from console.network import GasNetwork

__all__ = [
    "DEMO_PIPES",
    "DEMO_SEED",
    "data_dir",
    "demo_path",
    "ensure_demo",
    "load_network",
    "open_network",
    "Workspace",
]

DEMO_PIPES = 30_000
DEMO_SEED = 2026
# Bump when the generator changes its output, so users get the new demo instead of a stale cached copy.
DEMO_GENERATION = 3


def data_dir() -> Path:
    """The per-user data folder (``GASOPS_DATA_DIR`` overrides it: tests and portable installs)."""
    override = os.environ.get("GASOPS_DATA_DIR")
    path = Path(override) if override else Path(user_data_dir("gasops", "GasOps"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_path(n_pipes: int = DEMO_PIPES, seed: int = DEMO_SEED) -> Path:
    return data_dir() / "demo" / f"demo-district-{n_pipes}-s{seed}-g{DEMO_GENERATION}.gpkg"


def ensure_demo(n_pipes: int = DEMO_PIPES, seed: int = DEMO_SEED, feedback: Feedback | None = None) -> Path:
    """Path of the demo district GeoPackage, generating and saving it first if it is not there yet."""
    from console.io import write_network
    from console.network import generate_demo

    path = demo_path(n_pipes, seed)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if feedback:
        feedback.progress(0.05, "Generating the demo district…")
    network = generate_demo(n_pipes=n_pipes, seed=seed)
    if feedback:
        feedback.progress(0.7, "Saving the demo district…")
    write_network(network, path)
    return path


def open_network(path: str | os.PathLike, feedback: Feedback | None = None, *, crs: object = None) -> GasNetwork:
    """Read a network file (or a ``postgresql://`` URL) with the reader registered for its kind (built-ins, plugins)."""
    from console.app.plugins import default_registry

    if feedback:
        feedback.progress(0.1, f"Reading {_shown_name(path)}…")
    network = default_registry().open(path, crs=crs)
    if feedback:
        feedback.progress(0.8, "Building topology…")
    network.topology  # noqa: B018 - warm the cache off the UI thread
    return network


def _shown_name(path: str | os.PathLike) -> str:
    from console.io import is_database_url, redact_url

    return redact_url(path) if is_database_url(path) else Path(path).name


def load_network(path: str | os.PathLike | None = None, *, feedback: Feedback | None = None) -> GasNetwork:
    """The network at ``path``, or the demo district (generated on first use) when ``path`` is None."""
    return open_network(path if path is not None else ensure_demo(), feedback)


class Workspace:
    """A project folder: ``network.gpkg`` and the databases later features add beside it."""

    NETWORK_FILE = "network.gpkg"

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    @property
    def network_path(self) -> Path:
        return self.folder / self.NETWORK_FILE

    def load(self, feedback: Feedback | None = None) -> GasNetwork:
        return open_network(self.network_path, feedback)

    def save(self, network: GasNetwork) -> Path:
        from console.io import write_network

        self.folder.mkdir(parents=True, exist_ok=True)
        return write_network(network, self.network_path)
