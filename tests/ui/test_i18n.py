"""The console in English and Simplified Chinese: every string translated, none stale, each language alone.

* the strings ``lupdate`` finds in the code and the messages of ``resources/i18n/gasops_zh_CN.ts`` are the same set,
  each translated, with the same ``{placeholders}`` (packaging/i18n.py's check, which fails on any untranslated or
  stale string);
* no translated call gets a computed text (an f-string or a concatenation cannot be looked up);
* no Chinese literal is left in the UI code outside the catalog (the mixed "Isolation 关阀分析" labels);
* the window built in each language shows that language alone in its menus, actions, docks, tabs, buttons and headers.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QDockWidget, QGroupBox, QHeaderView, QLabel, QMenu, QTabWidget

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_spec = importlib.util.spec_from_file_location("gasops_i18n_tool", ROOT / "packaging" / "i18n.py")
i18n_tool = sys.modules.setdefault("gasops_i18n_tool", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(i18n_tool)

# Chinese literals that are data, not UI text: names of languages shown in their own language, and the demo
# district's place names are in console/network (not here).
ALLOWED_CJK = {"简体中文"}

# Words that stay Latin in the Chinese UI: units, standards, formats, protocols and abbreviations the industry uses.
LATIN_IN_CHINESE = {
    "MPa", "kPa", "Pa", "bar", "Nm", "LEL", "SCADA", "MQTT", "GIS", "PostGIS", "PostgreSQL", "GeoPackage",
    "EPANET", "INP", "CSV", "JSON", "PNG", "PDF", "SVG", "GeoJSON", "Shapefile", "IoT", "RTU", "PLC", "ID", "LP",
    "MP", "HP", "SHP", "OK", "CH", "CO", "GWP", "AR", "IPCC", "did", "key", "Sparkplug", "GB", "ISA", "Ctrl",
    "Shift", "Alt", "Esc", "Del", "F1", "URL", "API", "GPS", "RFC", "Merkle", "WGS", "CGCS", "UTC", "CPU", "GPU",
    "OpenGL", "Qt", "GasOps", "Console", "min", "km", "mm", "max", "kg", "Ed25519", "SHA", "HTTP", "HTTPS", "TLS",
    "QR", "SMS", "DMA", "UFG", "PE", "DN", "DE", "Nm³", "Nm³/h", "m³", "m³/h", "English",
    "MBTiles", "XYZ", "WMTS", "csv", "parquet", "HTML", "Enter", "CH₄", "CO₂e", "ICS",
}  # fmt: skip


def test_catalog_and_code_agree():
    """Fails on any string in the code missing from the catalog, untranslated, stale, or not written in English."""
    code = i18n_tool.extract([ROOT / "console"])
    catalog = i18n_tool.read_ts(i18n_tool.ts_path("zh_CN"))
    assert len(code) > 300, "lupdate found too few strings: is the code marked?"
    found = i18n_tool.problems(code, catalog)
    assert not found, f"{len(found)} problems:\n" + "\n".join(found[:80])


def test_the_check_fails_on_an_untranslated_and_a_stale_string():
    message = i18n_tool.Message
    code = {("Ctx", "Open"): message("Ctx", "Open", "", False), ("Ctx", "New"): message("Ctx", "New", "", False)}
    catalog = {("Ctx", "Open"): message("Ctx", "Open", "打开", True), ("Ctx", "Old"): message("Ctx", "Old", "旧", True),
               ("Ctx", "New"): message("Ctx", "New", "", False)}  # fmt: skip
    found = i18n_tool.problems(code, catalog)
    assert any(p.startswith("untranslated: [Ctx] 'New'") for p in found)
    assert any(p.startswith("stale (no longer in the code): [Ctx] 'Old'") for p in found)
    bad = {("Ctx", "{n} valves"): message("Ctx", "{n} valves", "阀门", True)}
    assert i18n_tool.problems(bad, bad) == ["placeholders differ: [Ctx] '{n} valves' -> '阀门'"]


def _python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _translated_text_argument(call: ast.Call) -> ast.expr | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    context_literal = bool(call.args) and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
    if name in ("translate", "QT_TRANSLATE_NOOP") and len(call.args) >= 2 and context_literal:
        return call.args[1]
    if name in ("tr", "QT_TR_NOOP") and isinstance(func, ast.Attribute) and call.args:
        return call.args[0]
    return None


def test_translated_texts_are_literals():
    """``translate(ctx, f"…")`` would never be found in the catalog: texts are literals, formatted after lookup."""
    bad = []
    for path in _python_files(ROOT / "console"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                text = _translated_text_argument(node)
                if isinstance(text, (ast.JoinedStr, ast.BinOp)):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, "computed texts passed to translate(): " + ", ".join(bad)


def test_no_chinese_left_in_ui_code():
    """UI texts are English in the code and Chinese in the catalog: no mixed labels left behind."""
    bad = []
    for path in _python_files(ROOT / "console" / "ui"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
        }  # fmt: skip
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value)
                    and id(node) not in docstrings and node.value not in ALLOWED_CJK):  # fmt: skip
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value[:40]!r}")
    assert not bad, f"{len(bad)} Chinese literals in console/ui:\n" + "\n".join(bad[:60])


# -- the window in each language ---------------------------------------------------------------------------------------
_ACCELERATOR = re.compile(r"\(&\w\)|&(?=\w)")


def _chrome_texts(window) -> list[tuple[str, str]]:
    """(where, text) of the window's fixed texts: menus, actions, docks, tabs, buttons, group boxes, headers."""
    texts: list[tuple[str, str]] = []
    for menu in window.findChildren(QMenu):
        texts.append(("menu", menu.title()))
    for action in window.actions.specs():
        texts.append((f"action {action.id}", action.text))
        texts.append((f"action tip {action.id}", action.tip))
    for dock in window.findChildren(QDockWidget):
        texts.append(("dock", dock.windowTitle()))
    for tabs in window.findChildren(QTabWidget):
        texts += [(f"tab of {tabs.objectName()}", tabs.tabText(i)) for i in range(tabs.count())]
    for button in window.findChildren(QAbstractButton):
        texts.append((f"button {button.objectName()}", button.text()))
    for box in window.findChildren(QGroupBox):
        texts.append(("group", box.title()))
    for header in window.findChildren(QHeaderView):
        model = header.model()
        if model is None:
            continue
        count = model.columnCount() if header.orientation().name == "Horizontal" else 0
        texts += [("header", str(model.headerData(i, header.orientation()) or "")) for i in range(count)]
    for label in window.findChildren(QLabel):
        if label.text() and not label.text().startswith("<"):
            texts.append((f"label {label.objectName()}", label.text()))
    return [(where, _ACCELERATOR.sub("", text)) for where, text in texts if text]


def _english_words(text: str) -> list[str]:
    text = re.sub(r"<[^>]*>|&?nbsp;|&\w+;", " ", text)  # rich text: its markup is not text
    text = " ".join(token for token in text.split() if "/" not in token and "\\" not in token)  # paths are data
    words = re.findall(r"[A-Za-z][A-Za-z³₄₂]{2,}", text)
    return [w for w in words if w not in LATIN_IN_CHINESE]


@pytest.fixture
def window_in(qtbot, qapp, tmp_path, monkeypatch):
    from console.ui import i18n

    monkeypatch.setenv("GASOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    built = []

    def build(lang: str):
        i18n.install_translators(qapp, lang)
        from console.ui.main_window import MainWindow

        window = MainWindow()
        qtbot.addWidget(window)
        window.install_features()
        built.append(window)
        return window

    yield build
    for window in built:
        window.close()
    i18n.install_translators(qapp, "en")


def test_chinese_window_shows_chinese_alone(window_in):
    window = window_in("zh_CN")
    texts = _chrome_texts(window)
    assert any(CJK.search(text) for _, text in texts)
    english = [f"{where}: {text!r}" for where, text in texts if _english_words(text)]
    assert not english, f"{len(english)} English texts in the Chinese UI:\n" + "\n".join(english[:80])


def test_english_window_shows_english_alone(window_in):
    window = window_in("en")

    def without_names(text: str) -> str:  # a language's name is shown in that language
        for name in ALLOWED_CJK:
            text = text.replace(name, "")
        return text

    chinese = [f"{where}: {text!r}" for where, text in _chrome_texts(window) if CJK.search(without_names(text))]
    assert not chinese, f"{len(chinese)} Chinese texts in the English UI:\n" + "\n".join(chinese[:80])


def test_language_follows_the_setting_and_the_system():
    from console.ui.i18n import resolve_language

    assert resolve_language("system", "zh_CN") == "zh_CN"
    assert resolve_language("system", "zh_HK") == "zh_CN"
    assert resolve_language("system", "de_DE") == "en"
    assert resolve_language("zh_CN", "en_US") == "zh_CN"
    assert resolve_language("en", "zh_CN") == "en"


def test_catalog_compiles_and_translates(tmp_path, qapp):
    """The .ts compiles with lrelease and the compiled catalog translates a known menu title."""
    from PySide6.QtCore import QTranslator

    from console.ui import i18n

    qm = tmp_path / "gasops_zh_CN.qm"
    import subprocess

    subprocess.run([i18n_tool.tool("pyside6-lrelease"), "-silent", str(i18n_tool.ts_path("zh_CN")), "-qm", str(qm)],
                   check=True)  # fmt: skip
    translator = QTranslator()
    assert translator.load(str(qm))
    assert translator.translate("Menus", "&File") not in ("", "&File")
    assert CJK.search(translator.translate("Menus", "&File"))
    assert i18n.compiled_catalog("zh_CN", tmp_path / "cache") is not None


def test_view_language_saves_the_choice_and_offers_a_restart(window_in, monkeypatch):
    """Choosing 简体中文 in an English window saves ``ui/language`` and asks; "Later" restarts nothing."""
    from PySide6.QtWidgets import QMessageBox

    from console.ui import i18n

    window = window_in("en")
    assert window.actions["view.language.system"].isChecked()
    asked: list[tuple[str, list[str]]] = []

    def fake_exec(box):
        asked.append((box.text(), [b.text() for b in box.buttons()]))
        later = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.RejectRole)
        box.setProperty("clicked", later)
        monkeypatch.setattr(QMessageBox, "clickedButton", lambda self: later)
        return 0

    restarted: list[object] = []
    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    monkeypatch.setattr(i18n, "restart_application", lambda w: restarted.append(w))
    window.actions["view.language.zh_CN"].trigger()
    assert window.prefs.get("ui/language") == "zh_CN"
    assert window.actions["view.language.zh_CN"].isChecked()
    assert not window.actions["view.language.system"].isChecked()
    assert len(asked) == 1 and "简体中文" in asked[0][0] and "Restart now" in asked[0][1]
    assert restarted == []
    # Back to the language already shown: saved, nothing to restart for.
    window.actions["view.language.en"].trigger()
    assert window.prefs.get("ui/language") == "en"
    assert len(asked) == 1


def test_restart_starts_the_same_command_after_closing(window_in, monkeypatch):
    from PySide6.QtCore import QProcess
    from PySide6.QtWidgets import QApplication

    from console.ui import i18n

    window = window_in("en")
    started: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(QProcess, "startDetached", lambda program, args: started.append((program, list(args))) or True)
    monkeypatch.setattr(QApplication, "quit", lambda: None)
    assert i18n.restart_application(window)
    assert started and started[0][0]
    assert not window.isVisible()
