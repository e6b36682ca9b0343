"""Property tests on random networks, checked against a plain node-level breadth-first search (no segments).

The reference walks the drawn network itself: pipes in service and normally-open valves pass gas both ways,
regulators inlet → outlet only, gate stations are the sources. Carrying out a plan means closing its valves,
shutting its regulators and stopping its stations.
"""

from collections import defaultdict, deque

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.isolation import Break, IsolationRequest, isolate
from tests.builders import make_network

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INCIDENTS_PER_NETWORK = 4


@st.composite
def incidents(draw):
    n = draw(st.integers(3, 14))
    edges = [(draw(st.integers(0, i - 1)), i) for i in range(1, n)]  # a random tree keeps most of it connected …
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4))
    edges += [(a, b) for a, b in extra if a != b]  # … and a few extra links make loops
    kinds = [draw(st.sampled_from(["pipe", "pipe", "pipe", "valve", "valve", "regulator"])) for _ in edges]
    gates = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=2))
    customers = draw(st.sets(st.integers(0, n - 1), max_size=n)) - gates
    links = []
    for k, ((a, b), kind) in enumerate(zip(edges, kinds, strict=True)):
        if draw(st.booleans()):
            a, b = b, a
        attrs = {}
        if kind == "valve":
            attrs = {
                "normal_position": draw(st.sampled_from(["open"] * 5 + ["closed"])),
                "operable": draw(st.sampled_from([True] * 5 + [False])),
                "accessible": draw(st.sampled_from([True] * 7 + [False])),
            }
        if kind == "pipe" and draw(st.integers(0, 9)) == 0:
            attrs = {"status": "abandoned"}
        links.append((f"{kind[0].upper()}{k}", kind, f"N{a}", f"N{b}", attrs))
    in_service = [lk[0] for lk in links if lk[1] == "pipe" and not lk[4]]
    valves = [lk[0] for lk in links if lk[1] == "valve"]
    spots = [("pipe", p) for p in in_service] + [("node", f"N{i}") for i in range(n)]
    requests = []
    for _ in range(INCIDENTS_PER_NETWORK):  # building a GasNetwork costs far more than a query: ask it several
        picks = draw(st.lists(st.sampled_from(spots), min_size=1, max_size=2, unique=True))
        breaks = tuple(Break(fid, draw(st.floats(0, 1))) if kind == "pipe" else Break(fid) for kind, fid in picks)
        failed = tuple(draw(st.sets(st.sampled_from(valves), max_size=2))) if valves and draw(st.booleans()) else ()
        order = draw(st.sampled_from(["upstream_first", "nearest_first"]))
        requests.append(IsolationRequest(breaks, inoperable=failed, order=order))
    layer = {"pipe": "pipes", "valve": "valves", "regulator": "regulators"}
    nodes = [
        (
            f"N{i}",
            "gate_stations" if i in gates else "customers" if i in customers else "junctions",
            i % 4 * 100.0,
            i // 4 * 100.0,
        )
        for i in range(n)
    ]
    net = make_network(nodes, [(lid, layer[kind], a, b, attrs) for lid, kind, a, b, attrs in links])
    model = {"links": links, "gates": {f"N{i}" for i in gates}, "customers": {f"N{i}" for i in customers}}
    return [(net, model, request) for request in requests]


def reachable(model, steps=()):
    """Nodes that gas reaches from the sources once ``steps`` (ClosingSteps) are carried out."""
    done = {s.feature_id for s in steps}
    adj = defaultdict(list)
    for lid, kind, a, b, attrs in model["links"]:
        if lid in done:
            continue
        if kind == "pipe" and attrs.get("status", "in_service") == "in_service":
            adj[a].append(b)
            adj[b].append(a)
        elif kind == "valve" and attrs.get("normal_position", "open") == "open":
            adj[a].append(b)
            adj[b].append(a)
        elif kind == "regulator":
            adj[a].append(b)
    seen = {g for g in model["gates"] if g not in done}
    queue = deque(seen)
    while queue:
        for nxt in adj[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def break_nodes(model, request):
    ends = {lid: (a, b) for lid, _, a, b, _ in model["links"]}
    return {n for b in request.breaks for n in ends.get(b.feature_id, (b.feature_id,))}


def pipe_nodes(model, pipe_ids):
    ends = {lid: (a, b) for lid, _, a, b, _ in model["links"]}
    return {n for p in pipe_ids for n in ends[p]}


def cannot_turn(model, request):
    bad = set(request.inoperable)
    for lid, kind, _, _, attrs in model["links"]:
        if kind == "valve" and (attrs.get("operable") is False or attrs.get("accessible") is False):
            bad.add(lid)
    return bad


@SETTINGS
@given(incidents())
def test_with_the_listed_valves_closed_no_isolated_pipe_reaches_a_source(cases):
    for net, model, request in cases:
        result = isolate(net, request)
        after = reachable(model, result.required_steps)
        assert not (pipe_nodes(model, result.isolated_pipe_ids) | break_nodes(model, request)) & after
        assert not {s.feature_id for s in result.plan} & cannot_turn(model, request)  # nothing in the plan is stuck
        assert {b.feature_id for b in request.breaks if b.feature_id.startswith("P")} <= set(result.isolated_pipe_ids)


@SETTINGS
@given(incidents())
def test_every_listed_valve_is_necessary(cases):
    for net, model, request in cases:
        result = isolate(net, request)
        required = result.required_steps
        for step in required:
            others = [s for s in required if s is not step]
            assert break_nodes(model, request) & reachable(model, others), f"{step.feature_id} is not needed"


@SETTINGS
@given(incidents())
def test_customers_lost_are_exactly_those_without_a_path_to_a_source(cases):
    for net, model, request in cases:
        result = isolate(net, request)
        before = reachable(model)
        lost = {c.feature_id for c in result.impact.customers}
        for steps in (result.required_steps, result.plan):  # the optional valves change nothing for customers
            after = reachable(model, steps)
            assert lost == (model["customers"] & before) - after
        assert not pipe_nodes(model, result.cut_off_pipe_ids) & reachable(model, result.required_steps)
