"""The evidence bundle's verification report in English and Chinese (``gasops ledger verify-bundle --lang``): the
headings, verdict and check names change with the language; the checks, keys and leaf hashes do not."""

from __future__ import annotations

import re
from collections import Counter

from console.ledger import collect_cosignatures, export_hazard_bundle, sync_peer, verify_bundle
from tests.ledger.conftest import link, reported, run_cli

CJK = re.compile(r"[\u3400-\u9fff]")


def _evidence(html: str) -> tuple[list[str], Counter]:
    """Everything in <code> (key ids, dids, leaf hashes) in order, and every hex digest or number, counted."""
    body = re.sub(r"(checked offline at|离线验证时间) [0-9T:.Z-]+", "", html.split("</style>", 1)[1])
    return re.findall(r"<code>([^<]*)</code>", body), Counter(re.findall(r"[0-9a-f]{16,}|\d+", body))


def test_bundle_report_in_chinese_has_the_same_evidence(make_node, serve, tmp_path):
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a), serve(b)
    link(a, sa, b, sb)
    photo = a.put_evidence(b"\x89PNG fake photo of the leak", "image/png")
    r = a.append(*reported("H-77", attachments=[photo]))
    a.append("hazard.assigned", {"hazard_id": "H-77", "prev": r.leaf_hash, "assignee": "crew-1"})
    assert sync_peer(b, "a").status == "synced"
    assert collect_cosignatures(a).witnessed
    path = export_hazard_bundle(a, "H-77", tmp_path / "H-77.zip")

    en, zh = tmp_path / "en.html", tmp_path / "zh.html"
    assert run_cli(["ledger", "verify-bundle", str(path), "--report", str(en), "--trust", a.org_vkey]) == 0
    assert run_cli(["ledger", "verify-bundle", str(path), "--report", str(zh), "--trust", a.org_vkey,
                    "--lang", "zh_CN"]) == 0  # fmt: skip
    en_text, zh_text = en.read_text(encoding="utf-8"), zh.read_text(encoding="utf-8")
    assert "Evidence bundle verification" in en_text and "VERIFIED" in en_text and not CJK.search(en_text)
    for chinese in ("证据包验证", "验证通过", "信任的密钥", "隐患处置过程", "校验项", "检查点签名", "上报", "派单"):
        assert chinese in zh_text, chinese
    for english in ("Evidence bundle verification", "Lifecycle", "Checks", "checkpoint signature"):
        assert english not in zh_text
    assert _evidence(en_text) == _evidence(zh_text)  # the same keys, hashes and figures
    assert _evidence(en_text)[0]  # (there are some)

    # the language only changes the rendering: the same report object, two renderings
    report = verify_bundle(path, trusted_log_keys=[a.org_vkey])
    from console.ledger._bundle import render_html

    assert [c.name for c in report.checks] == [
        c.name for c in verify_bundle(path, trusted_log_keys=[a.org_vkey]).checks
    ]
    assert "验证通过" in render_html(report, "zh_CN") and "验证通过" not in render_html(report)
