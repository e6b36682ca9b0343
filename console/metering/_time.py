"""RFC 3339 times (UTC, ``Z``) and metering periods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["parse_time", "format_time", "period_bounds"]


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 time; a naive time is taken as UTC. Raises ValueError naming the text."""
    try:
        t = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 time") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def format_time(t: datetime) -> str:
    """``2026-03-01T05:00:00Z`` (seconds precision, UTC)."""
    return t.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def period_bounds(t: datetime | str, period_s: int) -> tuple[datetime, datetime]:
    """The period of ``period_s`` seconds (aligned to UTC midnight) that holds ``t``.

    >>> [format_time(x) for x in period_bounds("2026-03-01T05:59:59Z", 3600)]
    ['2026-03-01T05:00:00Z', '2026-03-01T06:00:00Z']
    """
    t = parse_time(t) if isinstance(t, str) else t
    midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
    k = int((t - midnight).total_seconds() // period_s)
    start = midnight + timedelta(seconds=k * period_s)
    return start, start + timedelta(seconds=period_s)
