"""The Workspace is the one place that knows a workspace folder's layout."""

from __future__ import annotations

from console.app.workspace import Workspace, data_dir


def test_a_workspace_folder_holds_every_file(tmp_path):
    ws = Workspace(tmp_path / "zhoushan")
    assert ws.network_path == tmp_path / "zhoushan" / "network.gpkg"
    assert ws.db_path == tmp_path / "zhoushan" / "console.db"
    assert ws.ledger_dir == tmp_path / "zhoushan" / "ledger"
    assert ws.exports_dir == tmp_path / "zhoushan" / "exports"


def test_a_workspace_network_file_maps_back_to_its_folder(tmp_path):
    ws = Workspace.for_network(tmp_path / "zhoushan" / "network.gpkg")
    assert ws == Workspace(tmp_path / "zhoushan") and not ws.implicit


def test_any_other_file_gets_an_implicit_workspace_under_the_data_folder(tmp_path):
    ws = Workspace.for_network(tmp_path / "GasLib 134 (v2).net")
    assert ws.implicit
    assert ws.folder.parent == data_dir() / "workspaces"
    assert ws.folder.name == "GasLib_134_v2"
    assert ws.db_path.parent == ws.folder
    assert ws.ledger_dir == data_dir() / "ledger"  # the organisation's ledger, shared


def test_a_database_url_never_puts_its_password_in_a_path():
    ws = Workspace.for_network("postgresql://gis:s3cret@db.example:5432/gis?schema=city")
    assert "s3cret" not in str(ws.folder)
    assert ws.implicit


def test_no_path_and_no_name_still_gives_a_folder():
    assert Workspace.for_network(None).folder.name == "network"
    assert Workspace.for_network(None, "Demo district 示范").folder.name == "Demo_district_示范"
