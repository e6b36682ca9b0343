"""The main window's own texts in two languages (issue 20): the manual as two parallel documents, the names the map
and the identify panel show, the operators' roles and permissions marked for the catalog.

The window-wide checks (every chrome text Chinese in zh_CN, English in en) are in tests/ui/test_i18n.py.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from console.ui import i18n
from console.ui.help._content import CHAPTERS, CHINESE_MANUAL, read_sections

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff]")

_spec = importlib.util.spec_from_file_location("gasops_i18n_tool", ROOT / "packaging" / "i18n.py")
i18n_tool = sys.modules.setdefault("gasops_i18n_tool", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(i18n_tool)


@pytest.fixture
def chinese(monkeypatch):
    """The console's language set to Chinese (the catalog itself is the lead's merge: texts may stay English)."""
    monkeypatch.setattr(i18n, "_current", "zh_CN")
    return "zh_CN"


def test_the_chinese_manual_has_every_chapter_in_the_same_order():
    sections = read_sections(CHINESE_MANUAL.read_text(encoding="utf-8"))
    assert list(sections) == [c.key for c in CHAPTERS]
    for chapter in CHAPTERS:
        title, body = sections[chapter.key]
        assert CJK.search(title) and CJK.search(body), chapter.key
        assert chapter.title_zh == title and chapter.zh == body
        assert not CJK.search(chapter.title_en + chapter.en), f"Chinese left in the English chapter {chapter.key}"
        # Both documents name the same shortcuts.
        keys = set(re.findall(r"(?:Ctrl|Alt)\+[A-Za-z0-9+]+|\bF\d\b", chapter.en))
        assert keys <= set(re.findall(r"(?:Ctrl|Alt)\+[A-Za-z0-9+]+|\bF\d\b", body)), chapter.key


def test_the_manual_opens_in_the_consoles_language(qtbot, window, chinese):
    from console.ui.help._manual import ManualWindow

    manual = ManualWindow(window)
    qtbot.addWidget(manual)
    assert manual.language.currentData() == "zh"
    titles = [manual.chapters.item(i).text() for i in range(len(CHAPTERS))]
    assert titles == [c.title_zh for c in CHAPTERS]
    manual.show_chapter("isolation")
    text = manual.text.toPlainText()
    assert "关阀分析" in text and "Shut-off analysis" not in text
    manual.language.setCurrentIndex(manual.language.findData("both"))
    assert "Shut-off analysis" in manual.text.toPlainText() and "关阀分析" in manual.text.toPlainText()


def test_the_manual_opens_in_english_alone(qtbot, window):
    from console.ui.help._manual import ManualWindow

    manual = ManualWindow(window)
    qtbot.addWidget(manual)
    assert manual.language.currentData() == "en"
    manual.show_chapter("layouts")
    assert not CJK.search(manual.text.toPlainText())
    assert not any(CJK.search(manual.chapters.item(i).text()) for i in range(manual.chapters.count()))


def test_addresses_and_streets_follow_the_language(chinese, monkeypatch):
    from console.ui.names import address_text, street_text

    assert address_text("桃湾路18号 (18 Taowan Lu)") == "桃湾路18号"
    assert street_text("桃湾路", "Taowan Lu") == "桃湾路"
    monkeypatch.setattr(i18n, "_current", "en")
    assert address_text("桃湾路18号附近 (near 18 Taowan Lu)") == "near 18 Taowan Lu"
    assert street_text("桃湾路", "Taowan Lu") == "Taowan Lu"


def test_names_of_the_schema_roles_and_permissions_are_marked():
    """Every layer, pressure class, role and permission the UI shows is in the catalog's extract (English source)."""
    from console.app.operators import PERMISSIONS, ROLE_DESCRIPTIONS, ROLE_LABELS, ROLES
    from console.network import LAYERS, PressureClass
    from console.ui.names import FEATURE_NAMES, LAYER_NAMES, PRESSURE_CLASS_NAMES

    found = i18n_tool.extract([ROOT / "console" / "app" / "operators.py", ROOT / "console" / "ui" / "names.py"])
    assert {("Permissions", text) for text in PERMISSIONS.values()} <= found.keys()
    assert set(ROLE_LABELS) == set(ROLES) == set(ROLE_DESCRIPTIONS)
    assert {("Roles", text) for text in [*ROLE_LABELS.values(), *ROLE_DESCRIPTIONS.values()]} <= found.keys()
    assert set(LAYER_NAMES) == set(FEATURE_NAMES) == set(LAYERS)
    assert set(PRESSURE_CLASS_NAMES) == {p.value for p in PressureClass}
    assert {("PressureClasses", text) for text in PRESSURE_CLASS_NAMES.values()} <= found.keys()


def test_legend_and_identify_panel_speak_english_alone(window):
    """In English the legend, the layer names and the identify panel carry no Chinese (the schema's Chinese names
    are data the Chinese catalog repeats)."""
    from console.ui.docks.attributes_dock import format_value

    dock = window.layers_dock
    texts = [dock.tree.topLevelItem(i).text(0) for i in range(dock.tree.topLevelItemCount())]
    texts += [dock.style_combo.itemText(i) for i in range(dock.style_combo.count())]
    texts += [e["label"] for e in dock.legend_entries()]
    assert "Pipes" in texts and "Pressure class" in texts
    assert not [t for t in texts if CJK.search(t)]
    assert format_value("pressure_class", "MP-B") == "MP-B medium pressure B"
    assert format_value("material", "ductile_iron") == "ductile iron"
