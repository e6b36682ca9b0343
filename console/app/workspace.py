"""Workspaces and the bundled demo district.

A workspace is a folder: ``network.gpkg`` (GIS layers, the native project file) and, as later features arrive,
``console.db`` and ``ledger/``. The demo district is generated once into the user data directory (seconds) and
opened from its GeoPackage afterwards, so a second start is fast.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from platformdirs import user_data_dir

from console.app.jobs import Feedback
from console.network import GasNetwork

__all__ = [
    "DEMO_PIPES",
    "DEMO_SEED",
    "data_dir",
    "demo_path",
    "ensure_demo",
    "load_network",
    "open_network",
    "Workspace",
]

DEMO_PIPES = 30_000
DEMO_SEED = 2026
# Bump when the generator changes its output, so users get the new demo instead of a stale cached copy.
DEMO_GENERATION = 4


def data_dir() -> Path:
    """The per-user data folder (``GASOPS_DATA_DIR`` overrides it: tests and portable installs)."""
    override = os.environ.get("GASOPS_DATA_DIR")
    path = Path(override) if override else Path(user_data_dir("gasops", "GasOps"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_path(n_pipes: int = DEMO_PIPES, seed: int = DEMO_SEED) -> Path:
    return data_dir() / "demo" / f"demo-district-{n_pipes}-s{seed}-g{DEMO_GENERATION}.gpkg"


def ensure_demo(n_pipes: int = DEMO_PIPES, seed: int = DEMO_SEED, feedback: Feedback | None = None) -> Path:
    """Path of the demo district GeoPackage, generating and saving it first if it is not there yet."""
    from console.io import write_network
    from console.network import generate_demo

    path = demo_path(n_pipes, seed)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if feedback:
        feedback.progress(0.05, "Generating the demo district…")
    network = generate_demo(n_pipes=n_pipes, seed=seed)
    if feedback:
        feedback.progress(0.7, "Saving the demo district…")
    write_network(network, path)
    return path


def open_network(path: str | os.PathLike, feedback: Feedback | None = None, *, crs: object = None) -> GasNetwork:
    """Read a network file (or a ``postgresql://`` URL) with the reader registered for its kind (built-ins, plugins)."""
    from console.app.plugins import default_registry

    if feedback:
        feedback.progress(0.1, f"Reading {_shown_name(path)}…")
    network = default_registry().open(path, crs=crs)
    if feedback:
        feedback.progress(0.8, "Building topology…")
    network.topology  # noqa: B018 - warm the cache off the UI thread
    return network


def _shown_name(path: str | os.PathLike) -> str:
    from console.io import is_database_url, redact_url

    return redact_url(path) if is_database_url(path) else Path(path).name


def load_network(path: str | os.PathLike | None = None, *, feedback: Feedback | None = None) -> GasNetwork:
    """The network at ``path``, or the demo district (generated on first use) when ``path`` is None."""
    return open_network(path if path is not None else ensure_demo(), feedback)


class Workspace:
    """A project folder, and the one place that knows its layout.

    ``network.gpkg``
        the GIS layers (the native project file)
    ``console.db``
        reading history, alarm events (SQLite, WAL)
    ``ledger/``
        the evidence ledger: store, evidence files, encrypted keys
    ``exports/``
        valve plans, customer lists and reports written for crews

    A network opened from anywhere else (the demo district, a GasLib import, a PostGIS URL) gets an *implicit*
    workspace under the data folder, named after its file (:meth:`for_network`); its ledger is the organisation's
    ledger in the data folder, shared by every such network.

    >>> ws = Workspace("/srv/zhoushan")
    >>> ws.network_path.as_posix(), ws.db_path.as_posix(), ws.ledger_dir.as_posix()
    ('/srv/zhoushan/network.gpkg', '/srv/zhoushan/console.db', '/srv/zhoushan/ledger')
    >>> Workspace.for_network("/srv/zhoushan/network.gpkg").folder.as_posix()
    '/srv/zhoushan'
    """

    NETWORK_FILE = "network.gpkg"
    DB_FILE = "console.db"
    LEDGER_DIR = "ledger"
    EXPORTS_DIR = "exports"

    def __init__(self, folder: str | os.PathLike, *, implicit: bool = False) -> None:
        self.folder = Path(folder)
        self.implicit = implicit

    def __repr__(self) -> str:
        return f"Workspace({str(self.folder)!r}{', implicit=True' if self.implicit else ''})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Workspace) and (self.folder, self.implicit) == (other.folder, other.implicit)

    def __hash__(self) -> int:
        return hash((self.folder, self.implicit))

    @classmethod
    def for_network(cls, network_path: str | os.PathLike | None, network_name: str = "") -> Workspace:
        """The workspace of a network file: its folder when the file is a workspace's ``network.gpkg``, else a folder
        of its own under the data folder, named after the file (or the network's name)."""
        from console.io import is_database_url, redact_url

        key = network_name or "network"
        if network_path is not None:
            if is_database_url(network_path):
                key = redact_url(network_path).split("://", 1)[-1]
            else:
                path = Path(network_path)
                if path.name == cls.NETWORK_FILE:
                    return cls(path.parent)
                key = path.stem
        key = re.sub(r"[^\w.-]+", "_", key).strip("._") or "network"
        return cls(data_dir() / "workspaces" / key, implicit=True)

    @property
    def network_path(self) -> Path:
        return self.folder / self.NETWORK_FILE

    @property
    def db_path(self) -> Path:
        """``console.db``: reading history and alarm events."""
        return self.folder / self.DB_FILE

    @property
    def ledger_dir(self) -> Path:
        """The ledger node's folder (an implicit workspace uses the organisation's ledger in the data folder)."""
        return data_dir() / self.LEDGER_DIR if self.implicit else self.folder / self.LEDGER_DIR

    @property
    def exports_dir(self) -> Path:
        return self.folder / self.EXPORTS_DIR

    def ensure(self) -> Workspace:
        """Create the folder (not its files: each store creates its own)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def load(self, feedback: Feedback | None = None) -> GasNetwork:
        return open_network(self.network_path, feedback)

    def save(self, network: GasNetwork) -> Path:
        from console.io import write_network

        self.ensure()
        return write_network(network, self.network_path)
