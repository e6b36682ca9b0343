"""Several planners on one PostGIS network: per-feature commits in place, conflicts with three versions, none lost."""

from __future__ import annotations

import pytest
import shapely

from console.app.editing import EditingService
from console.io import commit_changes, read_network, write_network
from console.network import ChangeConflict, DeleteFeatures, InsertDevice, SetAttribute, diff_networks
from tests.builders import ORIGIN, chain
from tests.network.edit_helpers import assert_same_network

OX, OY = ORIGIN


def _oids(postgres, schema):
    rows = postgres.execute(
        f"SELECT c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = '{schema}' AND c.relkind = 'r'"
    )
    return dict(rows)


def test_commit_updates_rows_in_place_and_bumps_row_versions(postgres, schema, url):
    write_network(chain(4), url)
    tables = _oids(postgres, schema)
    base = read_network(url)
    edited = base.snapshot()
    InsertDevice(edited, "P2", shapely.Point(OX + 150, OY), "valves").redo()
    SetAttribute(edited, "pipes", ["P4"], "material", "steel").redo()
    result = commit_changes(url, diff_networks(base, edited))
    assert (result.inserted, result.updated, result.deleted) == (4, 2, 0)
    assert result.revisions["P2"] == 1 and result.revisions["P4"] == 1 and result.revisions["P5"] == 0
    assert _oids(postgres, schema) == tables  # no table was replaced: the rows were updated where they are
    back = read_network(url)
    assert "gasops_rev" not in back["pipes"].columns
    assert_same_network(back, edited, ordered=False)


def test_two_consoles_conflicting_commits_are_detected_and_none_lost(postgres, schema, url):
    write_network(chain(4), url)
    a, b = read_network(url), read_network(url)  # two planners open the same network
    a_base, b_base = a.snapshot(), b.snapshot()
    SetAttribute(a, "pipes", ["P1"], "dn", 160).redo()
    SetAttribute(a, "pipes", ["P3"], "material", "steel").redo()
    SetAttribute(b, "pipes", ["P1"], "dn", 200).redo()  # update-update with A on P1
    SetAttribute(b, "pipes", ["P2"], "install_year", 2024).redo()  # no conflict
    commit_changes(url, diff_networks(a_base, a))
    after_a = read_network(url)
    with pytest.raises(ChangeConflict, match=r"pipe P1: update-update conflict") as info:
        commit_changes(url, diff_networks(b_base, b))
    (conflict,) = info.value.details
    assert conflict["ancestor"] == {"dn": 110} and conflict["branch"] == {"dn": 200} and conflict["master"]["dn"] == 160
    assert_same_network(read_network(url), after_a)  # nothing of B's was written
    # B resolves P1 by taking the master's value and commits the rest: both planners' work is there.
    b_changes = [c for c in diff_networks(b_base, b) if c.feature_id != "P1"]
    commit_changes(url, b_changes)
    pipes = read_network(url)["pipes"].set_index("id")
    assert pipes.loc["P1", "dn"] == 160 and pipes.loc["P3", "material"] == "steel"
    assert pipes.loc["P2", "install_year"] == 2024


def test_update_delete_and_insert_insert_conflicts(postgres, schema, url):
    write_network(chain(3), url)
    a, b = read_network(url), read_network(url)
    a_base, b_base = a.snapshot(), b.snapshot()
    InsertDevice(a, "P3", shapely.Point(OX + 250, OY), "valves").redo()
    InsertDevice(b, "P1", shapely.Point(OX + 50, OY), "valves").redo()  # the same new ids V1, J-…, P4
    SetAttribute(b, "pipes", ["P3"], "dn", 63).redo()
    commit_changes(url, diff_networks(a_base, a))
    with pytest.raises(ChangeConflict) as info:
        commit_changes(url, diff_networks(b_base, b))
    kinds = {(d["feature_id"], d["kind"]) for d in info.value.details}
    assert ("V1", "insert-insert") in kinds and ("P4", "insert-insert") in kinds
    # conflicts are per attribute: A changed P3's geometry, ends and length, B only its DN, so that one merges
    assert "P3" not in {d["feature_id"] for d in info.value.details}
    # update-delete: the master deleted what the branch changes
    c = read_network(url)
    c_base = c.snapshot()
    SetAttribute(c, "valves", ["V1"], "valve_type", "ball").redo()
    d = c_base.snapshot()
    d_base = d.snapshot()
    DeleteFeatures(d, ["V1"]).redo()
    commit_changes(url, diff_networks(d_base, d))
    with pytest.raises(ChangeConflict, match="V1: update-delete conflict") as info:
        commit_changes(url, diff_networks(c_base, c))
    assert info.value.details[0]["master"] is None


def test_editing_service_approves_into_postgis(postgres, schema, url, tmp_path):
    write_network(chain(3), url)
    working = read_network(url)
    service = EditingService(tmp_path / "changes", network=working)
    service.push(InsertDevice(working, "P2", shapely.Point(OX + 150, OY), "valves"))
    cs = service.submit("valve on P2")
    master = read_network(url)
    service.approve(cs.change_id, master, commit=lambda net, changes: commit_changes(url, changes))
    assert_same_network(read_network(url), working, ordered=False)
