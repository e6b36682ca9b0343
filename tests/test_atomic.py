"""console.atomic, the one atomic write: file modes, failure, and the temporaries killed writes leave behind."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from console.atomic import (
    AtomicWriteError,
    atomic_open,
    atomic_output,
    atomic_write_bytes,
    atomic_write_text,
    remove_stale_temporaries,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes and pids")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def process_umask() -> int:
    """The umask, read in a child process (it inherits ours): changing it here would race with other threads."""
    out = subprocess.run(
        [sys.executable, "-c", "import os; m = os.umask(0o22); print(m)"], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@posix_only
@pytest.mark.parametrize("write", ["text", "bytes", "open", "open-binary"])
def test_new_file_mode_follows_the_umask(tmp_path, write):
    target = tmp_path / "plan.csv"
    if write == "text":
        atomic_write_text(target, "valve,order\n")
    elif write == "bytes":
        atomic_write_bytes(target, b"valve,order\n")
    else:
        with atomic_open(target, "w" if write == "open" else "wb") as handle:
            handle.write("valve,order\n" if write == "open" else b"valve,order\n")
    assert mode_of(target) == 0o666 & ~process_umask()
    assert target.read_bytes() == b"valve,order\n"


@posix_only
def test_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "plan.csv"
    target.write_text("old")
    os.chmod(target, 0o640)
    atomic_write_text(target, "new")
    assert mode_of(target) == 0o640
    with atomic_output(target) as tmp:  # a writer that creates the file itself, with its own mode
        tmp.write_text("newer")
        os.chmod(tmp, 0o666)
    assert mode_of(target) == 0o640
    assert target.read_text() == "newer"


@posix_only
def test_secret_mode(tmp_path):
    new = tmp_path / "pii.secret"
    atomic_write_bytes(new, b"\x00" * 32, mode=0o600)
    assert mode_of(new) == 0o600
    existing = tmp_path / "key.json"
    existing.write_text("{}")
    os.chmod(existing, 0o644)
    atomic_write_text(existing, '{"k": 1}', mode=0o600)
    assert mode_of(existing) == 0o600


def test_failure_inside_the_block_keeps_the_previous_file(tmp_path):
    target = tmp_path / "plan.csv"
    target.write_text("previous")
    with pytest.raises(RuntimeError, match="disk gone"), atomic_open(target) as handle:
        handle.write("half")
        raise RuntimeError("disk gone")
    assert target.read_text() == "previous"
    assert temporaries(tmp_path) == []


def test_refusals_name_the_target(tmp_path):
    with pytest.raises(AtomicWriteError, match=r"missing.*does not exist"):
        atomic_write_text(tmp_path / "missing" / "plan.csv", "x")
    with pytest.raises(AtomicWriteError, match="is a folder"):
        atomic_write_text(tmp_path, "x")
    with pytest.raises(ValueError, match="writes only"):
        with atomic_open(tmp_path / "plan.csv", "a"):
            pass
    with pytest.raises(AtomicWriteError, match="produced no file"), atomic_output(tmp_path / "plan.csv"):
        pass
    assert list(tmp_path.iterdir()) == []


@posix_only
def test_stale_temporaries_of_dead_processes_are_removed_a_live_ones_kept(tmp_path):
    target = tmp_path / "plan.csv"
    dead = dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale_file = tmp_path / f".plan.csv.tmp-{dead}-0123abcd.csv"
        stale_file.write_text("half")
        stale_folder = tmp_path / f".plan.csv.tmp-{dead}-89abcdef.old"  # a folder renamed aside, then killed
        stale_folder.mkdir()
        (stale_folder / "pipes.shp").write_bytes(b"x")
        in_progress = tmp_path / f".plan.csv.tmp-{live.pid}-fedcba98.csv"
        in_progress.write_text("still writing")
        other_target = tmp_path / f".report.csv.tmp-{dead}-0123abcd.csv"  # another file's: not ours to judge
        other_target.write_text("x")

        atomic_write_text(target, "valve,order\n")

        assert target.read_text() == "valve,order\n"
        assert temporaries(tmp_path) == sorted([in_progress.name, other_target.name])
        assert remove_stale_temporaries(tmp_path / "report.csv") == [other_target]
    finally:
        live.kill()
        live.wait()
    assert remove_stale_temporaries(target) == [in_progress]
    assert temporaries(tmp_path) == []


def test_folder_output_replaces_only_a_gasops_folder(tmp_path):
    target = tmp_path / "net_shp"
    with atomic_output(target, folder=True) as tmp:
        (tmp / "gasops.json").write_text("{}")
        (tmp / "pipes.shp").write_bytes(b"one")
    with atomic_output(target, folder=True) as tmp:
        (tmp / "gasops.json").write_text("{}")
        (tmp / "pipes.shp").write_bytes(b"two")
    assert (target / "pipes.shp").read_bytes() == b"two"
    assert temporaries(tmp_path) == []
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "report.docx").write_bytes(b"precious")
    with pytest.raises(AtomicWriteError, match="not written by GasOps"), atomic_output(foreign, folder=True):
        pass
    assert [p.name for p in foreign.iterdir()] == ["report.docx"]
