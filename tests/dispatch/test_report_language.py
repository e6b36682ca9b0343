"""The after-action report in English and Chinese (``gasops incident report --lang``): the headings and words change
with the language, the evidence (ids, times, leaf hashes, figures) does not."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from console.dispatch import IncidentError, describe_step, term
from tests.dispatch.drill import BREAK_PIPE
from tests.dispatch.test_cli_drill import gasops, workspace  # noqa: F401 - the CLI drill's workspace fixture

CJK = re.compile(r"[\u3400-\u9fff]")


def _evidence(html: str) -> tuple[Counter, list[str]]:
    """The figures of a report (every number, counted) and the leaf hashes it shows, in order."""
    body = html.split("</style>", 1)[1]
    return Counter(re.findall(r"\d+(?:\.\d+)?", body)), re.findall(r"<code>([0-9a-f]{16})</code>", body)


def test_incident_report_in_chinese_has_the_same_evidence(workspace, capsys, tmp_path):  # noqa: F811
    ws = str(workspace.folder)
    code, out, err = gasops(capsys, "incident", "open", ws, "--pipe", BREAK_PIPE, "--kind", "rupture", "--json")
    assert code == 0, err
    iid = re.search(r'"incident_id": "([^"]+)"', out).group(1)
    assert gasops(capsys, "incident", "dispatch", ws, iid, "VT-1")[0] == 0
    assert gasops(capsys, "incident", "crew", ws, iid, "VT-1", "acknowledged")[0] == 0
    assert gasops(capsys, "incident", "reading", ws, iid, "methane", "12", "%LEL")[0] == 0
    en, zh = tmp_path / "en.html", tmp_path / "zh.html"
    assert gasops(capsys, "incident", "report", ws, iid, "--out", str(en))[0] == 0
    assert gasops(capsys, "incident", "report", ws, iid, "--out", str(zh), "--lang", "zh_CN")[0] == 0
    en_text, zh_text = en.read_text(encoding="utf-8"), zh.read_text(encoding="utf-8")

    for heading in ("after-action report", "Service clocks", "Customers by category", "Restoration", "Crews",
                    "Decisions", "Activity log (ICS 214)"):  # fmt: skip
        assert heading in en_text
    headings = re.findall(r"<(?:h1|h2|th|title)>([^<]*)<", en_text)
    assert len(headings) > 20 and not any(CJK.search(h) for h in headings)  # English alone (places, plates are data)
    for heading in (
        "事后评估报告",
        "服务时限",
        "受影响用户（按类别）",
        "恢复供气",
        "抢修队伍",
        "决策",
        "事件记录 (ICS 214)",
    ):
        assert heading in zh_text
    for english in ("Service clocks", "Activity log", "Dispatched crew", "Graded ", "households"):
        assert english not in zh_text
    assert "派单 VT-1" in zh_text and "读数：" in zh_text and "<html lang='zh-CN'>" in zh_text

    en_numbers, en_leaves = _evidence(en_text)
    zh_numbers, zh_leaves = _evidence(zh_text)
    assert en_leaves and en_leaves == zh_leaves  # every step's leaf hash, in the same order
    assert en_numbers == zh_numbers  # the same figures, ids and times, however the sentences around them read
    assert iid in zh_text

    with pytest.raises(SystemExit) as exc:  # argparse refuses another language, naming the choices
        gasops(capsys, "incident", "report", ws, iid, "--out", str(en), "--lang", "fr")
    assert exc.value.code == 2 and "choose from 'en', 'zh_CN'" in capsys.readouterr().err


def test_report_words_and_a_bad_language():
    from console.dispatch import Step

    step = Step("incident.valve", {"feature_id": "V-1", "action": "closed", "crew": "VT-1"}, "2026-03-01T08:00:00Z",
                "did:key:z", "ab" * 32, 7)  # fmt: skip
    assert describe_step(step) == "V-1 closed by VT-1"
    assert describe_step(step, "zh_CN") == "V-1 已关（VT-1）"
    assert term("planned", "zh_CN") == "计划停气" and term("planned", "zh_CN", "state") == "已出方案"
    from console.dispatch import timeline
    from console.dispatch._incident import Incident

    with pytest.raises(IncidentError, match="report language 'fr'"):
        timeline(Incident("INC-1"), lang="fr")
