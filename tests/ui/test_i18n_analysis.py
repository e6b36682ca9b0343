"""The analysis docks (isolation, simulation, 3D crossings) in Chinese, and the analysis's own messages translated.

The isolation analysis, its service and the solver are Qt-free: they compose their reasons, warnings and notes in
English (the CLI and the CSV exports keep them) from templates marked with ``QT_TRANSLATE_NOOP``, and the UI shows
them in the user's language through ``console.ui.i18n_messages``. These tests install a small catalog compiled from
a table written here (the product's catalog is checked by tests/ui/test_i18n.py), so they fail when a dock stops
passing a text through the translator or a message no longer matches its template.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator

from console.isolation import IsolationRequest, isolate
from console.ui.i18n_messages import register, translate_message
from tests.isolation.nets import hand_network
from tests.ui.conftest import SETTLE_TIMEOUT_MS

CJK = re.compile(r"[\u3400-\u9fff]")

TABLE = {
    "IsolationDock": {
        "Isolation": "关阀分析",
        "Plan": "关阀顺序",
        "Impact": "影响",
        "Notes": "说明",
        "Close": "关阀",
        "required": "必要",
        "optional": "可选",
        "Close {count} valves": "关闭 {count} 个阀门",
        "{count} optional": "{count} 个可选",
        "{count} would not turn": "{count} 个无法关闭",
        "Break: {where}": "泄漏点：{where}",
        "{feature} at {percent}": "{feature} {percent} 处",
        "Customers without gas": "停气用户",
    },
    "IsolationNotes": {
        "gas still feeds the break from segment {segment} ({where})": "燃气仍从管段组 {segment}（{where}）流向泄漏点",
        "a source's own segment": "气源所在管段组",
        "{hops} valve(s)/regulator(s) downstream of a source": "气源下游第 {hops} 个阀门/调压器之后",
        "reported failed in this incident": "本次事件中已报失效",
        "not operable (attribute)": "无法操作（属性）",
        "{what}: gas passes it, so the next ring of valves is closed instead": "{what}：燃气可通过，因此改关外一圈阀门",
    },
    "SimulationDock": {"Simulation": "水力计算", "Violations": "校核结果", "Pressure contours": "压力等值线"},
    "SimulationService": {"Simulating {network}…": "正在对 {network} 进行水力计算…"},
    "View3D": {"Crossings": "交叉点管位", "Upper pipe": "上方管段"},
    "Tests": {"cost (+{n}) * {n} [{unit}]": "费用 (+{n}) * {n} [{unit}]"},
}


def _compile(table: dict[str, dict[str, str]], folder: Path) -> Path:
    root = ET.Element("TS", version="2.1", language="zh_CN")
    for name, rows in table.items():
        context = ET.SubElement(root, "context")
        ET.SubElement(context, "name").text = name
        for source, text in rows.items():
            message = ET.SubElement(context, "message")
            ET.SubElement(message, "source").text = source
            ET.SubElement(message, "translation").text = text
    ts, qm = folder / "analysis_zh_CN.ts", folder / "analysis_zh_CN.qm"
    ts.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + ET.tostring(root, encoding="unicode"),
                  encoding="utf-8")  # fmt: skip
    beside = Path(sys.executable).with_name("pyside6-lrelease")
    subprocess.run([str(beside) if beside.is_file() else "pyside6-lrelease", "-silent", str(ts), "-qm", str(qm)],
                   check=True, capture_output=True)  # fmt: skip
    return qm


@pytest.fixture
def chinese(qapp, tmp_path):
    translator = QTranslator()
    assert translator.load(str(_compile(TABLE, tmp_path)))
    qapp.installTranslator(translator)
    yield translator
    qapp.removeTranslator(translator)


def test_messages_are_matched_to_their_templates_and_translated(chinese):
    import console.ui.isolation  # noqa: F401  (registers the isolation's templates)

    english = "gas still feeds the break from segment 12 (3 valve(s)/regulator(s) downstream of a source)"
    assert translate_message(english) == "燃气仍从管段组 12（气源下游第 3 个阀门/调压器之后）流向泄漏点"
    nested = "gas still feeds the break from segment 4 (a source's own segment)"
    assert translate_message(nested) == "燃气仍从管段组 4（气源所在管段组）流向泄漏点"
    # data is never translated: ids, names, a text no template matches
    assert translate_message("V12") == "V12"
    assert translate_message("a message nobody registered") == "a message nobody registered"


def test_a_template_with_regex_characters_and_a_repeated_field(chinese):
    register("Tests", ("cost (+{n}) * {n} [{unit}]",))
    assert translate_message("cost (+2) * 2 [m]") == "费用 (+2) * 2 [m]"
    assert translate_message("cost (+2) * 3 [m]") == "cost (+2) * 3 [m]"  # {n} twice must be the same value


def test_isolation_dock_shows_the_result_in_chinese(chinese, qtbot, window):
    net = hand_network()
    with qtbot.waitSignal(window.networkShown, timeout=SETTLE_TIMEOUT_MS):
        window.set_network(net)
    ctrl = window.extensions["isolation"]
    request = IsolationRequest.at_pipe("P3", 0.3)
    with qtbot.waitSignal(ctrl.resultChanged, timeout=SETTLE_TIMEOUT_MS):
        ctrl.run(request)
    dock = ctrl.dock
    assert dock.windowTitle() == "关阀分析"
    assert [dock.tabs.tabText(i) for i in range(3)] == ["关阀顺序", "影响", "说明"]
    assert dock.headline.text() == "关闭 2 个阀门 · 1 个可选 · 1 个无法关闭"
    assert dock.title.text() == "泄漏点：P3 30% 处"
    rows = [[r.text(c) for c in range(4)] for r in dock.rows("step")]
    assert [row[2:] for row in rows] == [["关阀", "必要"], ["关阀", "必要"], ["关阀", "可选"]]
    assert dock.impact_tree.topLevelItem(0).text(0) == "停气用户"
    # the analysis's own reasons (Qt-free, English in the result and the CSV) are shown translated where the
    # catalog has their template; the result itself is unchanged
    expected = isolate(net, request)
    assert [s.reason for s in ctrl.result.plan] == [s.reason for s in expected.plan]
    skipped = dock.rows("skipped")[0]
    assert (
        expected.skipped[0].reason
        == "not operable (attribute): gas passes it, so the next ring of valves is closed instead"
    )
    assert skipped.text(6) == "无法操作（属性）：燃气可通过，因此改关外一圈阀门"
    assert all(not CJK.search(s.reason) for s in ctrl.result.plan)


def test_simulation_and_3d_docks_are_built_in_chinese(chinese, qtbot):
    from console.ui.simulation._dock import SimulationDock
    from console.ui.simulation._violations import ViolationsDock
    from console.ui.view3d._crossings_dock import CrossingsDock

    sim, violations, crossings = SimulationDock(), ViolationsDock(), CrossingsDock()
    for widget in (sim, violations, crossings):
        qtbot.addWidget(widget)
    assert (sim.windowTitle(), violations.windowTitle(), crossings.windowTitle()) == (
        "水力计算",
        "校核结果",
        "交叉点管位",
    )
    assert crossings.table.horizontalHeaderItem(0).text() == "上方管段"
    import console.ui.simulation._text  # noqa: F401  (registers the simulation service's templates)

    assert translate_message("Simulating Demo district…") == "正在对 Demo district 进行水力计算…"
