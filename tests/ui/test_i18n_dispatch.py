"""Dispatch in the UI's language: the words the dispatch domain shares with the after-action report (states, step
names, activities, grades) and the report the GUI writes follow ``console.ui.i18n.current_language()``; the English
UI shows English alone. (The translated widget texts themselves are checked by tests/ui/test_i18n.py's windows.)"""

from __future__ import annotations

import re

from tests.ui.test_dispatch_ui import _open_at_break_pipe, ctl, demo, dwindow  # noqa: F401 - the dispatch fixtures

CJK = re.compile(r"[\u3400-\u9fff]")


def _column(table, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount())]


def test_dock_board_and_report_follow_the_ui_language(ctl, dwindow, tmp_path, monkeypatch):  # noqa: F811
    from console.ui import i18n

    inc = _open_at_break_pipe(dwindow, ctl)
    dock, board = ctl.dock, ctl.board
    assert _column(dock.timeline, 2) == ["opened", "planned", "graded"]
    assert board.cell_text(inc.incident_id, "State") == "planned"
    english = [
        dock.title.text(),
        dock.subtitle.text(),
        dock.grade_label.text(),
        *_column(dock.timeline, 3),
        *_column(dock.valves, 2),
        *_column(dock.valves, 4),
        *_column(dock.crews, 1),
        *_column(dock.crews, 3),
    ]
    assert not [t for t in english if CJK.search(t)], english  # (customer names and plates are data: not checked)
    en = ctl.save_report(tmp_path / "en.html", pdf=False).read_text(encoding="utf-8")
    assert "after-action report" in en and "事后评估报告" not in en

    monkeypatch.setattr(i18n, "_current", "zh_CN")  # the language the translators were installed for
    ctl.refresh()
    assert _column(dock.timeline, 2) == ["立案", "方案", "定级"]
    assert dock.timeline.item(0, 3).text().startswith("经地图立案：")
    assert board.cell_text(inc.incident_id, "State") == "已出方案"
    assert {"关阀"} <= set(_column(dock.valves, 2))  # the plan's actions
    assert set(_column(dock.crews, 1)) <= {"阀门组", "调压器组", "抢修队"}
    from console.dispatch import grade_label

    assert grade_label(inc.grade, "zh_CN") in dock.grade_label.text()  # e.g. 日常抢修, II 重大
    zh = ctl.save_report(tmp_path / "zh.html", pdf=False).read_text(encoding="utf-8")
    assert "事后评估报告" in zh and "服务时限" in zh and "Service clocks" not in zh
    leaves = re.findall(r"<code>([0-9a-f]{16})</code>", en)
    assert leaves and leaves == re.findall(r"<code>([0-9a-f]{16})</code>", zh)  # the evidence does not change
