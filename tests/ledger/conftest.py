"""Fixtures for the ledger tests: fast key derivation (scrypt N=2**10) and nodes in temporary folders."""

from __future__ import annotations

import pytest

from console.ledger import LedgerNode, LedgerServer

PASSPHRASE = "correct horse battery staple"


def run_cli(argv: list[str]) -> int:
    """Run ``gasops ledger …`` in-process (errors raise, as the CLI's main() would report them)."""
    import argparse

    from console.cli.ledger import add_parser

    parser = argparse.ArgumentParser(prog="gasops")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args)


def reported(hazard_id: str, x: float = 500_100.5, y: float = 3_400_200.25, **extra) -> tuple[str, dict]:
    body = {
        "hazard_id": hazard_id,
        "location": {"x": x, "y": y, "crs": "EPSG:4549"},
        "asset_id": "P-17",
        "category": "leak",
        "severity": "major",
        "description": "gas smell at the riser",
        **extra,
    }
    return "hazard.reported", body


@pytest.fixture
def make_node(tmp_path):
    nodes = []

    def make(name: str = "a", quorum: int = 1) -> LedgerNode:
        node = LedgerNode.init(tmp_path / name, f"{name}.gas.example/ledger", PASSPHRASE, quorum=quorum, scrypt_n=2**10)
        nodes.append(node)
        return node

    yield make
    for n in nodes:
        n.close()


@pytest.fixture
def serve():
    servers = []

    def start(node, cls=LedgerServer, **kw) -> LedgerServer:
        server = cls(node, "127.0.0.1", 0, **kw)
        server.start()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


def link(a: LedgerNode, server_a: LedgerServer, b: LedgerNode, server_b: LedgerServer) -> None:
    """Make a and b peers of each other (pinned keys exchanged out of band)."""
    a.add_peer(b.origin.split(".")[0], server_b.url, b.origin, b.org_vkey, b.witness_vkey)
    b.add_peer(a.origin.split(".")[0], server_a.url, a.origin, a.org_vkey, a.witness_vkey)
