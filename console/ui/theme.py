"""Dark and light themes: the Qt palette, a small stylesheet, and the colours the map draws with.

The dark theme is the control-room default (a dim screen at 3 a.m.); the light theme is for daylight offices and
printed screenshots. Pipe colours per theme live in :mod:`console.ui.map.styles`; this module holds everything
else. The choice is stored in QSettings under ``ui/theme``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

__all__ = ["DARK", "LIGHT", "THEMES", "Theme", "apply_theme", "load_theme", "save_theme"]

SETTINGS_KEY = "ui/theme"


@dataclass(frozen=True)
class Theme:
    """Colours of one theme as ``#rrggbb`` strings."""

    name: str  # "dark" | "light": also selects the pipe colour variant
    window: str
    base: str
    alternate_base: str
    text: str
    muted_text: str
    button: str
    border: str
    highlight: str
    highlighted_text: str
    map_background: str
    map_text: str  # scale bar, north arrow
    map_halo: str  # outline behind map text so it reads over pipes
    selection: str  # identify/search highlight
    point_outline: str  # outline of point symbols

    def qcolor(self, field: str, alpha: int = 255) -> QColor:
        c = QColor(getattr(self, field))
        c.setAlpha(alpha)
        return c


DARK = Theme(
    name="dark",
    window="#1b2129",
    base="#12171d",
    alternate_base="#182029",
    text="#dde5ee",
    muted_text="#8b98a7",
    button="#242c36",
    border="#323c48",
    highlight="#2f7fd8",
    highlighted_text="#ffffff",
    map_background="#0c1117",
    map_text="#e6edf5",
    map_halo="#0c1117",
    selection="#00ffd0",
    point_outline="#0c1117",
)

LIGHT = Theme(
    name="light",
    window="#eef0f3",
    base="#ffffff",
    alternate_base="#f5f7f9",
    text="#1c232b",
    muted_text="#5f6b78",
    button="#e3e7ec",
    border="#c4cbd3",
    highlight="#1f6fd1",
    highlighted_text="#ffffff",
    map_background="#f6f4ee",
    map_text="#1c232b",
    map_halo="#f6f4ee",
    selection="#00a3ff",
    point_outline="#ffffff",
)

THEMES = {"dark": DARK, "light": LIGHT}


def _palette(t: Theme) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: t.window,
        QPalette.ColorRole.WindowText: t.text,
        QPalette.ColorRole.Base: t.base,
        QPalette.ColorRole.AlternateBase: t.alternate_base,
        QPalette.ColorRole.ToolTipBase: t.base,
        QPalette.ColorRole.ToolTipText: t.text,
        QPalette.ColorRole.PlaceholderText: t.muted_text,
        QPalette.ColorRole.Text: t.text,
        QPalette.ColorRole.Button: t.button,
        QPalette.ColorRole.ButtonText: t.text,
        QPalette.ColorRole.BrightText: "#ff5252",
        QPalette.ColorRole.Highlight: t.highlight,
        QPalette.ColorRole.HighlightedText: t.highlighted_text,
        QPalette.ColorRole.Link: t.highlight,
        QPalette.ColorRole.Mid: t.border,
        QPalette.ColorRole.Dark: t.border,
        QPalette.ColorRole.Light: t.button,
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(t.muted_text))
    return p


def _stylesheet(t: Theme) -> str:
    return f"""
    QToolBar {{ background: {t.window}; border: none; border-bottom: 1px solid {t.border}; spacing: 2px; padding: 2px; }}
    QToolButton {{ border: 1px solid transparent; border-radius: 4px; padding: 3px; }}
    QToolButton:hover {{ background: {t.button}; border-color: {t.border}; }}
    QToolButton:checked {{ background: {t.highlight}; border-color: {t.highlight}; }}
    QDockWidget {{ font-weight: 600; }}
    QDockWidget::title {{ background: {t.window}; padding: 5px 6px; border-bottom: 1px solid {t.border}; }}
    QStatusBar {{ background: {t.window}; border-top: 1px solid {t.border}; }}
    QStatusBar QLabel {{ padding: 0 6px; }}
    QStatusBar::item {{ border: none; border-left: 1px solid {t.border}; }}
    QLineEdit, QComboBox {{ background: {t.base}; border: 1px solid {t.border}; border-radius: 4px; padding: 3px 6px; }}
    QLineEdit:focus, QComboBox:focus {{ border-color: {t.highlight}; }}
    QTreeWidget, QTableWidget, QTableView {{ background: {t.base}; border: none; }}
    QHeaderView::section {{ background: {t.window}; border: none; border-bottom: 1px solid {t.border}; padding: 4px; }}
    QLabel#panelTitle {{ font-weight: 600; font-size: 11pt; }}
    QLabel#panelSubtitle {{ color: {t.muted_text}; }}
    """


def apply_theme(app: QApplication, theme: Theme) -> None:
    """Apply the theme to the whole application (Fusion style, palette, stylesheet)."""
    app.setStyle("Fusion")
    app.setPalette(_palette(theme))
    app.setStyleSheet(_stylesheet(theme))


def load_theme(settings: QSettings | None = None) -> Theme:
    """The saved theme, dark when nothing (or something unknown) was saved."""
    settings = settings or QSettings()
    return THEMES.get(str(settings.value(SETTINGS_KEY, "dark")), DARK)


def save_theme(theme: Theme, settings: QSettings | None = None) -> None:
    (settings or QSettings()).setValue(SETTINGS_KEY, theme.name)
