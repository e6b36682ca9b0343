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
from console.dispatch._language import check_language, grade_label, phrase, step_name, term

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


def describe_step(step: Step, lang: str = "en") -> str:
    """One line of the activity log for a step, in ``lang`` (en or zh_CN; what was signed is shown as signed)."""
    b, t = step.body, step.type

    def p(text: str, **values) -> str:
        return phrase(text, lang).format(**values)

    def w(word: str, group: str = "") -> str:
        return term(word, lang, group)

    def ids(values) -> str:
        return ", ".join(values)

    if t == "incident.opened":
        where = b.get("feature_id") or (
            f"({b['location']['x']:.0f}, {b['location']['y']:.0f})" if b.get("location") else ""
        )
        return p("Opened from {source}: {kind} at {where}", source=w(b["source"]), kind=w(b["kind"]), where=where) + (
            p(" — {description}", description=b["description"]) if b.get("description") else ""
        )
    if t == "incident.report":
        return p("Further report ({source}) joined", source=w(b["source"])) + (
            f": {b['description']}" if b.get("description") else ""
        )
    if t == "incident.graded":
        return p("Graded {grade} ({households} households)", grade=b["grade"], households=b["households"]) + (
            f": {'; '.join(b['reasons'])}" if b.get("reasons") else ""
        )
    if t == "incident.planned":
        return (p("Plan: close {valves}", valves=ids(b["valves"]) or phrase("no valves", lang))
                + (p(" (failed: {failed})", failed=ids(b["failed"])) if b.get("failed") else "")
                + p("; {customers} customers, {households} households; {low} customers outside fall below service "
                    "pressure", customers=b["customers"], households=b["households"],
                    low=b.get("low_pressure_customers", 0)))  # fmt: skip
    if t == "incident.dispatched":
        eta = (p(", ETA {eta} min over {km} km", eta=f"{b['eta_s'] / 60:.0f}", km=f"{b['route_m'] / 1000:.1f}")
               if b.get("eta_s") is not None else "")  # fmt: skip
        return p("Dispatched crew {crew} to {steps}{eta}", crew=b["crew"], steps=ids(b["steps"]), eta=eta)
    if t == "incident.crew":
        status = w(b["status"]) if lang != "en" else b["status"].replace("_", " ")
        return p("Crew {crew}: {status}", crew=b["crew"], status=status)
    if t == "incident.valve":
        return (
            f"{b['feature_id']} {w(b['action'], 'valve')}"
            + (p(" by {crew}", crew=b["crew"]) if b.get("crew") else "")
            + (f" ({b['note']})" if b.get("note") else "")
        )
    if t == "incident.confirmed":
        val = f" ({b['sensor']}: {b['value_pa']:.0f} Pa)" if b.get("sensor") and b.get("value_pa") is not None else ""
        return p("{feature} closure {result} by telemetry{value}", feature=b["feature_id"], result=w(b["result"]),
                 value=val)  # fmt: skip
    if t == "incident.reading":
        return p("Reading: {quantity} {value} {unit}", quantity=w(b["quantity"]), value=f"{b['value']:g}",
                 unit=b["unit"]) + (p(" at {feature}", feature=b["feature_id"]) if b.get("feature_id") else "")  # fmt: skip
    if t == "incident.notice":
        kind = w(b["kind"]) if lang != "en" else b["kind"].capitalize()
        return p("{kind} notice ({language}) to {customers} customers ({special} special)", kind=kind,
                 language=b["language"], customers=b["customers"], special=b.get("special_users", 0))  # fmt: skip
    if t == "incident.purged":
        return phrase("Isolated section purged", lang) + (f": {b['note']}" if b.get("note") else "")
    if t == "incident.meter":
        ms = b["meters"]
        step_ = w(b["step"]) if lang != "en" else b["step"].replace("_", " ")
        return p("Meters {step}: {count} ({meters})", step=step_, count=len(ms),
                 meters=f"{', '.join(ms[:4])}{' …' if len(ms) > 4 else ''}")  # fmt: skip
    if t == "incident.closed":
        return phrase("Closed", lang) + (f": {b['summary']}" if b.get("summary") else "")
    return t


def timeline(
    incident: Incident, who: Callable[[str], str] = lambda did: did[:20], lang: str = "en"
) -> list[TimelineRow]:
    """The activity log of ``incident`` (one row per signed step), its activities written in ``lang``."""
    check_language(lang)
    return [TimelineRow(s.time, who(s.author), s.type.split(".", 1)[1], describe_step(s, lang), s.index, s.leaf)
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
                verified: str = "", origin: str = "", lang: str = "en") -> str:  # fmt: skip
    """The after-action report of an incident as one HTML page, in ``lang`` (en or zh_CN).

    The language changes the headings and the words around the figures; the figures, ids, times, leaf hashes and
    what the steps signed are the same in every language.
    """
    check_language(lang)
    e = html.escape

    def t(text: str, **values) -> str:
        return phrase(text, lang).format(**values) if values else phrase(text, lang)

    def w(word: str, group: str = "") -> str:
        return term(word, lang, group)

    def heads(*names: str) -> str:
        return "<tr>" + "".join(f"<th>{e(t(n))}</th>" for n in names) + "</tr>"

    d = incident.to_dict()
    impact = (plan or {}).get("impact", {})
    by_cat = impact.get("customers_by_category", {})
    vented = impact.get("isolated_gas_volume_nm3")
    title = t("Incident {incident} — after-action report", incident=incident.incident_id)
    html_lang = "zh-CN" if lang == "zh_CN" else "en"
    grade = f"{d['grade']} ({grade_label(d['grade'], lang)})" if d["grade"] else "—"
    out = [
        f"<!doctype html><html lang='{html_lang}'><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title>",
        "<style>body{font-family:sans-serif;margin:24px;color:#0f172a}table{border-collapse:collapse;margin:8px 0}"
        "td,th{border:1px solid #cbd5e1;padding:3px 8px;font-size:13px;text-align:left}th{background:#e2e8f0}"
        ".met{color:#15803d}.missed,.breached{color:#b91c1c;font-weight:bold}.running{color:#a16207}"
        "code{font-size:11px;color:#475569}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        "<table>",
        f"<tr><th>{t('Kind')}</th><td>{e(w(d['kind']))}</td><th>{t('Source')}</th><td>{e(w(d['source']))}</td></tr>",
        f"<tr><th>{t('Grade')}</th><td>{e(grade)}</td><th>{t('State')}</th><td>{e(w(d['state'], 'state'))}</td></tr>",
        f"<tr><th>{t('Opened')}</th><td>{e(d['opened_at'])}</td><th>{t('Closed at')}</th>"
        f"<td>{e(d['closed_at'] or '—')}</td></tr>",
        f"<tr><th>{t('Where')}</th><td>{e(d['feature_id'] or '')}</td><th>{t('Reports')}</th><td>{d['reports']}</td></tr>",
        f"<tr><th>{t('Ledger')}</th><td colspan=3>{e(origin)} — {e(verified or t('not verified'))}</td></tr>",
        "</table>",
    ]
    if map_lines or map_points:
        out += [f"<h2>{t('Map of the outage')}</h2>", _svg_map(map_lines or {}, map_points or {}),
                "<p style='font-size:12px'>" + t("red: shut-off region (vented); orange: cut off; green dots: valves "
                                                 "to close (dark: closed); purple: failed; black: break") + "</p>"]  # fmt: skip
    out += [f"<h2>{t('Service clocks')}</h2><table>"
            + heads("Clock", "Limit (min)", "Done at", "Elapsed (min)", "Result")]  # fmt: skip
    for c in clocks:
        out.append(f"<tr><td>{e(w(c.name))}</td><td>{c.limit_min:g}</td><td>{e(c.done_at or '—')}</td>"
                   f"<td>{c.elapsed_min:.1f}</td><td class='{c.status}'>{e(w(c.status))}</td></tr>")  # fmt: skip
    out.append("</table>")
    out += [f"<h2>{t('Customers by category')}</h2><table>" + heads("Category", "Customers")]
    out += [f"<tr><td>{e(w(k))}</td><td>{v}</td></tr>" for k, v in sorted(by_cat.items())]
    out.append(f"<tr><th>{t('Households')}</th><th>{impact.get('households', d['households'])}</th></tr></table>")
    if vented is not None:
        out.append("<p>" + t("Gas vented from the shut-off region: <b>{vented} Nm³</b> (pipe volume {volume} m³)",
                             vented=f"{vented:.1f}", volume=f"{impact.get('isolated_internal_volume_m3', 0):.2f}")
                   + "</p>")  # fmt: skip
    if effect and effect.get("infeasible"):
        pipes = ", ".join(f"{b[0]} ({float(b[1]):,.0f} Nm³/h)" for b in effect.get("bottlenecks", [])) or t("none")
        out.append(
            "<p><b>"
            + t(
                "Pressure effect: with the plan's valves closed, pressure system {systems} cannot "
                "carry its peak demand of {demand} Nm³/h; bottleneck pipes: {pipes}",
                systems=e(", ".join(effect.get("systems", []))),
                demand=f"{float(effect.get('demand_nm3h', 0.0)):,.1f}",
                pipes=e(pipes),
            )
            + "</b></p>"
        )
    elif effect:
        regulators = ", ".join(r[0] for r in effect.get("regulators", [])) or t("none")
        out.append("<p>" + t("Pressure effect: {low} customers outside the shut-off region below service pressure; "
                             "regulators: {regulators}", low=len(effect.get("low_customers", [])),
                             regulators=e(regulators)) + "</p>")  # fmt: skip
    r = d["restoration"]
    out.append(f"<h2>{t('Restoration')}</h2><p>"
               + t("{affected} meters: {shut_off} shut off, {relit} relit, {handed_over} handed over, {not_home} not "
                   "at home (revisit), {pending} pending; purged {purged}", affected=r["affected"],
                   shut_off=r["shut_off"], relit=r["relit"], handed_over=r["handed_over"], not_home=r["not_home"],
                   pending=r["pending"], purged=e(d["purged"] or "—"))
               + "</p>")  # fmt: skip
    out += [f"<h2>{t('Crews')}</h2><table>" + heads("Crew", "Steps", "Route (km)", "ETA (min)", "Status times")]
    for cid, c in d["crews"].items():
        times = "; ".join(f"{w(k)} {v[11:19]}" for k, v in c["times"].items())
        route = f"{c['route_m'] / 1000:.2f}" if c.get("route_m") is not None else ""
        eta = f"{c['eta_s'] / 60:.0f}" if c.get("eta_s") is not None else ""
        out.append(f"<tr><td>{e((crews or {}).get(cid, cid))}</td><td>{e(', '.join(c['steps']))}</td><td>{route}</td>"
                   f"<td>{eta}</td><td>{e(times)}</td></tr>")  # fmt: skip
    out.append("</table>")
    rows = list(rows)
    out += [f"<h2>{t('Decisions')}</h2><table>" + heads("Time", "Who", "Decision")]
    out += [f"<tr><td>{e(r.time)}</td><td>{e(r.who)}</td><td>{e(r.activity)}</td></tr>" for r in rows
            if "incident." + r.type in DECISIONS]  # fmt: skip
    out.append("</table>")
    out += [f"<h2>{t('Activity log (ICS 214)')}</h2><table>"
            + heads("#", "Time", "Who", "Step", "Activity", "Leaf hash")]  # fmt: skip
    out += [f"<tr><td>{r.index}</td><td>{e(r.time)}</td><td>{e(r.who)}</td><td>{e(step_name(r.type, lang))}</td>"
            f"<td>{e(r.activity)}</td><td><code>{e(r.leaf[:16])}</code></td></tr>" for r in rows]  # fmt: skip
    out.append(
        "</table><p style='font-size:12px'>"
        + e(t("Every row is a signed entry of the ledger; `gasops ledger verify` checks the signatures, the chain and "
              "the checkpoints offline."))
        + "</p></body></html>"
    )  # fmt: skip
    return "\n".join(out)
