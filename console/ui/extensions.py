"""Feature UIs (isolation, simulation, ledger, alarms …) plug into the main window the way plugins do.

Each is registered in the plugin registry as ``"module:function"`` (built-ins, see console.app.builtin) or as a
callable (third-party plugins); the function receives the MainWindow and returns a controller object. A broken
extension is logged and skipped: the console still opens.
"""

from __future__ import annotations

import importlib
import logging

from console.app.plugins import default_registry
from console.ui.i18n import translate

__all__ = ["install_extensions"]

log = logging.getLogger(__name__)


def install_extensions(window, registry=None) -> dict[str, object]:
    registry = registry or default_registry()
    installed: dict[str, object] = {}
    for name, target in registry.ui_extensions.items():
        try:
            if isinstance(target, str):
                module, _, func = target.partition(":")
                target = getattr(importlib.import_module(module), func)
            installed[name] = target(window)
        except Exception as exc:  # one broken feature must not keep the console from opening
            log.error("UI extension %s not installed: %s", name, exc, exc_info=exc)
            text = translate("MainWindow", "Feature {name} unavailable: {error}").format(name=repr(name), error=exc)
            window.statusBar().showMessage(text, 10000)
    return installed
