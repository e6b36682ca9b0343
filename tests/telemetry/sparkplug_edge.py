"""A Sparkplug B edge node in its own process, for the tests: ``python -m tests.telemetry.sparkplug_edge HOST PORT
GROUP NODE BDSEQ``. It connects with its NDEATH (carrying ``bdSeq``) as the MQTT Last Will, prints ``rebirth`` when
the host asks for births (NCMD ``Node Control/Rebirth``), and publishes what the test writes on stdin, one JSON line
per message: ``{"topic": ..., "hex": <payload bytes>}`` → ``ok``. Killing it (SIGKILL) makes the broker publish the
will: the death a real node's power cut or lost link gives."""

from __future__ import annotations

import json
import sys

import paho.mqtt.client as mqtt
from gasops_sparkplug import DataType, Payload


def death(bd_seq: int) -> bytes:
    p = Payload(timestamp=0)
    p.metrics.add(name="bdSeq", datatype=int(DataType.INT64), long_value=bd_seq)
    return p.SerializeToString()


def main() -> None:
    host, port, group, node, bd_seq = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"edge-{node}")
    client.will_set(f"spBv1.0/{group}/NDEATH/{node}", death(bd_seq), qos=1)

    def on_message(_c, _u, message):
        cmd = Payload.FromString(message.payload)
        if any(m.name == "Node Control/Rebirth" and m.boolean_value for m in cmd.metrics):
            print("rebirth", flush=True)

    client.on_message = on_message
    client.connect(host, port, 5)
    client.subscribe(f"spBv1.0/{group}/NCMD/{node}", qos=1)
    client.loop_start()
    print("connected", flush=True)
    for line in sys.stdin:
        msg = json.loads(line)
        info = client.publish(msg["topic"], bytes.fromhex(msg["hex"]), qos=1)
        info.wait_for_publish(5.0)
        print("ok", flush=True)


if __name__ == "__main__":
    main()
