"""A throw-away PostgreSQL + PostGIS server on loopback for the PostGIS tests and benchmark.

It uses the Debian server binaries (``/usr/lib/postgresql/<version>/bin``, packages ``postgresql-15`` and
``postgresql-15-postgis-3``, which ``make test`` installs), runs ``initdb`` into a fresh temporary folder and starts
the server on a free 127.0.0.1 port with its unix socket in that folder. PostgreSQL refuses to run as root, so as root
every server command runs as the ``postgres`` system user the Debian package creates (``runuser -u postgres``).

The superuser ``gasops`` has a password (``scram-sha-256`` over TCP, so a wrong password fails as it would on a real
server); the unix socket trusts local connections, which the fixtures use for set-up only.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer", "PostgresUnavailable", "find_server_binaries"]

PACKAGES = "postgresql-15 postgresql-15-postgis-3"


class PostgresUnavailable(RuntimeError):
    """The server binaries or PostGIS are not installed (or the server would not start)."""


def find_server_binaries() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin`` that has initdb, pg_ctl and the PostGIS extension files."""
    found = []
    for bindir in glob.glob("/usr/lib/postgresql/*/bin"):
        version = Path(bindir).parent.name
        if not (Path(bindir, "initdb").is_file() and Path(bindir, "pg_ctl").is_file()):
            continue
        has_postgis = Path(f"/usr/share/postgresql/{version}/extension/postgis.control").is_file()
        found.append((has_postgis, float(version) if version.replace(".", "").isdigit() else 0.0, Path(bindir)))
    if not found:
        raise PostgresUnavailable(
            f"no PostgreSQL server binaries in /usr/lib/postgresql/*/bin; install the Debian packages {PACKAGES} "
            "(`make test` does so as root)"
        )
    has_postgis, _version, bindir = max(found)
    if not has_postgis:
        raise PostgresUnavailable(
            f"PostgreSQL found in {bindir} but not the PostGIS extension; install {PACKAGES} (`make test` does so as root)"
        )
    return bindir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """Start with :meth:`start`, stop and delete everything with :meth:`stop` (also a context manager).

    ``url(database)`` is a TCP URL with the password; ``socket_url(database)`` a password-less one over the socket.
    ``durable=False`` (tests) turns fsync off; the benchmark keeps the defaults.
    """

    user = "gasops"

    def __init__(self, *, durable: bool = False) -> None:
        self.bindir = find_server_binaries()
        self.durable = durable
        self.password = secrets.token_urlsafe(12)
        self.port = 0
        self.root: Path | None = None
        self._as_postgres = os.geteuid() == 0

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    def start(self) -> PostgresServer:
        self.root = Path(tempfile.mkdtemp(prefix="gasops-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "run"
        self.socket_dir.mkdir()
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as_postgres:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root but there is no 'postgres' system user (the Debian postgresql package creates it)"
                ) from None
            for path in (self.root, self.socket_dir, pwfile):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        pwfile.unlink()
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-k {self.socket_dir}",
            "-c max_connections=40",
            "-c shared_buffers=128MB",
            "-c max_wal_size=2GB",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        for _attempt in range(5):
            self.port = _free_port()
            result = self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.root / "server.log"),
                "-o",
                " ".join([f"-p {self.port}", *options]),
                "-w",
                "-t",
                "60",
                "start",
                check=False,
            )
            if result.returncode == 0:
                break
        else:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            self.stop()
            raise PostgresUnavailable(f"the PostgreSQL server did not start:\n{result.stdout}{result.stderr}\n{log}")
        self.create_database("gasops", postgis=True)
        return self

    def stop(self) -> None:
        if self.root is None:
            return
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- URLs and administration -------------------------------------------------------------------------------------

    def url(self, database: str = "gasops", *, schema: str | None = None, password: str | None = None) -> str:
        pw = self.password if password is None else password
        query = f"?schema={schema}" if schema else ""
        return f"postgresql://{self.user}:{pw}@127.0.0.1:{self.port}/{database}{query}"

    def socket_url(self, database: str = "gasops", *, schema: str | None = None) -> str:
        query = f"&schema={schema}" if schema else ""
        return f"postgresql://{self.user}@/{database}?host={self.socket_dir}&port={self.port}{query}"

    def execute(self, sql: str, database: str = "gasops") -> list[tuple]:
        """Run SQL over the socket in autocommit mode; the rows of the last statement (if it returns any)."""
        import psycopg

        with psycopg.connect(
            host=str(self.socket_dir), port=self.port, user=self.user, dbname=database, autocommit=True
        ) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []

    def create_database(self, name: str, *, postgis: bool) -> None:
        self.execute(f'CREATE DATABASE "{name}"', database="postgres")
        if postgis:
            self.execute("CREATE EXTENSION postgis", database=name)

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root, timeout=120)
        if check and result.returncode != 0:
            raise PostgresUnavailable(f"{tool} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result
