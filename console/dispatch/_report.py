"""Timeline (ICS 214-style activity log, 事件记录) and after-action report (事后评估报告) from an incident's ledger steps.

Everything here is computed from the signed steps (and the plan file whose digest a step signed), so the report
shows what the ledger can prove. The HTML is self-contained: an SVG map of the outage, the timeline with each step's
ledger index and leaf hash, the service clocks met or missed, customers by category, gas vented, crews, and the
decisions with who made them.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from console.dispatch._clocks import ServiceClock
from console.dispatch._incident import Incident, Step

__all__ = ["TimelineRow", "describe_step", "timeline", "report_html", "DECISIONS"]

DECISIONS = {"incident.opened", "incident.graded", "incident.planned", "incident.dispatched", "incident.closed"}


@dataclass(frozen=True)
class TimelineRow:
    time: str
    who: str
    type: str
    activity: str
    index: int
    leaf: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def describe_step(step: Step) -> str:
    """One line of the activity log for a step."""
    b, t = step.body, step.type
    if t == "incident.opened":
        where = b.get("feature_id") or (
            f"({b['location']['x']:.0f}, {b['location']['y']:.0f})" if b.get("location") else ""
        )
        return f"Opened from {b['source']}: {b['kind']} at {where}" + (
            f" — {b['description']}" if b.get("description") else ""
        )
    if t == "incident.report":
        return f"Further report ({b['source']}) joined" + (f": {b['description']}" if b.get("description") else "")
    if t == "incident.graded":
        return f"Graded {b['grade']} ({b['households']} households)" + (
            f": {'; '.join(b['reasons'])}" if b.get("reasons") else ""
        )
    if t == "incident.planned":
        return (f"Plan: close {', '.join(b['valves']) or 'no valves'}"
                + (f" (failed: {', '.join(b['failed'])})" if b.get("failed") else "")
                + f"; {b['customers']} customers, {b['households']} households; "
                f"{b.get('low_pressure_customers', 0)} customers outside fall below service pressure")  # fmt: skip
    if t == "incident.dispatched":
        eta = f", ETA {b['eta_s'] / 60:.0f} min over {b['route_m'] / 1000:.1f} km" if b.get("eta_s") is not None else ""
        return f"Dispatched crew {b['crew']} to {', '.join(b['steps'])}{eta}"
    if t == "incident.crew":
        return f"Crew {b['crew']}: {b['status'].replace('_', ' ')}"
    if t == "incident.valve":
        return (
            f"{b['feature_id']} {b['action']}"
            + (f" by {b['crew']}" if b.get("crew") else "")
            + (f" ({b['note']})" if b.get("note") else "")
        )
    if t == "incident.confirmed":
        val = f" ({b['sensor']}: {b['value_pa']:.0f} Pa)" if b.get("sensor") and b.get("value_pa") is not None else ""
        return f"{b['feature_id']} closure {b['result']} by telemetry{val}"
    if t == "incident.reading":
        return f"Reading: {b['quantity']} {b['value']:g} {b['unit']}" + (
            f" at {b['feature_id']}" if b.get("feature_id") else ""
        )
    if t == "incident.notice":
        return f"{b['kind'].capitalize()} notice ({b['language']}) to {b['customers']} customers ({b.get('special_users', 0)} special)"
    if t == "incident.purged":
        return "Isolated section purged" + (f": {b['note']}" if b.get("note") else "")
    if t == "incident.meter":
        ms = b["meters"]
        return f"Meters {b['step'].replace('_', ' ')}: {len(ms)} ({', '.join(ms[:4])}{' …' if len(ms) > 4 else ''})"
    if t == "incident.closed":
        return "Closed" + (f": {b['summary']}" if b.get("summary") else "")
    return t


def timeline(incident: Incident, who: Callable[[str], str] = lambda did: did[:20]) -> list[TimelineRow]:
    return [TimelineRow(s.time, who(s.author), s.type.split(".", 1)[1], describe_step(s), s.index, s.leaf)
            for s in incident.steps]  # fmt: skip


def _svg_map(lines: Mapping[str, Sequence[np.ndarray]], points: Mapping[str, Sequence[tuple[str, float, float]]],
             routes: Sequence[np.ndarray] = (), width: int = 760, height: int = 480) -> str:  # fmt: skip
    """An SVG map: ``lines`` by role (context, cut_off, isolated), ``points`` by role (valve, failed, break, crew)."""
    arrays = [a for ls in lines.values() for a in ls if len(a)] + [
        np.array([[x, y]]) for ps in points.values() for _, x, y in ps
    ]
    if not arrays:
        return ""
    allxy = np.vstack(arrays)
    (x0, y0), (x1, y1) = allxy.min(axis=0), allxy.max(axis=0)
    pad = max(x1 - x0, y1 - y0) * 0.05 + 10
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    s = min(width / (x1 - x0), height / (y1 - y0))

    def tx(xy: np.ndarray) -> str:
        return " ".join(f"{(x - x0) * s:.1f},{(y1 - y) * s:.1f}" for x, y in xy)

    style = {
        "context": ("#b8c2cc", 1),
        "cut_off": ("#f59e0b", 2.5),
        "isolated": ("#dc2626", 3.5),
        "route": ("#2563eb", 2),
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" style="background:#f8fafc;border:1px solid #cbd5e1">'
    ]
    for role in ("context", "cut_off", "isolated"):
        color, w = style[role]
        for a in lines.get(role, ()):
            parts.append(f'<polyline points="{tx(a)}" fill="none" stroke="{color}" stroke-width="{w}"/>')
    for a in routes:
        parts.append(
            f'<polyline points="{tx(a)}" fill="none" stroke="#2563eb" stroke-width="2" stroke-dasharray="6 3"/>'
        )
    marks = {
        "valve": ("#16a34a", 5),
        "closed": ("#166534", 6),
        "failed": ("#7c3aed", 6),
        "break": ("#000", 7),
        "crew": ("#2563eb", 6),
    }
    for role, pts in points.items():
        color, r = marks.get(role, ("#000", 4))
        for label, x, y in pts:
            px, py = (x - x0) * s, (y1 - y) * s
            shape = (f'<rect x="{px - r}" y="{py - r}" width="{2 * r}" height="{2 * r}" fill="{color}"/>' if role == "crew"
                     else f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{r}" fill="{color}" stroke="#fff"/>')  # fmt: skip
            parts.append(
                shape + f'<text x="{px + r + 2:.1f}" y="{py - r:.1f}" font-size="11">{html.escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def report_html(incident: Incident, rows: Iterable[TimelineRow], clocks: Sequence[ServiceClock], *,
                plan: Mapping | None = None, effect: Mapping | None = None, crews: Mapping[str, str] | None = None,
                map_lines: Mapping[str, Sequence[np.ndarray]] | None = None,
                map_points: Mapping[str, Sequence[tuple[str, float, float]]] | None = None,
                verified: str = "", origin: str = "") -> str:  # fmt: skip
    """The after-action report of an incident as one HTML page."""
    e = html.escape
    d = incident.to_dict()
    impact = (plan or {}).get("impact", {})
    by_cat = impact.get("customers_by_category", {})
    vented = impact.get("isolated_gas_volume_nm3")
    out = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Incident {e(incident.incident_id)} — after-action report</title>",
        "<style>body{font-family:sans-serif;margin:24px;color:#0f172a}table{border-collapse:collapse;margin:8px 0}"
        "td,th{border:1px solid #cbd5e1;padding:3px 8px;font-size:13px;text-align:left}th{background:#e2e8f0}"
        ".met{color:#15803d}.missed,.breached{color:#b91c1c;font-weight:bold}.running{color:#a16207}"
        "code{font-size:11px;color:#475569}</style></head><body>",
        f"<h1>Incident {e(incident.incident_id)} — after-action report 事后评估报告</h1>",
        "<table>",
        f"<tr><th>Kind</th><td>{e(d['kind'])}</td><th>Source</th><td>{e(d['source'])}</td></tr>",
        f"<tr><th>Grade 分级</th><td>{e(d['grade'] or '—')}</td><th>State</th><td>{e(d['state'])}</td></tr>",
        f"<tr><th>Opened</th><td>{e(d['opened_at'])}</td><th>Closed</th><td>{e(d['closed_at'] or '—')}</td></tr>",
        f"<tr><th>Where</th><td>{e(d['feature_id'] or '')}</td><th>Reports</th><td>{d['reports']}</td></tr>",
        f"<tr><th>Ledger</th><td colspan=3>{e(origin)} — {e(verified or 'not verified')}</td></tr>",
        "</table>",
    ]
    if map_lines or map_points:
        out += ["<h2>Map of the outage 停气范围</h2>", _svg_map(map_lines or {}, map_points or {}),
                "<p style='font-size:12px'>red: shut-off region (vented); orange: cut off; green dots: valves to "
                "close (dark: closed); purple: failed; black: break</p>"]  # fmt: skip
    out += ["<h2>Service clocks 服务时限</h2><table><tr><th>Clock</th><th>Limit (min)</th><th>Done at</th>"
            "<th>Elapsed (min)</th><th>Result</th></tr>"]  # fmt: skip
    for c in clocks:
        out.append(f"<tr><td>{c.name}</td><td>{c.limit_min:g}</td><td>{e(c.done_at or '—')}</td>"
                   f"<td>{c.elapsed_min:.1f}</td><td class='{c.status}'>{c.status}</td></tr>")  # fmt: skip
    out.append("</table>")
    out += ["<h2>Customers by category 受影响用户</h2><table><tr><th>Category</th><th>Customers</th></tr>"]
    out += [f"<tr><td>{e(k)}</td><td>{v}</td></tr>" for k, v in sorted(by_cat.items())]
    out.append(f"<tr><th>Households</th><th>{impact.get('households', d['households'])}</th></tr></table>")
    if vented is not None:
        out.append(f"<p>Gas vented from the shut-off region 放散量: <b>{vented:.1f} Nm³</b> "
                   f"(pipe volume {impact.get('isolated_internal_volume_m3', 0):.2f} m³)</p>")  # fmt: skip
    if effect:
        out.append(
            f"<p>Pressure effect: {len(effect.get('low_customers', []))} customers outside the shut-off region "
            f"below service pressure; regulators: {e(', '.join(r[0] for r in effect.get('regulators', [])) or 'none')}</p>"
        )
    r = d["restoration"]
    out.append(f"<h2>Restoration 恢复供气</h2><p>{r['affected']} meters: {r['shut_off']} shut off, {r['relit']} relit, "
               f"{r['handed_over']} handed over, {r['not_home']} not at home (revisit), {r['pending']} pending; "
               f"purged {e(d['purged'] or '—')}</p>")  # fmt: skip
    out += ["<h2>Crews 抢修队伍</h2><table><tr><th>Crew</th><th>Steps</th><th>Route (km)</th><th>ETA (min)</th>"
            "<th>Status times</th></tr>"]  # fmt: skip
    for cid, c in d["crews"].items():
        times = "; ".join(f"{k} {v[11:19]}" for k, v in c["times"].items())
        route = f"{c['route_m'] / 1000:.2f}" if c.get("route_m") is not None else ""
        eta = f"{c['eta_s'] / 60:.0f}" if c.get("eta_s") is not None else ""
        out.append(f"<tr><td>{e((crews or {}).get(cid, cid))}</td><td>{e(', '.join(c['steps']))}</td><td>{route}</td>"
                   f"<td>{eta}</td><td>{e(times)}</td></tr>")  # fmt: skip
    out.append("</table>")
    rows = list(rows)
    out += ["<h2>Decisions 决策</h2><table><tr><th>Time</th><th>Who</th><th>Decision</th></tr>"]
    out += [f"<tr><td>{e(r.time)}</td><td>{e(r.who)}</td><td>{e(r.activity)}</td></tr>" for r in rows
            if "incident." + r.type in DECISIONS]  # fmt: skip
    out.append("</table>")
    out += ["<h2>Activity log 事件记录 (ICS 214)</h2><table><tr><th>#</th><th>Time</th><th>Who</th><th>Step</th>"
            "<th>Activity</th><th>Leaf hash</th></tr>"]  # fmt: skip
    out += [f"<tr><td>{r.index}</td><td>{e(r.time)}</td><td>{e(r.who)}</td><td>{e(r.type)}</td><td>{e(r.activity)}</td>"
            f"<td><code>{e(r.leaf[:16])}</code></td></tr>" for r in rows]  # fmt: skip
    out.append(
        "</table><p style='font-size:12px'>Every row is a signed entry of the ledger; `gasops ledger verify` "
        "checks the signatures, the chain and the checkpoints offline.</p></body></html>"
    )
    return "\n".join(out)
