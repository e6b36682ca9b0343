"""Trend limit lines (issue 19): every label whole inside its plot (HIHI at the top too), the legend off the labels,
and two sensors of one unit each with their limits (one shared set when their limits are the same)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from console.app.live import TrendSeries
from console.ui.telemetry._trend_dock import TrendDock

T0 = 1_790_000_000.0
METHANE = {"hihi": 50.0, "hi": 25.0}
PRESSURE_A = {"hihi": 3.0, "hi": 2.64, "lo": 1.8, "lolo": 1.32}
PRESSURE_B = {"hihi": 3.3, "hi": 2.9, "lo": 2.0, "lolo": 1.5}


def _series(sensor, unit, values, limits, n=61):
    t = T0 + 10.0 * np.arange(n)
    return TrendSeries(sensor, sensor, unit, t, np.full(n, values, dtype=float), limits=limits)


@pytest.fixture
def dock(qtbot):
    d = TrendDock()
    qtbot.addWidget(d)
    d.resize(400, 400)  # as narrow as the dock in the control-room screenshot
    d.show()
    qtbot.waitExposed(d)
    yield d
    d.close()


def _settle(qtbot):
    qtbot.wait(60)
    QApplication.processEvents()


def _label_boxes(plot):
    import pyqtgraph as pg

    return {
        i.label.toPlainText(): i.label.mapRectToScene(i.label.boundingRect())
        for i in plot.items
        if isinstance(i, pg.InfiniteLine) and i.label is not None
    }


def test_limit_labels_are_whole_inside_the_plot_and_clear_of_the_legend(qtbot, dock):
    dock.set_sensors(
        ["S-00151", "S-00076"], {"S-00151": "S-00151 V-00161 阀井可燃气体", "S-00076": "S-00076 桃桥第十五调压"}
    )
    series = [_series("S-00151", "%LEL", 3.0, METHANE), _series("S-00076", "kPa", 2.4, PRESSURE_A)]
    dock.show_series(series, now_t=T0 + 600.0)
    _settle(qtbot)
    for unit, plot in dock.plots().items():
        view = plot.vb.sceneBoundingRect()
        legend = plot.legend.sceneBoundingRect()
        boxes = _label_boxes(plot)
        assert len(boxes) == (2 if unit == "%LEL" else 4)
        for text, box in boxes.items():
            assert view.adjusted(-1, -1, 1, 1).contains(box), (text, box, view)  # HIHI not clipped at the top
            # the legend (only where sensors share a plot: the list says whose a lone curve is) never covers a label
            assert not (plot.legend.isVisible() and legend.intersects(box)), (text, box, legend)
        assert not plot.legend.isVisible()


def test_two_sensors_of_one_unit_each_show_their_limits(qtbot, dock):
    dock.set_sensors(["PA", "PB"])
    dock.show_series([_series("PA", "kPa", 2.4, PRESSURE_A), _series("PB", "kPa", 2.5, PRESSURE_B)], now_t=T0 + 600)
    _settle(qtbot)
    labels = sorted(dock.limit_labels()["kPa"])
    expected = sorted(
        [f"PA {k.upper()} {v:g} kPa" for k, v in PRESSURE_A.items()]
        + [f"PB {k.upper()} {v:g} kPa" for k, v in PRESSURE_B.items()]
    )
    assert labels == expected
    (plot,) = dock.plots().values()
    lo, hi = plot.vb.viewRange()[1]
    assert lo <= 1.32 and hi >= 3.3  # every limit is in view


def test_two_sensors_with_the_same_limits_share_one_unlabelled_set(qtbot, dock):
    dock.set_sensors(["PA", "PC"])
    dock.show_series([_series("PA", "kPa", 2.4, PRESSURE_A), _series("PC", "kPa", 2.2, PRESSURE_A)], now_t=T0 + 600)
    _settle(qtbot)
    assert sorted(dock.limit_labels()["kPa"]) == sorted(f"{k.upper()} {v:g} kPa" for k, v in PRESSURE_A.items())
