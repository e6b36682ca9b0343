"""Pipe styles: hand-worked classes for small tables (Qt-free)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from console.network import PressureClass
from console.ui.map.styles import PIPE_STYLES, classify_pipes, pressure_class_label, zoom_width_factor


def _pipes(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"pressure_class": ["LP"] * n, "dn": [110] * n, "material": ["PE100"] * n, "install_year": [2000] * n,
            "status": ["in_service"] * n}  # fmt: skip
    base.update(columns)
    return pd.DataFrame(base)


def keys(c) -> list[str]:
    return [c.classes[i].key for i in c.codes]


def test_pressure_classes_in_gb50028_order_with_service_lines_and_status():
    pipes = _pipes(
        pressure_class=["HP-A", "SHP-B", "MP-A", "MP-B", "LP", "LP", "LP", "MP-A", "HP-B"],
        dn=[500, 300, 200, 160, 110, 32, 40, 200, 400],
        status=["in_service"] * 7 + ["planned", "abandoned"],
    )
    c = classify_pipes(pipes, "pressure_class")
    assert keys(c) == ["HP-A", "SHP-B", "MP-A", "MP-B", "LP", "LP-service", "LP-service", "planned", "abandoned"]
    # Legend order: most important first; mains wider than distribution pipes wider than service lines.
    legend = [cls.key for cls in c.classes]
    assert legend[:7] == ["HP-A", "HP-B", "SHP-A", "SHP-B", "MP-A", "MP-B", "LP"]
    width = {cls.key: cls.width_px for cls in c.classes}
    assert width["HP-A"] > width["MP-A"] > width["MP-B"] > width["LP"] > width["LP-service"]
    assert c.counts()[c.index("LP-service")] == 2
    assert c.classes[c.index("planned")].dash == "dash"


def test_every_class_has_a_distinct_colour_per_theme():
    c = classify_pipes(_pipes(pressure_class=["LP"]), "pressure_class")
    for theme in ("dark", "light"):
        colours = [cls.color(theme) for cls in c.classes if cls.key != "LP-service"]
        assert len(set(colours)) == len(colours)
    assert c.classes[c.index("MP-A")].color("dark") != c.classes[c.index("MP-A")].color("light")


def test_diameter_bins_are_inclusive_upper_bounds():
    c = classify_pipes(_pipes(dn=[32, 40, 50, 110, 160, 315, 400, 630]), "diameter")
    assert keys(c) == ["dn-40", "dn-40", "dn40-75", "dn75-110", "dn110-200", "dn200-315", "dn315-500", "dn500+"]
    widths = [c.classes[c.index(k)].width_px for k in ("dn-40", "dn40-75", "dn110-200", "dn500+")]
    assert widths == sorted(widths)


def test_install_decades_and_unknown_year():
    c = classify_pipes(_pipes(install_year=[0, 1965, 1980, 1989, 1990, 2009, 2010, 2024]), "install_decade")
    assert keys(c) == ["unknown", "<1980", "1980s", "1980s", "1990s", "2000s", "2010s", "2020s"]


def test_material_and_status_styles():
    c = classify_pipes(_pipes(material=["steel", "PE80", "cast_iron", "unknown"]), "material")
    assert keys(c) == ["steel", "PE80", "cast_iron", "unknown"]
    s = classify_pipes(_pipes(status=["in_service", "planned", "abandoned"]), "status")
    assert keys(s) == ["in_service", "planned", "abandoned"]


def test_categorical_columns_as_the_network_stores_them(network):
    pipes = network["pipes"]
    c = classify_pipes(pipes, "pressure_class")
    assert len(c.codes) == len(pipes)
    row = int(np.flatnonzero(pipes["id"].to_numpy() == "PA1")[0])
    assert c.class_of(row).key == "MP-A"
    assert all(set(classify_pipes(pipes, s).counts() >= 0) for s in PIPE_STYLES)


def test_unknown_style_is_rejected():
    with pytest.raises(KeyError, match="unknown pipe style"):
        classify_pipes(_pipes(dn=[1]), "colour_by_mood")


def test_labels_and_zoom_widths():
    assert pressure_class_label("MP-A") == "MP-A medium pressure A"
    assert pressure_class_label(PressureClass.SHP_B) == "SHP-B sub-high pressure B"
    assert pressure_class_label("??") == "??"
    factors = [zoom_width_factor(m) for m in (0.1, 2.0, 10.0, 40.0, 400.0)]
    assert factors[0] == factors[1] == 1.0
    assert factors == sorted(factors, reverse=True)
    assert factors[-1] == pytest.approx(0.55)
