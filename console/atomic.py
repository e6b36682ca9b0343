"""Atomic writes, the one way the console writes a file: it appears complete, or the previous one stays untouched.

The writer fills a temporary file (or folder) next to the target — in the same directory, so the final rename never
crosses a file system — fsyncs it, renames it over the target and fsyncs the directory, so the rename itself survives
a power cut. New files get the usual mode for the user (0666 less the process umask, applied by the kernel: the
umask is never read or changed, which would race with other threads creating files); a replaced file keeps its mode;
``mode=0o600`` for secrets.

Temporaries are named ``.<name>.tmp-<pid>-<random><suffix>``. A write killed half way (kill -9, power cut) leaves
one behind; the next write of the same target removes the temporaries of processes that are no longer running.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_text(folder / "plan.csv", "valve,order\\nV-1,1\\n")
PosixPath('...plan.csv')
>>> (folder / "plan.csv").read_text()
'valve,order\\nV-1,1\\n'
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from console.errors import GasOpsError

__all__ = [
    "FOLDER_MARKER",
    "AtomicWriteError",
    "atomic_open",
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "remove_stale_temporaries",
]

# A folder written through atomic_output(folder=True) by write_network carries this file; only such folders (or empty
# ones) are ever replaced, so a mistyped path can never wipe a user's unrelated folder.
FOLDER_MARKER = "gasops.json"


class AtomicWriteError(GasOpsError):
    """A file could not be written (the previous one is untouched)."""

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def _tmp_name(target: Path) -> Path:
    return target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}{target.suffix}"


_TMP_PID = re.compile(r"\.tmp-(\d+)-[0-9a-f]{8}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(target: str | os.PathLike) -> list[Path]:
    """Remove what killed writes of ``target`` left behind (temporaries of processes no longer running)."""
    target = Path(target)
    removed = []
    parent = target.parent if str(target.parent) else Path(".")
    for leftover in parent.glob(glob.escape(f".{target.name}.tmp-") + "*"):
        m = _TMP_PID.search(leftover.name[len(target.name) + 1 :])
        if m is None or _alive(int(m.group(1))):
            continue
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


@contextmanager
def atomic_output(target: str | os.PathLike, *, folder: bool = False, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path for a writer to create; on success rename it to ``target``, on failure remove it.

    ``folder=True`` writes a folder (a set of shapefiles): a folder cannot be renamed over a non-empty one, so the old
    one is renamed aside first and deleted only once the new one is in place (put back if that rename fails).
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise AtomicWriteError(target, f"folder {parent} does not exist")
    _check_replaceable(target, folder)
    remove_stale_temporaries(target)
    tmp = _tmp_name(target)
    if folder:
        tmp.mkdir()
    try:
        yield tmp
        if folder:
            for child in tmp.iterdir():
                _fsync(child)
            _fsync_dir(tmp)
            _replace_folder(tmp, target)
        else:
            if not tmp.is_file():
                raise AtomicWriteError(target, "the writer produced no file")
            if mode is not None:
                os.chmod(tmp, mode)
            elif target.is_file():
                os.chmod(tmp, target.stat().st_mode & 0o7777)
            _fsync(tmp)
            os.replace(tmp, target)
        _fsync_dir(parent)
    finally:
        _remove_leftovers(tmp)


@contextmanager
def atomic_open(
    target: str | os.PathLike,
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
    file_mode: int | None = None,
) -> Iterator[IO]:
    """Open a temporary file for writing (``"w"`` or ``"wb"``); it replaces ``target`` when the block ends cleanly."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes only ('w' or 'wb'), not {mode!r}")
    target = Path(target)
    with atomic_output(target, mode=file_mode) as tmp:
        perms = 0o600 if file_mode is not None else 0o666  # the kernel applies the umask to 0666
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), perms)
        binary = mode == "wb"
        with os.fdopen(fd, mode, **({} if binary else {"encoding": encoding, "newline": newline})) as handle:
            yield handle
            handle.flush()


def atomic_write_bytes(target: str | os.PathLike, data: bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``target`` atomically; returns the path."""
    with atomic_open(target, "wb", file_mode=mode) as handle:
        handle.write(data)
    return Path(target)


def atomic_write_text(
    target: str | os.PathLike, text: str, *, encoding: str = "utf-8", mode: int | None = None
) -> Path:
    """Write ``text`` to ``target`` atomically; returns the path."""
    return atomic_write_bytes(target, text.encode(encoding), mode=mode)


def _check_replaceable(target: Path, folder: bool) -> None:
    if not target.exists():
        return
    if folder:
        if not target.is_dir():
            raise AtomicWriteError(target, "exists and is a file; a Shapefile network is written as a folder")
        if any(target.iterdir()) and not (target / FOLDER_MARKER).is_file():
            raise AtomicWriteError(
                target,
                f"folder exists and was not written by GasOps (no {FOLDER_MARKER}); choose a new or empty folder",
            )
    elif target.is_dir():
        raise AtomicWriteError(target, "is a folder; give a file name")


def _replace_folder(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.replace(tmp, target)
        return
    aside = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}.old"
    os.replace(target, aside)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _remove_leftovers(tmp: Path) -> None:
    # GDAL may leave side files named after the temporary file (SQLite journals, .aux.xml).
    for leftover in tmp.parent.glob(glob.escape(tmp.name) + "*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    if path.is_file():
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
