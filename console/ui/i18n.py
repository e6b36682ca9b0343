"""The console's languages: English and Simplified Chinese (简体中文) through Qt's translation system.

Every user-visible string is written in English in the code and passed through :func:`translate` (an explicit
context, so ``lupdate`` and the runtime agree on it) or marked with ``QT_TRANSLATE_NOOP(context, text)`` where it is
data defined at import time (table headers, action texts) and translated where it is shown. The Qt Linguist source
is ``resources/i18n/gasops_zh_CN.ts``; ``packaging/i18n.py release`` compiles it into
``console/ui/translations/gasops_zh_CN.qm`` at install time (``make``), and a source checkout without the compiled
file compiles it into the user's cache on first use.

The language is chosen before the main window is built: the ``ui/language`` setting (``system`` by default: Chinese
when the system locale is Chinese, else English). View › Language changes the setting and offers a restart, since
the window's texts are set when it is built.

>>> resolve_language("system", "zh_CN"), resolve_language("system", "en_GB"), resolve_language("en", "zh_CN")
('zh_CN', 'en', 'en')
>>> resolve_language("fr", "zh_TW")  # an unknown choice falls back to the system's language
'zh_CN'
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from console.app.settings import declare

__all__ = [
    "CATALOG",
    "LANGUAGES",
    "compiled_catalog",
    "current_language",
    "install_translators",
    "resolve_language",
    "translate",
]

log = logging.getLogger(__name__)

# Language code -> its name in that language (how the choice is shown in View › Language).
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}
CATALOG = "gasops"  # gasops_<lang>.ts / .qm

LANGUAGE = declare("ui/language", "system", str, "UI language: system (from the locale), en or zh_CN")

_PACKAGE_DIR = Path(__file__).resolve().parent
COMPILED_DIR = _PACKAGE_DIR / "translations"  # the .qm files built at install time (package data)
SOURCE_DIR = _PACKAGE_DIR.parents[1] / "resources" / "i18n"  # the .ts sources in a source checkout

_current = "en"
_installed: list[QTranslator] = []


def translate(context: str, text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """``text`` in the current language (``lupdate`` extracts ``translate("Context", "text")`` calls)."""
    return QCoreApplication.translate(context, text, disambiguation, n)


def resolve_language(choice: str, system_name: str | None = None) -> str:
    """The language to show for a setting value (``system``, ``en``, ``zh_CN``) and the system locale's name."""
    if choice in LANGUAGES:
        return choice
    name = system_name if system_name is not None else QLocale.system().name()
    return "zh_CN" if name.lower().startswith("zh") else "en"


def current_language() -> str:
    """The language the translators were installed for (``en`` before :func:`install_translators`)."""
    return _current


def compiled_catalog(lang: str, cache_dir: Path | None = None) -> Path | None:
    """The compiled ``.qm`` of the console's catalog for ``lang``, or None when there is none.

    Looks in the package (built at install time), then compiles the source ``.ts`` of a source checkout into
    ``cache_dir`` (when the ``.qm`` is missing or older than its source) with ``pyside6-lrelease``.
    """
    name = f"{CATALOG}_{lang}"
    source = SOURCE_DIR / f"{name}.ts"
    shipped = COMPILED_DIR / f"{name}.qm"
    if shipped.is_file() and (not source.is_file() or shipped.stat().st_mtime >= source.stat().st_mtime):
        return shipped
    if not source.is_file():
        return shipped if shipped.is_file() else None
    lrelease = _lrelease()
    if lrelease is None:
        log.warning("cannot compile %s: pyside6-lrelease not found", source)
        return shipped if shipped.is_file() else None
    cache_dir = cache_dir or _cache_dir()
    target = cache_dir / f"{name}.qm"
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        subprocess.run([lrelease, "-silent", str(source), "-qm", str(temporary)], check=True, capture_output=True,
                       timeout=120)  # fmt: skip
        os.replace(temporary, target)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("cannot compile %s: %s", source, exc)
        temporary.unlink(missing_ok=True)
        return shipped if shipped.is_file() else None
    return target


def install_translators(app: QCoreApplication, lang: str) -> list[QTranslator]:
    """Install Qt's and the console's translators for ``lang`` on ``app`` and make it the default locale."""
    global _current
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    _current = lang if lang in LANGUAGES else "en"
    if _current == "en":
        QLocale.setDefault(QLocale.system())  # English texts, the system's number and date conventions
        return []
    QLocale.setDefault(QLocale(_current))
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qt_translator = QTranslator(app)
    if qt_translator.load(f"qtbase_{_current}", qt_dir):
        app.installTranslator(qt_translator)
        _installed.append(qt_translator)
    catalog = compiled_catalog(_current)
    translator = QTranslator(app)
    if catalog is not None and translator.load(str(catalog)):
        app.installTranslator(translator)
        _installed.append(translator)
    else:
        log.warning("no %s catalog for %s: the console shows English", CATALOG, _current)
    return list(_installed)


def _lrelease() -> str | None:
    beside = Path(sys.executable).with_name("pyside6-lrelease")
    return str(beside) if beside.is_file() else shutil.which("pyside6-lrelease")


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gasops" / "i18n"


def declare_language_actions(window) -> None:
    """View › Language: the system's language, English or 简体中文 (each named in its own language).

    Choosing one saves ``ui/language``; since the window's texts are set when it is built, the console offers to
    restart now (closing asks about unsaved work as usual) or to use the language from the next start.
    """
    from PySide6.QtCore import QT_TRANSLATE_NOOP
    from PySide6.QtGui import QActionGroup

    from console.ui.actions import ActionSpec

    group = QActionGroup(window)
    group.setExclusive(True)
    choice = window.prefs.get(LANGUAGE.key)
    labels = {"system": QT_TRANSLATE_NOOP("Actions", "System language"), **LANGUAGES}
    for code, label in labels.items():
        action = window.actions.declare(ActionSpec(
            f"view.language.{code}", label, lambda checked, code=code: checked and _choose(window, code),
            menu="View", section="language", checkable=True,
            tip=translate("Actions", "Show the console in {language}").format(language=label) if code != "system"
            else QT_TRANSLATE_NOOP("Actions", "Show the console in the language of the system")))  # fmt: skip
        group.addAction(action)
        # With its signals on: the group learns which action is current (a choice equal to the setting does nothing).
        action.setChecked(code == (choice if choice in labels else "system"))


def _choose(window, code: str) -> None:
    from PySide6.QtWidgets import QMessageBox

    if window.prefs.get(LANGUAGE.key) == code:
        return
    window.prefs.set(LANGUAGE.key, code)
    wanted = resolve_language(code)
    if wanted == current_language():
        return
    box = QMessageBox(window)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(translate("Language", "Language"))
    # Shown in the language chosen as well as the current one: the user has just asked for it.
    box.setText(
        translate("Language", "The console will be shown in {language} from its next start.").format(
            language=LANGUAGES[wanted]
        )
    )
    box.setInformativeText(translate("Language", "Restart now? Unsaved work is asked about before closing."))
    restart = box.addButton(translate("Language", "Restart now"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(translate("Language", "Later"), QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is restart:
        restart_application(window)


def restart_application(window) -> bool:
    """Close ``window`` (which may be vetoed) and start the console again with the same arguments."""
    from PySide6.QtCore import QProcess
    from PySide6.QtWidgets import QApplication

    if not window.close():
        return False
    if getattr(sys, "frozen", False):
        program, arguments = sys.executable, sys.argv[1:]
    else:
        program, arguments = sys.executable, [*sys.orig_argv[1:]] if hasattr(sys, "orig_argv") else sys.argv
    QProcess.startDetached(program, arguments)
    QApplication.quit()
    return True
