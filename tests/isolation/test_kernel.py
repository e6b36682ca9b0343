"""The segmentation kernel on tiny graphs worked out by hand, in both valve conventions."""

import numpy as np
import pytest

from console.isolation import label_segments, segments_from_valve_pairs


def partition(labels):
    """Segments as a set of frozensets of ("N", i) / ("L", j), independent of the numbering."""
    return {
        frozenset({("N", int(n)) for n in nodes} | {("L", int(k)) for k in links}) for nodes, links in labels.members()
    }


def test_excluded_links_split_and_belong_to_no_segment():
    # 0 -a- 1 =V= 2 -b- 3, and an isolated node 4
    lab = label_segments(5, np.array([0, 1, 2]), np.array([1, 2, 3]), exclude=np.array([False, True, False]))
    assert lab.n_segments == 3
    assert lab.link_segment[1] == -1
    assert partition(lab) == {
        frozenset({("N", 0), ("N", 1), ("L", 0)}),
        frozenset({("N", 2), ("N", 3), ("L", 2)}),
        frozenset({("N", 4)}),
    }


def test_unknown_link_end_joins_nothing():
    lab = label_segments(2, np.array([0, -1]), np.array([1, 1]))
    assert lab.node_segment[0] == lab.node_segment[1] == lab.link_segment[0] == lab.link_segment[1]


def test_valve_pairs_wntr_convention():
    # links: L0 = 0-1, L1 = 1-2, L2 = 2-3; valves: (L1 next to node 1), (L2 next to 2), (L2 next to 3)
    lab = segments_from_valve_pairs(
        4, np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([1, 2, 2]), np.array([1, 2, 3])
    )
    assert partition(lab) == {
        frozenset({("N", 0), ("N", 1), ("L", 0)}),
        frozenset({("N", 2), ("L", 1)}),  # L1 stays with its unvalved end
        frozenset({("L", 2)}),  # valved at both ends: a segment of its own
        frozenset({("N", 3)}),
    }


def test_node_surrounded_by_valves_is_its_own_segment():
    # star around node 0 with a valve on every link next to node 0
    lab = segments_from_valve_pairs(
        4, np.array([0, 0, 0]), np.array([1, 2, 3]), np.array([0, 1, 2]), np.array([0, 0, 0])
    )
    assert frozenset({("N", 0)}) in partition(lab)
    assert lab.n_segments == 4


def test_valve_node_must_be_an_end_of_its_link():
    with pytest.raises(ValueError, match="node 3 is not an end of link 0"):
        segments_from_valve_pairs(4, np.array([0]), np.array([1]), np.array([0]), np.array([3]))
    with pytest.raises(ValueError, match="names link 5"):
        segments_from_valve_pairs(2, np.array([0]), np.array([1]), np.array([5]), np.array([0]))
