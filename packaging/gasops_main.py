"""Entry point of the desktop bundle (packaging/gasops.spec): ``gasops`` as the installed console script runs it.

One option belongs to the bundle itself: ``gasops --bundle-info`` prints, as JSON, what the frozen application
finds at run time — its version, the plugins the ``console.plugins`` entry points name and whether each loaded, the
feed adapters and file formats they registered, the compiled translation catalogs and Qt's own — so a packaging test
(tests/packaging) and a support engineer can check an installed bundle without opening a window.
"""

from __future__ import annotations

import json
import multiprocessing
import sys


def bundle_info() -> dict:
    from importlib.metadata import distributions, entry_points
    from pathlib import Path

    from console import __version__
    from console.app.plugins import ENTRY_POINT_GROUP, PluginRegistry, load_plugins

    registry = PluginRegistry()
    loaded = load_plugins(registry)
    from PySide6.QtCore import QLibraryInfo
    from PySide6.QtCore import __version__ as qt_version

    import console.ui

    qt_translations = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    catalogs = Path(console.ui.__file__).resolve().parent / "translations"
    return {
        "version": __version__,
        "frozen": bool(getattr(sys, "frozen", False)),
        "entry_points": sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)),
        "plugins": {p.name: (p.error or "ok") for p in loaded},
        "feed_adapters": sorted(registry.feed_adapters),
        "readers": sorted(registry.readers),
        "qt": qt_version,
        "qt_translations": sorted(p.name for p in qt_translations.glob("qtbase_*.qm")),
        "catalogs": sorted(p.name for p in catalogs.glob("*.qm")),
        "zh_CN": _chinese(),
        "distributions": {d.metadata["Name"]: d.version for d in distributions()},
    }


def _chinese() -> dict:
    """Install the zh_CN translators as the window would (Qt's own and the console's) and translate a Qt string."""
    from PySide6.QtCore import QCoreApplication

    from console.ui.i18n import install_translators

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    translators = install_translators(app, "zh_CN")
    return {"translators": len(translators), "qt_cancel": QCoreApplication.translate("QPlatformTheme", "Cancel")}


def main() -> int:
    multiprocessing.freeze_support()  # the ledger's signature pools start worker processes from this executable
    if sys.argv[1:] == ["--bundle-info"]:
        print(json.dumps(bundle_info(), ensure_ascii=False, indent=1))
        return 0
    from console.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
