"""Fixtures for the file-format tests: a small network with a few features in every layer.

The network sits in CGCS2000 / 3-degree Gauss-Krüger zone 41 (EPSG:4529, eastings prefixed with the zone number),
carries Chinese names, NaN and non-NaN floats, booleans of both values, code lists and extra non-schema columns of
every kind a utility's GIS holds (text with a null, float with NaN, integer, boolean, category, timestamp).
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from console.network import GasNetwork
from tests.reference import shared_data

E0, N0 = 41_400_000.0, 3_320_000.0
GASLIB_DIR = shared_data("gaslib")


def _points(xy: list[tuple[float, float]]) -> gpd.GeoSeries:
    return gpd.GeoSeries(shapely.points(np.asarray(xy) + (E0, N0)))


def _line(*xy: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString(np.asarray(xy) + (E0, N0))


def build_small_network() -> GasNetwork:
    """Nine nodes, seven pipes, two valves, a regulator, a short pipe and two sensors (all connected)."""
    xy = {
        "G1": (0.0, 0.0),
        "J1": (120.5, 0.25),
        "J2": (240.125, 10.0),
        "J3": (240.0, 150.0),
        "J4": (400.0, 10.0),
        "J5": (400.0, 160.0),
        "C1": (240.0, 300.0),
        "C2": (520.0, 10.0),
        "R1": (400.0, 300.0),
        "E1": (520.0, 160.0),
    }
    layers = {
        "gate_stations": gpd.GeoDataFrame(
            {"id": ["G1"], "name": ["城东门站"], "elevation_m": [3.5], "supply_pressure_mpa": [0.4]},
            geometry=_points([xy["G1"]]),
        ),
        "junctions": gpd.GeoDataFrame(
            {
                "id": ["J1", "J2", "J3", "J4", "J5"],
                "name": ["解放路口", "", "Jiefang Rd/人民路", "J4", "泵房旁"],
                "elevation_m": [4.0, np.nan, 5.25, 6.0, 6.5],
                "zone": pd.Categorical(["东区", "东区", "西区", "西区", "东区"], categories=["西区", "东区"]),
            },
            geometry=_points([xy[k] for k in ("J1", "J2", "J3", "J4", "J5")]),
        ),
        "customers": gpd.GeoDataFrame(
            {
                "id": ["C1", "C2"],
                "name": ["幸福小区", "市第一人民医院"],
                "category": ["residential", "special"],
                "special_kind": ["", "hospital"],
                "households": [480, 0],
                "peak_demand_nm3h": [96.0, 35.5],
                "meter_id": ["M-0001", "M-0002"],
            },
            geometry=_points([xy["C1"], xy["C2"]]),
        ),
        "risers": gpd.GeoDataFrame({"id": ["R1"], "name": ["3号楼立管"], "floors": [18]}, geometry=_points([xy["R1"]])),
        "end_caps": gpd.GeoDataFrame({"id": ["E1"], "name": [""]}, geometry=_points([xy["E1"]])),
        "pipes": gpd.GeoDataFrame(
            {
                "id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
                "from_node": ["G1", "J1", "J2", "J3", "J5", "J4", "J5"],
                "to_node": ["J1", "J2", "J3", "C1", "R1", "C2", "E1"],
                "length_m": [120.5, 120.0, 140.0, 150.0, 140.0, 120.0, 120.0],
                "dn": [300, 200, 160, 110, 63, 110, 63],
                "inner_diameter_mm": [303.2, 204.6, 130.8, 90.0, 51.4, 90.0, 51.4],
                "material": ["steel", "steel", "PE100", "PE100", "PE80", "PE100", "PE80"],
                "pressure_class": ["SHP-B", "SHP-B", "MP-A", "MP-A", "LP", "MP-A", "LP"],
                "roughness_mm": [0.05, 0.05, 0.007, 0.007, 0.007, 0.007, 0.007],
                "install_year": [1998, 2004, 2015, 2015, 2020, 2016, 2020],
                "depth_m": [1.2, np.nan, 0.9, np.nan, 0.8, 1.0, np.nan],
                "status": [
                    "in_service",
                    "in_service",
                    "in_service",
                    "planned",
                    "in_service",
                    "in_service",
                    "abandoned",
                ],
                "owner": ["城投燃气", None, "城投燃气", "物业", "物业", "城投燃气", "物业"],
                "risk_score": [0.25, np.nan, 1.5, 0.0, np.nan, 2.0, 0.125],
                "inspections": np.array([3, 0, 1, 2, 0, 5, 7], dtype="int64"),
                "leak_history": [True, False, False, True, False, False, True],
                "last_patrol": pd.to_datetime(
                    ["2024-05-01 08:30", None, "2023-11-20 14:00", "2024-01-02 00:00", None, "2022-07-07 07:07", None]
                ).astype("datetime64[ms]"),
            },
            geometry=gpd.GeoSeries(
                [
                    _line(xy["G1"], xy["J1"]),
                    _line(xy["J1"], (180.0, 5.0), xy["J2"]),
                    _line(xy["J2"], xy["J3"]),
                    _line(xy["J3"], xy["C1"]),
                    _line(xy["J5"], xy["R1"]),
                    _line(xy["J4"], xy["C2"]),
                    _line(xy["J5"], xy["E1"]),
                ]
            ),
        ),
        "valves": gpd.GeoDataFrame(
            {
                "id": ["V1", "V2"],
                "from_node": ["J2", "J3"],
                "to_node": ["J4", "J5"],
                "normal_position": ["open", "closed"],
                "operable": [True, False],
                "accessible": [False, True],
                "valve_type": ["ball", "emergency_shutoff"],
                "dn": [200, 160],
                "remote_controlled": [True, False],
            },
            geometry=_points([(320.0, 10.0), (320.0, 155.0)]),
        ),
        "regulators": gpd.GeoDataFrame(
            {
                "id": ["RG1"],
                "from_node": ["J1"],
                "to_node": ["J2"],
                "name": ["解放路调压箱"],
                "kind": ["box"],
                "inlet_class": ["SHP-B"],
                "outlet_class": ["MP-A"],
                "set_outlet_pressure_mpa": [0.3],
                "capacity_nm3h": [np.nan],
            },
            geometry=_points([(180.0, 5.0)]),
        ),
        "links": gpd.GeoDataFrame(
            {"id": ["L1"], "from_node": ["J3"], "to_node": ["J5"], "kind": ["short_pipe"], "name": ["跨接"]},
            geometry=gpd.GeoSeries([_line(xy["J3"], xy["J5"])]),
        ),
        "sensors": gpd.GeoDataFrame(
            {
                "id": ["S1", "S2"],
                "kind": ["pressure", "methane"],
                "unit": ["kPa", "%LEL"],
                "feature_id": ["J2", "R1"],
                "name": ["解放路压力", "3号楼可燃气体"],
            },
            geometry=_points([xy["J2"], xy["R1"]]),
        ),
    }
    return GasNetwork(layers, "EPSG:4529", name="测试管网 small")


@pytest.fixture
def small_network() -> GasNetwork:
    return build_small_network()


@pytest.fixture(scope="session")
def gaslib_dir() -> Path:
    return GASLIB_DIR


@pytest.fixture(scope="session")
def wntr_networks() -> Path:
    import wntr

    return Path(os.path.dirname(wntr.__file__)) / "library" / "networks"
