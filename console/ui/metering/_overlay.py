"""Meters and a balance area on the map: each meter a square at its feature, coloured by the anchoring state of its
latest period (complete, partial, missing, rejected; grey: nothing anchored yet), one scatter item per state; the
area of a jump of unaccounted-for gas as its pipes drawn thick and translucent red, with a label."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont

__all__ = ["MeterOverlay", "STATE_COLOURS"]

STATE_COLOURS = {
    "complete": "#1b8a3a",
    "partial": "#e08a00",
    "missing": "#c62828",
    "rejected": "#6a1b9a",
    "none": "#8a8a8a",
}
KIND_SYMBOL = {"gate": "s", "district": "d", "customer": "o"}
KIND_SIZE = {"gate": 15, "district": 13, "customer": 9}
Z_AREA, Z_METERS = 44.0, 63.0


class MeterOverlay:
    """Draws what the metering controller hands in; keeps map coordinates so a new origin redraws it."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self.items: dict[str, pg.ScatterPlotItem] = {}
        for state, colour in STATE_COLOURS.items():
            item = pg.ScatterPlotItem(pxMode=True, pen=pg.mkPen("#ffffff", width=1.2), brush=pg.mkBrush(colour))
            item.setVisible(False)
            self.items[state] = item
        self.area = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(QColor(198, 40, 40, 120), width=7))
        self.area.setVisible(False)
        self.label = pg.TextItem("", color="#c62828", anchor=(0.5, 1.2), fill=pg.mkBrush(255, 255, 255, 210))
        font = QFont()
        font.setBold(True)
        self.label.setFont(font)
        self.label.setVisible(False)
        self._added = False
        self._meters: tuple[np.ndarray, list[str], list[str]] | None = None
        self._area: tuple[np.ndarray, str, tuple[float, float] | None] | None = None
        self.visible = True

    def _ensure(self) -> None:
        if not self._added:
            for item in self.items.values():
                self.canvas.add_overlay(item, Z_METERS)
            self.canvas.add_overlay(self.area, Z_AREA)
            self.canvas.add_overlay(self.label, Z_METERS + 1)
            self._added = True

    # -- meters -----------------------------------------------------------------------------------------------------
    def show_meters(self, xy: np.ndarray, states: list[str], kinds: list[str]) -> None:
        """Meters at map points ``xy`` (n × 2) with their states and kinds."""
        self._meters = (np.asarray(xy, float).reshape(-1, 2), list(states), list(kinds))
        self._draw_meters()

    def counts(self) -> dict[str, int]:
        """How many meters each state's item draws (tests read it)."""
        return {s: len(item.data) for s, item in self.items.items() if item.isVisible()}

    def _draw_meters(self) -> None:
        self._ensure()
        if self._meters is None or not self.visible:
            for item in self.items.values():
                item.setVisible(False)
            return
        xy, states, kinds = self._meters
        lx, ly = self.canvas.to_local(xy[:, 0], xy[:, 1]) if len(xy) else (np.zeros(0), np.zeros(0))
        st, kd = np.asarray(states, dtype=object), np.asarray(kinds, dtype=object)
        for state, item in self.items.items():
            m = st == state
            if not m.any():
                item.setData([])
                item.setVisible(False)
                continue
            item.setData(x=lx[m], y=ly[m], symbol=[KIND_SYMBOL.get(k, "o") for k in kd[m]],
                         size=[KIND_SIZE.get(k, 9) for k in kd[m]])  # fmt: skip
            item.setVisible(True)

    def set_visible(self, visible: bool) -> None:
        self.visible = bool(visible)
        self._draw_meters()

    # -- a balance area ------------------------------------------------------------------------------------------------
    def show_area(self, pairs: np.ndarray | None, text: str = "", at: tuple[float, float] | None = None) -> None:
        """The pipes of an area as segment pairs (map coordinates; None clears) and a label at ``at``."""
        self._ensure()
        if pairs is None or len(pairs) == 0:
            self._area = None
            self.area.setVisible(False)
            self.label.setVisible(False)
            return
        self._area = (np.asarray(pairs, float), text, at)
        lx, ly = self.canvas.to_local(self._area[0][:, 0], self._area[0][:, 1])
        self.area.setData(lx, ly)
        self.area.setVisible(True)
        if text and at is not None:
            px, py = self.canvas.to_local(at[0], at[1])
            self.label.setText(text)
            self.label.setPos(float(px), float(py))
            self.label.setVisible(True)
        else:
            self.label.setVisible(False)

    @property
    def area_shown(self) -> bool:
        return self.area.isVisible()

    def redraw(self) -> None:
        """After the map's origin changed (another network): redraw from map coordinates."""
        self._draw_meters()
        if self._area is not None:
            self.show_area(*self._area)
