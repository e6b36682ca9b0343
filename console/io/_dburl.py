"""Database locations: ``postgresql://user@host:port/database?schema=NAME`` parsed, and shown without the password.

A location is a libpq connection URI plus one GasOps parameter, ``schema`` (default ``public``). ``postgis://`` and
``postgres://`` are the same. Every other query parameter goes to libpq unchanged: ``sslmode=``, ``host=/run/postgresql``
for a unix socket, ``connect_timeout=``, ``passfile=``, ``service=``, ``application_name=`` …

The password may be in the URL (``user:secret@host``, percent-encoded), but is better left to libpq's usual lookup:
the ``PGPASSWORD`` environment variable or the ``~/.pgpass`` file (``PGPASSFILE`` to move it). Whatever the source, it
never appears in a message: :func:`redact_url` is how a location is shown, and :meth:`DatabaseLocation.scrub` takes
it out of any server or driver message that might echo the URL back.

This module is light (standard library only) so that ``console.io`` can recognise URLs without importing the
database stack, which ``console.io._postgis`` loads only when a database is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from console.errors import NetworkFileError

__all__ = ["SCHEMES", "DatabaseLocation", "PostGISError", "is_database_url", "parse_location", "redact_url"]

SCHEMES = ("postgresql", "postgres", "postgis")
DEFAULT_SCHEMA = "public"
# libpq waits for an unreachable host for as long as TCP does (minutes); a console should say so sooner.
_DEFAULT_CONNECT_TIMEOUT_S = "10"


class PostGISError(NetworkFileError):
    """A PostGIS location cannot be read or written: names the URL (never its password) and the problem."""


def is_database_url(location: object) -> bool:
    """Whether ``location`` is a PostgreSQL/PostGIS URL rather than a file path.

    >>> is_database_url("postgresql://gis@db.example:5432/city?schema=east"), is_database_url("postgis://db/city")
    (True, True)
    >>> is_database_url("network.gpkg"), is_database_url(None)
    (False, False)
    """
    if not isinstance(location, str) or "://" not in location:
        return False
    return location.split("://", 1)[0].lower() in SCHEMES


def redact_url(location: object) -> str:
    """``location`` as it may be shown or logged: a database URL without its password, anything else as text.

    >>> redact_url("postgresql://gis:s3cret@db:5432/city?schema=east&password=x&sslmode=require")
    'postgresql://gis@db:5432/city?schema=east&sslmode=require'
    >>> redact_url("postgis://:only-pw@db/city"), redact_url("network.gpkg")
    ('postgis://db/city', 'network.gpkg')
    """
    text = str(location)
    if not is_database_url(text):
        return text
    try:
        parts = urlsplit(text)
    except ValueError:  # an unparsable URL may still hold a password somewhere: show only its scheme
        return text.split("://", 1)[0] + "://…"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hosts = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{hosts}" if user else hosts
    query = "&".join(p for p in parts.query.split("&") if p and p.split("=", 1)[0].lower() != "password")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@dataclass(frozen=True)
class DatabaseLocation:
    """A parsed location: what libpq gets, the schema, and how the location is shown.

    ``conninfo`` holds the password when the URL has one: it goes to the driver and nowhere else (it is left out of
    ``repr``).
    """

    conninfo: str = field(repr=False)
    schema: str
    shown: str
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def scrub(self, message: str) -> str:
        """``message`` with the full URL replaced by :attr:`shown` and any password by ``***``."""
        message = message.replace(self.conninfo, self.shown)
        for secret in self.secrets:
            message = message.replace(secret, "***")
        return message

    def error(self, problem: str) -> PostGISError:
        return PostGISError(self.shown, self.scrub(problem))


def parse_location(url: str) -> DatabaseLocation:
    """Split ``url`` into the libpq URI and the schema; PostGISError for what is not a usable URL.

    >>> loc = parse_location("postgis://gis:pw@db:5433/city?schema=east&sslmode=require")
    >>> loc.schema, loc.shown
    ('east', 'postgis://gis@db:5433/city?schema=east&sslmode=require')
    >>> parse_location("postgresql:///city").schema
    'public'
    """
    shown = redact_url(url)
    if not is_database_url(url):
        raise PostGISError(shown, "not a database URL; write postgresql://user@host:port/database?schema=NAME")
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        password = parts.password
    except ValueError as exc:
        raise PostGISError(
            shown, f"malformed database URL ({exc}); write postgresql://user@host:port/database"
        ) from None
    schemas = [value for key, value in query if key == "schema"]
    schema = schemas[-1] if schemas else DEFAULT_SCHEMA
    if not schema:
        raise PostGISError(shown, "empty ?schema=; name the schema that holds (or will hold) the network")
    if parts.fragment:
        raise PostGISError(shown, "a database URL has no #fragment")
    libpq = [(key, value) for key, value in query if key != "schema"]
    secrets = [s for s in (password, *(v for k, v in libpq if k == "password")) if s]
    if not any(key == "connect_timeout" for key, _ in libpq) and "PGCONNECT_TIMEOUT" not in os.environ:
        libpq.append(("connect_timeout", _DEFAULT_CONNECT_TIMEOUT_S))
    conninfo = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(libpq), ""))
    raw_secrets = [raw for raw in (parts.netloc.rsplit("@", 1)[0].partition(":")[2] if "@" in parts.netloc else "",)]
    all_secrets = {s for s in (*secrets, *(unquote(s) for s in secrets), *raw_secrets) if len(s) >= 3}
    return DatabaseLocation(conninfo, schema, shown, tuple(sorted(all_secrets, key=len, reverse=True)))
