"""Demand scenarios (用气工况): what each node draws, read from a file, so a public network can be simulated with real
demands instead of its customers' peak × simultaneity.

Two formats:

* **CSV** — a header naming a node id column (``node_id``, ``id`` or ``node``) and a demand column (``demand_nm3h``
  or ``demand``, Nm³/h), one node per line; blank lines and lines starting with ``#`` are skipped.
* **GasLib nomination** (JSON, as converted by kaarthiksundar/GasLib) — ``exits`` (node id → withdrawal) and
  ``entries`` (node id → injection) in kg/s. Exits become demands at normal conditions: Nm³/h = kg/s × 3600 / ρ_n,
  with ρ_n the network's own normal density where its file states one (GasLib ``normDensity``, kept on the gate
  stations as ``norm_density_kg_m3``), else the simulator's gas. Entries are not imposed: gate stations hold their
  pressure and supply what the exits take (their split follows from the pressures), and the nomination's entry total
  is kept to compare with.

A scenario is applied through :class:`~console.hydraulics.DemandOptions` (``node_demand_nm3h``): the listed nodes
draw the given flow × ``demand_factor``; every other node draws nothing.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from console.errors import GasOpsError
from console.hydraulics._gas import GasProperties
from console.network import GasNetwork

__all__ = ["DemandScenario", "DemandScenarioError", "read_demand_scenario"]

_ID_COLUMNS = ("node_id", "id", "node")
_DEMAND_COLUMNS = ("demand_nm3h", "demand")


class DemandScenarioError(GasOpsError):
    """A demand scenario file that cannot be used: names the file, the line or node, and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        super().__init__(f"{Path(path).name}: {problem}")


@dataclass(frozen=True)
class DemandScenario:
    """Node id → demand (Nm³/h) with where it came from; ``entries_nm3h`` the nominated injections, if any."""

    name: str
    node_demand_nm3h: dict[str, float]
    source: str
    entries_nm3h: dict[str, float] | None = None

    @property
    def total_nm3h(self) -> float:
        return float(sum(self.node_demand_nm3h.values()))


def read_demand_scenario(path: Path | str, network: GasNetwork | None = None) -> DemandScenario:
    """Read a CSV or GasLib nomination demand scenario; with ``network`` every node id is checked against it.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "peak.csv"
    >>> _ = p.write_text("node_id,demand_nm3h\\nC-1,12.5\\n# a comment\\nC-2,0\\n")
    >>> read_demand_scenario(p).node_demand_nm3h
    {'C-1': 12.5, 'C-2': 0.0}
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DemandScenarioError(path, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DemandScenarioError(path, f"not a text file (not UTF-8 at byte {exc.start})") from None
    if text.lstrip().startswith("{"):
        scenario = _read_nomination(path, text, network)
    else:
        scenario = _read_csv(path, text)
    if network is not None:
        ids = list(scenario.node_demand_nm3h)
        unknown = [i for i, k in zip(ids, network.topology.node_index(ids), strict=True) if k < 0]
        if unknown:
            shown = ", ".join(unknown[:5]) + (f" … ({len(unknown)} in all)" if len(unknown) > 5 else "")
            raise DemandScenarioError(path, f"nodes not in network {network.name!r}: {shown}")
    return scenario


def _number(path: Path, where: str, raw: object) -> float:
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DemandScenarioError(path, f"{where}: demand {raw!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise DemandScenarioError(path, f"{where}: demand {raw!r} must be a finite number >= 0")
    return value


def _read_csv(path: Path, text: str) -> DemandScenario:
    lines = [
        (n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise DemandScenarioError(path, "no header and no demands")
    try:
        dialect = csv.Sniffer().sniff(lines[0][1], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in lines)), dialect))
    header = [h.strip().lower() for h in rows[0]]
    id_col = next((header.index(c) for c in _ID_COLUMNS if c in header), None)
    demand_col = next((header.index(c) for c in _DEMAND_COLUMNS if c in header), None)
    if id_col is None or demand_col is None:
        raise DemandScenarioError(
            path,
            f"line {lines[0][0]}: the header needs a node id column ({', '.join(_ID_COLUMNS)}) and a demand column "
            f"({', '.join(_DEMAND_COLUMNS)}), found {rows[0]}",
        )
    demands: dict[str, float] = {}
    first_line: dict[str, int] = {}
    for (number, _), row in zip(lines[1:], rows[1:], strict=True):
        if len(row) <= max(id_col, demand_col):
            raise DemandScenarioError(path, f"line {number}: expected {len(header)} fields, found {len(row)}")
        node = row[id_col].strip()
        if not node:
            raise DemandScenarioError(path, f"line {number}: no node id")
        if node in demands:
            raise DemandScenarioError(
                path, f"line {number}: node {node!r} listed twice (first at line {first_line[node]})"
            )
        demands[node] = _number(path, f"line {number}, node {node!r}", row[demand_col].strip())
        first_line[node] = number
    return DemandScenario(path.stem, demands, str(path))


def _read_nomination(path: Path, text: str, network: GasNetwork | None) -> DemandScenario:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DemandScenarioError(path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("exits"), dict):
        raise DemandScenarioError(path, "not a GasLib nomination: no 'exits' object of node id → kg/s")
    entries = data.get("entries", {})
    if not isinstance(entries, dict):
        raise DemandScenarioError(path, "'entries' is not an object of node id → kg/s")
    density = _normal_density(network)
    to_nm3h = 3600.0 / density
    exits = {str(k): _number(path, f"exit {k!r}", v) * to_nm3h for k, v in data["exits"].items()}
    injected = {str(k): _number(path, f"entry {k!r}", v) * to_nm3h for k, v in entries.items()}
    name = " ".join(str(data[k]) for k in ("network", "day") if data.get(k)) or path.stem
    return DemandScenario(name, exits, str(path), injected or None)


def _normal_density(network: GasNetwork | None) -> float:
    """kg/Nm³: the network's stated normal density (GasLib normDensity on its sources), else the simulator's gas."""
    if network is not None and "norm_density_kg_m3" in network["gate_stations"]:
        stated = network["gate_stations"]["norm_density_kg_m3"].to_numpy(dtype=float)
        stated = stated[np.isfinite(stated) & (stated > 0)]
        if len(stated):
            return float(np.mean(stated))
    return GasProperties().density_base_kg_m3
