"""Fixtures for the metering tests: a ledger service on a fresh ledger (fast scrypt) and a metering service over it."""

from __future__ import annotations

import pytest

from console.app.ledger import LedgerService
from console.app.metering import MeteringService

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def make_service(tmp_path):
    services = []

    def make(name: str = "utility") -> MeteringService:
        ledger = LedgerService(tmp_path / name)
        ledger.create(f"{name}.gas.example/ledger", PASSPHRASE, scrypt_n=2**10)
        svc = MeteringService(ledger)
        services.append(ledger)
        return svc

    yield make
    for ledger in services:
        ledger.close()
