"""The master network's steady state kept on disk, so a review does not pay the master's cold solve (Qt-free).

A review compares the master's steady state with the branch's (:mod:`console.app.review`). At a million pipes the
master's cold solve takes seconds; it belongs to the master's *content* and the request it was solved for, not to a
session. :class:`SteadyStateStore` keeps solved states in a workspace's cache folder as uncompressed ``.npz`` files
(every array of the :class:`~console.hydraulics.SimulationResult`, the node and link ids as Arrow string buffers,
the summaries as JSON), written atomically, one file per (network content, request):

* the network content is the SHA-256 of the master file's bytes (:func:`file_digest`, ~0.6 s per GB); a file whose
  path, inode, size and modification time are unchanged is not hashed twice in a session, and the hash is only kept
  when the file's state is the same after hashing as when the network was read;
* the request is the SHA-256 of the request's JSON (demand scenario, simultaneity, gas, law, limits, solver
  settings; not its label) (:func:`request_digest`);
* on reading, the file's format, both digests, the console version that wrote it and the ids (equal, in order, to
  the network's topology) are checked; anything else — a truncated, foreign or corrupt file — is ignored with a log
  line and the state is solved again. A cache file is never trusted for a network it does not name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMAT", "SteadyStateStore", "file_digest", "request_digest"]

log = logging.getLogger(__name__)

FORMAT = "gasops-steady-state/1"
KEEP = 6  # cache files kept per folder (the newest): a few masters and scenarios, never a growing pile

_NODE_ARRAYS = ("node_layer", "node_pressure_pa", "node_pressure_abs_pa", "node_supplied", "node_system",
                "node_demand_nm3h", "node_supply_nm3h", "node_conservation_nm3h")  # fmt: skip
_LINK_ARRAYS = ("link_layer", "link_flow_nm3h", "link_velocity_ms", "link_pressure_from_pa", "link_pressure_to_pa",
                "link_dp_per_km_pa", "link_active")  # fmt: skip
_REG_ARRAYS = ("regulator_state", "regulator_loading")


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def request_digest(request: Any) -> str:
    """SHA-256 (hex) of what a steady state depends on in a request (everything but its label)."""
    doc = request.to_dict()
    doc.pop("label", None)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _version() -> str:
    from console import __version__

    return __version__


def _id_buffers(text) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of an Arrow string column (the topology's ids), without a Python string per id."""
    import pyarrow as pa

    arr = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    if arr.null_count:
        raise ValueError("ids with nulls")
    _validity, offsets, data = arr.buffers()
    off = np.frombuffer(offsets, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return off, raw[int(off[0]) : int(off[-1])] if len(off) else raw[:0]


def _same_ids(text, offsets: np.ndarray, raw: np.ndarray) -> bool:
    mine_off, mine_raw = _id_buffers(text)
    if len(mine_off) != len(offsets):
        return False
    return bool(np.array_equal(mine_off - mine_off[0], offsets - offsets[0]) and np.array_equal(mine_raw, raw))


def _meta(result: Any, network_digest: str, req_digest: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "console": _version(),
        "network_digest": network_digest,
        "request_digest": req_digest,
        "request": result.request.to_dict(),
        "network_name": result.network_name,
        "n_pipes": int(result.n_pipes),
        "systems": [dataclasses.asdict(s) for s in result.systems],
        "unsupplied": [dataclasses.asdict(u) for u in result.unsupplied],
        "violations": [dataclasses.asdict(v) for v in result.violations],
        "convergence": dataclasses.asdict(result.convergence),
        "warnings": list(result.warnings),
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


class SteadyStateStore:
    """Solved steady states of master networks in ``folder`` (see the module). Counts: ``saved``, ``loaded``,
    ``rejected`` (files found and not trusted)."""

    def __init__(self, folder: str | os.PathLike, *, keep: int = KEEP) -> None:
        self.folder = Path(folder)
        self.keep = keep
        self.saved = self.loaded = self.rejected = 0

    def path_for(self, network_digest: str, req_digest: str) -> Path:
        return self.folder / f"steady-{network_digest[:24]}-{req_digest[:16]}.npz"

    def save(self, network: Any, result: Any, network_digest: str) -> Path:
        """Keep ``result`` (a steady state of ``network``, whose content has ``network_digest``)."""
        from console.atomic import atomic_open

        topo = network.topology
        if len(result.node_pressure_pa) != topo.n_nodes or len(result.link_flow_nm3h) != topo.n_links:
            raise ValueError(f"the steady state of {result.network_name} does not fit the network {network.name}")
        node_off, node_raw = _id_buffers(topo.node_id_text)
        link_off, link_raw = _id_buffers(topo.link_id_text)
        meta = _meta(result, network_digest, request_digest(result.request))
        arrays = {name: np.asarray(getattr(result, name)) for name in (*_NODE_ARRAYS, *_LINK_ARRAYS)}
        arrays["regulator_state"] = np.asarray(result.regulator_state).astype(str)
        arrays["regulator_loading"] = np.asarray(result.regulator_loading, dtype=float)
        meta_bytes = json.dumps(meta, default=_json_default, allow_nan=True).encode()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path_for(network_digest, meta["request_digest"])
        with atomic_open(path, "wb") as handle:
            np.savez(handle, meta=np.frombuffer(meta_bytes, dtype=np.uint8), node_id_offsets=node_off,
                     node_id_bytes=node_raw, link_id_offsets=link_off, link_id_bytes=link_raw, **arrays)  # fmt: skip
        self.saved += 1
        self._prune(keep_path=path)
        return path

    def _prune(self, keep_path: Path) -> None:
        files = sorted(self.folder.glob("steady-*.npz"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in [p for p in files if p != keep_path][max(0, self.keep - 1) :]:
            try:
                old.unlink()
            except OSError as exc:
                log.warning("could not remove the old steady state %s: %s", old, exc)

    def load(self, network: Any, request: Any, network_digest: str) -> Any:
        """The steady state of ``network`` (content ``network_digest``) for ``request``, or None: none kept, or a
        file that is not trusted (logged)."""
        path = self.path_for(network_digest, request_digest(request))
        if not path.is_file():
            return None
        try:
            return self._read(path, network, request, network_digest)
        except Exception as exc:  # any unreadable file is ignored, never trusted
            self.rejected += 1
            log.warning("steady state cache %s ignored: %s", path, exc)
            return None

    def _read(self, path: Path, network: Any, request: Any, network_digest: str) -> Any:
        from console.hydraulics import ConvergenceInfo, SimulationResult, SystemSummary, UnsuppliedPart, Violation

        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format') if isinstance(meta, dict) else None!r} is not {FORMAT}")
        if meta.get("console") != _version():
            raise ValueError(f"written by console {meta.get('console')}, this is {_version()}")
        if meta.get("network_digest") != network_digest:
            raise ValueError("it belongs to another network content")
        if meta.get("request_digest") != request_digest(request):
            raise ValueError("it was solved for another request")
        topo = network.topology
        if not _same_ids(topo.node_id_text, arrays.pop("node_id_offsets"), arrays.pop("node_id_bytes")):
            raise ValueError("its node ids are not the network's")
        if not _same_ids(topo.link_id_text, arrays.pop("link_id_offsets"), arrays.pop("link_id_bytes")):
            raise ValueError("its link ids are not the network's")
        for name in _NODE_ARRAYS:
            if arrays[name].shape != (topo.n_nodes,):
                raise ValueError(f"{name} has {arrays[name].shape} values for {topo.n_nodes} nodes")
        for name in _LINK_ARRAYS:
            if arrays[name].shape != (topo.n_links,):
                raise ValueError(f"{name} has {arrays[name].shape} values for {topo.n_links} links")
        n_reg = len(network["regulators"])
        for name in _REG_ARRAYS:
            if arrays[name].shape != (n_reg,):
                raise ValueError(f"{name} has {arrays[name].shape} values for {n_reg} regulators")
        conv = dict(meta["convergence"])
        conv["history"] = tuple(tuple(h) for h in conv.get("history", ()))
        result = SimulationResult(
            network_name=network.name,
            network_version=network.version,
            request=request,
            node_ids=topo.node_ids,
            link_ids=topo.link_ids,
            **{name: arrays[name] for name in (*_NODE_ARRAYS, *_LINK_ARRAYS)},
            regulator_state=arrays["regulator_state"].astype(object),
            regulator_loading=arrays["regulator_loading"],
            systems=[SystemSummary(**{**s, "fed_by": tuple(s["fed_by"])}) for s in meta["systems"]],
            unsupplied=[
                UnsuppliedPart(**{k: tuple(v) if isinstance(v, list) else v for k, v in u.items()})
                for u in meta["unsupplied"]
            ],  # fmt: skip
            violations=[Violation(**v) for v in meta["violations"]],
            convergence=ConvergenceInfo(**conv),
            n_pipes=int(meta["n_pipes"]),
            warnings=list(meta.get("warnings", [])),
        )
        self.loaded += 1
        return result
