import geopandas as gpd
import numpy as np
import pytest
import shapely

from console.errors import SchemaError, UnknownFeatureError
from console.network import LAYERS, GasNetwork, PressureClass
from tests.builders import chain, make_network


def test_empty_network_has_every_layer_with_schema_columns():
    net = GasNetwork(crs=4529)
    assert set(net.layers) == set(LAYERS)
    for name, frame in net.layers.items():
        assert list(frame.columns[:-1]) == LAYERS[name].column_names
        assert len(frame) == 0
    assert np.isnan(net.bounds).all()


def test_coercion_fills_defaults_and_types():
    net = chain(3)
    pipes = net["pipes"]
    assert pipes["roughness_mm"].tolist() == [0.05] * 3  # default
    assert str(pipes["pressure_class"].dtype) == "category"
    assert list(pipes["pressure_class"].cat.categories) == [c.value for c in PressureClass]
    assert pipes["length_m"].tolist() == pytest.approx([100.0] * 3)
    assert net.crs.to_epsg() == 4529


def test_unknown_code_value_names_layer_column_and_feature():
    with pytest.raises(SchemaError, match=r"pipes.*pressure_class.*'XX'.*P2"):
        make_network(
            [("A", "junctions", 0, 0), ("B", "junctions", 10, 0), ("C", "junctions", 20, 0)],
            [("P1", "pipes", "A", "B"), ("P2", "pipes", "B", "C", {"pressure_class": "XX"})],
        )


def test_missing_required_column_and_wrong_geometry_are_rejected():
    frame = gpd.GeoDataFrame({"id": ["G1"]}, geometry=[shapely.Point(0, 0)])
    with pytest.raises(SchemaError, match="supply_pressure_mpa"):
        GasNetwork({"gate_stations": frame})
    bad = gpd.GeoDataFrame({"id": ["J1"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])])
    with pytest.raises(SchemaError, match="Point"):
        GasNetwork({"junctions": bad})
    with pytest.raises(SchemaError, match="unknown layers"):
        GasNetwork({"pipelines": bad})


def test_boolean_columns_parse_text_and_reject_garbage():
    net = make_network(
        [("A", "junctions", 0, 0), ("B", "junctions", 2, 0)],
        [("V1", "valves", "A", "B", {"operable": "no", "accessible": "yes"})],
    )
    assert net["valves"]["operable"].tolist() == [False]
    assert net["valves"]["accessible"].tolist() == [True]
    with pytest.raises(SchemaError, match="operable.*V1"):
        make_network(
            [("A", "junctions", 0, 0), ("B", "junctions", 2, 0)], [("V1", "valves", "A", "B", {"operable": "maybe"})]
        )


def test_pressure_class_for_pressure_follows_gb50028_bounds():
    assert PressureClass.for_pressure(0.005) is PressureClass.LP
    assert PressureClass.for_pressure(0.01) is PressureClass.LP  # upper bounds inclusive
    assert PressureClass.for_pressure(0.0100001) is PressureClass.MP_B
    assert PressureClass.for_pressure(0.2) is PressureClass.MP_B
    assert PressureClass.for_pressure(0.35) is PressureClass.MP_A
    assert PressureClass.for_pressure(0.8) is PressureClass.SHP_B
    assert PressureClass.for_pressure(1.6) is PressureClass.SHP_A
    assert PressureClass.for_pressure(2.5) is PressureClass.HP_B
    assert PressureClass.for_pressure(4.0) is PressureClass.HP_A
    with pytest.raises(ValueError):
        PressureClass.for_pressure(4.5)
    assert [c.rank for c in PressureClass] == list(range(7))
    assert PressureClass.MP_A.label_zh == "中压A"


def test_locate_feature_and_unknown_id():
    net = chain(2)
    assert net.locate("P2") == ("pipes", 1)
    assert net.feature("G")["layer"] == "gate_stations"
    with pytest.raises(UnknownFeatureError, match="'nope'"):
        net.locate("nope")


def test_version_bumps_and_caches_follow_it():
    net = chain(2)
    seen = []
    net.changed.connect(seen.append)
    topo = net.topology
    assert net.topology is topo  # cached
    net.set_values("pipes", np.array([0]), "dn", 160)
    assert net.version == 1 and seen == [1]
    assert net.topology is not topo
    assert net["pipes"]["dn"].tolist() == [160, 110]


def test_snapshot_is_isolated_from_later_edits():
    net = chain(2)
    snap = net.snapshot()
    net.set_values("pipes", np.array([0, 1]), "material", "steel")
    assert snap["pipes"]["material"].tolist() == ["PE100", "PE100"]
    assert net["pipes"]["material"].tolist() == ["steel", "steel"]
    assert snap.version == 0


def test_add_and_remove_features_guard_ids_and_references():
    net = chain(2)
    extra = gpd.GeoDataFrame({"id": ["J9"]}, geometry=[shapely.Point(41_405_500, 3_320_000)], crs=4529)
    net.add_features("junctions", extra)
    assert "J9" in net["junctions"]["id"].tolist()
    with pytest.raises(SchemaError, match="already in use"):
        net.add_features("junctions", extra)
    with pytest.raises(SchemaError, match="still ends of links"):
        net.remove_features("junctions", ["J1"])
    removed = net.remove_features("junctions", ["J9"])
    assert removed["id"].tolist() == ["J9"]
    with pytest.raises(UnknownFeatureError):
        net.remove_features("junctions", ["J9"])


def test_spatial_nearest_prefers_points_and_respects_tolerance():
    net = make_network(
        [("A", "junctions", 0, 0), ("B", "junctions", 100, 0), ("C", "junctions", 101, 0)],
        [("P1", "pipes", "A", "B"), ("V1", "valves", "B", "C")],
    )
    ox, oy = 41_405_000.0, 3_320_000.0
    assert net.spatial.nearest(ox + 50, oy + 3, 5).feature_id == "P1"
    assert net.spatial.nearest(ox + 50, oy + 30, 5) is None
    assert net.spatial.nearest(ox + 100.5, oy + 0.4, 5).layer == "valves"
    rows = net.spatial.query_box("pipes", (ox + 10, oy - 1, ox + 20, oy + 1))
    assert rows.tolist() == [0]


def test_frames_in_another_crs_are_relabelled_not_rejected_and_extra_dtypes_survive():
    import pandas as pd

    frame = gpd.GeoDataFrame(
        {
            "id": ["J1", "J2"],
            "asset_tag": pd.array([7, None], dtype="Int64"),
            "zone": pd.Categorical(["north", "south"]),
        },
        geometry=[shapely.Point(0, 0), shapely.Point(1, 1)],
        crs=4326,
    )
    net = GasNetwork({"junctions": frame}, crs=4529)
    assert net["junctions"].crs.to_epsg() == 4529
    assert str(net["junctions"]["asset_tag"].dtype) == "Int64"
    assert str(net["junctions"]["zone"].dtype) == "category"
    empty_crs = GasNetwork({"junctions": frame}, crs=None)
    assert empty_crs["junctions"].crs is None
