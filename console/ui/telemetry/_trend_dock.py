"""Trend plots of selected sensors: history from ``console.db`` plus the live tail, in a time window.

One plot per unit (pressure in kPa, methane in %LEL …), stacked with a shared time axis, so curves of one kind are
comparable and nothing is drawn against a meaningless common scale. Every sensor shows its alarm limits as
dashed lines (amber HI/LO, red HIHI/LOLO) labelled with name and value at the right edge, where no axis clips them.
A plot of several sensors has a legend of their ids. Wheel and drag zoom and pan in time; the plots stop following "now" until *Follow now*.
*Export* writes the shown series as CSV and the plots as PNG. Long windows come back from the history as bucket means with min/max
(the 1-min or 15-min aggregates), drawn as a band around the mean so spikes are not averaged away.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from console.app.live import TrendSeries
from console.ui.elided import ElidedLabel
from console.ui.i18n import translate

__all__ = ["MAX_TRENDS", "TREND_WINDOWS", "TrendDock"]

MAX_TRENDS = 8
TREND_WINDOWS = ((15 * 60, QT_TRANSLATE_NOOP("TrendDock", "15 min")), (3600, QT_TRANSLATE_NOOP("TrendDock", "1 h")),
                 (8 * 3600, QT_TRANSLATE_NOOP("TrendDock", "8 h")), (24 * 3600, QT_TRANSLATE_NOOP("TrendDock", "24 h")),
                 (7 * 86400, QT_TRANSLATE_NOOP("TrendDock", "7 days")))  # fmt: skip
_PALETTE = ("#00e5ff", "#ffb300", "#b388ff", "#69f0ae", "#ff80ab", "#ffd740", "#40c4ff", "#ff6e40")
_LIMIT_COLORS = {"hi": "#ffb300", "lo": "#ffb300", "hihi": "#ff2d55", "lolo": "#ff2d55"}
# The limit lines' names: the alarm codes in English, the alarm dock's words in Chinese (高高限, 高限, 低限, 低低限).
LIMIT_NAMES = {"hihi": QT_TRANSLATE_NOOP("TrendDock", "HIHI"), "hi": QT_TRANSLATE_NOOP("TrendDock", "HI"),
               "lo": QT_TRANSLATE_NOOP("TrendDock", "LO"), "lolo": QT_TRANSLATE_NOOP("TrendDock", "LOLO")}  # fmt: skip


class _FitWidthDelegate(QStyledItemDelegate):
    """List items no wider than the list, so Qt elides a long name instead of clipping it at the edge."""

    def sizeHint(self, option, index):
        hint = super().sizeHint(option, index)
        view = self.parent()
        width = view.viewport().width() if view is not None else hint.width()
        return QSize(min(hint.width(), max(16, width - 2)), hint.height())


class TrendDock(QDockWidget):
    """Signals: ``windowChanged(seconds)``, ``sensorsChanged(list[sensor id])`` (the list was edited here)."""

    windowChanged = Signal(float)
    sensorsChanged = Signal(list)
    themeMaybeChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(translate("TrendDock", "Trends"), parent)
        self.setObjectName("trendDock")
        self._theme = "dark"
        self._sensors: list[str] = []
        self._labels: dict[str, str] = {}
        self._plots: dict[str, pg.PlotItem] = {}
        self._curves: dict[str, list] = {}
        self.series: list[TrendSeries] = []

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        # The title has a row of its own and gives way (the full text is its tooltip), so a long sensor name never
        # pushes the window, Remove and Clear controls out of a narrow dock.
        self.title = ElidedLabel(translate("TrendDock", "No sensor selected"))
        self.title.setObjectName("panelTitle")
        layout.addWidget(self.title)
        top = QHBoxLayout()
        top.addWidget(QLabel(translate("TrendDock", "Window")))
        self.window_combo = QComboBox()
        for seconds, label in TREND_WINDOWS:
            self.window_combo.addItem(translate("TrendDock", label), float(seconds))
        self.window_combo.setCurrentIndex(0)  # 15 min: what a dispatcher watches live
        top.addWidget(self.window_combo)
        top.addStretch(1)
        self.follow_button = QPushButton(translate("TrendDock", "Follow now"))
        self.follow_button.setToolTip(
            translate("TrendDock", "Back to the latest readings (zooming or panning in time stops following)")
        )
        self.follow_button.setEnabled(False)
        self.export_button = QPushButton(translate("TrendDock", "Export…"))
        self.export_button.setToolTip(translate("TrendDock", "Save the shown series as CSV, or the plots as PNG"))
        self.remove_button = QPushButton(translate("TrendDock", "Remove"))
        self.clear_button = QPushButton(translate("TrendDock", "Clear"))
        top.addWidget(self.remove_button)
        top.addWidget(self.clear_button)
        layout.addLayout(top)
        nav = QHBoxLayout()  # a row of its own, so the dock stays usable when narrow
        nav.addWidget(self.follow_button)
        nav.addWidget(self.export_button)
        nav.addStretch(1)
        layout.addLayout(nav)
        self.hint = QLabel(
            translate(
                "TrendDock",
                "Identify a sensor (or the device it sits on) on the map, or select alarms and press Trend. "
                "Up to {count} sensors.",
            ).format(count=MAX_TRENDS)
        )
        self.hint.setObjectName("panelSubtitle")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.list = QListWidget()
        self.list.setMaximumWidth(200)
        # Long sensor names are elided with "…" at the list's width (the full name is the item's tooltip).
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setItemDelegate(_FitWidthDelegate(self.list))
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setMinimumHeight(110)
        split.addWidget(self.list)
        split.addWidget(self.plot_widget)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([140, 10_000])  # the plot takes the width; the list (also the legend's key) stays narrow
        self.split = split
        self._following = True
        layout.addWidget(split, 1)
        scroll = QScrollArea()  # a small window scrolls the dock instead of refusing to shrink
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        self.setWidget(scroll)

        self.window_combo.currentIndexChanged.connect(lambda _: self.windowChanged.emit(self.window_s()))
        self.remove_button.clicked.connect(self._remove_selected)
        self.clear_button.clicked.connect(lambda: self.set_sensors([], emit=True))
        self.follow_button.clicked.connect(self.follow_now)
        self.export_button.clicked.connect(self._request_export)
        self.set_theme("dark")

    # -- state -------------------------------------------------------------------------------------------------------
    def window_s(self) -> float:
        return float(self.window_combo.currentData())

    def sensors(self) -> list[str]:
        return list(self._sensors)

    def set_sensors(self, sensor_ids: list[str], labels: dict[str, str] | None = None, *, emit: bool = False) -> None:
        """The sensors to plot (the first :data:`MAX_TRENDS`), in order."""
        self._sensors = list(dict.fromkeys(sensor_ids))[:MAX_TRENDS]
        if labels:
            self._labels.update(labels)
        self.list.clear()
        for k, sid in enumerate(self._sensors):
            item = QListWidgetItem(self._labels.get(sid, sid))
            item.setToolTip(self._labels.get(sid, sid))
            item.setData(Qt.ItemDataRole.UserRole, sid)
            item.setForeground(QColor(_PALETTE[k % len(_PALETTE)]))
            self.list.addItem(item)
        self.hint.setVisible(not self._sensors)
        if not self._sensors:
            self.show_series([])
        if emit:
            self.sensorsChanged.emit(self.sensors())

    def add_sensors(self, sensor_ids: list[str], labels: dict[str, str] | None = None) -> None:
        self.set_sensors([*self._sensors, *sensor_ids], labels, emit=True)

    def _remove_selected(self) -> None:
        gone = {i.data(Qt.ItemDataRole.UserRole) for i in self.list.selectedItems()}
        if gone:
            self.set_sensors([s for s in self._sensors if s not in gone], emit=True)

    # -- drawing -----------------------------------------------------------------------------------------------------
    def show_series(self, series: list[TrendSeries], now_t: float | None = None) -> None:
        """Draw ``series`` (one per sensor, in the list's order); the x range ends at ``now_t``.

        A refresh with the same sensors, units and resolution only replaces the data of the existing curves.
        """
        self.series = list(series)
        shape = tuple(
            (s.sensor_id, s.unit, s.vmin is not None, tuple(sorted((s.limits or {}).items()))) for s in series
        )
        if shape == getattr(self, "_shape", None):
            for s in series:
                items = self._curves[s.sensor_id]
                if s.vmin is not None:
                    items["lo"].setData(s.t, s.vmin)
                    items["hi"].setData(s.t, s.vmax)
                items["curve"].setData(s.t, s.value)
                for key, line in items.get("limits", {}).items():
                    line.setValue(s.limits[key])
        else:
            self._draw(series)
            self._shape = shape
        if now_t is not None:
            self._now = now_t
            if self._following:
                for plot in self._plots.values():
                    plot.setXRange(now_t - self.window_s(), now_t, padding=0.0)
        names = ", ".join(self._labels.get(s, s) for s in self._sensors[:3])
        more = f" + {len(self._sensors) - 3}" if len(self._sensors) > 3 else ""
        self.title.setText(f"{names}{more}" if self._sensors else translate("TrendDock", "No sensor selected"))

    def _draw(self, series: list[TrendSeries]) -> None:
        units = list(dict.fromkeys(s.unit for s in series))
        self._rebuild(units)
        self._curves = {}
        for k, s in enumerate(series):
            plot = self._plots[s.unit]
            slot = self._sensors.index(s.sensor_id) if s.sensor_id in self._sensors else k
            color = _PALETTE[slot % len(_PALETTE)]
            items: dict = {}
            if s.vmin is not None and s.vmax is not None:
                items["lo"] = pg.PlotDataItem(s.t, s.vmin, pen=pg.mkPen(color, width=0.5))
                items["hi"] = pg.PlotDataItem(s.t, s.vmax, pen=pg.mkPen(color, width=0.5))
                fill = QColor(color)
                fill.setAlpha(60)
                items["band"] = pg.FillBetweenItem(items["lo"], items["hi"], brush=fill)
                for key in ("lo", "hi", "band"):
                    plot.addItem(items[key])
            name = s.sensor_id  # the legend stays short (the list beside the plot has the full names)
            items["curve"] = pg.PlotDataItem(s.t, s.value, pen=pg.mkPen(color, width=1.6), connect="finite", name=name)
            plot.addItem(items["curve"])
            if s.limits:
                items["limits"] = self._draw_limits(plot, s, series)
            self._curves[s.sensor_id] = items
        for unit, plot in self._plots.items():  # a plot of one sensor needs no legend (the axis and the list say it)
            plot.legend.setVisible(sum(s.unit == unit for s in series) > 1)

    def _draw_limits(self, plot: pg.PlotItem, s: TrendSeries, series: list[TrendSeries]) -> dict:
        """Dashed limit lines of ``s`` on its unit's plot. Sensors of one unit with the same limits share one set of
        lines; where their limits differ, each sensor's lines are drawn and labelled with the sensor. Upper limits
        are labelled below their line and lower limits above it, so no label leaves the plot at its edge."""
        peers = [x for x in series if x.unit == s.unit and x.limits]
        if any(x.limits == s.limits for x in peers[: peers.index(s)]):
            return {}  # an earlier sensor of this unit drew the very same lines
        prefix = "" if all(x.limits == s.limits for x in peers) else f"{s.sensor_id} "
        lines = {}
        for key, value in s.limits.items():
            anchor = (1, 0) if key in ("hi", "hihi") else (1, 1)
            line = pg.InfiniteLine(
                value, angle=0, pen=pg.mkPen(_LIMIT_COLORS[key], width=1, style=Qt.PenStyle.DashLine),
                label=f"{prefix}{translate('TrendDock', LIMIT_NAMES[key])} {value:g} {s.unit}",
                labelOpts={"position": 0.985, "color": _LIMIT_COLORS[key], "anchors": [anchor, anchor]},
            )  # fmt: skip
            plot.addItem(line)
            lines[key] = line
        # The limits belong in view: an invisible point at each keeps them inside the autoranged y axis.
        marks = pg.PlotDataItem([s.t[0] if len(s.t) else 0.0] * len(s.limits), list(s.limits.values()), pen=None)
        marks.setVisible(False)
        plot.addItem(marks)
        return lines

    def limit_labels(self) -> dict[str, list[str]]:
        """Unit → the limit labels drawn on its plot (tests read it)."""
        out: dict[str, list[str]] = {}
        for unit, plot in self._plots.items():
            out[unit] = [i.label.toPlainText() for i in plot.items if isinstance(i, pg.InfiniteLine) and i.label]
        return out

    def _rebuild(self, units: list[str]) -> None:
        self.plot_widget.clear()
        self._plots = {}
        first = None
        for i, unit in enumerate(units):
            axis = pg.DateAxisItem(orientation="bottom")
            plot = self.plot_widget.addPlot(row=i, col=0, axisItems={"bottom": axis})
            plot.setLabel("left", unit)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setMenuEnabled(False)
            plot.getViewBox().setMouseEnabled(x=True, y=False)
            plot.getViewBox().sigRangeChangedManually.connect(self._on_manual_range)
            plot.addLegend(offset=(4, 2), labelTextSize="8pt")  # short ids at the top left; limit labels at the right
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            if i < len(units) - 1:
                plot.getAxis("bottom").setStyle(showValues=False)
            self._plots[unit] = plot
        self._style_plots()

    # -- time navigation and export -------------------------------------------------------------------------------
    def _on_manual_range(self, *_args) -> None:
        self._following = False
        self.follow_button.setEnabled(True)

    @property
    def following(self) -> bool:
        return self._following

    def follow_now(self) -> None:
        self._following = True
        self.follow_button.setEnabled(False)
        if getattr(self, "_now", None) is not None:
            for plot in self._plots.values():
                plot.setXRange(self._now - self.window_s(), self._now, padding=0.0)

    def _request_export(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, chosen = QFileDialog.getSaveFileName(
            self,
            translate("TrendDock", "Export trends"),
            "trends.csv",
            translate("TrendDock", "CSV (*.csv);;PNG image (*.png)"),
        )
        if path:
            self.export(path if "." in path.rsplit("/", 1)[-1] else path + (".png" if "PNG" in chosen else ".csv"))

    def export(self, path: str) -> None:
        """Write the shown series to ``path``: ``.png`` the plots as drawn, else CSV (sensor, time, value, min, max)."""
        from pathlib import Path

        from console.atomic import atomic_write_bytes

        target = Path(path)
        if target.suffix.lower() == ".png":
            from PySide6.QtCore import QBuffer, QByteArray, QIODevice

            data = QByteArray()
            buffer = QBuffer(data)
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            self.plot_widget.grab().save(buffer, "PNG")
            atomic_write_bytes(target, bytes(data.data()))
            return
        from console.telemetry import iso_utc

        lines = ["sensor_id,time_utc,value,min,max,unit"]
        for s in self.series:
            lo = s.vmin if s.vmin is not None else [None] * len(s.t)
            hi = s.vmax if s.vmax is not None else [None] * len(s.t)
            for t, v, a, b in zip(s.t, s.value, lo, hi, strict=True):
                cells = [f"{x:.6g}" if x is not None and x == x else "" for x in (v, a, b)]
                lines.append(f"{s.sensor_id},{iso_utc(t)},{','.join(cells)},{s.unit}")
        atomic_write_bytes(target, ("\n".join(lines) + "\n").encode("utf-8"))

    def plots(self) -> dict[str, pg.PlotItem]:
        return dict(self._plots)

    def set_theme(self, theme: str) -> None:
        self._theme = theme
        self.plot_widget.setBackground("#12171d" if theme == "dark" else "#ffffff")
        self._style_plots()

    def _style_plots(self) -> None:
        ink = "#dde5ee" if self._theme == "dark" else "#1c232b"
        for plot in self._plots.values():
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(ink))
                axis.setTextPen(pg.mkPen(ink))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.themeMaybeChanged.emit()
