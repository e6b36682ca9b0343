"""Search (Ctrl+F): feature ids, names, meter ids, customer addresses and street names, case-insensitive, with
suggestions as you type, at a million features.

Ids are answered from the network's own sorted id index (:attr:`GasNetwork.id_index`, built once per version and
shared with ``network.locate``), so the search box holds no second copy of two million ids. Case does not matter:
a query is looked up in each of its upper/lower-case spellings (ids are short codes such as ``V-00161``; a query with
many letters is tried as typed, upper and lower case). Names, meter ids, addresses and streets are fewer: they are
kept in a small sorted text index of lower-cased keys (:class:`TextIndex`), built in the loading worker.

Street names and addresses come from :func:`console.network.derive_addresses` (derived from the mains, see there).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from console.errors import UnknownFeatureError
from console.network import LAYERS, Addresses, GasNetwork, IdIndex, derive_addresses
from console.ui.i18n import translate
from console.ui.names import address_parts, address_text, feature_name, street_text

__all__ = ["ADDRESS_MAX_PIPES", "FeatureIdIndex", "Match", "SearchBox", "TextIndex", "addresses_of", "case_variants"]

ADDRESS_MAX_PIPES = 300_000  # bigger networks are searched by id, name and meter id only (streets take too long)
_MAX_VARIANTS = 64
_TARGET_ROLE = Qt.ItemDataRole.UserRole + 1
_INSERT_ROLE = Qt.ItemDataRole.UserRole + 2


def _kind(layer: str) -> str:
    """What a suggestion calls a feature of ``layer``: "valve" (阀门 in Chinese)."""
    name = feature_name(layer)
    return name[:1].lower() + name[1:]


def addresses_of(network: GasNetwork) -> Addresses | None:
    """The network's streets and addresses (cached per version), None above ``ADDRESS_MAX_PIPES`` pipes."""
    if len(network["pipes"]) > ADDRESS_MAX_PIPES:
        return None
    return network.cached("addresses", lambda: derive_addresses(network))


def case_variants(text: str) -> list[str]:
    """The spellings of ``text`` in every mix of upper and lower case (as typed, upper, lower if too many).

    >>> case_variants("v-1a")
    ['V-1A', 'V-1a', 'v-1A', 'v-1a']
    >>> len(case_variants("Pipeline-North")), case_variants("")
    (3, [''])
    """
    options = [sorted({c.upper(), c.lower()}) for c in text]
    count = 1
    for o in options:
        count *= len(o)
    if count > _MAX_VARIANTS:
        return list(dict.fromkeys([text, text.upper(), text.lower()]))
    return ["".join(p) for p in itertools.product(*options)]


@dataclass(frozen=True)
class Match:
    """One suggestion: ``label`` shown, ``target`` a feature id or ``street:<k>``, ``text`` put in the box."""

    label: str
    target: str
    text: str
    bounds: tuple[float, float, float, float] | None = None  # streets: their extent


class TextIndex:
    """Lower-cased keys (names, meter ids, addresses, street names) sorted for prefix search, each with a match.

    >>> idx = TextIndex(["Box 1", "box 2", "Hospital"], [Match("Box 1", "RG1", "RG1"), Match("box 2", "RG2", "RG2"),
    ...                                                  Match("Hospital", "C1", "C1")])
    >>> [m.target for m in idx.prefix("BOX")], [m.target for m in idx.exact("hospital")]
    (['RG1', 'RG2'], ['C1'])
    """

    def __init__(self, keys: list[str], matches: list[Match]) -> None:
        lowered = np.array([k.casefold().strip() for k in keys], dtype=str) if keys else np.empty(0, dtype="U1")
        order = np.argsort(lowered, kind="stable")
        self._keys = lowered[order]
        self._matches = [matches[i] for i in order]

    def __len__(self) -> int:
        return len(self._keys)

    def _range(self, text: str) -> tuple[int, int]:
        key = text.casefold().strip()
        lo = int(np.searchsorted(self._keys, key, side="left"))
        hi = int(np.searchsorted(self._keys, key + "\U0010ffff", side="left"))
        return lo, hi

    def prefix(self, text: str, limit: int = 25) -> list[Match]:
        if not text.strip() or not len(self._keys):
            return []
        lo, hi = self._range(text)
        return self._matches[lo : min(hi, lo + limit)]

    def exact(self, text: str) -> list[Match]:
        if not text.strip() or not len(self._keys):
            return []
        key = text.casefold().strip()
        lo = int(np.searchsorted(self._keys, key, side="left"))
        hi = int(np.searchsorted(self._keys, key, side="right"))
        return self._matches[lo:hi]

    @classmethod
    def of(cls, network: GasNetwork, *, addresses=None) -> TextIndex:
        """Names of every layer with a name column, customers' meter ids, and (given) addresses and street names."""
        keys: list[str] = []
        matches: list[Match] = []
        for layer, spec in LAYERS.items():
            frame = network[layer]
            if not len(frame) or "name" not in spec.column_names:
                continue
            names = frame["name"].fillna("").astype(str).to_numpy()
            ids = frame["id"].astype(str).to_numpy()
            for name, fid in zip(names[names != ""], ids[names != ""], strict=True):
                keys.append(name)
                matches.append(Match(f"{name} · {_kind(layer)} {fid}", fid, fid))
        customers = network["customers"]
        if len(customers):
            meters = customers["meter_id"].fillna("").astype(str).to_numpy()
            ids = customers["id"].astype(str).to_numpy()
            for meter, fid in zip(meters[meters != ""], ids[meters != ""], strict=True):
                keys.append(meter)
                label = translate("Search", "meter {meter} · customer {id}").format(meter=meter, id=fid)
                matches.append(Match(label, fid, fid))
        if addresses is not None:
            ids = customers["id"].astype(str).to_numpy()
            for row in np.flatnonzero(addresses.customer_street >= 0):
                s, n, fid = int(addresses.customer_street[row]), int(addresses.customer_number[row]), ids[row]
                bilingual = addresses.customer_address(row)
                zh, en = address_parts(bilingual)[0], f"{addresses.name_en[s]} {n}"  # 桃湾路18号, Taowan Lu 18
                label = translate("Search", "{address} · customer {id}").format(address=address_text(bilingual), id=fid)
                keys += [zh, en]
                matches += [Match(label, fid, fid), Match(label, fid, fid)]
            for s in range(len(addresses)):
                bounds = addresses.street_bounds(s)
                label = translate("Search", "{street} · street, {length} m").format(
                    street=street_text(str(addresses.name[s]), str(addresses.name_en[s])),
                    length=f"{addresses.length_m[s]:,.0f}")  # fmt: skip
                for key in (str(addresses.name[s]), str(addresses.name_en[s])):
                    keys.append(key)
                    matches.append(Match(label, f"street:{s}", key, bounds))
        return cls(keys, matches)


class FeatureIdIndex:
    """Every feature id of a network (its own sorted id index) plus a :class:`TextIndex` of names and addresses.

    >>> idx = FeatureIdIndex(np.array(["P10", "V1", "P1", "P2"]))
    >>> idx.prefix("P"), idx.prefix("P1"), "V1" in idx, "V" in idx
    (['P1', 'P10', 'P2'], ['P1', 'P10'], True, False)
    >>> idx.ids_starting("p1"), idx.resolve("v1"), idx.resolve("p")
    (['P1', 'P10'], 'V1', None)
    """

    def __init__(self, ids: np.ndarray | IdIndex, text: TextIndex | None = None, network=None) -> None:
        self.index = ids if isinstance(ids, IdIndex) else IdIndex(ids)
        self.text = text or TextIndex([], [])
        self._network = network

    @classmethod
    def of(cls, network: GasNetwork) -> FeatureIdIndex:
        """Build in a worker: the names and, for networks up to ``ADDRESS_MAX_PIPES`` pipes, streets and addresses."""
        return cls(network.id_index, TextIndex.of(network, addresses=addresses_of(network)), network)

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, feature_id: str) -> bool:
        return feature_id in self.index

    def prefix(self, text: str, limit: int = 25) -> list[str]:
        """Up to ``limit`` ids starting with ``text`` (case as given), in sorted order."""
        return self.index.prefix(text, limit)

    def ids_starting(self, text: str, limit: int = 25) -> list[str]:
        """Up to ``limit`` ids starting with ``text`` in any case, sorted."""
        text = text.strip()
        if not text:
            return []
        found: set[str] = set()
        for variant in case_variants(text):
            found.update(self.index.prefix(variant, limit))
        return sorted(found)[:limit]

    def exact_id(self, text: str) -> str | None:
        """The id ``text`` names in any case (as typed first), or None."""
        text = text.strip()
        if text in self.index:
            return text
        hits = [v for v in case_variants(text) if v in self.index]
        return hits[0] if len(hits) == 1 else None

    def kind(self, feature_id: str) -> str:
        if self._network is None:
            return ""
        try:
            return _kind(self._network.locate(feature_id)[0])
        except UnknownFeatureError:
            return ""

    def matches(self, text: str, limit: int = 12) -> list[Match]:
        """Suggestions for ``text``: ids first, then names, meter ids, addresses and streets (one per target)."""
        text = text.strip()
        if not text:
            return []
        out: dict[str, Match] = {}
        exact = self.exact_id(text)
        for fid in ([exact] if exact else []) + self.ids_starting(text, limit):
            out.setdefault(fid, Match(f"{fid} · {self.kind(fid)}".rstrip(" ·"), fid, fid))
        for m in self.text.exact(text) + self.text.prefix(text, 4 * limit):
            out.setdefault(m.target, m)
            if len(out) >= limit:
                break
        return list(out.values())[:limit]

    def resolve_match(self, text: str) -> Match | None:
        """What ``text`` names: an id (any case), else an exact name/address/street, else the only suggestion."""
        text = text.strip()
        if not text:
            return None
        exact = self.exact_id(text)
        if exact:
            return Match(exact, exact, exact)
        named = {m.target: m for m in self.text.exact(text)}
        if len(named) == 1:
            return next(iter(named.values()))
        ids = self.ids_starting(text, limit=2)
        names = {m.target: m for m in self.text.prefix(text, limit=50)}
        if len(ids) == 1 and not names:
            return Match(ids[0], ids[0], ids[0])
        if len(names) == 1 and not ids:
            return next(iter(names.values()))
        return None

    def resolve(self, text: str) -> str | None:
        match = self.resolve_match(text)
        return match.target if match is not None else None


class SearchBox(QLineEdit):
    """A line edit with suggestions; ``featureRequested(id)`` or ``boundsRequested(box)`` (a street) on Enter or
    when a suggestion is chosen."""

    featureRequested = Signal(str)
    boundsRequested = Signal(object)  # (xmin, ymin, xmax, ymax): a street to show

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(translate("Search", "Find id, name, address, street, meter…  (Ctrl+F)"))
        self.setClearButtonEnabled(True)
        self.setToolTip(translate("Search", "Type a feature id (v-00161), a customer or station name, a meter id, an "
                                  "address (18 Taowan Lu) or a street, in any case; pick a suggestion or press Enter"))  # fmt: skip
        self.setMinimumWidth(260)
        self._index: FeatureIdIndex | None = None
        self._model = QStandardItemModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.setCompletionRole(_INSERT_ROLE)
        self._completer.setMaxVisibleItems(12)
        self.setCompleter(self._completer)
        self._completer.activated[QModelIndex].connect(self._on_completion_activated)
        self.textEdited.connect(self._on_text_edit)
        self.returnPressed.connect(self._on_return)

    @property
    def index(self) -> FeatureIdIndex | None:
        return self._index

    def set_index(self, index: FeatureIdIndex | None) -> None:
        self._index = index
        self._model.clear()

    def resolve(self, text: str) -> str | None:
        """The feature id (or ``street:<k>``) ``text`` names, case-insensitive; None when none or ambiguous."""
        return self._index.resolve(text) if self._index is not None else None

    def suggestions(self) -> list[str]:
        """The labels now offered (tests read them)."""
        return [self._model.item(r).text() for r in range(self._model.rowCount())]

    def _on_text_edit(self, text: str) -> None:
        self._model.clear()
        if self._index is None:
            return
        for m in self._index.matches(text):
            item = QStandardItem(m.label)
            item.setData(m, _TARGET_ROLE)
            item.setData(m.text, _INSERT_ROLE)
            item.setEditable(False)
            self._model.appendRow(item)

    def request(self, match: Match) -> None:
        if match.bounds is not None:
            self.boundsRequested.emit(match.bounds)
        else:
            self.featureRequested.emit(match.target)

    def _on_completion_activated(self, index: QModelIndex) -> None:
        match = index.data(_TARGET_ROLE)
        if isinstance(match, Match):
            self.request(match)

    def _on_return(self) -> None:
        self._completer.popup().hide()
        text = self.text().strip()
        match = self._index.resolve_match(text) if self._index is not None else None
        # Zooming to a feature is idempotent, so a suggestion chosen with Enter may safely arrive twice.
        if match is not None:
            self.request(match)
        else:
            self.featureRequested.emit(text)  # the window reports an unknown id
