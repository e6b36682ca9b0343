"""A scripted drill's set-up shared by the service, CLI and GUI tests: a small demo district, a workspace with a
ledger, a dispatcher and a commander, and a clock that moves only when told."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from console.app.incidents import IncidentService
from console.app.ledger import LedgerService
from console.app.operators import OperatorService
from console.app.workspace import Workspace
from console.network import generate_demo

ORG = "drill organisation passphrase"
PW = {"D-1": "dispatcher pass", "C-1": "commander pass", "A-1": "administrator pass"}
DEMO_PIPES = 3000
BREAK_PIPE = "P-000100"


@lru_cache(maxsize=1)
def _demo():
    return generate_demo(n_pipes=DEMO_PIPES, seed=2026)


def demo_network():
    return _demo().snapshot()


class Clock:
    """RFC 3339 times from 2026-03-01 08:00 UTC, advanced by the drill."""

    def __init__(self) -> None:
        self.t = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)

    def advance(self, minutes: float) -> None:
        self.t += dt.timedelta(minutes=minutes)

    def __call__(self) -> str:
        return self.t.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_service(folder, network=None, *, operators: bool = True, what_if: bool = True):
    ws = Workspace(folder).ensure()
    ledger = LedgerService(ws.ledger_dir, authority=OperatorService())
    ledger.create("drill.gas.example/ledger", ORG, scrypt_n=2**10)
    if operators:
        ops = ledger.authority
        ops.enrol("A-1", "管理员", ["administrator"], PW["A-1"])
        ops.login("A-1", PW["A-1"])
        ops.enrol("D-1", "李调度", ["dispatcher"], PW["D-1"])
        ops.enrol("C-1", "王指挥", ["commander"], PW["C-1"])
        ops.login("D-1", PW["D-1"])
    clock = Clock()
    service = IncidentService(ledger, network=network or demo_network(), workspace=ws, clock=clock, what_if=what_if)
    return service, clock
