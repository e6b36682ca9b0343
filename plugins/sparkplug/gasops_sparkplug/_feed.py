"""The Sparkplug B feed: an :class:`~console.telemetry.MqttFeed` (persistent session, QoS 1 acknowledged only once
stored, reconnection with back-off) subscribed to the ``spBv1.0`` namespace, decoding with :class:`SparkplugHost`."""

from __future__ import annotations

from console.telemetry import CommunicationLost, MqttFeed, SensorTable
from gasops_sparkplug._host import NAMESPACE, Lost, SparkplugHost, rebirth_request

__all__ = ["SparkplugFeed"]


class SparkplugFeed(MqttFeed):
    """Readings from Sparkplug B edge nodes of ``group`` (``"+"``: every group) on an MQTT broker.

    Takes :class:`~console.telemetry.MqttFeed`'s connection parameters (host, port, client_id, protocol, username,
    password, tls_ca, ack_window …); ``request_rebirth`` publishes ``NCMD`` rebirth requests for nodes whose births
    the console has not seen (or whose sequence jumped).
    """

    def __init__(self, sensors: SensorTable, *, group: str = "+", request_rebirth: bool = True, **kwargs) -> None:
        host, port = kwargs.get("host", "127.0.0.1"), kwargs.get("port", 1883)
        kwargs.setdefault("name", f"sparkplug {host}:{port}")
        kwargs.setdefault("client_id", f"gasops-console-sparkplug-{group if group != '+' else 'all'}")
        super().__init__(sensors, **kwargs)
        self.group = group
        self.host_app = SparkplugHost(sensors, group, request_rebirth=self._rebirth if request_rebirth else None)
        self.topics = self.host_app.topics
        self.topic = f"{NAMESPACE}/{group}/#"

    def rebind(self, sensors: SensorTable) -> None:
        """Follow an edited network: aliases were resolved against the old rows, so every node must be born again
        (asked for with a rebirth request on its next message)."""
        super().rebind(sensors)
        self.host_app.sensors = sensors
        for node in self.host_app.nodes.values():
            node.alive = False

    def _rebirth(self, group: str, node_id: str) -> None:
        self.publish(f"{NAMESPACE}/{group}/NCMD/{node_id}", rebirth_request(), qos=0)

    def decode_message(self, topic: str, payload: bytes):
        result = self.host_app.decode(topic, payload, self.counters)
        if isinstance(result, Lost):
            return CommunicationLost(result.rows, result.t)
        return result
