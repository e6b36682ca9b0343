"""A Sparkplug B host application's view of its edge nodes: births define metrics and aliases, data carries values,
deaths mark communication loss, and each node's sequence number orders its messages.

Topics: ``spBv1.0/<group_id>/<NBIRTH|NDATA|NDEATH|DBIRTH|DDATA|DDEATH>/<edge_node_id>[/<device_id>]``.

* **NBIRTH / DBIRTH** define the node's (device's) metrics: name, alias and data type, with their current values
  (taken as readings). A metric is a reading of a sensor when the last ``/`` segment of its name is the id of a sensor
  of the network (``Sensors/SA1`` or ``SA1``); the node's control and property metrics (``bdSeq``,
  ``Node Control/…``, ``Properties/…``, ``Device Control/…``) are not readings; any other metric counts as an
  unknown sensor.
* **NDATA / DDATA** carry values by alias (or by name). Data from a node with no birth since the console started or
  since its death is dropped as ``no_birth`` and a rebirth is requested (``NCMD`` ``Node Control/Rebirth``).
* **NDEATH** (the broker publishes it as the node's MQTT Last Will) marks every sensor of the node and its devices as
  lost at once, if its ``bdSeq`` matches the current birth's (an older session's will is ignored); **DDEATH** marks a
  device's sensors.
* **Sequence numbers**: every message of a node after its NBIRTH carries ``seq`` = previous + 1 (mod 256). The same
  number again, or one behind (a replay, a redelivery of what was handled), is dropped as ``replayed``; a jump
  forward (messages lost) is accepted, counted in :attr:`SparkplugHost.sequence_gaps` and answered with a rebirth
  request so aliases cannot drift.
* **Quality**: a metric property ``Quality`` (OPC: 192–255 good, 64–191 uncertain, else bad — Ignition's 500/600
  codes included) below uncertain drops the value as ``bad_quality``; so does ``is_null``. An ``engUnit`` property
  must equal the sensor's unit.
* Timestamps are the metric's, else the payload's, in milliseconds since the epoch.

Decoding never raises: a message becomes readings, a communication loss, or drops by reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from google.protobuf.message import DecodeError

from console.telemetry import DropReason, FeedCounters, SensorTable
from gasops_sparkplug._proto import DataType, Payload

__all__ = ["NAMESPACE", "MESSAGE_TYPES", "SparkplugHost", "Lost", "rebirth_request"]

NAMESPACE = "spBv1.0"
MESSAGE_TYPES = ("NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH", "NCMD", "DCMD")
MAX_PAYLOAD_BYTES = 1 << 20
CONTROL_PREFIXES = ("Node Control/", "Device Control/", "Properties/", "Node Info/", "Device Info/")
REBIRTH_EVERY_S = 5.0
_SIGNED = {DataType.INT8: 8, DataType.INT16: 16, DataType.INT32: 32, DataType.INT64: 64}
_NUMERIC = {DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64, DataType.UINT8, DataType.UINT16,
            DataType.UINT32, DataType.UINT64, DataType.FLOAT, DataType.DOUBLE, DataType.BOOLEAN}  # fmt: skip


@dataclass
class Lost:
    """Communication with ``rows`` lost at ``t`` (a death)."""

    rows: np.ndarray
    t: float


@dataclass
class _Device:
    alive: bool = False
    rows: set[int] = field(default_factory=set)


@dataclass
class _Node:
    alive: bool = False
    bd_seq: int | None = None
    seq: int | None = None
    aliases: dict[int, tuple[str, int, int]] = field(default_factory=dict)  # alias → (name, row or -1, datatype)
    names: dict[str, tuple[int, int]] = field(default_factory=dict)  # name → (row or -1, datatype)
    rows: set[int] = field(default_factory=set)  # the node's own sensors
    devices: dict[str, _Device] = field(default_factory=dict)
    rebirth_asked: float = -1e18


def rebirth_request(now_ms: int | None = None) -> bytes:
    """The ``NCMD`` payload asking an edge node to publish its births again."""
    p = Payload(timestamp=int(time.time() * 1000) if now_ms is None else int(now_ms))
    p.metrics.add(name="Node Control/Rebirth", datatype=int(DataType.BOOLEAN), boolean_value=True)
    return p.SerializeToString()


class SparkplugHost:
    """Turns Sparkplug B messages into readings of ``sensors`` (see the module text).

    ``request_rebirth(group, node)`` is called when a node must publish its births again (unknown node, sequence
    gap); the feed publishes an ``NCMD`` for it.
    """

    def __init__(self, sensors: SensorTable, group: str = "+", *, request_rebirth=None) -> None:
        self.sensors = sensors
        self.group = group
        self.request_rebirth = request_rebirth
        self.nodes: dict[tuple[str, str], _Node] = {}
        self.sequence_gaps = 0
        self.deaths = 0
        self.births = 0

    # -- topics ---------------------------------------------------------------------------------------------------
    @property
    def topics(self) -> tuple[str, ...]:
        g = self.group
        return tuple(f"{NAMESPACE}/{g}/{kind}/+" + ("/+" if kind[0] == "D" else "")
                     for kind in ("NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH"))  # fmt: skip

    def _row_of(self, name: str) -> int:
        """Row of the sensor a metric name denotes; -1 for control/property metrics; -2 for an unknown sensor."""
        if name == "bdSeq" or name.startswith(CONTROL_PREFIXES):
            return -1
        row = self.sensors.row(name.rsplit("/", 1)[-1]) if name else -1
        return row if row >= 0 else -2

    # -- decoding -------------------------------------------------------------------------------------------------
    def decode(self, topic: str, payload: bytes, counters: FeedCounters, now: float | None = None):
        """Readings ``(rows, t, value)`` arrays, a :class:`Lost`, or None (nothing to hand over); counts what was
        received and dropped in ``counters``."""
        now = time.time() if now is None else now
        parts = topic.split("/")
        if len(parts) not in (4, 5) or parts[0] != NAMESPACE or parts[2] not in MESSAGE_TYPES:
            counters.add_received(1)
            counters.add_dropped(DropReason.BAD_TOPIC)
            return None
        _, group, kind, node_id = parts[:4]
        device = parts[4] if len(parts) == 5 else None
        if (device is None) == kind.startswith("D") or kind in ("NCMD", "DCMD"):
            if kind in ("NCMD", "DCMD"):
                return None  # commands to nodes (ours among them): not data
            counters.add_received(1)
            counters.add_dropped(DropReason.BAD_TOPIC)
            return None
        if len(payload) > MAX_PAYLOAD_BYTES:
            counters.add_received(1)
            counters.add_dropped(DropReason.MALFORMED)
            return None
        try:
            msg = Payload.FromString(payload)
        except (DecodeError, ValueError, RuntimeError):
            counters.add_received(1)
            counters.add_dropped(DropReason.MALFORMED)
            return None
        node = self.nodes.setdefault((group, node_id), _Node())
        if kind == "NDEATH":
            return self._death(node, msg, now)
        if kind == "NBIRTH":
            node.alive, node.seq = True, int(msg.seq) % 256 if msg.HasField("seq") else 0
            node.aliases.clear()
            node.names.clear()
            node.rows.clear()
            node.devices.clear()
            node.bd_seq = None
            self.births += 1
            for m in msg.metrics:
                if m.name == "bdSeq":
                    node.bd_seq = _int_value(m)
            return self._metrics(node, None, msg, counters, define=True, group=group, node_id=node_id, now=now)
        # every other message of a node is ordered by its sequence number
        n_readings = sum(1 for m in msg.metrics if self._reading_metric(node, m))
        if not node.alive:
            counters.add_received(max(n_readings, 1))
            counters.add_dropped(DropReason.NO_BIRTH, max(n_readings, 1))
            self._ask_rebirth(node, group, node_id, now)
            return None
        if not msg.HasField("seq"):
            counters.add_received(max(n_readings, 1))
            counters.add_dropped(DropReason.MALFORMED, max(n_readings, 1))
            return None
        step = (int(msg.seq) - node.seq) % 256
        if step == 0 or step > 128:
            counters.add_received(max(n_readings, 1))
            counters.add_dropped(DropReason.REPLAYED, max(n_readings, 1))
            return None
        node.seq = int(msg.seq) % 256
        if step > 1:
            self.sequence_gaps += 1
            self._ask_rebirth(node, group, node_id, now)
        if kind == "DDEATH":
            dev = node.devices.get(device)
            if dev is None:
                return None
            dev.alive = False
            self.deaths += 1
            return Lost(np.array(sorted(dev.rows), np.int32), now)
        if kind == "DBIRTH":
            dev = node.devices.setdefault(device, _Device())
            dev.alive = True
            dev.rows.clear()
            self.births += 1
            return self._metrics(node, dev, msg, counters, define=True, group=group, node_id=node_id, now=now)
        dev = None
        if kind == "DDATA":
            dev = node.devices.get(device)
            if dev is None or not dev.alive:
                counters.add_received(max(n_readings, 1))
                counters.add_dropped(DropReason.NO_BIRTH, max(n_readings, 1))
                self._ask_rebirth(node, group, node_id, now)
                return None
        return self._metrics(node, dev, msg, counters, define=False, group=group, node_id=node_id, now=now)

    def _reading_metric(self, node: _Node, m) -> bool:
        if m.HasField("alias") and int(m.alias) in node.aliases:
            return node.aliases[int(m.alias)][1] != -1
        return self._row_of(m.name) != -1

    def _death(self, node: _Node, msg, now: float):
        bd = None
        for m in msg.metrics:
            if m.name == "bdSeq":
                bd = _int_value(m)
        if not node.alive or (bd is not None and node.bd_seq is not None and bd != node.bd_seq):
            return None  # a will from an older session of the node
        node.alive = False
        node.seq = None
        self.deaths += 1
        rows = set(node.rows)
        for dev in node.devices.values():
            dev.alive = False
            rows |= dev.rows
        return Lost(np.array(sorted(rows), np.int32), now)

    def _ask_rebirth(self, node: _Node, group: str, node_id: str, now: float) -> None:
        if self.request_rebirth is None or now - node.rebirth_asked < REBIRTH_EVERY_S:
            return
        node.rebirth_asked = now
        self.request_rebirth(group, node_id)

    def _metrics(self, node: _Node, dev: _Device | None, msg, counters: FeedCounters, *, define: bool, group: str,
                 node_id: str, now: float):  # fmt: skip
        rows, ts, values = [], [], []
        drops: dict[DropReason, int] = {}
        received = 0
        base_ms = int(msg.timestamp) if msg.HasField("timestamp") else None
        units = self.sensors.unit
        for m in msg.metrics:
            if define:
                row = self._row_of(m.name)
                datatype = int(m.datatype)
                if m.HasField("alias"):
                    node.aliases[int(m.alias)] = (m.name, row, datatype)
                node.names[m.name] = (row, datatype)
                if row >= 0:
                    (dev.rows if dev is not None else node.rows).add(row)
            elif m.HasField("alias"):
                known = node.aliases.get(int(m.alias))
                if known is None:  # an alias the births never defined: the node's view and ours differ
                    received += 1
                    drops[DropReason.UNKNOWN_SENSOR] = drops.get(DropReason.UNKNOWN_SENSOR, 0) + 1
                    self._ask_rebirth(node, group, node_id, now)
                    continue
                _, row, datatype = known
            else:
                row, datatype = node.names.get(m.name, (self._row_of(m.name), int(m.datatype)))
            if row == -1:
                continue  # bdSeq, controls, properties: not readings
            received += 1
            if row < 0:
                drops[DropReason.UNKNOWN_SENSOR] = drops.get(DropReason.UNKNOWN_SENSOR, 0) + 1
                continue
            if m.HasField("datatype"):
                datatype = int(m.datatype)
            reason = _quality(m, str(units[row]))
            if reason is None and m.is_null:
                reason = DropReason.BAD_QUALITY
            value = None
            if reason is None:
                value = _number(m, datatype)
                if value is None:
                    reason = DropReason.MALFORMED
            t_ms = int(m.timestamp) if m.HasField("timestamp") else base_ms
            if reason is None and t_ms is None:
                reason = DropReason.MALFORMED
            if reason is not None:
                drops[reason] = drops.get(reason, 0) + 1
                continue
            rows.append(row)
            ts.append(t_ms / 1000.0)
            values.append(value)
        counters.add_received(received)
        for reason, n in drops.items():
            counters.add_dropped(reason, n)
        if not rows:
            return None
        return np.array(rows, np.int32), np.array(ts), np.array(values, np.float64)


def _int_value(m) -> int | None:
    which = m.WhichOneof("value")
    if which in ("int_value", "long_value"):
        return int(getattr(m, which))
    return None


def _number(m, datatype: int) -> float | None:
    which = m.WhichOneof("value")
    if which is None:
        return None
    if datatype and datatype not in _NUMERIC:
        return None
    if which in ("float_value", "double_value"):
        return float(getattr(m, which))
    if which == "boolean_value":
        return 1.0 if m.boolean_value else 0.0
    if which in ("int_value", "long_value"):
        raw = int(getattr(m, which))
        bits = _SIGNED.get(datatype)
        if bits is not None:  # signed types travel as two's complement in the unsigned field
            raw &= (1 << bits) - 1
            if raw >= 1 << (bits - 1):
                raw -= 1 << bits
        return float(raw)
    return None


def _quality(m, unit: str) -> DropReason | None:
    if not m.HasField("properties"):
        return None
    props = m.properties
    for key, pv in zip(props.keys, props.values, strict=False):
        if key == "Quality":
            which = pv.WhichOneof("value")
            if which in ("int_value", "long_value"):
                q = int(getattr(pv, which))
                if not 64 <= q <= 255:  # OPC: 0–63 bad; Ignition: 500 stale, 600 error …
                    return DropReason.BAD_QUALITY
        elif key == "engUnit" and pv.WhichOneof("value") == "string_value" and pv.string_value != unit:
            return DropReason.UNIT_MISMATCH
    return None
