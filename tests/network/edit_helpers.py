"""Exact network comparison for the edit tests (independent of the change-set diff)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from console.network import LAYERS


def assert_same_network(a, b, *, ordered: bool = True) -> None:
    """Every layer equal: columns, dtypes, values (NaN equal NaN) and geometries as WKB bytes.

    ``ordered=False`` compares the layers sorted by id (row order is not a property of a GIS layer).
    """
    for layer in LAYERS:
        fa, fb = a[layer], b[layer]
        if not ordered:
            fa = fa.sort_values("id", kind="stable").reset_index(drop=True)
            fb = fb.sort_values("id", kind="stable").reset_index(drop=True)
        assert list(fa.columns) == list(fb.columns), layer
        assert len(fa) == len(fb), (layer, len(fa), len(fb))
        pd.testing.assert_frame_equal(
            pd.DataFrame(fa.drop(columns="geometry")),
            pd.DataFrame(fb.drop(columns="geometry")),
            check_exact=True,
            obj=layer,
        )
        wa = shapely.to_wkb(np.asarray(fa.geometry.array, dtype=object))
        wb = shapely.to_wkb(np.asarray(fb.geometry.array, dtype=object))
        bad = np.flatnonzero(wa != wb)
        assert not len(bad), (layer, fa["id"].iloc[bad[:3]].tolist())
