"""CSV exports of a shut-off result: the closing plan for crews and the affected-customer list for notices.

Files are UTF-8 with a byte-order mark so that Excel on a Chinese Windows desktop shows names correctly, and written
atomically through :mod:`console.atomic` (a crew never gets half a plan). With the network's CRS, longitude/latitude
(CGCS2000 ≈ WGS 84 to a metre) are added for navigation apps.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from console.atomic import atomic_open
from console.errors import GasOpsError
from console.isolation._types import IsolationResult
from console.network import to_lonlat

__all__ = ["plan_rows", "customer_rows", "write_plan_csv", "write_customers_csv"]

PLAN_COLUMNS = (
    "order",
    "action",
    "feature_id",
    "layer",
    "required",
    "distance_m",
    "upstream_hops",
    "remote_controlled",
    "x",
    "y",
    "lon",
    "lat",
    "reason",
)
CUSTOMER_COLUMNS = (
    "feature_id",
    "name",
    "category",
    "special_kind",
    "households",
    "peak_demand_nm3h",
    "role",
    "segment",
    "x",
    "y",
    "lon",
    "lat",
)


def _lonlat(crs: Any, x: list[float], y: list[float]) -> tuple[list[Any], list[Any]]:
    if crs is None or not len(x):
        return [""] * len(x), [""] * len(x)
    lon, lat = to_lonlat(crs, np.asarray(x), np.asarray(y))
    return [round(float(v), 7) for v in np.atleast_1d(lon)], [round(float(v), 7) for v in np.atleast_1d(lat)]


def plan_rows(result: IsolationResult, crs: Any = None) -> list[dict[str, Any]]:
    """The closing plan as rows (skipped valves follow with action ``skipped``), ready for CSV or a table view."""
    steps = [s.to_dict() for s in result.plan]
    skipped = [
        {"order": "", "action": "skipped", "feature_id": k.feature_id, "layer": k.layer, "required": "",
         "distance_m": "", "upstream_hops": "", "remote_controlled": "", "x": k.x, "y": k.y, "reason": k.reason}
        for k in result.skipped
    ]  # fmt: skip
    return _with_lonlat(steps + skipped, PLAN_COLUMNS, crs)


def customer_rows(result: IsolationResult, crs: Any = None) -> list[dict[str, Any]]:
    """Affected customers as rows, special users first."""
    return _with_lonlat([c.to_dict() for c in result.impact.customers], CUSTOMER_COLUMNS, crs)


def _with_lonlat(rows: list[dict[str, Any]], columns: tuple[str, ...], crs: Any) -> list[dict[str, Any]]:
    lon, lat = _lonlat(crs, [r["x"] for r in rows], [r["y"] for r in rows])
    out = []
    for r, lo, la in zip(rows, lon, lat, strict=True):
        r = {**r, "lon": lo, "lat": la}
        out.append({c: r.get(c, "") for c in columns})
    return out


def write_plan_csv(result: IsolationResult, path: str | os.PathLike[str], crs: Any = None) -> Path:
    """Write the closing plan (and skipped valves) as CSV; returns the path."""
    return _write_csv(Path(path), PLAN_COLUMNS, plan_rows(result, crs))


def write_customers_csv(result: IsolationResult, path: str | os.PathLike[str], crs: Any = None) -> Path:
    """Write the affected-customer list as CSV; returns the path."""
    return _write_csv(Path(path), CUSTOMER_COLUMNS, customer_rows(result, crs))


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    try:
        with atomic_open(path, "w", encoding="utf-8-sig", newline="") as f:
            f.write(buf.getvalue())
    except OSError as exc:
        raise GasOpsError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    return path
