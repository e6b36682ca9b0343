"""The streamed GeoPackage reader gives the frames pyogrio's ``read_dataframe`` gives (in less memory)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from console.io import write_network
from console.io._gpkg import _read_layer


@pytest.mark.parametrize("layer", ["junctions", "pipes", "valves"])
def test_geopackage_layers_read_as_pyogrio_reads_them(small_network, tmp_path, layer):
    path = write_network(small_network, tmp_path / "net.gpkg")
    ours, theirs = _read_layer(path, layer), pyogrio.read_dataframe(path, layer=layer, use_arrow=True)
    pd.testing.assert_frame_equal(
        pd.DataFrame(ours.drop(columns="geometry")), pd.DataFrame(theirs.drop(columns="geometry"))
    )
    assert ours.crs == theirs.crs
    assert shapely.equals_exact(np.asarray(ours.geometry.array), np.asarray(theirs.geometry.array), 0).all()
