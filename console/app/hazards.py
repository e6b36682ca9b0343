"""The hazard register (隐患登记) as the docks see it: hazards of a ledger node, their steps and proof badges.

Qt-free on purpose (only :mod:`console.ledger` underneath), so the controller, the docks and the tests share one
reading of the ledger. Each hazard's badge comes from Merkle inclusion proofs: every step's leaf hash, recomputed
from the stored entry bytes, must lead to the root of the latest checkpoint; the badge says whether that
checkpoint is witnessed (cosigned by a quorum of peers).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from console.ledger import HAZARD_STEPS, Entry, LedgerNode, ProofError, leaf_hash, verify_inclusion

__all__ = [
    "CATEGORIES",
    "SEVERITIES",
    "STEP_LABELS",
    "HazardRow",
    "HazardStep",
    "next_step",
    "hazard_rows",
    "hazard_steps",
    "new_hazard_id",
    "step_body",
    "short",
]

# (key, label): the keys go on the ledger, the labels are for people.
CATEGORIES = (
    ("leak", "Leak 泄漏"),
    ("corrosion", "Corrosion 腐蚀"),
    ("third_party", "Third-party damage risk 第三方施工"),
    ("occupation", "Encroachment 占压"),
    ("clearance", "Insufficient clearance 间距不足"),
    ("equipment", "Equipment defect 设施缺陷"),
    ("other", "Other 其他"),
)
SEVERITIES = (("minor", "Minor 一般"), ("major", "Major 较大"), ("critical", "Critical 重大"))
STEP_LABELS = {
    "reported": "Reported 上报",
    "assigned": "Assigned 派单",
    "rectified": "Rectified 整改",
    "verified": "Verified 复核",
    "closed": "Closed 销号",
}
# What advancing to a step is called on a button.
STEP_VERBS = {"assigned": "Assign", "rectified": "Rectify", "verified": "Verify", "closed": "Close"}


def short(hex_hash: str, n: int = 10) -> str:
    """The first ``n`` hex digits of a hash, enough to tell entries apart on screen."""
    return hex_hash[:n] if hex_hash else "—"


def next_step(status: str) -> str | None:
    """The lifecycle step allowed after ``status`` (None once closed)."""
    i = HAZARD_STEPS.index(status)
    return HAZARD_STEPS[i + 1] if i + 1 < len(HAZARD_STEPS) else None


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
