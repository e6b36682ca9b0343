"""The parallel sync pipeline (worker processes check chunk i+1 while chunk i is replayed): it accepts exactly what
the serial path accepts and keeps nothing from a chunk that fails any check."""

from __future__ import annotations

import pytest

from console.ledger import LedgerServer, SyncLimits, sync_peer
from console.ledger._audit import check_entries, trusted_entry
from console.ledger._entries import decode_entry
from tests.ledger.conftest import link, reported
from tests.ledger.test_hardening import _Crafted

PARALLEL = SyncLimits(timeout_s=10, chunk_entries=8, workers=2, parallel_from=1)
SERIAL = SyncLimits(timeout_s=10, chunk_entries=8, workers=1)


class _Late(LedgerServer):
    """Rewrites entry ``at`` (counted in the whole log) by ``mode`` when it is served."""

    mode, at = "", 0

    async def serve_entries(self, origin, start, end):
        data = await super().serve_entries(origin, start, end)
        i = self.at - start
        if not 0 <= i < len(data) or not self.mode:
            return data
        if self.mode == "non-canonical":  # same JSON value, other bytes: the signature still matches nothing
            data[i] = data[i].replace(b'"v":1', b'"v":1.0', 1)
        elif self.mode == "bad-schema":
            data[i] = data[i].replace(b'"severity":"major"', b'"severity":"enormous"', 1)
        elif self.mode == "broken-chain":  # a validly signed entry from elsewhere in the log
            data[i] = (await super().serve_entries(origin, self.at - 3, self.at - 2))[0]
        elif self.mode == "forged":
            data[i] = data[i].replace(b"riser", b"valve")
        return data


@pytest.mark.parametrize("mode", ["non-canonical", "bad-schema", "broken-chain", "forged"])
@pytest.mark.parametrize("limits", [PARALLEL, SERIAL], ids=["parallel", "serial"])
def test_a_bad_entry_deep_in_a_pull_keeps_only_the_chunks_before_it(make_node, serve, mode, limits):
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a, _Late), serve(b)
    link(a, sa, b, sb)
    a.append_many([reported(f"H-{i}") for i in range(40)])
    sa.mode, sa.at = mode, 29  # in the fourth chunk of 8
    r = sync_peer(b, "a", limits)
    assert r.status == "rejected" and "entry 29 " in r.problem, r.problem
    assert b.size(a.origin) == 24  # the three chunks before it, each checked and consistent with the signed size
    assert b.verify().ok
    sa.mode = ""
    r = sync_peer(b, "a", limits)
    assert (r.status, r.new_size) == ("synced", 41) and b.root(a.origin) == a.root() and b.verify().ok


@pytest.mark.parametrize("mode", ["type-not-text", "nested"])
def test_crafted_entries_in_the_parallel_path_are_reported(make_node, serve, mode):
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a, _Crafted), serve(b)
    link(a, sa, b, sb)
    a.append_many([reported(f"H-{i}") for i in range(20)])
    sa.mode = mode
    r = sync_peer(b, "a", PARALLEL)
    # every chunk's first entry is crafted; the genesis entry has nothing for "type-not-text" to change
    first_bad = 8 if mode == "type-not-text" else 0
    assert r.status == "rejected" and f"entry {first_bad} of" in r.problem and b.size(a.origin) == first_bad


def test_parallel_and_serial_pulls_end_in_the_same_state(make_node, serve):
    a, b, c = make_node("a"), make_node("b"), make_node("c")
    sa, sb, sc = serve(a), serve(b), serve(c)
    link(a, sa, b, sb)
    link(a, sa, c, sc)
    op = a.add_operator("op-1", "pw", role="operator")
    a.append_many([reported(f"H-{i}") for i in range(30)])
    a.use_operator("op-1", "pw")
    a.append_many([reported(f"O-{i}") for i in range(11)])
    assert sync_peer(b, "a", PARALLEL).status == "synced" and sync_peer(c, "a", SERIAL).status == "synced"
    assert b.root(a.origin) == c.root(a.origin) == a.root()

    def stored_state(node):
        return sorted(node.store.state_rows(node._log(a.origin).id), key=lambda r: (r[0], r[1]))

    assert stored_state(b) == stored_state(c) and len(stored_state(b)) > 40
    assert op.did in b.state(a.origin).operators


def test_trusted_entry_is_the_strict_decoding_of_what_the_workers_passed(make_node):
    a = make_node("a")
    a.append_many([reported(f"H-{i}") for i in range(5)])
    datas = a.entries(0, a.size())
    assert check_entries(datas) == []
    for data in datas:
        assert trusted_entry(data) == decode_entry(data)
    bad = [datas[0], datas[1].replace(b"riser", b"valve"), b"not an entry"]
    assert [i for i, _ in check_entries(bad)] == [1, 2]


class _Refresher(LedgerServer):
    """Serves entries and meanwhile makes the pulling node re-read its store (as its own server does on every
    request it answers), while the pull holds entries applied in memory but not yet written."""

    puller = None

    async def serve_entries(self, origin, start, end):
        if self.puller is not None:
            self.puller.refresh()
        return await super().serve_entries(origin, start, end)


@pytest.mark.parametrize("limits", [PARALLEL, SERIAL], ids=["parallel", "serial"])
def test_refresh_during_a_pull_does_not_lose_the_pull(make_node, serve, limits):
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a, _Refresher), serve(b)
    link(a, sa, b, sb)
    a.append_many([reported(f"H-{i}") for i in range(40)])
    sa.puller = b
    r = sync_peer(b, "a", limits)
    assert (r.status, r.new_size) == ("synced", 41), r.problem
    assert b.size(a.origin) == 41 and b.root(a.origin) == a.root() and b.verify().ok
    b.refresh()
    assert b.size(a.origin) == 41 and len(b.hazard_history("H-39", a.origin)) == 1
