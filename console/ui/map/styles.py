"""Pipe symbology: which class each pipe falls in, and how each class is drawn on the dark and light themes.

A style turns the pipes table into a small list of :class:`StyleClass` (key, legend label, colour per theme, line width,
dash) and a per-pipe class index, computed in one vectorised pass (categorical codes, ``np.digitize``). The map draws
one item per class and the legend lists the same classes, so the two can never disagree.

The pressure-class palette follows the usual GB 50028 map convention (high pressure red, sub-high magenta/purple,
medium orange/yellow, low blue) with a darker variant of each colour for the light theme. Mains are drawn wider than
distribution pipes and service lines, so the hierarchy reads at a glance. Outside the ``status`` style, planned and
abandoned pipes get their own grey dashed classes: they carry no gas, whatever their pressure class.

>>> import pandas as pd
>>> pipes = pd.DataFrame({"pressure_class": ["MP-A", "LP", "LP"], "dn": [200, 110, 32],
...                       "status": ["in_service", "in_service", "abandoned"]})
>>> c = classify_pipes(pipes, "pressure_class")
>>> [c.classes[i].key for i in c.codes]
['MP-A', 'LP', 'abandoned']
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from PySide6.QtCore import QT_TRANSLATE_NOOP

from console.network import Material, PressureClass
from console.ui.i18n import translate
from console.ui.names import pressure_class_label

__all__ = [
    "PIPE_STYLES",
    "PipeClassification",
    "StyleClass",
    "VALUES_STYLE",
    "classify_pipes",
    "classify_values",
    "pressure_class_label",
    "style_title",
    "zoom_width_factor",
]

# Style key → legend title (English, marked: :func:`style_title` gives it in the current language).
PIPE_STYLES: dict[str, str] = {
    "pressure_class": QT_TRANSLATE_NOOP("MapLegend", "Pressure class"),
    "diameter": QT_TRANSLATE_NOOP("MapLegend", "Diameter"),
    "material": QT_TRANSLATE_NOOP("MapLegend", "Material"),
    "install_decade": QT_TRANSLATE_NOOP("MapLegend", "Install decade"),
    "status": QT_TRANSLATE_NOOP("MapLegend", "Status"),
}


def style_title(style: str) -> str:
    """A named style's legend title in the current language."""
    return translate("MapLegend", PIPE_STYLES[style]) if style in PIPE_STYLES else style


def _label(text: str) -> str:
    """A legend label (marked ``QT_TRANSLATE_NOOP("MapLegend", …)`` where it is defined) in the current language."""
    return translate("MapLegend", text)


THEMES = ("dark", "light")


@dataclass(frozen=True)
class StyleClass:
    """One legend entry: ``colors`` is (dark theme, light theme) as ``#rrggbb``; ``width_px`` at working zoom."""

    key: str
    label: str
    colors: tuple[str, str]
    width_px: float
    dash: str = "solid"  # "solid" | "dash" | "dot"

    def color(self, theme: str) -> str:
        return self.colors[THEMES.index(theme)]


@dataclass(frozen=True, eq=False)
class PipeClassification:
    """Classes of one style in legend order (most important first) and the class index of every pipe (int8).

    The map draws the classes in reverse legend order, so the mains end up on top of the distribution pipes.
    """

    style: str
    classes: tuple[StyleClass, ...]
    codes: np.ndarray
    label: str = ""  # legend title of a value style (analysis results); named styles take theirs from PIPE_STYLES

    @property
    def title(self) -> str:
        return self.label or style_title(self.style)

    def counts(self) -> np.ndarray:
        """Number of pipes per class (aligned with ``classes``)."""
        return np.bincount(self.codes, minlength=len(self.classes)).astype(np.int64)

    def class_of(self, row: int) -> StyleClass:
        return self.classes[int(self.codes[row])]

    def index(self, key: str) -> int:
        for i, c in enumerate(self.classes):
            if c.key == key:
                return i
        raise KeyError(f"style {self.style!r} has no class {key!r}")


_PLANNED = StyleClass("planned", QT_TRANSLATE_NOOP("MapLegend", "Planned"), ("#8d9bb0", "#6f7c8f"), 1.2, "dash")
_ABANDONED = StyleClass("abandoned", QT_TRANSLATE_NOOP("MapLegend", "Abandoned"), ("#7a8591", "#9aa2ab"), 1.2, "dot")
# shut in place (EPANET CLOSED)
_CLOSED = StyleClass("closed", QT_TRANSLATE_NOOP("MapLegend", "Closed"), ("#c0392b", "#922b21"), 1.2, "dash")

_PRESSURE = {
    PressureClass.HP_A: (("#ff3347", "#c3001c"), 4.2),
    PressureClass.HP_B: (("#ff6f61", "#e23a24"), 3.9),
    PressureClass.SHP_A: (("#ff5fd7", "#b10f8f"), 3.6),
    PressureClass.SHP_B: (("#c58bff", "#7a2fc0"), 3.3),
    PressureClass.MP_A: (("#ff9a1f", "#e06a00"), 3.0),
    PressureClass.MP_B: (("#ffd83d", "#b58500"), 2.4),
    PressureClass.LP: (("#38b6e8", "#1663c7"), 1.5),
}
SERVICE_MAX_DN = 40  # LP pipes up to this DN are service lines (引入管) and are drawn thinner

_DN_EDGES = np.array([40, 75, 110, 200, 315, 500])  # bin upper bounds (inclusive), mm
_DN_CLASSES = (
    ("dn500+", "> DN500", ("#ff5a4a", "#c62828"), 4.0),
    ("dn315-500", "DN355–500", ("#ff9d2e", "#e06c00"), 3.4),
    ("dn200-315", "DN250–315", ("#f4d03f", "#b38b00"), 2.8),
    ("dn110-200", "DN125–200", ("#9ee05a", "#4d9a1c"), 2.2),
    ("dn75-110", "DN90–110", ("#3fd0b0", "#0f8f78"), 1.7),
    ("dn40-75", "DN50–75", ("#47aef0", "#1a73c9"), 1.3),
    ("dn-40", QT_TRANSLATE_NOOP("MapLegend", "≤ DN40 (service lines)"), ("#8c93f5", "#5b5fd6"), 0.9),
)

_MATERIAL = {
    Material.PE80: ("PE80", ("#f2e35a", "#a88f00"), 1.6),
    Material.PE100: ("PE100", ("#ffa928", "#d46f00"), 1.6),
    Material.STEEL: (QT_TRANSLATE_NOOP("MapLegend", "Steel"), ("#5cb8f0", "#0b6bb0"), 1.8),
    Material.DUCTILE_IRON: (QT_TRANSLATE_NOOP("MapLegend", "Ductile iron"), ("#2fc79a", "#00795a"), 1.8),
    Material.CAST_IRON: (QT_TRANSLATE_NOOP("MapLegend", "Cast iron"), ("#e08ac0", "#a8437f"), 1.8),
    Material.UNKNOWN: (QT_TRANSLATE_NOOP("MapLegend", "Unknown"), ("#8a96a3", "#858b93"), 1.2),
}

_DECADE_EDGES = np.array([1, 1980, 1990, 2000, 2010, 2020])  # left-closed bins; 0 = unknown year
_DECADE_CLASSES = (  # oldest first: old pipes are the ones a planner looks for
    ("<1980", QT_TRANSLATE_NOOP("MapLegend", "before 1980"), ("#ff4d5a", "#c62828"), 1.8),
    ("1980s", "1980s", ("#ff8c42", "#e8590c"), 1.7),
    ("1990s", "1990s", ("#ffd166", "#b07d00"), 1.6),
    ("2000s", "2000s", ("#9ee493", "#2e7d32"), 1.5),
    ("2010s", "2010s", ("#4cc9f0", "#0277bd"), 1.5),
    ("2020s", QT_TRANSLATE_NOOP("MapLegend", "2020 and later"), ("#a5a8ff", "#5e35b1"), 1.5),
    ("unknown", QT_TRANSLATE_NOOP("MapLegend", "Unknown year"), ("#7d8894", "#8a8f96"), 1.1),
)

_STATUS_CLASSES = (
    StyleClass("in_service", QT_TRANSLATE_NOOP("MapLegend", "In service"), ("#7fc8ff", "#24527a"), 1.6),
    _PLANNED,
    _ABANDONED,
    _CLOSED,
)


def zoom_width_factor(metres_per_pixel: float) -> float:
    """Line widths shrink when zoomed out (a city on one screen), so the network does not become a solid blob."""
    if not np.isfinite(metres_per_pixel) or metres_per_pixel <= 0:
        return 1.0
    # 1.0 up to 2 m/px, 0.55 beyond 40 m/px, log-linear between.
    t = np.clip((np.log10(metres_per_pixel) - np.log10(2.0)) / (np.log10(40.0) - np.log10(2.0)), 0.0, 1.0)
    return float(1.0 - 0.45 * t)


def _codes(values: pd.Series, categories: list[str]) -> np.ndarray:
    """Position of each value in ``categories`` (-1 for values outside or missing), through categorical codes.

    The network stores code lists as pandas categoricals: their codes are remapped through a small lookup table
    instead of comparing a million strings.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        own = [str(c) for c in values.cat.categories]
        lookup = np.array([categories.index(c) if c in categories else -1 for c in own] + [-1], dtype=np.int16)
        return lookup[values.cat.codes.to_numpy()]  # code -1 (missing) picks the trailing -1
    return pd.Categorical(values.astype("str"), categories=categories).codes.astype(np.int16)


def _with_status(pipes: pd.DataFrame, codes: np.ndarray, classes: list[StyleClass]) -> tuple[np.ndarray, list]:
    """Move planned, abandoned and closed pipes into their own trailing classes."""
    status = _codes(pipes["status"], ["in_service", "planned", "abandoned", "closed"]) if "status" in pipes else None
    classes = [*classes, _PLANNED, _ABANDONED, _CLOSED]
    if status is not None:
        codes = np.where(status == 1, len(classes) - 3, codes)
        codes = np.where(status == 2, len(classes) - 2, codes)
        codes = np.where(status == 3, len(classes) - 1, codes)
    return codes, classes


def classify_pipes(pipes: pd.DataFrame, style: str) -> PipeClassification:
    """Classify every pipe for ``style`` (a key of :data:`PIPE_STYLES`), vectorised.

    Parameters
    ----------
    pipes
        The pipes layer (only the columns the style needs are read).
    style
        ``pressure_class``, ``diameter``, ``material``, ``install_decade`` or ``status``.
    """
    n = len(pipes)
    if style == "pressure_class":
        order = sorted(PressureClass, key=lambda p: -p.rank)  # HP-A first
        classes = [StyleClass(p.value, pressure_class_label(p), *_PRESSURE[p]) for p in order]
        lp = _PRESSURE[PressureClass.LP]
        service_label = translate("MapLegend", "LP service lines ≤ DN{dn}").format(dn=SERVICE_MAX_DN)
        classes.append(StyleClass("LP-service", service_label, lp[0], 0.9))
        codes = _codes(pipes["pressure_class"], [p.value for p in order])
        dn = pipes["dn"].to_numpy(dtype=np.int64, na_value=0) if "dn" in pipes else np.zeros(n, np.int64)
        service = (codes == order.index(PressureClass.LP)) & (dn > 0) & (dn <= SERVICE_MAX_DN)
        codes = np.where(service, len(classes) - 1, codes)
        codes = np.where(codes < 0, order.index(PressureClass.LP), codes)
        codes, classes = _with_status(pipes, codes, classes)
    elif style == "diameter":
        classes = [StyleClass(k, label, colors, w) for k, label, colors, w in _DN_CLASSES]
        dn = pipes["dn"].to_numpy(dtype=np.float64, na_value=0)
        bin_from_small = np.digitize(dn, _DN_EDGES, right=True)  # 0 for ≤40 … 6 for >500
        codes = (len(classes) - 1 - bin_from_small).astype(np.int16)
        codes, classes = _with_status(pipes, codes, classes)
    elif style == "material":
        classes = [StyleClass(m.value, *_MATERIAL[m]) for m in Material]
        codes = _codes(pipes["material"], [m.value for m in Material])
        codes = np.where(codes < 0, classes.index(next(c for c in classes if c.key == "unknown")), codes)
        codes, classes = _with_status(pipes, codes, classes)
    elif style == "install_decade":
        classes = [StyleClass(k, label, colors, w) for k, label, colors, w in _DECADE_CLASSES]
        year = pipes["install_year"].to_numpy(dtype=np.int64, na_value=0)
        codes = (np.digitize(year, _DECADE_EDGES) - 1).astype(np.int16)  # -1 for year 0 (unknown)
        codes = np.where(codes < 0, len(classes) - 1, codes)
        codes, classes = _with_status(pipes, codes, classes)
    elif style == "status":
        classes = list(_STATUS_CLASSES)
        codes = _codes(pipes["status"], [c.key for c in classes])
        codes = np.where(codes < 0, 0, codes)
    else:
        raise KeyError(f"unknown pipe style {style!r}; styles are {', '.join(PIPE_STYLES)}")
    classes = [replace(c, label=_label(c.label)) for c in classes]  # the legend's labels in the current language
    return PipeClassification(style, tuple(classes), np.asarray(codes, dtype=np.int8).reshape(n))


VALUES_STYLE = "values"  # the style key of pipes coloured by an analysis result (not offered in the style list)
_NO_VALUE = ("#56606b", "#a3a9b0")


def classify_values(
    values: np.ndarray,
    bins: np.ndarray,
    colors: list,
    labels: list[str],
    title: str,
    *,
    width_px: float = 1.8,
    no_value_label: str = QT_TRANSLATE_NOOP("MapLegend", "No value"),
    no_value_colors: tuple[str, str] = _NO_VALUE,
    no_value_width_px: float = 1.0,
) -> PipeClassification:
    """Classes of a numeric value per pipe (an analysis result): ``len(bins) - 1`` bins, each with its colour.

    Parameters
    ----------
    values
        One value per pipe row; NaN (and values outside ``bins``) fall in a trailing grey dotted "no value" class.
    bins
        Increasing bin edges; bin ``k`` is ``bins[k] <= v < bins[k+1]`` (the last bin includes its upper edge).
    colors
        One colour per bin: ``"#rrggbb"`` for both themes or a (dark, light) pair.
    labels
        One legend label per bin (with units).
    title
        The legend title.
    no_value_label, no_value_colors, no_value_width_px
        Legend label, (dark, light) colours and width of the dotted "no value" class.

    The legend lists the highest bin first, as the named styles list the most important class first.

    >>> c = classify_values(np.array([0.5, 1.5, np.nan]), np.array([0.0, 1.0, 2.0]), ["#0000ff", "#ff0000"],
    ...                     ["0–1", "1–2"], "Example")
    >>> [c.classes[i].label for i in c.codes]
    ['0–1', '1–2', 'No value']
    """
    values = np.asarray(values, dtype=float)
    bins = np.asarray(bins, dtype=float)
    n_bins = len(bins) - 1
    if n_bins < 1 or len(colors) != n_bins or len(labels) != n_bins:
        raise ValueError(f"need increasing bins and one colour and label per bin ({n_bins} bins)")
    if np.any(np.diff(bins) < 0):
        raise ValueError("bins must increase")
    pairs = [(c, c) if isinstance(c, str) else tuple(c) for c in colors]
    classes = [StyleClass(f"bin{k}", labels[k], pairs[k], width_px) for k in reversed(range(n_bins))]
    classes.append(StyleClass("no_value", _label(no_value_label), no_value_colors, no_value_width_px, "dot"))
    k = np.searchsorted(bins, values, side="right") - 1
    k = np.where(values == bins[-1], n_bins - 1, k)
    codes = np.where(np.isfinite(values) & (k >= 0) & (k < n_bins), n_bins - 1 - k, n_bins)
    return PipeClassification(VALUES_STYLE, tuple(classes), codes.astype(np.int8), title)
