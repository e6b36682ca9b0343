"""Trends at the workstation (issue 19): a wide plot, limit labels whole inside the plot, a legend naming every
sensor, zoom/pan that stops following until "Follow now", and CSV/PNG export with known contents."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from console.app.live import TrendSeries
from console.ui.telemetry._trend_dock import TrendDock

T0 = 1_790_000_000.0  # 2026-09-21 UTC
LIMITS = {"hihi": 60.0, "hi": 30.0, "lo": 5.0, "lolo": 2.0}


def _series(sensor: str, label: str, offset: float, limits=None, n: int = 61) -> TrendSeries:
    t = T0 + 10.0 * np.arange(n)
    return TrendSeries(sensor, label, "%LEL", t, offset + np.sin(np.arange(n) / 5.0), limits=limits)


@pytest.fixture
def dock(qtbot):
    d = TrendDock()
    qtbot.addWidget(d)
    d.resize(720, 420)
    d.show()
    qtbot.waitExposed(d)
    yield d
    d.close()


def test_one_sensor_wide_plot_with_whole_limit_labels(qtbot, dock):
    dock.set_sensors(["MA"], {"MA": "Methane well VA"})
    dock.show_series([_series("MA", "Methane well VA", 20.0, LIMITS)], now_t=T0 + 600.0)
    qtbot.wait(50)
    QApplication.processEvents()
    (plot,) = dock.plots().values()
    assert plot.vb.width() >= 0.55 * dock.width()  # the plot fills the dock, not ~90 px
    view = plot.vb.sceneBoundingRect()
    lines = dock._curves["MA"]["limits"]
    assert set(lines) == set(LIMITS)
    for key, line in lines.items():
        text = line.label.toPlainText()
        assert text == f"{key.upper()} {LIMITS[key]:g} %LEL"  # "HIHI" reads HIHI, not "HI"
        box = line.label.mapRectToScene(line.label.boundingRect())
        assert view.left() - 1 <= box.left() and box.right() <= view.right() + 1, (key, box, view)


def test_several_sensors_share_a_plot_with_a_legend(dock):
    dock.set_sensors(["MA", "MB"], {"MA": "Methane A", "MB": "Methane B"})
    dock.show_series([_series("MA", "Methane A", 10.0), _series("MB", "Methane B", 12.0)], now_t=T0 + 600.0)
    (plot,) = dock.plots().values()
    names = [label.text for _sample, label in plot.legend.items]
    assert names == ["MA", "MB"]  # short ids: a legend of full names covered the limit labels
    assert dock.title.text() == "Methane A, Methane B"


def test_zoom_and_pan_stop_following_until_follow_now(qtbot, dock):
    dock.set_sensors(["MA"])
    dock.show_series([_series("MA", "MA", 10.0)], now_t=T0 + 600.0)
    (plot,) = dock.plots().values()
    assert dock.following and plot.vb.viewRange()[0][1] == pytest.approx(T0 + 600.0)
    plot.vb.setXRange(T0 + 100.0, T0 + 200.0, padding=0.0)
    plot.vb.sigRangeChangedManually.emit([True, False])  # what a wheel or drag in time emits
    assert not dock.following and dock.follow_button.isEnabled()
    dock.show_series([_series("MA", "MA", 10.0, n=70)], now_t=T0 + 690.0)  # new readings: the view stays put
    assert plot.vb.viewRange()[0] == pytest.approx([T0 + 100.0, T0 + 200.0])
    dock.follow_button.click()
    assert dock.following and not dock.follow_button.isEnabled()
    assert plot.vb.viewRange()[0][1] == pytest.approx(T0 + 690.0)


def test_export_csv_and_png(tmp_path, dock):
    series = [_series("MA", "Methane A", 10.0, n=3), _series("MB", "Methane B", 12.0, n=3)]
    dock.set_sensors(["MA", "MB"])
    dock.show_series(series, now_t=T0 + 30.0)
    dock.export(str(tmp_path / "t.csv"))
    with open(tmp_path / "t.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6 and [r["sensor_id"] for r in rows] == ["MA"] * 3 + ["MB"] * 3
    assert rows[0]["time_utc"].startswith("2026-09-21T") and rows[0]["unit"] == "%LEL"
    assert float(rows[4]["value"]) == pytest.approx(12.0 + np.sin(1 / 5.0), rel=1e-5)
    dock.export(str(tmp_path / "t.png"))
    data = (tmp_path / "t.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage

    img = QImage(str(tmp_path / "t.png"))
    assert img.width() == dock.plot_widget.width() and img.height() == dock.plot_widget.height()
