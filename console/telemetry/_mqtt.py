"""MQTT feed (paho-mqtt 2.x): subscribe to ``gasops/v1/<utility>/+/reading`` with QoS 1 on a persistent session.

No reading is lost across a broker restart or a console restart as long as the broker keeps its sessions
(``persistence true`` in Mosquitto): the console connects with a fixed client id and ``clean_session=False``
(MQTT 3.1.1) or ``clean_start=False`` with a session expiry (MQTT 5), so the broker queues QoS-1 messages while the
console is away and delivers them when it returns. Readings redelivered after a reconnect are dropped as duplicates
by the validator. paho's network thread reconnects with exponential back-off (``reconnect_min_s`` doubling up to
``reconnect_max_s``); the feed state shows connecting / running / reconnecting and ``counters.reconnects`` counts
reconnections.

Payloads and topics are described in :mod:`console.telemetry._payload`.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from console.telemetry._devices import DeviceKeyRegistry
from console.telemetry._feed import Feed, Sink
from console.telemetry._payload import ReadingDecoder, topic_filter
from console.telemetry._sensors import SensorTable
from console.telemetry._types import DropReason, FeedError, FeedState, ReadingBatch

__all__ = ["MqttFeed"]

log = logging.getLogger(__name__)
SESSION_EXPIRY_S = 7 * 86400  # MQTT 5: how long the broker keeps our session (and queued readings) while we are away


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
        Signature and clock checks (see :class:`ReadingDecoder`).
    reconnect_min_s, reconnect_max_s
        Back-off between reconnection attempts.
    username, password, tls_ca
        Broker credentials and the CA file for TLS (``mqtts``).
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
        max_future_s: float | None = 300.0,
        reconnect_min_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        username: str | None = None,
        password: str | None = None,
        tls_ca: str | None = None,
        name: str = "",
    ) -> None:
        super().__init__(name or f"mqtt {host}:{port}")
        if protocol not in ("3.1.1", "5"):
            raise FeedError(f"MQTT protocol {protocol!r}: use 3.1.1 or 5")
        if qos not in (0, 1, 2):
            raise FeedError(f"MQTT QoS {qos}: use 0, 1 or 2")
        self.host, self.port, self.utility, self.qos = host, int(port), utility, qos
        self.client_id = client_id or f"gasops-console-{utility}"
        self.protocol = protocol
        self.keepalive_s = keepalive_s
        self.decoder = ReadingDecoder(
            sensors, utility, registry=registry, require_signed=require_signed, max_future_s=max_future_s
        )
        self.topic = topic_filter(utility)
        self.reconnect_min_s, self.reconnect_max_s = reconnect_min_s, reconnect_max_s
        self._auth = (username, password)
        self._tls_ca = tls_ca
        self._client: mqtt.Client | None = None
        self._sink: Sink | None = None
        self._stopping = threading.Event()
        self._connected_once = False

    def rebind(self, sensors: SensorTable) -> None:
        """Resolve sensor ids against an edited network's sensors from now on."""
        self.decoder.sensors = sensors

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
            kwargs = {"clean_start": False, "properties": props}
        try:
            client.connect_async(self.host, self.port, self.keepalive_s, **kwargs)
        except (OSError, ValueError) as exc:
            self._client = None
            raise FeedError(f"MQTT broker {self.host}:{self.port}: {exc}") from None
        client.loop_start()

    def stop(self) -> None:
        """Disconnect cleanly; the broker keeps the session and queues readings until the next start."""
        client, self._client = self._client, None
        if client is None:
            return
        self._stopping.set()
        try:
            client.disconnect()
        finally:
            client.loop_stop()
        self._set_state(FeedState.STOPPED)

    # -- paho callbacks (network thread) -------------------------------------------------------------------------
    def _on_connect(self, client, _userdata, flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            self._set_state(FeedState.RECONNECTING, f"broker refused the connection: {reason_code}")
            return
        if self._connected_once:
            self.counters.add_reconnect()
        self._connected_once = True
        client.subscribe(self.topic, qos=self.qos)  # running once the broker confirms (_on_subscribe) …
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
        if self._stopping.is_set():
            return
        self._set_state(FeedState.RECONNECTING, f"lost {self.host}:{self.port} ({reason_code}); reconnecting")

    def _on_message(self, _client, _userdata, message) -> None:
        # paho stops its network thread if a callback raises: nothing may escape from here.
        try:
            self.counters.add_received(1)
            result = self.decoder.decode(message.topic, message.payload)
            if isinstance(result, DropReason):
                self.counters.add_dropped(result)
                return
            row, t, value = result
            batch = ReadingBatch(np.array([row]), np.array([t]), np.array([value]), self.counters, time.time())
            sink = self._sink
            if sink is not None:
                sink(batch)
        except Exception:
            log.exception("MQTT feed %s: message on %r could not be handled", self.name, getattr(message, "topic", "?"))
            self.counters.add_dropped(DropReason.MALFORMED)
