"""Customer notices (停气通知): texts from templates (中文 and English), a call list and an SMS batch file.

Special users (hospitals, schools, care homes …) come first in both files. The GIS holds no phone numbers: the call
list and the SMS batch name each customer by id and meter number, which the utility's customer system (CIS) and SMS
gateway resolve to numbers. The files are written through ``console.atomic``; the ledger records their digests.

>>> t = notice_text("outage", "en", incident_id="INC-7", start="08:30", expected="18:00", area="金浦")
>>> t.startswith("[Gas outage] Gas supply in 金浦 is interrupted from 08:30")
True
>>> notice_text("outage", "fr", incident_id="x")
Traceback (most recent call last):
...
console.dispatch._errors.IncidentError: notice language 'fr': choose zh or en
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from console.dispatch._errors import NOTICE_KIND_CHOOSE, NOTICE_LANGUAGE_CHOOSE, IncidentError

__all__ = ["TEMPLATES", "call_list_csv", "notice_text", "sms_batch_csv"]

TEMPLATES: dict[str, dict[str, str]] = {
    "outage": {
        "zh": "【停气通知】因燃气管道抢修（事件{incident_id}），{area}自{start}起暂停供气，预计{expected}恢复。"
        "请关闭燃气阀门，勿使用明火；恢复供气时须由工作人员入户检查后方可点火。抢修电话：{hotline}",
        "en": "[Gas outage] Gas supply in {area} is interrupted from {start} for emergency repairs (incident "
        "{incident_id}); expected back by {expected}. Keep your gas valve closed and do not use open flames; a "
        "technician will check your installation before relighting. Hotline: {hotline}",
    },
    "planned": {
        "zh": "【计划停气】因管网施工，{area}将于{start}起停气，预计{expected}恢复，请提前做好准备。咨询电话：{hotline}",
        "en": "[Planned gas outage] Gas supply in {area} will be interrupted from {start} for network works; expected "
        "back by {expected}. Please prepare. Enquiries: {hotline}",
    },
    "restoration": {
        "zh": "【恢复供气】{area}已恢复供气（事件{incident_id}）。工作人员将入户检查并点火，如不在家请致电{hotline}预约。",
        "en": "[Gas restored] Gas supply in {area} is back (incident {incident_id}). A technician will visit to check "
        "and relight your appliances; if you are away, call {hotline} to book a visit.",
    },
}


def notice_text(kind: str, language: str, **fields: Any) -> str:
    """The notice text of ``kind`` in ``language`` (zh or en) with ``fields`` filled in."""
    if kind not in TEMPLATES:
        raise IncidentError(NOTICE_KIND_CHOOSE.format(kind=kind, allowed=", ".join(TEMPLATES)))
    if language not in ("zh", "en"):
        raise IncidentError(NOTICE_LANGUAGE_CHOOSE.format(language=language))
    values = {"incident_id": "", "area": "the affected area" if language == "en" else "受影响区域", "start": "now",
              "expected": "further notice" if language == "en" else "另行通知", "hotline": "96777"}  # fmt: skip
    values.update({k: v for k, v in fields.items() if v not in (None, "")})
    return TEMPLATES[kind][language].format(**values)


def _ordered(customers: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    rows = list(customers)
    return sorted(rows, key=lambda c: (c.get("category") != "special", str(c.get("feature_id"))))


def call_list_csv(customers: Iterable[Mapping[str, Any]], addresses: Mapping[str, str] | None = None) -> str:
    """The call list: priority (1 special users), customer, meter, name, category, kind, households, address."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["priority", "customer_id", "meter_id", "name", "category", "special_kind", "households", "address"])
    for c in _ordered(customers):
        w.writerow([1 if c.get("category") == "special" else 2, c["feature_id"], c.get("meter_id", ""),
                    c.get("name", ""), c.get("category", ""), c.get("special_kind", ""), c.get("households", 0),
                    (addresses or {}).get(c["feature_id"], "")])  # fmt: skip
    return out.getvalue()


def sms_batch_csv(customers: Iterable[Mapping[str, Any]], text: str) -> str:
    """The SMS batch for the gateway: one row per meter (``meter_id,customer_id,priority,message``)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["meter_id", "customer_id", "priority", "message"])
    for c in _ordered(customers):
        w.writerow([c.get("meter_id", ""), c["feature_id"], 1 if c.get("category") == "special" else 2, text])
    return out.getvalue()
