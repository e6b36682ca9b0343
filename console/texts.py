"""Marking English text for translation in modules that do not import Qt.

``lupdate`` extracts ``QT_TRANSLATE_NOOP("Context", "text")`` wherever it appears; the Qt-free layers (services,
domain enums, permission names) mark the texts a user sees with this identity function, and the UI shows them with
``console.ui.i18n.translate("Context", text)``.

>>> QT_TRANSLATE_NOOP("Permissions", "acknowledge alarms")
'acknowledge alarms'
"""

from __future__ import annotations

__all__ = ["QT_TRANSLATE_NOOP"]


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """``text`` unchanged: the mark ``lupdate`` reads, for a translation looked up where the text is shown."""
    return text
