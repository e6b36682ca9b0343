"""The hazard register (隐患登记): hazards of a ledger node, their steps, their proof badges, and the entry bodies
of each lifecycle step (上报 → 派单 → 整改 → 复核 → 销号).

Qt-free (only :mod:`console.ledger` underneath), so :class:`console.app.ledger.LedgerService`, the GUI's docks, the
command line and the tests share one reading of the ledger and one way of writing a step. Each hazard's badge comes
from Merkle inclusion proofs: every step's leaf hash, recomputed from the stored entry bytes, must lead to the root
of the latest checkpoint; the badge says whether that checkpoint is witnessed (cosigned by a quorum of peers).

>>> next_step("reported"), next_step("closed")
('assigned', None)
>>> report_body("HZ-20260101-001", 10.0, 20.0, "EPSG:4529", category="leak", severity="major",
...             description="  gas smell  ")["description"]
'gas smell'
>>> step_body("HZ-20260101-001", "assigned", "ab12", {"assignee": " crew-3 ", "due": ""}, [])
{'hazard_id': 'HZ-20260101-001', 'prev': 'ab12', 'assignee': 'crew-3'}
"""

from __future__ import annotations

import datetime as _dt
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path

from console.ledger import HAZARD_STEPS, Entry, LedgerNode, ProofError, leaf_hash, verify_inclusion
from console.texts import QT_TRANSLATE_NOOP

__all__ = [
    "CATEGORIES",
    "SEVERITIES",
    "STEP_LABELS",
    "STEP_VERBS",
    "HazardRow",
    "HazardStep",
    "crs_label",
    "hazard_rows",
    "hazard_steps",
    "media_type",
    "new_hazard_id",
    "next_step",
    "report_body",
    "short",
    "step_body",
]

# (key, label): the keys go on the ledger (they are signed evidence and never translated), the labels are for people:
# English here, marked for translation, shown with ``translate("Hazards", label)`` in the console (上报 → 派单 → 整改 →
# 复核 → 销号 in Chinese).
CATEGORIES = (
    ("leak", QT_TRANSLATE_NOOP("Hazards", "Leak")),
    ("corrosion", QT_TRANSLATE_NOOP("Hazards", "Corrosion")),
    ("third_party", QT_TRANSLATE_NOOP("Hazards", "Third-party damage risk")),
    ("occupation", QT_TRANSLATE_NOOP("Hazards", "Encroachment")),
    ("clearance", QT_TRANSLATE_NOOP("Hazards", "Insufficient clearance")),
    ("equipment", QT_TRANSLATE_NOOP("Hazards", "Equipment defect")),
    ("other", QT_TRANSLATE_NOOP("Hazards", "Other")),
)
SEVERITIES = (
    ("minor", QT_TRANSLATE_NOOP("Hazards", "Minor")),
    ("major", QT_TRANSLATE_NOOP("Hazards", "Major")),
    ("critical", QT_TRANSLATE_NOOP("Hazards", "Critical")),
)
STEP_LABELS = {
    "reported": QT_TRANSLATE_NOOP("Hazards", "Reported"),
    "assigned": QT_TRANSLATE_NOOP("Hazards", "Assigned"),
    "rectified": QT_TRANSLATE_NOOP("Hazards", "Rectified"),
    "verified": QT_TRANSLATE_NOOP("Hazards", "Verified"),
    "closed": QT_TRANSLATE_NOOP("Hazards", "Closed"),
}
# What advancing to a step is called on a button.
STEP_VERBS = {
    "assigned": QT_TRANSLATE_NOOP("Hazards", "Assign"),
    "rectified": QT_TRANSLATE_NOOP("Hazards", "Rectify"),
    "verified": QT_TRANSLATE_NOOP("Hazards", "Verify"),
    "closed": QT_TRANSLATE_NOOP("Hazards", "Close"),
}


def short(hex_hash: str, n: int = 10) -> str:
    """The first ``n`` hex digits of a hash, enough to tell entries apart on screen."""
    return hex_hash[:n] if hex_hash else "—"


def next_step(status: str) -> str | None:
    """The lifecycle step allowed after ``status`` (None once closed)."""
    i = HAZARD_STEPS.index(status)
    return HAZARD_STEPS[i + 1] if i + 1 < len(HAZARD_STEPS) else None


def crs_label(crs) -> str:
    """How a hazard's location names its CRS: ``EPSG:<code>`` when the CRS has one, else its text ("" for none)."""
    if crs is None:
        return ""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_string()


def media_type(path: str | Path) -> str:
    """The media type an evidence file is stored under (from its name; ``application/octet-stream`` if unknown)."""
    return mimetypes.guess_type(str(path))[0] or "application/octet-stream"


def report_body(
    hazard_id: str,
    x: float,
    y: float,
    crs: str,
    *,
    category: str,
    severity: str,
    description: str,
    asset_id: str = "",
    reporter_digest: str = "",
    attachments: list[dict] | tuple = (),
) -> dict:
    """The body of a ``hazard.reported`` entry: where (map coordinates in ``crs``), what, how bad, and evidence.

    The reporter is only ever written as a keyed digest (``reporter_digest``), never by name.
    """
    body: dict = {
        "hazard_id": hazard_id,
        "location": {"x": float(x), "y": float(y), "crs": crs},
        "category": category,
        "severity": severity,
        "description": description.strip(),
    }
    if asset_id:
        body["asset_id"] = asset_id
    if reporter_digest:
        body["reporter_digest"] = reporter_digest
    if attachments:
        body["attachments"] = list(attachments)
    return body


@dataclass(frozen=True)
class HazardStep:
    """One signed step of a hazard's lifecycle as the history table shows it."""

    state: str
    actor: str
    time: str
    index: int
    leaf_hash: str
    detail: str
    attachments: int


@dataclass(frozen=True)
class HazardRow:
    """A hazard's current state, where it is and how well its entries are proven."""

    hazard_id: str
    origin: str
    status: str
    severity: str
    category: str
    asset_id: str
    description: str
    x: float
    y: float
    crs: str
    reported_at: str
    last_index: int
    badge: str  # witnessed, signed, pending, failed
    badge_detail: str
    steps: list[HazardStep] = field(default_factory=list)
    bad_index: int | None = None  # the first step whose entry failed its inclusion proof


def new_hazard_id(node: LedgerNode, now: _dt.datetime | None = None) -> str:
    """``HZ-YYYYMMDD-NNN``: the next free number of the day in this node's own log."""
    day = (now or _dt.datetime.now()).strftime("%Y%m%d")
    taken = set(node.state().hazards)
    n = sum(1 for h in taken if h.startswith(f"HZ-{day}-")) + 1
    while f"HZ-{day}-{n:03d}" in taken:
        n += 1
    return f"HZ-{day}-{n:03d}"


def step_body(hazard_id: str, step: str, prev_leaf: str, fields: dict, attachments: list[dict]) -> dict:
    """The entry body of a lifecycle step from the dialog's fields; raises ValueError naming a missing field."""
    body: dict = {"hazard_id": hazard_id, "prev": prev_leaf}
    text = {k: str(v).strip() for k, v in fields.items() if v is not None and str(v).strip()}
    if step == "assigned":
        if "assignee" not in text:
            raise ValueError("say who is assigned (crew or contractor id)")
        body["assignee"] = text["assignee"]
        for k in ("due", "note"):
            if k in text:
                body[k] = text[k]
    elif step == "rectified":
        if "description" not in text:
            raise ValueError("describe what was done to rectify the hazard")
        body["description"] = text["description"]
    elif step == "verified":
        body["result"] = text.get("result", "pass")
        if "note" in text:
            body["note"] = text["note"]
    elif step == "closed":
        if "note" in text:
            body["note"] = text["note"]
    else:
        raise ValueError(f"{step!r} is not a step that follows another (one of {HAZARD_STEPS[1:]})")
    if attachments and step in ("rectified", "verified"):
        body["attachments"] = attachments
    return body


def _detail(entry: Entry) -> str:
    b = entry.body
    step = entry.type.split(".", 1)[1]
    if step == "reported":
        return b.get("description", "")
    if step == "assigned":
        return " · ".join(
            x for x in (f"to {b['assignee']}", f"due {b['due']}" if "due" in b else "", b.get("note", "")) if x
        )
    if step == "rectified":
        return b.get("description", "")
    if step == "verified":
        return " · ".join(x for x in (f"result {b.get('result', '')}", b.get("note", "")) if x)
    return b.get("note", "")


def _actor(entry: Entry, org_dids: set[str]) -> str:
    if entry.type == "hazard.assigned":
        return entry.body["assignee"]
    who = "org key" if entry.author in org_dids else "operator"
    return f"{who} …{entry.author[-6:]}"


def hazard_steps(entries: list[Entry], org_dids: set[str]) -> list[HazardStep]:
    return [
        HazardStep(
            e.type.split(".", 1)[1],
            _actor(e, org_dids),
            e.payload["time"],
            e.index,
            e.leaf_hash.hex(),
            _detail(e),
            len(e.body.get("attachments", ())),
        )
        for e in entries
    ]


def _badge(node: LedgerNode, origin: str, entries: list[Entry]) -> tuple[str, str, int | None]:
    """Prove each step's inclusion under the log's latest checkpoint (leaf recomputed from the stored bytes)."""
    status = node.witness_status(origin)
    if status is None or not entries:
        return "pending", "no checkpoint yet", None
    root = bytes.fromhex(status.root_hash)
    for e in entries:
        if e.index >= status.size:
            return "pending", f"entry {e.index} is after checkpoint {status.size}", None
        try:
            verify_inclusion(
                e.index, status.size, leaf_hash(e.data), node.inclusion_proof(e.index, status.size, origin), root
            )
        except ProofError:
            detail = f"entry {e.index} as stored does not lead to the root of checkpoint {status.size}: it was altered"
            return "failed", detail, e.index
    n = len(status.cosigners)
    if status.witnessed:
        detail = f"{len(entries)} entries proven in checkpoint {status.size}, witnessed {n}/{status.quorum}"
        return "witnessed", detail, None
    detail = f"{len(entries)} entries proven in signed checkpoint {status.size}; witnesses {n}/{status.quorum}"
    return "signed", detail, None


def hazard_rows(node: LedgerNode, *, with_steps: bool = True) -> list[HazardRow]:
    """Every hazard of every log the node holds (own first), newest report first within a log."""
    rows: list[HazardRow] = []
    for info in sorted(node.logs(), key=lambda i: (not i.own, i.origin)):
        state = node.state(info.origin)
        org_dids = {did for did, _ in state.org_keys}
        for record in sorted(state.hazards.values(), key=lambda r: -r.first_index):
            try:
                entries = node.hazard_history(record.hazard_id, info.origin)
            except Exception as exc:  # a damaged row must not hide the other hazards
                rows.append(
                    HazardRow(
                        record.hazard_id,
                        info.origin,
                        record.status,
                        "",
                        "",
                        "",
                        "",
                        float("nan"),
                        float("nan"),
                        "",
                        "",
                        record.last_index,
                        "failed",
                        f"cannot read entries: {exc}",
                    )
                )
                continue
            reported = entries[0].body if entries else {}
            loc = reported.get("location", {"x": float("nan"), "y": float("nan"), "crs": ""})
            badge, detail, bad_index = _badge(node, info.origin, entries)
            rows.append(
                HazardRow(
                    record.hazard_id,
                    info.origin,
                    record.status,
                    reported.get("severity", ""),
                    reported.get("category", ""),
                    reported.get("asset_id", ""),
                    reported.get("description", ""),
                    float(loc["x"]),
                    float(loc["y"]),
                    str(loc.get("crs", "")),
                    entries[0].payload["time"] if entries else "",
                    record.last_index,
                    badge,
                    detail,
                    hazard_steps(entries, org_dids) if with_steps else [],
                    bad_index,
                )
            )
    return rows
