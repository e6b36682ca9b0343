"""Sparkplug B feeds for GasOps Console (a first-party plugin).

Registered through the ``console.plugins`` entry-point group (``sparkplug = "gasops_sparkplug:register"``): it adds
the ``sparkplug`` feed adapter to the plugin registry, which ``LiveSession.connect_adapter("sparkplug", …)`` and
``gasops feed adapter sparkplug`` start. A third party adds an OPC UA or Modbus adapter the same way: a
``register(registry)`` that calls ``registry.add_feed_adapter(name, factory, description, options)``, where
``factory(sensors, **options)`` returns a :class:`console.telemetry.Feed`.
"""

from __future__ import annotations

from gasops_sparkplug._feed import SparkplugFeed
from gasops_sparkplug._host import MESSAGE_TYPES, NAMESPACE, SparkplugHost, rebirth_request
from gasops_sparkplug._proto import DataType, Payload

__all__ = ["DataType", "MESSAGE_TYPES", "NAMESPACE", "Payload", "SparkplugFeed", "SparkplugHost", "rebirth_request",
           "register"]  # fmt: skip

OPTIONS = {
    "host": "MQTT broker host",
    "port": "MQTT broker port",
    "group": "Sparkplug group id to follow (+: every group)",
    "client_id": "fixed MQTT client id of this console",
    "protocol": "MQTT protocol: 3.1.1 or 5",
    "username": "broker user name",
    "password": "broker password",
    "tls_ca": "CA certificate file for TLS",
    "ack_window": "the broker's in-flight window for this client",
}


def register(registry) -> None:
    """Add the ``sparkplug`` feed adapter."""
    registry.add_feed_adapter(
        "sparkplug", SparkplugFeed, "Sparkplug B edge nodes over MQTT (births, data, deaths)", options=OPTIONS
    )
