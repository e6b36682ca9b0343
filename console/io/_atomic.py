"""Atomic writes: a written file or folder appears complete, or the previous one stays untouched.

The writer fills a temporary file (or folder) next to the target, in the same directory so that the final rename
never crosses a file system, and only then renames it over the target. On any failure the temporary output, and any
side files GDAL made next to it (``-journal``, ``-wal``, ``.aux.xml``), are removed.
"""

from __future__ import annotations

import glob
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from console.errors import NetworkFileError

__all__ = ["atomic_output", "FOLDER_MARKER"]

# A folder written by write_network carries this file; only such folders (or empty ones) are ever replaced, so a
# mistyped path can never wipe a user's unrelated folder.
FOLDER_MARKER = "gasops.json"


@contextmanager
def atomic_output(target: Path, *, folder: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success rename it to ``target``, on failure remove it.

    Parameters
    ----------
    target
        The final file or folder.
    folder
        Write a folder (a set of shapefiles) instead of a single file.

    Notes
    -----
    A file is replaced with one ``os.replace`` (atomic on POSIX and Windows). A folder cannot be renamed over a
    non-empty folder, so the old one is first renamed aside and deleted only after the new one is in place; if the
    second rename fails the old folder is put back.
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise NetworkFileError(target, f"folder {parent} does not exist")
    _check_replaceable(target, folder)
    tmp = parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}{target.suffix}"
    if folder:
        tmp.mkdir()
    try:
        yield tmp
        if folder:
            for child in tmp.iterdir():
                _fsync(child)
            _replace_folder(tmp, target)
        else:
            if not tmp.is_file():
                raise NetworkFileError(target, "the writer produced no file")
            _fsync(tmp)
            os.replace(tmp, target)
        _fsync_dir(parent)
    finally:
        _remove_leftovers(tmp)


def _check_replaceable(target: Path, folder: bool) -> None:
    if not target.exists():
        return
    if folder:
        if not target.is_dir():
            raise NetworkFileError(target, "exists and is a file; a Shapefile network is written as a folder")
        if any(target.iterdir()) and not (target / FOLDER_MARKER).is_file():
            raise NetworkFileError(
                target,
                f"folder exists and was not written by GasOps (no {FOLDER_MARKER}); choose a new or empty folder",
            )
    elif target.is_dir():
        raise NetworkFileError(target, "is a folder; give a file name")


def _replace_folder(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.replace(tmp, target)
        return
    aside = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
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
