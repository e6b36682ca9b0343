"""MQTT feed (paho-mqtt 2.x): single readings on ``gasops/v1/<utility>/+/reading`` and batches on
``gasops/v1/<utility>/+/batch``, QoS 1, on a persistent session.

**Acknowledged means stored.** The client acknowledges QoS-1 messages by hand (paho's ``manual_ack``): messages are
decoded as they arrive and gathered into a cut (up to ``ack_window // 2`` messages or ``cut_interval_s`` of time),
the cut goes to the telemetry service as one :class:`ReadingBatch` carrying the acknowledgement, and the service
sends the PUBACKs only after the readings are committed to the history (:meth:`HistoryStore.commit`). A console
killed at any moment has stored every message the broker saw acknowledged; the broker redelivers the rest, and the
validator and the history drop what was already stored as duplicates. PUBACKs go out in the order the messages
arrived, and never for a message of an earlier connection (its ids mean nothing to the broker after a reconnect).

The broker lets at most its in-flight window of unacknowledged messages out to one client (Mosquitto:
``max_inflight_messages``, 20 by default; MQTT 5 clients announce their own Receive Maximum, which this feed sets to
``ack_window``): set ``ack_window`` to the broker's window, and raise both for high message rates.

Sessions: the console connects with a fixed client id and ``clean_session=False`` (MQTT 3.1.1) or ``clean_start=False``
with a session expiry (MQTT 5), so the broker queues QoS-1 messages while the console is away and delivers them when
it returns (``persistence true`` in Mosquitto keeps them across broker restarts). paho's network thread reconnects with
exponential back-off (``reconnect_min_s`` doubling up to ``reconnect_max_s``); the feed state shows connecting /
running / reconnecting and ``counters.reconnects`` counts reconnections.

Payloads and topics are described in :mod:`console.telemetry._payload` and :mod:`console.telemetry._batch`.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from console.telemetry._batch import BatchDecoder, batch_topic_filter
from console.telemetry._devices import DeviceKeyRegistry
from console.telemetry._feed import Feed, Sink
from console.telemetry._payload import ReadingDecoder, topic_filter
from console.telemetry._sensors import SensorTable
from console.telemetry._types import DropReason, FeedError, FeedState, ReadingBatch

__all__ = ["CommunicationLost", "MqttFeed"]

log = logging.getLogger(__name__)
SESSION_EXPIRY_S = 7 * 86400  # MQTT 5: how long the broker keeps our session (and queued readings) while we are away


class CommunicationLost:
    """What a decoder returns for a message that ends communication with sensors (a Sparkplug NDEATH or DDEATH):
    the readings gathered so far are handed over first, then the loss applies to ``rows`` at ``t``."""

    __slots__ = ("rows", "t")

    def __init__(self, rows, t: float) -> None:
        self.rows = np.asarray(rows, np.int32).reshape(-1)
        self.t = float(t)


class _Cut:
    """Readings and message ids gathered since the last hand-over (guarded by the feed's cut lock)."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.t: list[float] = []
        self.value: list[float] = []
        self.arrays: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.mids: list[int] = []
        self.lost: list[CommunicationLost] = []
        self.messages = 0
        self.since = time.monotonic()


class MqttFeed(Feed):
    """Readings from an MQTT broker.

    Parameters
    ----------
    sensors
        The network's sensors.
    host, port
        The broker.
    utility
        The utility level of the topics to subscribe to.
    client_id
        Fixed client id of this console (the broker keeps its session under it); one per running console.
    protocol
        ``"3.1.1"`` or ``"5"``.
    registry, require_signed, max_future_s
        Signature and clock checks (see :class:`ReadingDecoder`; the service's validator also bounds clock skew).
    reconnect_min_s, reconnect_max_s
        Back-off between reconnection attempts.
    username, password, tls_ca
        Broker credentials and the CA file for TLS (``mqtts``).
    ack_window
        The broker's in-flight window for this client (messages it sends before it waits for PUBACKs).
    cut_interval_s
        Longest a received message waits before it is handed to the service.
    """

    def __init__(
        self,
        sensors: SensorTable,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        utility: str = "demo",
        client_id: str | None = None,
        protocol: str = "3.1.1",
        qos: int = 1,
        keepalive_s: int = 30,
        registry: DeviceKeyRegistry | None = None,
        require_signed: bool = False,
        max_future_s: float | None = None,
        reconnect_min_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        username: str | None = None,
        password: str | None = None,
        tls_ca: str | None = None,
        name: str = "",
        ack_window: int = 20,
        cut_interval_s: float = 0.01,
    ) -> None:
        super().__init__(name or f"mqtt {host}:{port}")
        if protocol not in ("3.1.1", "5"):
            raise FeedError(f"MQTT protocol {protocol!r}: use 3.1.1 or 5")
        if qos not in (0, 1):
            raise FeedError(f"MQTT QoS {qos}: use 0 or 1")
        if not 1 <= int(ack_window) <= 65535:
            raise FeedError(f"MQTT in-flight window {ack_window}: use 1–65535 messages")
        self.host, self.port, self.utility, self.qos = host, int(port), utility, qos
        self.client_id = client_id or f"gasops-console-{utility}"
        self.protocol = protocol
        self.keepalive_s = keepalive_s
        self.decoder = ReadingDecoder(
            sensors, utility, registry=registry, require_signed=require_signed, max_future_s=max_future_s
        )
        self.batch_decoder = BatchDecoder(sensors, utility, registry=registry, require_signed=require_signed)
        self.topic = topic_filter(utility)
        self.topics = (self.topic, batch_topic_filter(utility))
        self.reconnect_min_s, self.reconnect_max_s = reconnect_min_s, reconnect_max_s
        self.ack_window = int(ack_window)
        self.cut_messages = max(1, self.ack_window // 2)
        self.cut_interval_s = float(cut_interval_s)
        self._auth = (username, password)
        self._tls_ca = tls_ca
        self._client: mqtt.Client | None = None
        self._sink: Sink | None = None
        self._stopping = threading.Event()
        self._connected_once = False
        self._connection = 0  # grows with every connection: PUBACKs of an earlier one are never sent
        self._cut = _Cut()
        self._cut_lock = threading.Lock()
        self._ticker: threading.Thread | None = None

    def rebind(self, sensors: SensorTable) -> None:
        """Resolve sensor ids against an edited network's sensors from now on."""
        self.decoder.sensors = sensors
        self.batch_decoder.sensors = sensors

    def start(self, sink: Sink) -> None:
        """Connect (in paho's thread, retrying with back-off) and hand over readings as they arrive."""
        if self._client is not None:
            return
        self._sink = sink
        self._stopping.clear()
        v5 = self.protocol == "5"
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=None if v5 else False,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            manual_ack=self.qos == 1,
        )
        client.reconnect_delay_set(self.reconnect_min_s, self.reconnect_max_s)
        client.max_inflight_messages_set(100)
        if self._auth[0] is not None:
            client.username_pw_set(*self._auth)
        if self._tls_ca:
            client.tls_set(ca_certs=self._tls_ca)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._client = client
        self._set_state(FeedState.CONNECTING, f"connecting to {self.host}:{self.port}")
        props = None
        kwargs = {}
        if v5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = SESSION_EXPIRY_S
            props.ReceiveMaximum = self.ack_window
            kwargs = {"clean_start": False, "properties": props}
        try:
            client.connect_async(self.host, self.port, self.keepalive_s, **kwargs)
        except (OSError, ValueError) as exc:
            self._client = None
            raise FeedError(f"MQTT broker {self.host}:{self.port}: {exc}") from None
        client.loop_start()
        self._ticker = threading.Thread(target=self._tick, name=f"gasops-feed-{self.name}-cut", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        """Hand over what was received, disconnect; the broker keeps the session and queues readings until the next
        start (and redelivers what was not acknowledged yet)."""
        client, self._client = self._client, None
        if client is None:
            return
        self._stopping.set()
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.join(5.0)
        try:
            client.disconnect()
        finally:
            client.loop_stop()
        self._connection += 1  # late acknowledgements of this connection are not sent
        self._hand_over()
        self._set_state(FeedState.STOPPED)

    # -- cutting and acknowledging -----------------------------------------------------------------------------------
    def _tick(self) -> None:
        while not self._stopping.wait(self.cut_interval_s):
            try:
                if self._cut.messages and time.monotonic() - self._cut.since >= self.cut_interval_s:
                    self._hand_over()
            except Exception:
                log.exception("MQTT feed %s: handing readings over failed", self.name)

    def _hand_over(self) -> None:
        """Give the gathered readings to the sink as one batch that acknowledges its messages once stored."""
        with self._cut_lock:  # held while the sink takes it: cuts reach the service in arrival order
            cut = self._cut
            if not cut.messages:
                return
            self._cut = _Cut()
            parts = cut.arrays
            if cut.rows:
                parts = [*parts, (np.array(cut.rows, np.int32), np.array(cut.t), np.array(cut.value))]
            if parts:
                rows, t, value = (np.concatenate(c) for c in zip(*parts, strict=True))
            else:
                rows, t, value = np.empty(0, np.int32), np.empty(0), np.empty(0)
            acks = (self._acknowledger(self._connection, cut.mids),) if cut.mids else ()
            now = time.time()
            lost_rows = np.concatenate([x.rows for x in cut.lost]) if cut.lost else None
            lost_t = max((x.t for x in cut.lost), default=float("nan"))
            batch = ReadingBatch(rows, t, value, self.counters, now, acks, now, lost_rows, lost_t)
            sink = self._sink
            if sink is not None:
                sink(batch)

    def _acknowledger(self, connection: int, mids: list[int]):
        def ack() -> None:
            client = self._client
            if client is None or connection != self._connection:
                return  # that connection is gone: the broker redelivers, the duplicates are dropped
            for mid in mids:
                client.ack(mid, 1)

        return ack

    # -- paho callbacks (network thread) -------------------------------------------------------------------------
    def _on_connect(self, client, _userdata, flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            self._set_state(FeedState.RECONNECTING, f"broker refused the connection: {reason_code}")
            return
        if self._connected_once:
            self.counters.add_reconnect()
        self._connected_once = True
        client.subscribe([(topic, self.qos) for topic in self.topics])  # running once the broker confirms …
        if getattr(flags, "session_present", False):  # … or now, when the broker kept our session and its subscription
            self._set_state(FeedState.RUNNING, f"connected to {self.host}:{self.port}, session resumed")

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _properties) -> None:
        # Until the broker has the subscription, a fresh session would miss what devices publish.
        refused = [rc for rc in reason_codes if rc.is_failure]
        if refused:
            self._set_state(FeedState.FAILED, f"broker refused the subscription to {self.topic}: {refused[0]}")
            return
        self._set_state(FeedState.RUNNING, f"connected to {self.host}:{self.port}, subscribed to {self.topic}")

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        self._connection += 1  # message ids of the lost connection must not be acknowledged on the next one
        if self._stopping.is_set():
            return
        self._set_state(FeedState.RECONNECTING, f"lost {self.host}:{self.port} ({reason_code}); reconnecting")

    def decode_message(self, topic: str, payload: bytes):
        """Decode one message, counting what was received and dropped: a :class:`DropReason`, one reading
        ``(row, t, value)``, arrays ``(rows, t, value)``, :class:`CommunicationLost`, or None (nothing to hand over:
        a control message). Feeds for other payload formats (Sparkplug B) override it; it runs in paho's network
        thread and must be fast."""
        if topic.endswith("/batch"):
            result = self.batch_decoder.decode(topic, payload)
            if isinstance(result, DropReason):
                self.counters.add_received(1)
                self.counters.add_dropped(result)
            else:
                self.counters.add_received(len(result[0]))
            return result
        self.counters.add_received(1)
        result = self.decoder.decode(topic, payload)
        if isinstance(result, DropReason):
            self.counters.add_dropped(result)
        return result

    def publish(self, topic: str, payload: bytes, qos: int = 0) -> bool:
        """Publish on the feed's connection (a Sparkplug rebirth request); False when not connected."""
        client = self._client
        if client is None or not client.is_connected():
            return False
        return client.publish(topic, payload, qos=qos).rc == mqtt.MQTT_ERR_SUCCESS

    def _on_message(self, _client, _userdata, message) -> None:
        # paho stops its network thread if a callback raises: nothing may escape from here.
        try:
            result = self.decode_message(message.topic, message.payload)
        except Exception:
            log.exception("MQTT feed %s: message on %r could not be handled", self.name, getattr(message, "topic", "?"))
            self.counters.add_dropped(DropReason.MALFORMED)
            result = DropReason.MALFORMED
        if isinstance(result, CommunicationLost):
            self._hand_over()  # the readings before the death first
            with self._cut_lock:
                cut = self._cut
                cut.lost.append(result)
                if message.qos == 1:
                    cut.mids.append(message.mid)
                cut.messages += 1
            self._hand_over()
            return
        with self._cut_lock:
            cut = self._cut
            if result is not None and not isinstance(result, DropReason):
                if len(result) == 3 and isinstance(result[0], np.ndarray):
                    cut.arrays.append(result)
                else:
                    cut.rows.append(result[0])
                    cut.t.append(result[1])
                    cut.value.append(result[2])
            if message.qos == 1:
                cut.mids.append(message.mid)  # bad messages too: acknowledged in order, with the cut they arrived in
            cut.messages += 1
            full = cut.messages >= self.cut_messages
        if full:
            self._hand_over()
