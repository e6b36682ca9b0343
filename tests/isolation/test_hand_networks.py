"""Shut-off answers worked out by hand on small drawn networks (see nets.py for how paths become networks).

Pipes are 100 m of DN110 PE (inner diameter 90 mm, class MP-A) unless said otherwise; segment names in the comments
are the node sets, e.g. {J2 P2 J3}.
"""

import math

import pytest

from console.isolation import IsolationRequest, isolate, reanalyse, valve_segments
from tests.isolation.nets import path_network

VOLUME_100M = math.pi / 4 * 0.09**2 * 100  # m³ in 100 m of 90 mm bore
MPA_FACTOR = (0.3 + 0.101325) / 0.101325  # MP-A at its typical 0.3 MPa, in Nm³ per m³
LP_FACTOR = (0.003 + 0.101325) / 0.101325


def seg_of(net, node_id):
    topo = net.topology
    return int(valve_segments(net).node_segment[topo.node_index([node_id])[0]])


def ids(customers):
    return [c.feature_id for c in customers]


# -- a loop --------------------------------------------------------------------------------------------------------
@pytest.fixture
def loop():
    # G -P0- A -P1- B =VB= B2 -P2- Q =VC= Q2 -P3- back to A: the ring is fed from A both ways.
    return path_network(
        ["G", "P0", "A", "P1", "B", "VB", "B2", "P2", "Q", "VC", "Q2", "P3", "A"],
        ["B2", "P4", "C1"],
        ["A", "P5", "C9"],
    )


def test_loop_break_needs_both_ring_valves(loop):
    r = isolate(loop, IsolationRequest.at_pipe("P2"))
    assert sorted(r.valves_to_close) == ["VB", "VC"]  # gas comes round the ring from both sides
    assert r.optional_valves == ()
    assert r.cut_off_segments == ()
    assert ids(r.impact.customers) == ["C1"]
    assert sorted(r.isolated_pipe_ids) == ["P2", "P4"]


def test_loop_break_at_the_feed_stops_the_station_and_cuts_off_the_ring(loop):
    r = isolate(loop, IsolationRequest.at_pipe("P1"))
    assert [(s.action, s.feature_id, s.required) for s in r.plan][0] == ("stop_source", "G", True)
    assert r.valves_to_close == ()
    assert sorted(r.optional_valves) == ["VB", "VC"]
    assert r.cut_off_segments == (seg_of(loop, "B2"),)
    assert sorted(ids(r.impact.customers)) == ["C1", "C9"]


# -- a chain of valves ---------------------------------------------------------------------------------------------
@pytest.fixture
def chain():
    # {G P1 J1} =V1= {J2 P2 J3} =V2= {J4 P3 J5 P5 C5} =V3= {J6 P4 E P6 C6}
    return path_network(
        ["G", "P1", "J1", "V1", "J2", "P2", "J3", "V2", "J4", "P3", "J5", "V3", "J6", "P4", "E"],
        ["J5", "P5", "C5"],
        ["J6", "P6", "C6"],
        nodes={"C5": (500, 50), "C6": (600, 50)},
        attrs={"V1": {"remote_controlled": True}},
        sensors=[
            ("S-P3", "pressure", "P3", 450, 0),
            ("S-V1", "valve_position", "V1", 150, 0),
            ("S-G", "flow", "G", 0, 0),
        ],
    )


def test_chain_closes_the_upstream_valve_and_lists_the_next_as_optional(chain):
    r = isolate(chain, IsolationRequest.at_pipe("P2", 0.5))
    assert r.valves_to_close == ("V1",)
    assert r.optional_valves == ("V2",)  # V3 is not on the boundary of the shut-off region
    assert [s.order for s in r.plan] == [1, 2]
    v1, v2 = r.plan
    assert v1.distance_m == pytest.approx(50.0) and v2.distance_m == pytest.approx(50.0)
    assert v1.remote_controlled and v1.sensor_ids == ("S-V1",)
    assert v1.upstream_hops == 0 and v2.upstream_hops is None
    assert set(r.cut_off_segments) == {seg_of(chain, "J4"), seg_of(chain, "J6")}
    assert r.isolated_pipe_ids == ("P2",)
    assert sorted(r.cut_off_pipe_ids) == ["P3", "P4", "P5", "P6"]
    assert sorted(ids(r.impact.customers)) == ["C5", "C6"]
    assert {c.role for c in r.impact.customers} == {"cut_off"}
    imp = r.impact
    assert imp.isolated_pipe_length_m == pytest.approx(100.0)
    assert imp.cut_off_pipe_length_m == pytest.approx(300.0)  # P3, P4 100 m; P5, P6 50 m
    assert imp.isolated_internal_volume_m3 == pytest.approx(VOLUME_100M)
    assert imp.isolated_gas_volume_nm3 == pytest.approx(VOLUME_100M * MPA_FACTOR)
    assert imp.cut_off_gas_volume_nm3 == pytest.approx(3 * VOLUME_100M * MPA_FACTOR)
    assert imp.sensor_ids == ("S-P3",)  # S-V1 sits on a boundary valve, S-G on the supplied side


def test_operating_pressure_can_be_set_per_class(chain):
    r = isolate(chain, IsolationRequest.at_pipe("P2", operating_pressure_mpa={"MP-A": 0.2}))
    assert r.impact.isolated_gas_volume_nm3 == pytest.approx(VOLUME_100M * (0.2 + 0.101325) / 0.101325)
    assert r.impact.operating_pressure_mpa["MP-A"] == 0.2


def test_break_at_a_node_or_a_valve(chain):
    at_node = isolate(chain, IsolationRequest.at_node("J3"))
    assert at_node.break_segments == (seg_of(chain, "J2"),)
    assert at_node.valves_to_close == ("V1",)
    at_valve = isolate(chain, IsolationRequest.at_node("V2"))  # a leaking valve: both of its sides
    assert set(at_valve.break_segments) == {seg_of(chain, "J2"), seg_of(chain, "J4")}
    assert at_valve.valves_to_close == ("V1",)
    assert at_valve.optional_valves == ("V3",)


def test_several_breaks_in_one_request(chain):
    from console.isolation import Break

    r = isolate(chain, IsolationRequest((Break("P2", 0.5), Break("P4", 0.1))))
    assert set(r.isolated_segments) == {seg_of(chain, "J2"), seg_of(chain, "J6")}
    assert r.valves_to_close == ("V1",)
    assert sorted(r.optional_valves) == ["V2", "V3"]
    assert r.cut_off_segments == (seg_of(chain, "J4"),)
    assert [p[0] for p in r.break_points] == ["P2", "P4"]


# -- a closed valve ------------------------------------------------------------------------------------------------
def test_normally_closed_valve_is_a_barrier_not_a_valve_to_close():
    # {G P1 A} =V1= {B P2 C} |VX closed| {D P3 G2}: the second station does not feed across VX
    net = path_network(
        ["G", "P1", "A", "V1", "B", "P2", "C", "VX", "D", "P3", "G2"], attrs={"VX": {"normal_position": "closed"}}
    )
    r = isolate(net, IsolationRequest.at_pipe("P2"))
    assert r.valves_to_close == ("V1",)
    assert r.optional_valves == ()
    assert r.already_closed == ("VX",)
    assert r.cut_off_segments == ()


def test_segment_behind_a_closed_valve_was_never_supplied():
    net = path_network(
        ["G", "P1", "A", "V1", "B", "P2", "C", "VX", "D", "P3", "E"],
        ["D", "P4", "C4"],
        attrs={"VX": {"normal_position": "closed"}},
    )
    r = isolate(net, IsolationRequest.at_pipe("P2"))
    assert r.valves_to_close == ("V1",)
    assert r.impact.customers == ()  # C4 had no gas before the incident: not lost by it
    behind = isolate(net, IsolationRequest.at_pipe("P3"))
    assert behind.plan == ()
    assert any("no path to a source even before" in w for w in behind.warnings)


# -- inoperable valves ---------------------------------------------------------------------------------------------
def inoperable_net(v1_attrs):
    # {G P0 A} =V0= {A2 P1 A3} =V1= {B P2 C} =V2= {D P3 E}
    return path_network(
        ["G", "P0", "A", "V0", "A2", "P1", "A3", "V1", "B", "P2", "C", "V2", "D", "P3", "E"], attrs={"V1": v1_attrs}
    )


@pytest.mark.parametrize(
    ("attrs", "inoperable", "reason"),
    [
        ({"operable": False}, (), "not operable (attribute)"),
        ({"accessible": False}, (), "not accessible (attribute)"),
        ({}, ("V1",), "reported failed in this incident"),
    ],
)
def test_inoperable_valve_is_passed_to_the_next_ring(attrs, inoperable, reason):
    net = inoperable_net(attrs)
    r = isolate(net, IsolationRequest.at_pipe("P2", inoperable=inoperable))
    assert r.valves_to_close == ("V0",)
    assert r.optional_valves == ("V2",)
    assert r.skipped_valves == ("V1",)
    assert reason in r.skipped[0].reason
    assert r.skipped[0].passed_to_segment == seg_of(net, "A2")
    assert set(r.isolated_segments) == {seg_of(net, "A2"), seg_of(net, "B")}
    assert sorted(r.isolated_pipe_ids) == ["P1", "P2"]


def test_what_if_a_valve_fails_reanalysis():
    net = inoperable_net({})
    first = isolate(net, IsolationRequest.at_pipe("P2"))
    assert first.valves_to_close == ("V1",)
    again = reanalyse(net, first, ["V1"])
    assert again.valves_to_close == ("V0",)
    assert again.request.inoperable == ("V1",)
    worse = reanalyse(net, again, ["V0"])  # the next ring fails too: the station itself is inside
    assert [(s.action, s.feature_id) for s in worse.required_steps] == [("stop_source", "G")]
    assert worse.skipped_valves == ("V1", "V0")  # ring by ring, outwards from the break


def test_failed_valve_off_the_boundary_is_reported_as_irrelevant():
    r = isolate(inoperable_net({}), IsolationRequest.at_pipe("P2", inoperable=("V0",)))
    assert r.valves_to_close == ("V1",)
    assert any("V0 is not on the isolation boundary" in w for w in r.warnings)


# -- two gate stations and the closing order -----------------------------------------------------------------------
@pytest.fixture
def two_stations():
    # {G1 P1 A} =V1= {B P2 C} =V2= {D P3 E} =V3= {F P4 G2}
    return path_network(["G1", "P1", "A", "V1", "B", "P2", "C", "V2", "D", "P3", "E", "V3", "F", "P4", "G2"])


def test_two_stations_feed_the_break_from_both_sides(two_stations):
    near_b = isolate(two_stations, IsolationRequest.at_pipe("P2", 0.2))
    assert near_b.valves_to_close == ("V1", "V2")  # V1 is a station's own segment (0 hops); V2 one valve further
    assert [s.upstream_hops for s in near_b.required_steps] == [0, 1]
    assert near_b.cut_off_segments == ()


def test_upstream_first_and_nearest_first_orders(two_stations):
    up = isolate(two_stations, IsolationRequest.at_pipe("P2", 0.9))
    near = isolate(two_stations, IsolationRequest.at_pipe("P2", 0.9, order="nearest_first"))
    assert up.valves_to_close == ("V1", "V2")  # V1's side is a station segment: it carries the most direct feed
    assert near.valves_to_close == ("V2", "V1")  # V2 is 10 m from the break, V1 90 m
    assert [s.distance_m for s in near.required_steps] == [pytest.approx(10.0), pytest.approx(90.0)]
    assert up.order_rule == "upstream_first" and "upstream first" in up.order_reason
    assert near.order_rule == "nearest_first"


def test_distance_ties_break_upstream_ties():
    # two stations, each one valve from the break segment: equal hops, so the nearer valve comes first
    net = path_network(["G1", "P1", "A", "V1", "B", "P2", "C", "V2", "D", "P3", "G2"])
    assert isolate(net, IsolationRequest.at_pipe("P2", 0.2)).valves_to_close == ("V1", "V2")
    assert isolate(net, IsolationRequest.at_pipe("P2", 0.8)).valves_to_close == ("V2", "V1")


def test_break_in_a_station_segment_with_a_second_station(two_stations):
    r = isolate(two_stations, IsolationRequest.at_pipe("P1"))
    assert [(s.action, s.feature_id, s.required) for s in r.plan] == [
        ("stop_source", "G1", True),
        ("close_valve", "V1", True),  # G2 still feeds the far side
    ]


# -- LP behind a regulator -----------------------------------------------------------------------------------------
@pytest.fixture
def lp_network():
    # MP {G P1 A} =V1= MP {B P2 C} >R1> LP {D P3 E P5 C1} =V3= LP {F P4 H P6 C2}
    lp = {"pressure_class": "LP"}
    return path_network(
        ["G", "P1", "A", "V1", "B", "P2", "C", "R1", "D", "P3", "E", "V3", "F", "P4", "H"],
        ["E", "P5", "C1"],
        ["H", "P6", "C2"],
        nodes={"C1": (500, 50), "C2": (700, 50)},
        attrs={
            "P3": lp,
            "P4": lp,
            "P5": lp,
            "P6": lp,
            "C1": {"category": "residential", "households": 40, "peak_demand_nm3h": 20.0},
            "C2": {"category": "special", "special_kind": "hospital", "name": "第一人民医院", "peak_demand_nm3h": 35.0},
        },
    )


def test_lp_network_loses_gas_when_its_mp_feed_is_isolated(lp_network):
    r = isolate(lp_network, IsolationRequest.at_pipe("P2"))
    assert r.valves_to_close == ("V1",)
    assert r.optional_valves == ()  # the regulator cannot let the LP line pack back to the break
    assert set(r.cut_off_segments) == {seg_of(lp_network, "D"), seg_of(lp_network, "F")}
    imp = r.impact
    assert ids(imp.customers) == ["C2", "C1"]  # special users first
    assert ids(imp.special_users) == ["C2"]
    assert imp.special_users[0].name == "第一人民医院"
    assert imp.customers_by_category == {"residential": 1, "commercial": 0, "industrial": 0, "special": 1}
    assert imp.households == 40
    assert imp.peak_demand_nm3h == pytest.approx(55.0)
    assert imp.cut_off_gas_volume_nm3 == pytest.approx(3 * VOLUME_100M * LP_FACTOR)  # P3, P4 and 2 × 50 m


def test_break_on_lp_side_shuts_the_regulator(lp_network):
    r = isolate(lp_network, IsolationRequest.at_pipe("P3"))
    assert [(s.action, s.feature_id, s.required) for s in r.plan] == [
        ("shut_regulator", "R1", True),
        ("close_valve", "V3", False),
    ]
    assert r.plan[0].supply_segment == seg_of(lp_network, "B")
    assert ids(r.impact.customers) == ["C2", "C1"]


def test_failed_regulator_moves_the_isolation_to_its_inlet_side(lp_network):
    r = isolate(lp_network, IsolationRequest.at_pipe("P3", inoperable=("R1",)))
    assert r.valves_to_close == ("V1",)
    assert r.skipped_valves == ("R1",)
    assert "regulator" in r.skipped[0].reason
    assert set(r.isolated_segments) == {seg_of(lp_network, "B"), seg_of(lp_network, "D")}


# -- a break next to a source --------------------------------------------------------------------------------------
def test_break_next_to_a_gate_station_stops_the_station():
    net = path_network(["G", "P1", "A", "V1", "B", "P2", "C1"])
    r = isolate(net, IsolationRequest.at_pipe("P1", 0.1))
    assert [(s.action, s.feature_id, s.required) for s in r.plan] == [
        ("stop_source", "G", True),
        ("close_valve", "V1", False),
    ]
    assert r.plan[0].distance_m == pytest.approx(10.0)
    assert r.cut_off_segments == (seg_of(net, "B"),)
    assert ids(r.impact.customers) == ["C1"]


def test_break_next_to_a_station_outlet_valve():
    net = path_network(["G", "V0", "A", "P1", "B", "V1", "C", "P2", "C1"])
    r = isolate(net, IsolationRequest.at_pipe("P1", 0.1))
    assert r.valves_to_close == ("V0",)
    assert r.plan[0].upstream_hops == 0
    assert r.optional_valves == ("V1",)


def test_configured_sources_replace_the_gate_stations():
    # an LNG station drawn as junction L at the far end keeps the tail supplied
    net = path_network(["G", "P1", "A", "V1", "B", "P2", "C", "V2", "D", "P3", "L"])
    default = isolate(net, IsolationRequest.at_pipe("P2"))
    assert default.valves_to_close == ("V1",) and default.optional_valves == ("V2",)
    both = isolate(net, IsolationRequest.at_pipe("P2", sources=("G", "L")))
    assert both.valves_to_close == ("V1", "V2")
    regulator_fed = path_network(["A", "R1", "B", "P1", "C", "V1", "D", "P2", "E"])
    r = isolate(regulator_fed, IsolationRequest.at_pipe("P2", sources=("R1",)))
    assert r.valves_to_close == ("V1",)


def test_segments_are_cached_per_version_and_rebuilt_after_an_edit(chain):
    first = valve_segments(chain)
    assert valve_segments(chain) is first
    assert isolate(chain, IsolationRequest.at_pipe("P2")).valves_to_close == ("V1",)
    row = int(chain["valves"].index[chain["valves"]["id"] == "V2"][0])
    chain.set_values("valves", [row], "normal_position", "closed")
    assert valve_segments(chain) is not first
    r = isolate(chain, IsolationRequest.at_pipe("P2"))
    assert r.optional_valves == () and r.already_closed == ("V2",)
