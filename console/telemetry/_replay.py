"""Replay of recorded readings (回放) from CSV or Parquet at 1x–100x, and writing such recordings.

A recording has one row per reading with columns ``sensor_id`` (or ``sensor``), the time as ``t`` (epoch seconds)
or ``ts`` (RFC 3339 text; without a zone it is taken as UTC), and ``value``. Rows are replayed in file order, each when the replay clock
reaches its time: ``first time + elapsed wall time × speed``. Rows with an unreadable time or value are counted as
``malformed``, unknown sensor ids as ``unknown_sensor``; the rest go through the same validation as live readings.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from console.atomic import atomic_output
from console.telemetry._feed import Feed, PacedThread, Sink
from console.telemetry._sensors import SensorTable
from console.telemetry._types import DropReason, FeedError, FeedState, ReadingBatch

__all__ = ["ReplayFeed", "read_recording", "write_recording", "MIN_SPEED", "MAX_SPEED"]

MIN_SPEED, MAX_SPEED = 1.0, 100.0


def read_recording(path: str | Path) -> pd.DataFrame:
    """A recording as a frame with columns ``sensor_id`` (str), ``t`` (float epoch s, NaN if unreadable),
    ``value`` (float, NaN if unreadable). Raises :class:`FeedError` naming the file for unreadable files."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in (".csv", ".txt"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            raise FeedError(f"{path}: recordings are .csv or .parquet files")
    except FeedError:
        raise
    except (OSError, ValueError, ImportError) as exc:
        raise FeedError(f"{path}: cannot read the recording ({exc})") from None
    cols = {c.lower(): c for c in frame.columns}
    sensor_col = cols.get("sensor_id") or cols.get("sensor")
    time_col = cols.get("t") or cols.get("ts") or cols.get("time")
    value_col = cols.get("value")
    if not (sensor_col and time_col and value_col):
        raise FeedError(
            f"{path}: a recording needs columns sensor_id, t (or ts) and value; it has {list(frame.columns)}"
        )
    t = _epoch_seconds(frame[time_col])
    value = pd.to_numeric(frame[value_col], errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame({"sensor_id": frame[sensor_col].astype(str).to_numpy(), "t": t, "value": value})


def _epoch_seconds(raw: pd.Series) -> np.ndarray:
    """Epoch seconds from numbers, datetimes or text (numbers or RFC 3339; text without a zone is taken as UTC)."""
    if pd.api.types.is_numeric_dtype(raw):
        return raw.to_numpy(dtype=float)
    if not pd.api.types.is_datetime64_any_dtype(raw):
        text = raw.astype(str).str.strip()
        numeric = pd.to_numeric(text, errors="coerce")
        if (numeric.notna() | (text == "")).all():
            return numeric.to_numpy(dtype=float)
        raw = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    elif raw.dt.tz is None:
        raw = raw.dt.tz_localize("UTC")
    seconds = (raw - pd.Timestamp("1970-01-01", tz="UTC")) / pd.Timedelta(seconds=1)
    return seconds.to_numpy(dtype=float, na_value=np.nan)


def write_recording(path: str | Path, sensor_ids, t, value) -> Path:
    """Write readings as a recording (.parquet or .csv by suffix), atomically (:mod:`console.atomic`)."""
    path = Path(path)
    frame = pd.DataFrame(
        {
            "sensor_id": np.asarray(sensor_ids, dtype=object).astype(str),
            "t": np.asarray(t, float),
            "value": np.asarray(value, float),
        }
    )
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise FeedError(f"{path}: recordings are written as .csv or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:
        if suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False, float_format="%.17g")
    return path


class ReplayFeed(Feed):
    """Replays a recording for a network's sensors.

    Parameters
    ----------
    path
        The .csv or .parquet recording.
    sensors
        The network's sensors (ids → rows).
    speed
        1–100 data seconds per wall second; ``None`` replays as fast as possible.
    """

    def __init__(self, path: str | Path, sensors: SensorTable, *, speed: float | None = 1.0, name: str = "") -> None:
        super().__init__(name or f"replay {Path(path).name}")
        if speed is not None and not (MIN_SPEED <= speed <= MAX_SPEED):
            raise FeedError(f"{path}: replay speed {speed:g}x is outside {MIN_SPEED:g}x–{MAX_SPEED:g}x")
        self.path = Path(path)
        self.speed = speed
        frame = read_recording(self.path)
        self.rows = sensors.rows_of(frame["sensor_id"].to_numpy(dtype=object))
        self.t = frame["t"].to_numpy(dtype=float)
        self.value = frame["value"].to_numpy(dtype=float)
        finite_t = self.t[np.isfinite(self.t)]
        self.t0 = float(finite_t.min()) if len(finite_t) else 0.0
        self.t_end = float(finite_t.max()) if len(finite_t) else 0.0
        self._malformed = ~np.isfinite(self.t) | np.isnan(self.value)
        self._pos = 0
        self._thread: PacedThread | None = None
        self._wall0 = 0.0
        # Pacing follows the latest time seen so far in file order (a row out of order is due at once).
        self._due_t = np.maximum.accumulate(np.where(np.isfinite(self.t), self.t, -np.inf)) if len(self.t) else self.t

    def __len__(self) -> int:
        return len(self.t)

    @property
    def finished(self) -> bool:
        return self._pos >= len(self.t)

    def clock(self) -> float:
        if self._thread is not None and self.speed:
            return self.t0 + (time.monotonic() - self._wall0) * self.speed
        if self._pos == 0:
            return self.t0
        return float(self._due_t[self._pos - 1])

    def _emit_until(self, end: int, sink: Sink) -> None:
        start = self._pos
        if end <= start:
            return
        sl = slice(start, end)
        self._pos = end
        self.counters.add_received(end - start)
        bad = self._malformed[sl]
        unknown = ~bad & (self.rows[sl] < 0)
        self.counters.add_dropped(DropReason.MALFORMED, int(bad.sum()))
        self.counters.add_dropped(DropReason.UNKNOWN_SENSOR, int(unknown.sum()))
        keep = ~bad & ~unknown
        idx = np.arange(start, end)[keep]
        clock = float(self._due_t[end - 1])
        sink(ReadingBatch(self.rows[idx], self.t[idx], self.value[idx], self.counters, clock))

    def run(self, sink: Sink, *, chunk: int = 100_000) -> None:
        """Hand the whole recording to ``sink`` synchronously, as fast as possible."""
        self._set_state(FeedState.RUNNING)
        while not self.finished:
            self._emit_until(min(len(self.t), self._pos + chunk), sink)
        self._set_state(FeedState.FINISHED)

    def start(self, sink: Sink) -> None:
        """Replay in a thread (paced by ``speed``); the state turns ``finished`` at the end of the file."""
        if self._thread is not None and self._thread.alive:
            return
        self._wall0 = time.monotonic() - (self.clock() - self.t0) / (self.speed or 1.0)
        self._set_state(FeedState.RUNNING)

        def step() -> bool:
            try:
                if self.speed:
                    now = self.t0 + (time.monotonic() - self._wall0) * self.speed
                    end = int(np.searchsorted(self._due_t, now, side="right"))
                else:
                    end = self._pos + 100_000
                self._emit_until(min(end, len(self.t)), sink)
            except Exception as exc:
                self._set_state(FeedState.FAILED, f"{type(exc).__name__}: {exc}")
                return False
            if self.finished:
                self._set_state(FeedState.FINISHED)
                return False
            return True

        self._thread = PacedThread(f"gasops-feed-{self.name}", step, 0.05 if self.speed else 0.0)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        if self.state not in (FeedState.FINISHED, FeedState.FAILED):
            self._set_state(FeedState.STOPPED)
