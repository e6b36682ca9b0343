"""The alarm list as a Qt table model, with the filter the dock's controls set.

Rows are :class:`~console.telemetry.AlarmRecord` objects (every alarm not in the normal state). The default order is
the one alarm-management guidance asks for (EEMUA 191): unacknowledged active alarms first, then acknowledged active,
then unacknowledged returned-to-normal, shelved last; within each, the most urgent priority first and the newest
first. Clicking a header sorts by that column instead.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from console.telemetry import AlarmRecord, AlarmState, Condition, Priority
from console.ui.i18n import translate

__all__ = ["ALARM_COLUMNS", "AlarmFilter", "AlarmTableModel", "CONDITION_LABELS", "PRIORITY_COLORS", "state_text"]

# Column keys (English, translated in the header with context "AlarmDock").
ALARM_COLUMNS = (
    QT_TRANSLATE_NOOP("AlarmDock", "P"),
    QT_TRANSLATE_NOOP("AlarmDock", "Since"),
    QT_TRANSLATE_NOOP("AlarmDock", "Sensor"),
    QT_TRANSLATE_NOOP("AlarmDock", "Name"),
    QT_TRANSLATE_NOOP("AlarmDock", "Alarm"),
    QT_TRANSLATE_NOOP("AlarmDock", "State"),
    QT_TRANSLATE_NOOP("AlarmDock", "Value"),
    QT_TRANSLATE_NOOP("AlarmDock", "Limit"),
    QT_TRANSLATE_NOOP("AlarmDock", "Feature"),
    QT_TRANSLATE_NOOP("AlarmDock", "Comment"),
)
COL = {name: i for i, name in enumerate(ALARM_COLUMNS)}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2

CONDITION_LABELS = {
    Condition.HIHI: QT_TRANSLATE_NOOP("AlarmDock", "HIHI high-high"),
    Condition.HI: QT_TRANSLATE_NOOP("AlarmDock", "HI high"),
    Condition.LO: QT_TRANSLATE_NOOP("AlarmDock", "LO low"),
    Condition.LOLO: QT_TRANSLATE_NOOP("AlarmDock", "LOLO low-low"),
    Condition.ROC: QT_TRANSLATE_NOOP("AlarmDock", "ROC rate of change"),
    Condition.STALE: QT_TRANSLATE_NOOP("AlarmDock", "STALE communication lost"),
}
PRIORITY_LABELS = {
    Priority.CRITICAL: QT_TRANSLATE_NOOP("AlarmDock", "P1 urgent"),
    Priority.HIGH: QT_TRANSLATE_NOOP("AlarmDock", "P2 high"),
    Priority.MEDIUM: QT_TRANSLATE_NOOP("AlarmDock", "P3 medium"),
    Priority.LOW: QT_TRANSLATE_NOOP("AlarmDock", "P4 low"),
}
PRIORITY_COLORS = {
    "dark": {
        Priority.CRITICAL: "#ff2d55",
        Priority.HIGH: "#ff8c1a",
        Priority.MEDIUM: "#ffd23f",
        Priority.LOW: "#9e8fc7",
    },
    "light": {
        Priority.CRITICAL: "#d0021b",
        Priority.HIGH: "#e06500",
        Priority.MEDIUM: "#b08600",
        Priority.LOW: "#6f5fa3",
    },
}
_STATE_ORDER = {AlarmState.UNACK_ACTIVE: 0, AlarmState.ACK_ACTIVE: 1, AlarmState.UNACK_RTN: 2, AlarmState.SHELVED: 3}
_STATE_ORDER[AlarmState.NORMAL] = 4


def _clock(t: float, today: datetime | None = None) -> str:
    if not np.isfinite(t):
        return "—"
    dt = datetime.fromtimestamp(t)
    today = today or datetime.now()
    return dt.strftime("%H:%M:%S") if dt.date() == today.date() else dt.strftime("%m-%d %H:%M:%S")


def state_text(record: AlarmRecord) -> str:
    """What the State column says: the ISA-18.2 state in a dispatcher's words."""
    if record.state == AlarmState.SHELVED:
        return translate("AlarmDock", "Shelved until {time}").format(time=_clock(record.shelved_until))
    return translate("AlarmDock", _STATE_TEXTS[record.state])


_STATE_TEXTS = {
    AlarmState.UNACK_ACTIVE: QT_TRANSLATE_NOOP("AlarmDock", "UNACK · active"),
    AlarmState.ACK_ACTIVE: QT_TRANSLATE_NOOP("AlarmDock", "Acknowledged · active"),
    AlarmState.UNACK_RTN: QT_TRANSLATE_NOOP("AlarmDock", "UNACK · returned to normal"),
    AlarmState.NORMAL: QT_TRANSLATE_NOOP("AlarmDock", "Normal"),
}


def default_order_key(record: AlarmRecord) -> tuple:
    since = record.since if np.isfinite(record.since) else -np.inf
    return (_STATE_ORDER[record.state], int(record.priority), -since, record.sensor_id, record.condition.code)


def _num(x: float, unit: str) -> str:
    if not np.isfinite(x):
        return ""
    return f"{x:,.4g} {unit}".strip()


class AlarmTableModel(QAbstractTableModel):
    """The alarm records of one telemetry service, in the default order (see the module docstring)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._records: list[AlarmRecord] = []
        self._names: np.ndarray = np.empty(0, object)
        self._units: np.ndarray = np.empty(0, object)
        self._live: np.ndarray = np.empty(0)  # latest reading by sensor row: the Value column follows it
        self._theme = "dark"
        self._bold = QFont()
        self._bold.setBold(True)

    def set_sensor_info(self, names: np.ndarray, units: np.ndarray) -> None:
        """Names and units by sensor row (for the Name, Value and Limit columns)."""
        self._names, self._units = np.asarray(names, object), np.asarray(units, object)

    def set_live_values(self, last_value: np.ndarray) -> None:
        """The latest reading of each sensor row: the Value column shows it (the onset value in the tooltip)."""
        last_value = np.asarray(last_value, dtype=float)
        old, self._live = self._live, last_value.copy()
        if not self._records:
            return
        rows = np.array([r.row for r in self._records])
        before, now = _at(old, rows), _at(self._live, rows)
        changed = ~((before == now) | (np.isnan(before) & np.isnan(now)))
        if changed.any():
            first, last = int(np.argmax(changed)), len(changed) - 1 - int(np.argmax(changed[::-1]))
            col = COL["Value"]
            self.dataChanged.emit(self.index(first, col), self.index(last, col))

    def value_of(self, r: AlarmRecord) -> float:
        """What the Value column shows for ``r``: the sensor's latest reading, else the value at onset."""
        if 0 <= r.row < len(self._live) and np.isfinite(self._live[r.row]):
            return float(self._live[r.row])
        return r.value

    def set_theme(self, theme: str) -> None:
        self._theme = theme
        if self._records:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._records) - 1, len(ALARM_COLUMNS) - 1))

    def set_records(self, records: list[AlarmRecord]) -> None:
        records = sorted(records, key=default_order_key)
        if [_key(r) for r in records] == [_key(r) for r in self._records]:
            return  # nothing shown changed: keep the rows (and the operator's selection) as they are
        self.beginResetModel()
        self._records = records
        self.endResetModel()

    def records(self) -> list[AlarmRecord]:
        return list(self._records)

    def record(self, row: int) -> AlarmRecord:
        return self._records[row]

    # -- Qt model API ----------------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ALARM_COLUMNS)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return translate("AlarmDock", ALARM_COLUMNS[section])
        return None

    def _info(self, r: AlarmRecord) -> tuple[str, str]:
        if 0 <= r.row < len(self._names):
            return str(self._names[r.row] or ""), str(self._units[r.row] or "")
        return "", ""

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self._records[index.row()]
        col = index.column()
        if role == RECORD_ROLE:
            return r
        if role == Qt.ItemDataRole.DisplayRole:
            name, unit = self._info(r)
            return (
                translate("AlarmDock", PRIORITY_LABELS[r.priority])
                if r.priority in PRIORITY_LABELS
                else str(int(r.priority)),
                _clock(r.since),
                r.sensor_id,
                name,
                translate("AlarmDock", CONDITION_LABELS[r.condition]),
                state_text(r),
                _num(self.value_of(r), unit),
                _num(r.limit, unit),
                r.feature_id,
                r.comment,
            )[col]
        if role == SORT_ROLE:
            name, _ = self._info(r)
            return (
                int(r.priority),
                r.since if np.isfinite(r.since) else -1.0,
                r.sensor_id,
                name,
                r.condition.code,
                _STATE_ORDER[r.state],
                self.value_of(r) if np.isfinite(self.value_of(r)) else -np.inf,
                r.limit if np.isfinite(r.limit) else -np.inf,
                r.feature_id,
                r.comment,
            )[col]
        if role == Qt.ItemDataRole.FontRole and r.state in (AlarmState.UNACK_ACTIVE, AlarmState.UNACK_RTN):
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == COL["P"] or (col == COL["State"] and r.state == AlarmState.UNACK_ACTIVE):
                return QBrush(QColor(PRIORITY_COLORS[self._theme].get(r.priority, "#ffffff")))
            if r.state == AlarmState.SHELVED or not r.active:
                return QBrush(QColor("#7d8a98" if self._theme == "dark" else "#8a96a3"))
        if role == Qt.ItemDataRole.ToolTipRole and col == COL["Value"]:
            _, unit = self._info(r)
            return translate("AlarmDock", "now {value} · at onset {onset}").format(
                value=_num(self.value_of(r), unit), onset=_num(r.value, unit)
            )
        if role == Qt.ItemDataRole.ToolTipRole:
            since = (
                datetime.fromtimestamp(r.since).isoformat(sep=" ", timespec="seconds") if np.isfinite(r.since) else "—"
            )
            tip = translate("AlarmDock", "{sensor} {condition} ({kind}) — {state}; active since {since}").format(
                sensor=r.sensor_id, condition=r.condition.value, kind=r.kind, state=state_text(r), since=since
            )
            return tip + (f"\n« {r.comment} »" if r.comment else "")
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL["Value"], COL["Limit"]):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _at(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]``, NaN where a row is out of range."""
    ok = (rows >= 0) & (rows < len(values))
    out = np.full(len(rows), np.nan)
    out[ok] = values[rows[ok]]
    return out


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _key(r: AlarmRecord) -> tuple:
    """Everything a row shows (NaN as None, so that unchanged rows compare equal)."""
    return (r.sensor_id, r.condition, r.state, int(r.priority), _f(r.since), _f(r.value), _f(r.limit),
            _f(r.shelved_until), r.comment, r.feature_id)  # fmt: skip


class AlarmFilter(QSortFilterProxyModel):
    """Text (sensor, name, feature, comment), most urgent priority shown and a state group."""

    STATES = {
        "all": None,
        "unacknowledged": {AlarmState.UNACK_ACTIVE, AlarmState.UNACK_RTN},
        "active": {AlarmState.UNACK_ACTIVE, AlarmState.ACK_ACTIVE},
        "shelved": {AlarmState.SHELVED},
    }

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._text = ""
        self._max_priority = int(Priority.LOW)
        self._states: set | None = None
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_filter(self, text: str | None = None, max_priority: int | None = None, states: str | None = None) -> None:
        self.beginFilterChange()
        if text is not None:
            self._text = text.strip().lower()
        if max_priority is not None:
            self._max_priority = int(max_priority)
        if states is not None:
            self._states = self.STATES[states]
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        model: AlarmTableModel = self.sourceModel()
        r = model.record(source_row)
        if int(r.priority) > self._max_priority:
            return False
        if self._states is not None and r.state not in self._states:
            return False
        if self._text:
            name, _ = model._info(r)
            hay = f"{r.sensor_id} {name} {r.feature_id} {r.comment} {r.kind} {r.condition.value}".lower()
            return self._text in hay
        return True
