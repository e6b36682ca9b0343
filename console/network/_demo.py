"""A seeded demo district (演示片区): the gas network of a Zhoushan-style island town, for demos and benchmarks.

:func:`generate_demo` lays a complete city gas network on the streets of :mod:`console.network._demo_streets`:

* one gate station (门站) on the coast delivers 0.4 MPa into a medium-pressure MP-A system (the SHP/HP transmission
  line upstream of the station is outside the district and not modelled); from :data:`CITY_SCALE_PIPES` up the
  district is a city: several gate stations on the coast deliver 1.5 MPa into a sub-high pressure ring (次高压A,
  SHP-A, steel) through the district stations (高中压调压站, one per ~60,000 pipes at the load centres), each of
  which feeds the MP-A mains around it at 0.4 MPa;
* MP-A mains (中压A) run along the streets as the shortest-path tree from the gate station to every regulator and
  factory, closed into a few rings, offset 4 m to the left of the street centre line so that they never lie on the
  low-pressure main of the same street;
* regulator stations (调压站, in the old town) and many regulator boxes (调压箱) each feed their own low-pressure
  area (低压, ~2.5 kPa): the street graph is split among the regulators by graph distance, and no LP pipe crosses from
  one area to another, so pressure systems meet only at regulators;
* LP mains along every street of an area carry service tees; service lines run to houses, shops, restaurants and
  special users (hospitals, schools, care homes, kindergartens), or to the risers (立管) of apartment blocks; a few
  factories take gas from the MP mains on their own service line and regulator box (专用调压箱);
* every pipe is sized for the design peak hour (:mod:`~console.network._demo_sizing`): at peak demand × the
  simultaneity factors (the simulator's ``demand_factor`` 1.0) each customer stays above the minimum service
  pressure of its class, LP areas within ~1 kPa of their regulator's set point, and every regulator within rating;
* valves (阀门) at MP branch junctions, every ~800 m along the mains, at every regulator inlet and LP area entry, on
  some LP branches and at block and special-user entries; a few MP ring tie valves are normally closed;
* end caps (管帽) at dead ends, terrain elevations, pipe ages and materials by quarter (cast iron in the old town, PE
  in new quarters), sensors at the gate station, at regulators, at far ends and in valve wells.

Everything is vectorised and seeded: the same ``(n_pipes, seed)`` gives the same network, and 1,000,000 pipes are
generated the same way as 30,000. The work is split by concern: :mod:`~console.network._demo_streets` (island, terrain,
towns, streets), :mod:`~console.network._demo_plan` (LP areas, gate station, factories, MP tree and rings),
:mod:`~console.network._demo_lay` (pipes and devices), :mod:`~console.network._demo_sizing` (diameters and ratings
from the design flow) and :mod:`~console.network._demo_draft` (code tables, names, the growing arrays and the layer
tables they become).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pyproj import Transformer

from console.errors import GasOpsError
from console.network._crs import CGCS2000_GEOGRAPHIC, cgcs2000_gk3_crs
from console.network._demo_draft import Draft, layer_tables
from console.network._demo_lay import lay_low_pressure, lay_mains_and_regulators
from console.network._demo_plan import make_plan
from console.network._demo_sizing import size_for_design_peak
from console.network._demo_streets import make_island, make_streets
from console.network._model import GasNetwork

__all__ = ["generate_demo"]

CENTRE_LONLAT = (122.22, 30.0)  # Zhoushan island, Zhejiang; CGCS2000 3-degree Gauss-Krüger zone 41

Progress = Callable[[float, str], None]
MIN_PIPES = 500
CITY_SCALE_PIPES = 150_000  # from here up one MP-A system from one gate station would need mains beyond DN800


class DemoSizeError(GasOpsError, ValueError):
    """The demo cannot be laid at the size asked for (a user error: one line, no traceback)."""


def generate_demo(
    n_pipes: int = 30_000,
    seed: int = 2026,
    *,
    name: str = "Zhoushan island demo district (舟山海岛演示片区)",
    progress: Progress | None = None,
) -> GasNetwork:
    """Generate a believable city gas district on a Zhoushan-style island, deterministic for ``(n_pipes, seed)``.

    Parameters
    ----------
    n_pipes
        Number of pipes wanted. Service tees absorb the difference between the mains laid and the target, so the
        result has exactly ``n_pipes`` pipes unless the streets run out of room for tees (not seen from 500 up). The
        island grows with the network (about 19 x 11 km at 30,000 pipes) so street density stays realistic.
    seed
        Seed of every random choice; the same arguments always give the same network.
    name
        Network name.
    progress
        Optional ``progress(fraction, message)`` callback, called a few times with fractions from 0 to 1.

    Returns
    -------
    GasNetwork
        In CGCS2000 / 3-degree Gauss-Krüger zone 41 (EPSG:4529), metres; one connected component.

    Examples
    --------
    >>> net = generate_demo(3000, seed=1)
    >>> len(net["pipes"]), net.topology.n_components, net.crs.to_epsg()
    (3000, 1, 4529)
    """
    if n_pipes < MIN_PIPES:
        raise DemoSizeError(
            f"the demo district needs at least {MIN_PIPES} pipes to lay a gate station, mains and LP areas "
            f"(asked for {n_pipes})"
        )
    report = progress or (lambda fraction, message: None)

    def rng(stage: int) -> np.random.Generator:  # one stream per stage: tuning one stage leaves the others alone
        return np.random.default_rng([seed, stage])

    crs = cgcs2000_gk3_crs(CENTRE_LONLAT[0])
    centre = Transformer.from_crs(CGCS2000_GEOGRAPHIC, crs, always_xy=True).transform(*CENTRE_LONLAT)
    report(0.0, "island and terrain")
    scale = float(np.sqrt(n_pipes / 30_000))
    island = make_island(rng(1), scale, centre)
    report(0.1, "street network")
    streets = make_streets(rng(2), island, max(60, round(n_pipes / 9.0)))
    report(0.25, "pressure areas and medium-pressure mains")
    # A city (from CITY_SCALE_PIPES up): gate stations on an SHP-A ring, one district station per ~60k pipes.
    n_districts = 0 if n_pipes < CITY_SCALE_PIPES else max(3, round(n_pipes / 60_000))
    plan = make_plan(rng(3), island, streets, n_districts, rng(7))
    report(0.4, "laying pipes")
    draft = Draft()
    lay_mains_and_regulators(rng(4), island, streets, plan, draft)
    lay_low_pressure(rng(5), island, streets, plan, draft, n_pipes)
    report(0.55, "sizing pipes for the design peak hour")
    size_for_design_peak(island, draft)
    report(0.6, "valves, end caps and sensors")
    draft.insert_valves()
    layers = layer_tables(rng(6), island, plan, draft)
    report(0.75, "building the network tables")
    net = GasNetwork(layers, crs, name, source=f"generate_demo(n_pipes={n_pipes}, seed={seed})")
    report(1.0, "done")
    return net
