"""Streets and addresses (街道与门牌) derived from a network's mains: a name per street, an address per customer.

A distribution network is laid along the streets (the demo district of :mod:`console.network._demo` lays its mains
and low-pressure pipes on the street graph of :mod:`console.network._demo_streets`), so the mains trace the streets.
A street here is a *stroke*: main pipes joined end to end where the way runs on almost straight (within
``STRAIGHT_DEG``); at a crossing the two most nearly straight continuations pair up, the others start streets of their
own. Service lines (to a customer or a riser) are not streets.

Every street gets a unique bilingual name (Chinese with its pinyin: ``桃湾路 Taowan Lu``), longest streets first, so the
names are stable for a given network. Every customer gets the street of the main nearest it and a house number from
its distance along that street: odd on the left, even on the right, one number per ``NUMBER_STEP_M`` metres, as
Chinese streets are numbered (门牌号).

Everything is vectorised (shapely 2 and scipy), except the pairing at crossings of three or more mains.

>>> STREET_SUFFIX[0], street_name(0, 1000.0), street_name(1, 100.0)
('路', ('东岙路', 'Dong’ao Lu'), ('青康巷', 'Qingkang Xiang'))
>>> street_name(480, 300.0)  # the names have run out: a second 东岙 street
('东岙二街', 'Dong’ao 2 Jie')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["NUMBER_STEP_M", "STRAIGHT_DEG", "Addresses", "derive_addresses", "street_name"]

STRAIGHT_DEG = 35.0  # a turn sharper than this at a node ends the street
NUMBER_STEP_M = 12.0  # metres of frontage per house number on each side

# Street-name syllables (a qualifier and a landform, as Zhoushan streets are named), each with its pinyin.
_HEAD = (("东", "Dong"), ("西", "Xi"), ("南", "Nan"), ("北", "Bei"), ("金", "Jin"), ("白", "Bai"), ("青", "Qing"),
         ("长", "Chang"), ("双", "Shuang"), ("马", "Ma"), ("盐", "Yan"), ("螺", "Luo"), ("桃", "Tao"), ("竹", "Zhu"),
         ("鹿", "Lu"), ("凤", "Feng"), ("龙", "Long"), ("渔", "Yu"), ("沙", "Sha"), ("海", "Hai"), ("新", "Xin"),
         ("和", "He"), ("平", "Ping"), ("安", "An"))  # fmt: skip
_TAIL = (("岙", "ao"), ("港", "gang"), ("湾", "wan"), ("浦", "pu"), ("塘", "tang"), ("峙", "zhi"), ("山", "shan"),
         ("洋", "yang"), ("桥", "qiao"), ("岭", "ling"), ("门", "men"), ("泉", "quan"), ("峰", "feng"), ("溪", "xi"),
         ("岗", "gang"), ("滨", "bin"), ("园", "yuan"), ("康", "kang"), ("兴", "xing"), ("华", "hua"))  # fmt: skip
STREET_SUFFIX = ("路", "街", "巷")  # road (long), street, lane (short)
_SUFFIX_EN = ("Lu", "Jie", "Xiang")
_ORDINAL = "一二三四五六七八九十"


def street_name(k: int, length_m: float) -> tuple[str, str]:
    """The ``k``-th street name (Chinese, pinyin); the suffix by length: 路 from 800 m, 街 from 250 m, else 巷."""
    suffix = 0 if length_m >= 800 else 1 if length_m >= 250 else 2
    n = len(_HEAD) * len(_TAIL)
    spread = (k * 137) % n  # 137 is prime to n: every name once per round, neighbours in rank not alike
    head, tail = _HEAD[spread // len(_TAIL)], _TAIL[spread % len(_TAIL)]
    # pinyin of a syllable starting with a vowel after another takes an apostrophe (Dong'ao, not Dongao)
    joint = "’" if tail[1][0] in "aeo" else ""
    zh, en = head[0] + tail[0], head[1] + joint + tail[1]
    if k >= n:  # more streets than names: a numbered second street (东岙二路 Dong'ao 2 Lu)
        i = k // n
        zh += _ORDINAL[i] if i < len(_ORDINAL) else str(i + 1)
        en += f" {i + 1}"
    return zh + STREET_SUFFIX[suffix], f"{en} {_SUFFIX_EN[suffix]}"


@dataclass(frozen=True, eq=False)
class Addresses:
    """Streets (one row per street) and an address per customer row of one network version.

    ``pipe_street`` is the street of each pipe row (-1 for service lines); ``customer_street`` the street of each
    customer row (-1 when the network has no mains); ``customer_number`` its house number (0 when none).
    """

    name: np.ndarray  # object (s,): 桃湾路
    name_en: np.ndarray  # object (s,): Taowan Lu
    line: np.ndarray  # object (s,): (Multi)LineString of the street, CRS metres
    length_m: np.ndarray  # (s,)
    pipe_street: np.ndarray  # int64 (pipes,)
    customer_street: np.ndarray  # int64 (customers,)
    customer_number: np.ndarray  # int64 (customers,)

    def __len__(self) -> int:
        return len(self.name)

    def label(self, street: int) -> str:
        """``桃湾路 Taowan Lu``"""
        return f"{self.name[street]} {self.name_en[street]}"

    def customer_address(self, row: int) -> str:
        """The address of customer row ``row``: ``桃湾路18号 (18 Taowan Lu)``, or "" when it has none."""
        s = int(self.customer_street[row])
        if s < 0:
            return ""
        n = int(self.customer_number[row])
        return f"{self.name[s]}{n}号 ({n} {self.name_en[s]})"

    def customer_addresses(self) -> np.ndarray:
        """Every customer's address (object array, "" where none), as :meth:`customer_address`."""
        return np.array([self.customer_address(i) for i in range(len(self.customer_street))], dtype=object)

    def street_bounds(self, street: int) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in shapely.bounds(self.line[street]))

    def nearest_street(self, x: float, y: float) -> int:
        """The street nearest (x, y), -1 when there is none."""
        if not len(self.line):
            return -1
        tree = self.__dict__.get("_tree")
        if tree is None:  # built on first use; frozen dataclass, so set through __dict__
            tree = self.__dict__["_tree"] = shapely.STRtree(self.line)
        return int(tree.query_nearest(shapely.Point(x, y))[0])

    def describe(self, x: float, y: float) -> str:
        """Where (x, y) is, as a crew is told: ``桃湾路 18号附近 (near 18 Taowan Lu)``."""
        s = self.nearest_street(x, y)
        if s < 0:
            return ""
        number = _house_numbers(self.line[[s]], np.array([[x, y]]))[0]
        return f"{self.name[s]}{number}号附近 (near {number} {self.name_en[s]})"


def _house_numbers(lines: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """House number of each point on its street ``lines[i]``: odd on the left, even on the right."""
    points = shapely.points(xy)
    along = shapely.line_locate_point(lines, points)
    foot = shapely.line_interpolate_point(lines, along)
    ahead = shapely.line_interpolate_point(lines, along + 1.0)
    behind = shapely.line_interpolate_point(lines, np.maximum(along - 1.0, 0.0))
    fx, fy = shapely.get_x(foot), shapely.get_y(foot)
    dx = shapely.get_x(ahead) - shapely.get_x(behind)
    dy = shapely.get_y(ahead) - shapely.get_y(behind)
    cross = dx * (xy[:, 1] - fy) - dy * (xy[:, 0] - fx)
    step = np.floor(np.nan_to_num(along) / NUMBER_STEP_M).astype(np.int64)
    return 2 * step + np.where(cross >= 0, 1, 2)


def derive_addresses(network) -> Addresses:
    """The streets and customer addresses of ``network`` (see the module docstring).

    Examples
    --------
    >>> from console.network import generate_demo
    >>> a = derive_addresses(generate_demo(600, seed=3))
    >>> len(a) > 10, bool((a.customer_street >= 0).all()), len(set(a.name)) == len(a)
    (True, True, True)
    """
    pipes, customers = network["pipes"], network["customers"]
    n_pipes = len(pipes)
    ends = set(customers["id"].astype(str)) | set(network["risers"]["id"].astype(str))
    from_node = pipes["from_node"].to_numpy(dtype=object).astype(str)
    to_node = pipes["to_node"].to_numpy(dtype=object).astype(str)
    service = np.isin(from_node, list(ends)) | np.isin(to_node, list(ends)) if ends else np.zeros(n_pipes, bool)
    geoms = np.asarray(pipes.geometry.array, dtype=object)
    usable = ~service & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    mains = np.flatnonzero(usable)
    pipe_street = np.full(n_pipes, -1, np.int64)
    empty = Addresses(np.empty(0, object), np.empty(0, object), np.empty(0, object), np.empty(0), pipe_street,
                      np.full(len(customers), -1, np.int64), np.zeros(len(customers), np.int64))  # fmt: skip
    if not len(mains):
        return empty
    g = geoms[mains]
    m = len(mains)

    # 1. Each main's two ends: node key and outgoing direction (away from the node, along the pipe).
    coords, idx = shapely.get_coordinates(g, return_index=True)
    first = np.searchsorted(idx, np.arange(m), side="left")
    last = np.searchsorted(idx, np.arange(m), side="right") - 1
    second = np.minimum(first + 1, last)
    before_last = np.maximum(last - 1, first)
    d_start = coords[second] - coords[first]
    d_end = coords[before_last] - coords[last]
    nodes = np.concatenate([from_node[mains], to_node[mains]])
    direction = np.concatenate([d_start, d_end])
    direction /= np.maximum(np.hypot(direction[:, 0], direction[:, 1]), 1e-9)[:, None]
    end_pipe = np.concatenate([np.arange(m), np.arange(m)])
    _, node = np.unique(nodes, return_inverse=True)

    # 2. Pair the ends meeting at each node: the straightest pair continues the street, while straight enough.
    order = np.argsort(node, kind="stable")
    cuts = np.flatnonzero(np.diff(node[order])) + 1
    starts = np.r_[0, cuts]
    sizes = np.diff(np.r_[starts, len(order)])
    straight = -np.cos(np.radians(STRAIGHT_DEG))
    pairs_a: list[np.ndarray] = []
    pairs_b: list[np.ndarray] = []
    two = starts[sizes == 2]
    a, b = order[two], order[two + 1]
    ok = np.einsum("ij,ij->i", direction[a], direction[b]) <= straight
    pairs_a.append(end_pipe[a[ok]])
    pairs_b.append(end_pipe[b[ok]])
    for s, k in zip(starts[sizes > 2], sizes[sizes > 2], strict=True):  # crossings: a few per hundred mains
        group = order[s : s + k]
        dots = direction[group] @ direction[group].T
        np.fill_diagonal(dots, np.inf)
        free = np.ones(k, bool)
        while free.sum() >= 2:
            sub = np.where(free[:, None] & free[None, :], dots, np.inf)
            i, j = np.unravel_index(np.argmin(sub), sub.shape)
            if sub[i, j] > straight:
                break
            pairs_a.append(end_pipe[group[[i]]])
            pairs_b.append(end_pipe[group[[j]]])
            free[[i, j]] = False
    pa, pb = np.concatenate(pairs_a), np.concatenate(pairs_b)
    graph = coo_matrix((np.ones(len(pa)), (pa, pb)), shape=(m, m))
    n_streets, street_of_main = connected_components(graph, directed=False)

    # 3. Street geometry and length; names longest first (stable for a network).
    lengths = np.bincount(street_of_main, weights=shapely.length(g), minlength=n_streets)
    rank = np.empty(n_streets, np.int64)
    rank[np.lexsort((np.arange(n_streets), -lengths))] = np.arange(n_streets)
    street_of_main = rank[street_of_main]
    lengths = lengths[np.argsort(rank)]
    by_street = np.argsort(street_of_main, kind="stable")
    lines = shapely.line_merge(shapely.multilinestrings(g[by_street], indices=street_of_main[by_street]))
    names = [street_name(k, lengths[k]) for k in range(n_streets)]
    pipe_street[mains] = street_of_main

    # 4. Customers: the street of the nearest main, and a house number along it.
    c_geoms = np.asarray(customers.geometry.array, dtype=object)
    c_street = np.full(len(customers), -1, np.int64)
    c_number = np.zeros(len(customers), np.int64)
    valid = ~shapely.is_missing(c_geoms) & ~shapely.is_empty(c_geoms)
    if valid.any():
        rows = np.flatnonzero(valid)
        tree = shapely.STRtree(g)
        inp, nearest = tree.query_nearest(c_geoms[rows], all_matches=False)
        rows = rows[inp]
        c_street[rows] = street_of_main[nearest]
        c_number[rows] = _house_numbers(lines[c_street[rows]], shapely.get_coordinates(c_geoms[rows]))
    return Addresses(
        np.array([n[0] for n in names], dtype=object),
        np.array([n[1] for n in names], dtype=object),
        lines,
        lengths,
        pipe_street,
        c_street,
        c_number,
    )
