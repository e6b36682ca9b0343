"""Writes are atomic: a failure anywhere leaves the previous output byte-identical and no temporary files."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import pyogrio
import pytest

from console.errors import NetworkFileError
from console.io import FORMATS, read_network, write_network
from console.network import GasNetwork

TARGETS = {"gpkg": "net.gpkg", "geojson": "net.geojson", "shapefile": "net_shp"}


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path → sha256), hidden temporary files included."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def previous(tmp_path: Path) -> dict[str, Path]:
    """Earlier outputs of every format, written from a different network."""
    old = GasNetwork({}, "EPSG:4529", name="上一版")
    return {fmt: write_network(old, tmp_path / name) for fmt, name in TARGETS.items()}


def failing_after(n_calls: int, real=pyogrio.write_dataframe):
    """A pyogrio.write_dataframe that writes ``n_calls`` times, then fails like a full disk."""
    calls = {"n": 0}

    def write(*args, **kwargs):
        if calls["n"] >= n_calls:
            raise OSError(28, "No space left on device")
        calls["n"] += 1
        return real(*args, **kwargs)

    return write


@pytest.mark.parametrize("fmt", list(TARGETS))
@pytest.mark.parametrize("fail_at", [0, 3])
def test_failing_writer_keeps_previous_output(small_network, tmp_path, previous, monkeypatch, fmt, fail_at):
    if fmt == "geojson" and fail_at:
        fail_at = 0  # GeoJSON is a single write call
    before = snapshot(tmp_path)
    monkeypatch.setattr(pyogrio, "write_dataframe", failing_after(fail_at))
    with pytest.raises(NetworkFileError) as info:
        write_network(small_network, previous[fmt])
    assert info.value.path == str(previous[fmt])
    assert "No space left on device" in info.value.problem
    assert ".tmp-" not in info.value.problem  # the message names the target, not the temporary file
    assert snapshot(tmp_path) == before
    monkeypatch.undo()
    assert read_network(previous[fmt]).name == "上一版"


@pytest.mark.parametrize("fmt", list(TARGETS))
def test_failing_rename_keeps_previous_output(small_network, tmp_path, previous, monkeypatch, fmt):
    before = snapshot(tmp_path)
    real_replace = os.replace

    def replace(src, dst):
        # The new output's rename fails; putting the previous folder back (from ".<name>.tmp-<pid>-<hex>.old") works.
        if ".tmp-" in str(src) and not str(src).endswith(".old"):
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(NetworkFileError, match="Permission denied"):
        write_network(small_network, previous[fmt])
    assert snapshot(tmp_path) == before


def test_writer_that_creates_temp_file_then_raises(small_network, tmp_path, previous, monkeypatch):
    """The brief's case: the temporary file exists (partly written) when the writer fails."""

    def half_writer(network, path):
        path.write_bytes(b"SQLite format 3\x00 half a file")
        raise RuntimeError("killed")

    monkeypatch.setitem(FORMATS, "gpkg", dataclasses.replace(FORMATS["gpkg"], writer=half_writer))
    before = snapshot(tmp_path)
    with pytest.raises(NetworkFileError, match="cannot write: killed"):
        write_network(small_network, previous["gpkg"])
    assert snapshot(tmp_path) == before


def test_unstorable_column_is_refused_before_anything_changes(small_network, tmp_path, previous):
    pipes = small_network["pipes"].copy()
    pipes["photos"] = [["a.jpg"], [], [], [], [], [], []]
    small_network.replace_layer("pipes", pipes)
    before = snapshot(tmp_path)
    for fmt in TARGETS:
        with pytest.raises(NetworkFileError, match="layer 'pipes': column 'photos'"):
            write_network(small_network, previous[fmt])
    assert snapshot(tmp_path) == before


def test_shapefile_text_limit_is_refused(small_network, tmp_path):
    junctions = small_network["junctions"].copy()
    junctions.loc[0, "name"] = "燃" * 100  # 300 bytes of UTF-8
    small_network.replace_layer("junctions", junctions)
    with pytest.raises(
        NetworkFileError, match=r"column 'name' has text longer than .* 254 bytes \(features \['J1'\]\)"
    ):
        write_network(small_network, tmp_path / "net_shp")
    assert list(tmp_path.iterdir()) == []


def test_foreign_folder_is_never_replaced(small_network, tmp_path):
    folder = tmp_path / "我的文档"
    folder.mkdir()
    (folder / "report.docx").write_bytes(b"precious")
    with pytest.raises(NetworkFileError, match="not written by GasOps"):
        write_network(small_network, folder)
    assert [p.name for p in folder.iterdir()] == ["report.docx"]
    empty = tmp_path / "empty"
    empty.mkdir()
    write_network(small_network, empty)
    assert read_network(empty).counts() == small_network.counts()


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("missing/net.gpkg", "does not exist"),
        ("net.shp", "folder of shapefiles"),
        ("net.inp", "imported only"),
        ("net.png", "unknown file type '.png'"),
    ],
)
def test_write_refusals(small_network, tmp_path, name, problem):
    with pytest.raises(NetworkFileError, match=problem):
        write_network(small_network, tmp_path / name)
    assert list(tmp_path.iterdir()) == []
