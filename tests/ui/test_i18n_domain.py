"""Messages composed in the Qt-free domain code shown in Chinese: validation findings, edit refusals, incident errors.

The validation checks, the edit commands and the incident rules build their messages in English from templates
marked with ``QT_TRANSLATE_NOOP`` (the CLI, logs and ledger keep the English); the UI registers the templates and shows
a finished message in the user's language through ``console.ui.i18n_messages``. These tests install the product's
catalog (resources/i18n/gasops_zh_CN.ts), so they fail when a template has no Chinese, when a message no longer
matches its template, or when a dock stops passing a message through the translator.
"""

from __future__ import annotations

import re

import pytest
import shapely

from console.app.editing import LiveValidation
from console.app.incidents import IncidentService
from console.dispatch import IncidentError
from console.network import CHECKS, DeleteFeatures, EditRefused, ReshapePipe, SplitPipe, ValidationReport, validate
from console.ui.i18n import translate
from console.ui.i18n_messages import translate_message
from tests.builders import make_network

CJK = re.compile(r"[\u3400-\u9fff]")
FIELD = re.compile(r"\{(\w+)(?:[:!][^{}]*)?\}")
ORIGIN = (41_405_000.0, 3_320_000.0)


@pytest.fixture
def chinese(qapp, tmp_path, monkeypatch):
    """The product's Chinese catalog installed (compiled from the .ts into a temporary cache); English after."""
    from console.ui import i18n

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert len(i18n.install_translators(qapp, "zh_CN")) >= 1
    assert translate("ValidationDock", "Validation") != "Validation"  # the catalog is loaded
    yield
    i18n.install_translators(qapp, "en")


def families() -> dict[str, tuple[str, ...]]:
    """Context → the templates registered for it (the UI modules register them on import)."""
    import console.ui.dispatch._controller
    import console.ui.editing._controller
    import console.ui.editing._validation  # noqa: F401  (registers the validation templates)

    return {
        "EditRefusals": EditRefused.MESSAGE_TEMPLATES,
        "IncidentErrors": (*IncidentError.MESSAGE_TEMPLATES, *IncidentService.MESSAGE_TEMPLATES),
        "ValidationDock": ("{n} {severity}", "{summary}, {more}"),
        "ValidationFindings": (
            *ValidationReport.MESSAGE_TEMPLATES,
            *ValidationReport.CHECK_TITLES.values(),
            *(meaning for _severity, meaning in CHECKS.values()),
        ),
    }


def faulty_network():
    """A few real findings: a zero-length pipe, a class change without a regulator, a link to a missing node, an
    isolated node and a pipe that stops short of its node."""
    o = ORIGIN
    return make_network(
        [
            ("G", "gate_stations", 0, 0),
            ("J1", "junctions", 100, 0),
            ("J2", "junctions", 100, 0),
            ("E", "end_caps", 200, 0),
            ("J3", "junctions", 400, 400),
        ],
        [
            ("P1", "pipes", "G", "J1"),
            ("P2", "pipes", "J1", "J2"),
            ("P3", "pipes", "J2", "E", {"pressure_class": "LP",
                                        "geometry": shapely.LineString([(o[0] + 100, o[1]), (o[0] + 199.5, o[1])])}),
            ("P4", "pipes", "E", "NOPE"),
        ],
        origin=o,
    )  # fmt: skip


def test_every_domain_template_has_chinese_with_the_same_placeholders(chinese):
    for context, templates in families().items():
        assert templates, context
        for template in templates:
            text = translate(context, template)
            words = re.search(r"[A-Za-z]", FIELD.sub("", template))  # "{problem}; {more}" has only punctuation
            assert text != template and (CJK.search(text) or not words), f"{context}: no Chinese for {template!r}"
            assert sorted(FIELD.findall(text)) == sorted(FIELD.findall(template)), (context, template, text)


def test_validation_dock_shows_findings_in_chinese(qtbot, chinese):
    from console.ui.editing._validation import ValidationDock

    net = faulty_network()
    live = LiveValidation()
    live.full(net)
    checks = {check for check, _fid in live.findings}
    assert {"zero_length", "class_change_without_regulator", "unknown_node", "isolated_node"} <= checks
    dock = ValidationDock()
    qtbot.addWidget(dock)
    dock.resize(620, 560)
    dock.show_report(live.by_severity(), net.name)
    # and the local re-check's own (per feature) messages
    live.recheck(net, live.scope(net, ["P2", "P3", "J3"]))
    dock.show_report(live.by_severity(), net.name)
    dock.show()
    ids = {fid for _check, fid in live.findings}
    shown = 0
    for i in range(dock.tree.topLevelItemCount()):
        top = dock.tree.topLevelItem(i)
        assert CJK.search(top.text(0)), top.text(0)
        for j in range(top.childCount()):
            group = top.child(j)
            title = group.text(0)
            assert CJK.search(title) and not re.search(r"[A-Za-z]", title), title
            assert CJK.search(group.toolTip(0)), group.toolTip(0)
            for k in range(group.childCount()):
                row = group.child(k)
                message = row.text(1)
                assert CJK.search(message), message
                # no English left: only ids, units and data (the CRS name, column names) may be Latin
                rest = message
                for fid in ids:
                    rest = rest.replace(fid, "")
                assert not re.search(r"[A-Za-z]", rest), message
                shown += 1
    assert shown == len(live.findings)
    qtbot.wait(50)
    dock.grab().save("/tmp/i18n_domain_validation_zh.png")


def test_validation_messages_stay_english_without_a_translator():
    net = faulty_network()
    report = validate(net)
    messages = {f.check: f.message for f in report.findings}
    assert messages["zero_length"] == "1 pipes have zero length"
    assert messages["unknown_node"] == "1 links refer to node ids that do not exist"
    assert messages["isolated_node"] == "1 nodes have no link"
    assert messages["class_change_without_regulator"] == (
        "2 nodes join pipes of different pressure classes without a regulator"
    )
    assert messages["unsnapped_endpoint"] == "1 pipes do not start/end at their nodes (worst gap 0.5 map units)"
    from console.network._validation import validate_features

    local = {(f.check, f.feature_ids[0]): f.message for f in validate_features(net, ["P2", "P3", "J3", "P4"])}
    assert local[("zero_length", "P2")] == "this pipe has zero length"
    assert local[("unsnapped_endpoint", "P3")] == "does not start/end at its nodes (gap 0.5 map units)"
    assert local[("isolated_node", "J3")] == "this node has no link"
    assert local[("unknown_node", "P4")] == "refers to a node id that does not exist"
    for message in (*messages.values(), *local.values()):
        assert translate_message(message) == message  # English UI: unchanged


def refusals(tmp_path):
    """Real refusals: edit commands on the faulty network, incident steps out of order on the demo drill."""
    from tests.dispatch.drill import BREAK_PIPE, make_service

    net = make_network(
        [("G", "gate_stations", 0, 0), ("J1", "junctions", 100, 0), ("J2", "junctions", 102, 0),
         ("E", "end_caps", 200, 0)],
        [("P1", "pipes", "G", "J1"), ("V1", "valves", "J1", "J2"), ("P2", "pipes", "J2", "E")],
    )  # fmt: skip
    edits = []
    for make in (
        lambda: SplitPipe(net, "V1", shapely.Point(ORIGIN[0] + 101, ORIGIN[1])),
        lambda: DeleteFeatures(net, ["J1"]),
        lambda: ReshapePipe(net, "P1", [(ORIGIN[0] + 1, ORIGIN[1] + 5), (ORIGIN[0] + 100, ORIGIN[1])]),
    ):
        with pytest.raises(EditRefused) as err:
            make()
        edits.append(str(err.value))
    service, _clock = make_service(tmp_path / "ws")
    try:
        inc = service.open("leak", source="call", pipe=BREAK_PIPE, fraction=0.3)
        incidents = []
        for step in (
            lambda: service.valve(inc.incident_id, inc.valves[0], "opened"),
            lambda: service.purge(inc.incident_id),
        ):
            with pytest.raises(IncidentError) as err:
                step()
            incidents.append(str(err.value))
    finally:
        service.ledger.close()
    return edits, incidents, inc


def test_real_refusals_come_out_in_chinese(qapp, tmp_path, chinese):
    families()  # the UI modules registered
    edits, incidents, inc = refusals(tmp_path)
    iid = inc.incident_id
    shown = [translate_message(m) for m in (*edits, *incidents)]
    for english, text in zip((*edits, *incidents), shown, strict=True):
        assert CJK.search(text), english
    assert shown[0] == "V1 属于阀门，不是管段：无法打断"
    assert shown[1].startswith("节点 J1 仍是 2 条管段/设备（") and shown[1].endswith("）的端点；请先删除它们")
    assert shown[3] == f"{iid}：{inc.valves[0]} 在本事件中从未关闭"
    assert shown[4] == f"{iid}：事件当前为“已制定方案”，须在阀门重新开启后置换"
    # several problems of one table entry, each translated
    joined = "P1: length must be positive; P1: DN must not be negative"
    assert translate_message(joined) == "P1：长度必须为正；P1：DN 不能为负"


def test_refusals_stay_english_without_a_translator(qapp, tmp_path):
    families()
    edits, incidents, inc = refusals(tmp_path)
    iid = inc.incident_id
    assert edits[0] == "V1 is a valves feature, not a pipe: nothing to split"
    assert edits[1] == "junction J1 is still the end of 2 links (P1, V1); delete those first"
    assert edits[2].startswith("P1: reshaping keeps the ends on nodes G and J1; move a node to move an end")
    assert incidents == [
        f"{iid}: {inc.valves[0]} was never closed in this incident",
        f"{iid}: the incident is planned: purge after the valves are reopened",
    ]
    for message in (*edits, *incidents):
        assert translate_message(message) == message


def service_errors(tmp_path):
    """Real refusals of the incident service itself (not the incident rules): unknown incident, bad kind, steps
    outside the plan, a reading that is no number."""
    from tests.dispatch.drill import BREAK_PIPE, make_service

    service, _clock = make_service(tmp_path / "ws")
    out = []
    try:
        inc = service.open("leak", source="call", pipe=BREAK_PIPE, fraction=0.3)
        for step in (
            lambda: service.incident("INC-NOPE"),
            lambda: service.open("meteor", source="call", pipe=BREAK_PIPE),
            lambda: service.dispatch(inc.incident_id, "VT-1", steps=["V-NOPE"]),
            lambda: service.reading(inc.incident_id, "methane", float("nan"), "%LEL"),
        ):
            with pytest.raises(IncidentError) as err:
                step()
            out.append(str(err.value))
    finally:
        service.ledger.close()
    return out, inc


def test_incident_service_errors_come_out_in_chinese(qapp, tmp_path, chinese):
    families()
    errors, inc = service_errors(tmp_path)
    iid = inc.incident_id
    assert errors[0].startswith("incident 'INC-NOPE' does not exist (incidents: ")
    assert errors[1].startswith("incident kind 'meteor': choose ")
    assert errors[2].startswith(f"{iid}: step(s) V-NOPE are not in the plan (plan: ")
    assert errors[3] == f"{iid}: reading must be a finite number"
    shown = [translate_message(m) for m in errors]
    assert shown[0] == f"事件 'INC-NOPE' 不存在（现有事件：{iid}）"
    assert shown[1].startswith("事件类型 'meteor' 无效：请从 ") and shown[1].endswith(" 中选择")
    assert shown[2].startswith(f"{iid}：任务 V-NOPE 不在处置方案中（方案：")
    assert shown[3] == f"{iid}：读数须为有效数值"
    # nested words: "none yet" when there is no incident at all
    assert translate_message("incident 'X' does not exist (incidents: none yet)") == "事件 'X' 不存在（现有事件：暂无）"


def test_incident_service_errors_stay_english_without_a_translator(qapp, tmp_path):
    families()
    errors, _inc = service_errors(tmp_path)
    for message in errors:
        assert translate_message(message) == message


def attribute_form_errors(qtbot):
    """The attribute form's own checks: a value that does not parse, and several attribute problems at once."""
    from console.ui.editing._form import AttributeForm

    net = make_network(
        [("G", "gate_stations", 0, 0), ("J1", "junctions", 100, 0)],
        [("P1", "pipes", "G", "J1")],
    )
    form = AttributeForm(net, "P1")
    qtbot.addWidget(form)
    form.set_value("length_m", "12,5")
    not_a_number = form.validate()
    form.set_value("length_m", "0")
    form.set_value("dn", "-1")
    several = form.validate()
    return not_a_number, several


def test_attribute_form_problems_come_out_in_chinese(qtbot, chinese):
    not_a_number, several = attribute_form_errors(qtbot)
    assert CJK.search(not_a_number) and "length_m" in not_a_number and "'12,5'" in not_a_number, not_a_number
    assert several == "P1：公称直径 DN 和内径必须为正（DN -1，内径 90 mm）；P1：长度必须为正"


def test_attribute_form_problems_stay_english(qtbot):
    not_a_number, several = attribute_form_errors(qtbot)
    assert not_a_number == "length_m: '12,5' is not a number"
    assert several.endswith("; P1: length must be positive"), several


def test_validation_summary_in_each_language(qtbot, qapp, tmp_path, monkeypatch):
    from console.ui import i18n
    from console.ui.editing._validation import ValidationDock

    net = faulty_network()
    live = LiveValidation()
    live.full(net)
    grouped = live.by_severity()
    assert len(grouped) >= 2  # errors and warnings: the summary joins two counts
    dock = ValidationDock()
    qtbot.addWidget(dock)
    dock.show_report(grouped, net.name)
    english = dock.summary.text()
    assert ", " in english and not CJK.search(english), english
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    i18n.install_translators(qapp, "zh_CN")
    try:
        dock.show_report(grouped, net.name)
        chinese = dock.summary.text()
    finally:
        i18n.install_translators(qapp, "en")
    assert CJK.search(chinese) and "，" in chinese and "," not in chinese and " " not in chinese.replace(" 个", ""), (
        chinese
    )


def outside_errors(tmp_path):
    """Files and messages from outside: a roster listing a crew twice, an unreadable grading table, a position
    message without coordinates, an unknown report language and notice kind."""
    from console.dispatch import CrewRoster, GradingTable, check_language, notice_text

    bad = tmp_path / "grading.json"
    bad.write_text("{not json", encoding="utf-8")
    out = []
    for step in (
        lambda: CrewRoster.from_dict({"crews": [{"crew_id": "VT-1", "kind": "valve"}] * 2}, "crews.json"),
        lambda: GradingTable.from_dict({"levels": [{"grade": "V", "min_households": 0}]}),
        lambda: GradingTable.from_json(bad),
        lambda: CrewRoster().update_position({"crew_id": "VT-1"}),
        lambda: check_language("fr"),
        lambda: notice_text("party", "zh"),
    ):
        with pytest.raises(IncidentError) as err:
            step()
        out.append(str(err.value))
    return out


def test_roster_table_and_language_errors_in_each_language(qapp, tmp_path, chinese):
    families()
    with_translator = [translate_message(m) for m in outside_errors(tmp_path)]
    assert with_translator[0] == "crews.json：抢修队 VT-1 重复列出"
    assert with_translator[1].startswith("分级标准表：等级 'V' 不在 ")
    assert with_translator[2].startswith(f"{tmp_path / 'grading.json'}：无法读取分级标准表（")
    assert with_translator[3] == "抢修队位置消息 {'crew_id': 'VT-1'}：需要 {crew_id, x, y}"
    assert with_translator[4].startswith("报告语言 'fr' 无效：请选择 ")
    assert with_translator[5].startswith("通知类型 'party' 无效：请从 ")
    from console.ui import i18n

    i18n.install_translators(qapp, "en")
    english = outside_errors(tmp_path)
    assert english[0] == "crews.json: crew VT-1 is listed twice"
    assert english[1].startswith("grading table: grade 'V' is not one of ")
    assert english[3] == "crew position message {'crew_id': 'VT-1'}: want {crew_id, x, y}"
    assert english[4] == "report language 'fr': choose en or zh_CN"
    for message in english:
        assert translate_message(message) == message
