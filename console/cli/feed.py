"""``gasops feed`` and ``gasops alarms``: run a sensor feed headless and print its alarms; list stored alarms.

    gasops feed simulate NETWORK [--duration S] [--speed X] [--seed N] [--leak ID@S] [--regulator-failure ID@S]
    gasops feed replay NETWORK RECORDING [--speed 1..100]
    gasops feed mqtt NETWORK --host H [--port P] [--utility U] [--duration S] [--devices FILE --require-signed]
    gasops feed adapter NAME NETWORK [--option KEY=VALUE …] [--duration S]   (a plugin's feed, e.g. sparkplug)
    gasops alarms WORKSPACE [--history] [--flood] [--sensor ID] [--since TIME] [--json]

NETWORK is a network file or a workspace folder (its ``network.gpkg``); readings and alarm events are stored in the
workspace's ``console.db`` (``--workspace DIR``, or the NETWORK folder itself). Alarm events print one per line as
they happen (``--json``: one JSON object per line), then a summary of the feed's counters, the alarm list and the
alarm load (ISA-18.2 floods).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from console.errors import GasOpsError

__all__ = ["add_parser", "run_feed", "run_alarms"]


def add_parser(subparsers: Any) -> None:
    """Add the ``feed`` and ``alarms`` subcommands to gasops's argparse subparsers."""
    feed = subparsers.add_parser(
        "feed",
        help="run a sensor feed headless (simulator, replay, MQTT) and print its alarms (监测与报警)",
        description="Run a sensor feed through validation, alarm evaluation and history, printing alarm events.",
    )
    kinds = feed.add_subparsers(dest="feed_kind", metavar="KIND", required=True)

    sim = kinds.add_parser("simulate", help="the deterministic simulator, with scripted leaks and regulator failures")
    _common(sim)
    sim.add_argument("--duration", type=float, default=3600.0, metavar="S", help="simulated seconds (default 3600)")
    sim.add_argument("--speed", type=float, default=0.0, metavar="X", help="data seconds per second; 0 = flat out")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--start", default=None, metavar="TIME", help="RFC 3339 start (default 2026-01-05T00:00+08:00)")
    sim.add_argument("--interval", type=float, default=1.0, metavar="S", help="seconds between readings")
    sim.add_argument("--leak", action="append", default=[], metavar="ID@S[:SEVERITY]", help="leak on a pipe/node")
    sim.add_argument("--regulator-failure", action="append", default=[], metavar="ID@S[:FACTOR]")
    sim.add_argument("--no-faults", action="store_true", help="no dropped readings and no sensor outages")
    sim.add_argument("--record", metavar="FILE", help="also write the accepted readings to a .parquet/.csv recording")
    sim.set_defaults(handler=run_feed)

    rep = kinds.add_parser("replay", help="replay a recorded .csv/.parquet file at 1x–100x")
    _common(rep)
    rep.add_argument("recording")
    rep.add_argument("--speed", type=float, default=None, metavar="X", help="1–100 (default: as fast as possible)")
    rep.set_defaults(handler=run_feed)

    mq = kinds.add_parser("mqtt", help="subscribe to gasops/v1/<utility>/+/reading on an MQTT broker")
    _common(mq)
    mq.add_argument("--host", default="127.0.0.1")
    mq.add_argument("--port", type=int, default=1883)
    mq.add_argument("--utility", default="demo")
    mq.add_argument("--client-id", default=None)
    mq.add_argument("--protocol", choices=["3.1.1", "5"], default="3.1.1")
    mq.add_argument("--username", default=None)
    mq.add_argument("--password", default=None)
    mq.add_argument("--tls-ca", default=None, metavar="FILE")
    mq.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds (default: Ctrl-C)")
    mq.add_argument(
        "--devices", metavar="FILE", help='JSON {"did:key:z6Mk…": ["S-00001", …] or null} of trusted devices'
    )
    mq.add_argument("--require-signed", action="store_true", help="drop readings without a device signature")
    mq.set_defaults(handler=run_feed)

    ad = kinds.add_parser(
        "adapter",
        help="a feed adapter a plugin installed (sparkplug: Sparkplug B edge nodes over MQTT)",
        description="Run a plugin's live feed adapter; --list shows the installed ones and their options.",
    )
    ad.add_argument("adapter", metavar="NAME", nargs="?", help="the adapter (see --list)")
    _common(ad, network_optional=True)
    ad.add_argument("--list", action="store_true", help="list the installed feed adapters and their options")
    ad.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="an adapter option (repeatable)")
    ad.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds (default: Ctrl-C)")
    ad.set_defaults(handler=run_feed)

    alarms = subparsers.add_parser(
        "alarms",
        help="list the alarms stored in a workspace's console.db",
        description="The current alarm list (every alarm not normal), the event history or the alarm load.",
    )
    alarms.add_argument("workspace", help="workspace folder (or its console.db)")
    alarms.add_argument("--history", action="store_true", help="list alarm events instead of the current alarms")
    alarms.add_argument(
        "--flood", action="store_true", help="alarm load per ISA-18.2 (floods, top and chattering alarms)"
    )
    alarms.add_argument("--sensor", default=None, metavar="ID")
    alarms.add_argument("--since", default=None, metavar="TIME", help="RFC 3339 or epoch seconds")
    alarms.add_argument("--until", default=None, metavar="TIME")
    alarms.add_argument("--limit", type=int, default=None, metavar="N", help="the newest N events")
    alarms.add_argument("--json", action="store_true")
    alarms.set_defaults(handler=run_alarms)


def _common(p: argparse.ArgumentParser, network_optional: bool = False) -> None:
    p.add_argument(
        "network", nargs="?" if network_optional else None, help="network file (.gpkg …) or workspace folder"
    )
    p.add_argument("--workspace", default=None, metavar="DIR", help="store history in DIR/console.db")
    p.add_argument("--no-store", action="store_true", help="keep no history")
    p.add_argument("--limits", default=None, metavar="FILE", help="alarm limits JSON (classes/kinds/sensors)")
    p.add_argument("--crs", help="CRS to assume for formats that carry none (e.g. EPSG:4529)")
    p.add_argument("--json", action="store_true", help="alarm events and the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="print only the summary")


def _spec(text: str, what: str) -> tuple[str, float, float | None]:
    """``ID@SECONDS[:NUMBER]`` → (id, seconds, number)."""
    try:
        fid, rest = text.rsplit("@", 1)
        at, _, extra = rest.partition(":")
        return fid, float(at), float(extra) if extra else None
    except ValueError:
        raise GasOpsError(f"{what} {text!r}: write FEATURE_ID@SECONDS[:NUMBER], e.g. P-000123@600") from None


def _open_network(args: argparse.Namespace):
    """The network, and the workspace whose ``console.db`` keeps its history (None: keep none)."""
    from console.app.workspace import Workspace, open_network

    path = Path(args.network)
    workspace = None
    if path.is_dir():
        workspace = Workspace(path)
        if not workspace.network_path.exists():
            raise GasOpsError(f"{path}: a workspace folder holds {Workspace.NETWORK_FILE}; it is not there")
        path = workspace.network_path
    if args.workspace:
        workspace = Workspace(args.workspace)
    return open_network(path, crs=args.crs), path, (None if args.no_store else workspace)


def _adapter_options(texts: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` options, as text (adapters convert what they take: ports, windows …)."""
    options: dict[str, Any] = {}
    for text in texts:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise GasOpsError(f"--option {text!r}: write KEY=VALUE, e.g. --option host=10.0.0.5")
        options[key.strip().replace("-", "_")] = value.strip()
    return options


def _list_adapters() -> int:
    from console.app.plugins import default_registry

    adapters = default_registry().feed_adapters
    if not adapters:
        print("no feed adapters installed")
    for name, adapter in sorted(adapters.items()):
        print(f"{name}: {adapter.description}")
        for key, doc in adapter.options.items():
            print(f"  --option {key}=…  {doc}")
    return 0


def run_feed(args: argparse.Namespace) -> int:
    from console.app.live import LiveSession, MqttSettings
    from console.telemetry import AlarmLimits, FeedState, Leak, RegulatorFailure, SensorTable, SimulatorConfig

    if args.feed_kind == "adapter":
        if args.list:
            return _list_adapters()
        if not args.adapter or not args.network:
            raise GasOpsError("gasops feed adapter NAME NETWORK: name the adapter and the network (or use --list)")
    network, path, workspace = _open_network(args)
    sensors = SensorTable.from_network(network)
    if not len(sensors):
        raise GasOpsError(f"{args.network}: the network has no sensors")
    limits = AlarmLimits.load(args.limits, sensors) if args.limits else None
    session = LiveSession(
        network, path, workspace=workspace, db_path=None if workspace is not None else False, limits=limits
    )
    service = session.service
    out = sys.stdout
    printed = threading.Lock()

    def on_alarm(event) -> None:
        if args.quiet:
            return
        with printed:
            if args.json:
                out.write(json.dumps({"event": event.to_dict()}, ensure_ascii=False) + "\n")
            else:
                out.write(event.format_line(str(sensors.unit[event.row]) if event.row >= 0 else "") + "\n")
            out.flush()

    service.alarm_changed.connect(on_alarm)
    recorded: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if getattr(args, "record", None):
        service.readings_arrived.connect(lambda b: recorded.append((b.rows.copy(), b.t.copy(), b.value.copy())))
    kind = args.feed_kind
    try:
        if kind == "simulate":
            events = [
                Leak(f, at, **({"severity": x} if x is not None else {}))
                for f, at, x in (_spec(s, "--leak") for s in args.leak)
            ]
            events += [
                RegulatorFailure(f, at, **({"factor": x} if x is not None else {}))
                for f, at, x in (_spec(s, "--regulator-failure") for s in args.regulator_failure)
            ]
            options = {
                "seed": args.seed,
                "start_t": args.start or SimulatorConfig().start_t,  # a fixed day: the same alarms on every run
                "interval_s": args.interval,
                "events": events,
                "faults": not args.no_faults,
            }
            if args.speed <= 0:
                session.run_simulator(args.duration, **options)
            else:
                feed = session.start_simulator(speed=args.speed, **options)
                end = feed.start_t + args.duration
                _wait(lambda: feed.clock() >= end)
        elif kind == "replay":
            if args.speed is None:
                session.run_replay(args.recording)
            else:
                feed = session.replay(args.recording, args.speed)
                _wait(lambda: feed.state in (FeedState.FINISHED, FeedState.FAILED))
        elif kind == "adapter":
            feed = session.connect_adapter(args.adapter, **_adapter_options(args.option))
            if not args.quiet:
                feed.state_changed.connect(
                    lambda st: print(f"feed {st.feed}: {st.state.value} {st.detail}", file=sys.stderr)
                )
            deadline = None if args.duration is None else time.monotonic() + args.duration
            _wait(lambda: deadline is not None and time.monotonic() >= deadline)
        else:
            settings = MqttSettings(
                host=args.host,
                port=args.port,
                utility=args.utility,
                client_id=args.client_id,
                protocol=args.protocol,
                username=args.username,
                password=args.password,
                tls_ca=args.tls_ca,
                require_signed=args.require_signed,
            )
            feed = session.connect_mqtt(settings, _devices(args.devices) if args.devices else None)
            if not args.quiet:
                feed.state_changed.connect(
                    lambda st: print(f"feed {st.feed}: {st.state.value} {st.detail}", file=sys.stderr)
                )
            deadline = None if args.duration is None else time.monotonic() + args.duration
            _wait(lambda: deadline is not None and time.monotonic() >= deadline)
    except KeyboardInterrupt:
        print("gasops: interrupted; stopping the feed", file=sys.stderr)
    finally:
        service.stop()
    try:
        if recorded:
            rows, t, v = (np.concatenate(parts) for parts in zip(*recorded, strict=True))
            from console.telemetry import write_recording

            write_recording(args.record, sensors.ids[rows], t, v)
        if session.feed is not None:
            _summary(session, args)
    finally:
        session.close()
    return 0


def _wait(done) -> None:
    while not done():
        time.sleep(0.1)


def _devices(path: str):
    from console.telemetry import DeviceKeys

    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GasOpsError(f"{path}: cannot read the device list ({exc})") from None
    if not isinstance(spec, dict):
        raise GasOpsError(f'{path}: the device list is a JSON object {{"did:key:…": ["SENSOR", …] or null}}')
    registry = DeviceKeys()
    for did, sensors in spec.items():
        try:
            registry.register(did, sensors)
        except ValueError as exc:
            raise GasOpsError(f"{path}: {exc}") from None
    return registry


def _summary(session, args) -> None:
    service, store = session.service, session.service.store
    status = session.feed.status()
    alarms = service.alarm_list()
    flood = service.flood_summary() if store is not None else None
    if args.json:
        print(
            json.dumps(
                {
                    "summary": {
                        "feed": status.to_dict(),
                        "alarms": [a.to_dict() for a in alarms],
                        "alarm_load": flood.to_dict() if flood else None,
                        "history": str(store.path) if store else None,
                    }
                },
                ensure_ascii=False,
            )
        )
        return
    dropped = ", ".join(f"{k} {n}" for k, n in status.dropped.items()) or "none"
    print(
        f"\nfeed {status.feed}: {status.state.value}; received {status.received:,}, accepted {status.accepted:,}, dropped {dropped}"
    )
    if status.reconnects:
        print(f"reconnected {status.reconnects} time(s)")
    print(_format_alarm_list(alarms))
    if flood is not None:
        print(flood.format_text())
        print(f"history: {store.path}")


def _format_alarm_list(alarms) -> str:
    from console.telemetry import iso_utc

    if not alarms:
        return "alarms: none outstanding"
    lines = [f"alarms: {len(alarms)} outstanding"]
    for a in alarms:
        since = iso_utc(a.since) if np.isfinite(a.since) else "—"
        value = f"{a.value:.4g}" if np.isfinite(a.value) else ""
        lines.append(
            f"  P{int(a.priority)}  {a.sensor_id:<12} {a.condition.value:<5} {a.state.value:<12} since {since}  {value}"
        )
    return "\n".join(lines)


def run_alarms(args: argparse.Namespace) -> int:
    from console.app.workspace import Workspace
    from console.telemetry import HistoryStore, flood_summary, parse_time

    path = Path(args.workspace)
    db = path if path.is_file() else Workspace(path).db_path
    if not db.exists():
        raise GasOpsError(f"{db}: no console.db here (run `gasops feed … --workspace {path}` first)")
    try:
        since = parse_time(args.since) if args.since else None
        until = parse_time(args.until) if args.until else None
    except ValueError as exc:
        raise GasOpsError(f"--since/--until: {exc}") from None
    store = HistoryStore(db)
    try:
        if args.flood:
            summary = flood_summary(store.events(since, until, kinds=["activated"]), start_t=since, end_t=until)
            print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2) if args.json else summary.format_text())
        elif args.history:
            events = store.events(since, until, sensor_id=args.sensor, limit=args.limit)
            if args.json:
                print(json.dumps([e.to_dict() for e in events], ensure_ascii=False, indent=2))
            else:
                print("\n".join(e.format_line() for e in events) or "no alarm events")
        else:
            alarms = [a for a in store.alarm_states() if args.sensor is None or a.sensor_id == args.sensor]
            print(
                json.dumps([a.to_dict() for a in alarms], ensure_ascii=False, indent=2)
                if args.json
                else _format_alarm_list(alarms)
            )
    finally:
        store.close()
    return 0
