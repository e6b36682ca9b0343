"""Editing scenario (one process per size): snap lookup per mouse move, undo/redo, review effect of a 100-feature
change set, and a per-feature PostGIS commit of a 1,000-feature change set (next to the whole-network rewrite).

python -m tests.bench.bench_editing --pipes 1000000

Targets (issue 14, at 1M pipes): snap ≤ 5 ms, undo ≤ 50 ms and redo ≤ 50 ms (each), review effect ≤ 3 s, commit ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

import numpy as np

from tests.bench._common import peak_rss_mb, repeat_ms, table, timed


def _stats(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": samples[min(len(samples) - 1, int(0.95 * len(samples)))],
        "n": len(samples),
    }


def _session(mode: str, path, changes, change_id: str) -> dict[str, float]:
    """Run one reviewer session in a new process (see :func:`session`) and return its timings."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_editing", "--session", mode, "--path", str(path), "--changes",
         str(changes), "--change-id", change_id],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"the {mode} session failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def session(mode: str, path: str, changes: str, change_id: str) -> dict[str, float]:
    """A reviewer's console, new: ``first`` prefetches a master never solved (read, cold solve, keep, prepare);
    ``prefetched`` reads it, takes the kept steady state, prepares it (what the review dock's prefetch does) and
    then reviews; ``cold`` reads it and reviews with nothing else prepared."""
    from pathlib import Path

    # what a console has loaded once its features are installed (isolation and simulation are, at start)
    import console.hydraulics
    import console.isolation  # noqa: F401
    from console.app.editing import EditingService
    from console.app.review import prepare_master

    service = EditingService(Path(changes))
    out: dict[str, float] = {}
    if mode == "first":
        out["prefetch_s"], _ = timed(lambda: service.prefetch(path))
        if service.master_solves != 1:
            raise SystemExit("the first session did not solve the master")
        return out
    out["read_s"], master = timed(lambda: service.master_at(path))
    if mode == "prefetched":
        out["state_s"], _ = timed(lambda: service.steady_state(master, path))
        out["prepare_s"], _ = timed(lambda: prepare_master(master))
    out["review_s"], _ = timed(lambda: service.review(change_id, master, source=path))
    if service.master_solves:
        raise SystemExit("the persisted steady state was not reused")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--session", choices=("first", "prefetched", "cold"), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--changes", help=argparse.SUPPRESS)
    parser.add_argument("--change-id", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.session:
        print(json.dumps(session(args.session, args.path, args.changes, args.change_id)))
        return

    from console.app.review import review_effect
    from console.network import (
        ApplyChangeSet,
        InsertDevice,
        SetAttribute,
        UndoStack,
        diff_networks,
        generate_demo,
        snap,
    )

    net = generate_demo(n_pipes=args.pipes, seed=args.seed)
    pipes = net["pipes"]
    rng = np.random.default_rng(1)
    x0, y0, x1, y1 = net.bounds
    rows = []
    result: dict[str, object] = {"pipes": len(pipes)}

    # 1. snap lookup per mouse move (the grid index is built once per version: timed apart)
    build_s, _ = timed(lambda: (net.spatial.grid("pipes"), [net.spatial.grid(n) for n in ("junctions", "customers")]))
    sample = pipes.geometry.array[rng.integers(0, len(pipes), 500)]
    points = [g.interpolate(0.37, normalized=True) for g in sample]
    it = iter(range(10**9))

    def one_snap():
        p = points[next(it) % len(points)]
        return snap(net, p.x + 1.0, p.y, 6.0)

    snap_ms = repeat_ms(one_snap, 400)
    rows.append(
        ["snap lookup per mouse move (ms, median / p95)", f"{snap_ms['median_ms']:.2f} / {snap_ms['p95_ms']:.2f}"]
    )
    rows.append(["grid index build after an edit (s)", f"{build_s:.2f}"])
    result["snap_ms"] = snap_ms

    # 2. undo/redo of a valve insertion (split pipe: 7 row steps) and of an attribute edit
    stack = UndoStack()
    pid = str(pipes["id"].iat[len(pipes) // 2])
    g = pipes.geometry.iat[len(pipes) // 2]
    stack.push(InsertDevice(net, pid, g.interpolate(0.5, normalized=True), "valves"))
    # undo and redo timed apart (each is one Ctrl+Z / Ctrl+Y the planner waits for), over many repetitions
    n = 20

    def undo_redo_ms(reps: int) -> tuple[dict[str, float], dict[str, float]]:
        undos, redos = [], []
        stack.undo(), stack.redo()  # warm-up
        for _ in range(reps):
            undos.append(timed(stack.undo)[0] * 1000.0)
            redos.append(timed(stack.redo)[0] * 1000.0)
        return _stats(undos), _stats(redos)

    undo_ms, redo_ms = undo_redo_ms(n)
    stack.push(SetAttribute(net, "pipes", [pid], "material", "steel"))
    attr_undo_ms, attr_redo_ms = undo_redo_ms(n)
    for what, u, r in (("valve insertion", undo_ms, redo_ms), ("attribute edit", attr_undo_ms, attr_redo_ms)):
        rows.append([f"undo, {what} (ms, median / p95, n={n})", f"{u['median_ms']:.1f} / {u['p95_ms']:.1f}"])
        rows.append([f"redo, {what} (ms, median / p95, n={n})", f"{r['median_ms']:.1f} / {r['p95_ms']:.1f}"])
    result.update(undo_insert_ms=undo_ms, redo_insert_ms=redo_ms)
    result.update(undo_attribute_ms=attr_undo_ms, redo_attribute_ms=attr_redo_ms)

    # 3. review effect of a 100-feature change set (25 valves inserted: 100 added features + 25 changed pipes)
    master = net.snapshot()
    branch = master.snapshot()
    for r in rng.choice(len(pipes), 25, replace=False):
        p = master["pipes"]
        InsertDevice(branch, str(p["id"].iat[r]), p.geometry.iat[r].interpolate(0.5, normalized=True), "valves").redo()
    changes_s, changes = timed(lambda: diff_networks(master, branch))
    # cold: nothing of the master derived yet; warm: the master's topology, valve segments and customer groups are
    # cached (as in the console, where the open network's are built once and serve every review against it)
    effect_s, effect = timed(lambda: review_effect(master, branch, hydraulics=False, changes=changes))
    branch2 = master.snapshot()
    ApplyChangeSet(branch2, changes).redo()
    warm_s, _ = timed(lambda: review_effect(master, branch2, hydraulics=False, changes=changes))
    # what the review shows in the console: the same plus both steady states (master solved once, then the branch)
    # first review with hydraulics: the master's steady state solved (then kept on it), the branch only in the
    # pressure systems the change set reaches; second review: the master's steady state from its cache
    hyd_s, _ = timed(lambda: review_effect(master, branch2, changes=changes))
    branch3 = master.snapshot()
    ApplyChangeSet(branch3, changes).redo()
    hyd2_s, effect3 = timed(lambda: review_effect(master, branch3, changes=changes))
    rows.append([f"diff of the change set ({len(changes)} feature changes) (s)", f"{changes_s:.2f}"])
    rows.append(["review effect: validation + valve segments, master cold (s)", f"{effect_s:.2f}"])
    rows.append(["review effect: validation + valve segments, master warm (s)", f"{warm_s:.2f}"])
    rows.append(["review effect with hydraulics, first review: master solved + branch's systems reached (s)",
                 f"{hyd_s:.2f}"])  # fmt: skip
    rows.append(["review effect with hydraulics, second review: master's steady state cached (s)", f"{hyd2_s:.2f}"])
    rows.append(["pressure systems in the review (before → after)", f"{len(effect3.pressures)}"])
    result.update(diff_s=changes_s, review_s=effect_s, review_warm_s=warm_s, review_hydraulics_s=hyd_s,
                  review_hydraulics_second_s=hyd2_s, changes=len(changes))  # fmt: skip

    # 3b. the master's steady state kept: carried over from the reviewed branch on approval; read back from the
    # workspace cache (keyed by the file's SHA-256) by a new session
    import tempfile
    from pathlib import Path

    from console.app.editing import EditingService
    from console.app.master_state import file_digest
    from console.io import write_network

    with tempfile.TemporaryDirectory() as tmp:
        service = EditingService(Path(tmp) / "changes")
        cs1 = service.submit("bench 1", changes, network_name=master.name)
        # the master's state is on it already (rows above): a review through the service (conflict check, branch,
        # effect, overlapping change sets) on a warm master, what the first review after approval is compared with
        warm_service_s, _ = timed(lambda: service.review(cs1.change_id, master))
        rows.append(["review through the editing service (conflict check + branch + effect), master warm (s)",
                     f"{warm_service_s:.2f}"])  # fmt: skip
        result.update(review_service_warm_s=warm_service_s)
        approved = master.snapshot()
        approve_s, _ = timed(lambda: service.approve(cs1.change_id, approved))
        edited = approved.snapshot()
        for r in rng.choice(len(approved["pipes"]), 25, replace=False):
            p = approved["pipes"]
            InsertDevice(edited, str(p["id"].iat[r]), p.geometry.iat[r].interpolate(0.5, normalized=True),
                         "valves").redo()  # fmt: skip
        cs2 = service.submit("bench 2", diff_networks(approved, edited), network_name=master.name)
        solves = service.master_solves
        # what the console runs in a job right after the approval: the committed master's valve segments
        settle_s, _ = timed(lambda: service.settle(None, approved))
        after_s, _ = timed(lambda: service.review(cs2.change_id, approved))
        assert service.master_solves == solves, "the approved master was solved again"
        rows.append(["approval of the change set (no commit) incl. carrying the branch's steady state, topology, "
                     "model arrays over (s)", f"{approve_s:.2f}"])  # fmt: skip
        rows.append(["  then in a job: the committed master's valve segments (s)", f"{settle_s:.2f}"])
        result.update(settle_s=settle_s)
        rows.append(["review effect with hydraulics, first review after approval (s)", f"{after_s:.2f}"])
        result.update(approve_s=approve_s, review_after_approval_s=after_s)

        path = Path(tmp) / "network.gpkg"
        write_s, _ = timed(lambda: write_network(master, path))
        hash_s, _ = timed(lambda: file_digest(path))
        # the sessions below are new processes, as a reviewer's console is (nothing of this process in memory)
        first = _session("first", path, Path(tmp) / "changes", cs1.change_id)
        size_mb = sum(f.stat().st_size for f in (Path(tmp) / "cache").glob("*.npz")) / 1e6
        prefetched = _session("prefetched", path, Path(tmp) / "changes", cs1.change_id)
        cold = _session("cold", path, Path(tmp) / "changes", cs1.change_id)
        rows.append([f"(write the master, {path.stat().st_size / 1e6:.0f} MB GeoPackage; untimed setup) (s)",
                     f"{write_s:.2f}"])  # fmt: skip
        rows.append(["first session: prefetch = read + cold solve + keep the state + prepare (s)",
                     f"{first['prefetch_s']:.2f}"])  # fmt: skip
        rows.append(
            ["  kept state on disk (MB) / SHA-256 of the master file alone (s)", f"{size_mb:.0f} / {hash_s:.2f}"]
        )
        rows.append(["new session: read the master file (hashed meanwhile on another thread) (s)",
                     f"{prefetched['read_s']:.2f}"])  # fmt: skip
        rows.append(["new session: steady state from the cache (read + id checks) (s)", f"{prefetched['state_s']:.2f}"])
        rows.append(["new session: prepare the master (row lookups, topology ids, valve segments, components, "
                     "model arrays) (s)", f"{prefetched['prepare_s']:.2f}"])  # fmt: skip
        rows.append(["review in a new session, master prefetched (what a reviewer waits for after the review dock "
                     "opened) (s)", f"{prefetched['review_s']:.2f}"])  # fmt: skip
        rows.append(["first review in a new session, master read, nothing else prepared (state + prepare + review) (s)",
                     f"{cold['review_s']:.2f}"])  # fmt: skip
        rows.append(["first review in a new session, all in (read master + state + prepare + review) (s)",
                     f"{cold['read_s'] + cold['review_s']:.2f}"])  # fmt: skip
        result.update(write_s=write_s, prefetch_s=first["prefetch_s"], state_mb=size_mb, hash_s=hash_s,
                      session_open_s=prefetched["read_s"], session_state_s=prefetched["state_s"],
                      session_prepare_s=prefetched["prepare_s"], review_prefetched_s=prefetched["review_s"],
                      review_new_session_s=cold["review_s"],
                      review_new_session_total_s=cold["read_s"] + cold["review_s"])  # fmt: skip

    # 4. per-feature PostGIS commit of a 1,000-feature change set vs the whole-network rewrite
    if not args.no_postgis:
        from console.io import commit_changes, read_network, write_network
        from tests.postgres_server import PostgresServer

        with PostgresServer(durable=True) as server:
            server.execute("CREATE SCHEMA edits")
            url = server.url(schema="edits")
            base = master.snapshot()
            rewrite_s, _ = timed(lambda: write_network(base, url))
            base = read_network(url)
            edited = base.snapshot()
            ids = list(rng.choice(base["pipes"]["id"].to_numpy(dtype=object), 1000, replace=False))
            SetAttribute(edited, "pipes", ids, "depth_m", 1.234).redo()
            big = diff_networks(base, edited)
            commit_s, _ = timed(lambda: commit_changes(url, big))
            ApplyChangeSet(base, big)  # the conflict check a reviewer runs first, timed apart below
            check_s, _ = timed(lambda: ApplyChangeSet(base, big))
        rows.append(["whole-network rewrite to PostGIS (s)", f"{rewrite_s:.2f}"])
        rows.append([f"per-feature commit, {len(big)} features (s)", f"{commit_s:.2f}"])
        rows.append([f"conflict check before commit, {len(big)} features (s)", f"{check_s:.2f}"])
        result.update(rewrite_s=rewrite_s, commit_s=commit_s, check_s=check_s)
    result["load_average"] = os.getloadavg()
    rows.append(["load average at the end (1 / 5 / 15 min)", " / ".join(f"{v:.1f}" for v in result["load_average"])])
    result["peak_rss_mb"] = peak_rss_mb()
    rows.append(["peak RSS (MB)", f"{result['peak_rss_mb']:.0f}"])
    print(table(f"Editing — {len(pipes):,} pipes", ["measure", "value"], rows))
    print(json.dumps(result, default=float))


if __name__ == "__main__":
    main()
