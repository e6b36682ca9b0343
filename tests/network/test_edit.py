import geopandas as gpd
import pytest
import shapely

from console.errors import UnknownFeatureError
from console.network import AddFeatures, MoveNode, RemoveFeatures, SetAttribute, validate
from tests.builders import chain


def test_set_attribute_redo_undo_and_merge():
    net = chain(3)
    cmd = SetAttribute(net, "pipes", ["P1", "P3"], "material", "steel")
    cmd.redo()
    assert net["pipes"]["material"].tolist() == ["steel", "PE100", "steel"]
    follow = SetAttribute(net, "pipes", ["P1", "P3"], "material", "cast_iron")
    follow.redo()
    assert cmd.merge_with(follow)
    cmd.undo()  # one undo step restores the state before both edits
    assert net["pipes"]["material"].tolist() == ["PE100"] * 3
    cmd.redo()
    assert net["pipes"]["material"].tolist() == ["cast_iron", "PE100", "cast_iron"]
    assert cmd.describe()["features"] == {"P1": "cast_iron", "P3": "cast_iron"}
    assert not cmd.merge_with(SetAttribute(net, "pipes", ["P2"], "material", "steel"))


def test_set_attribute_unknown_feature():
    with pytest.raises(UnknownFeatureError):
        SetAttribute(chain(2), "pipes", ["P9"], "dn", 63).redo()


def test_move_node_keeps_pipes_snapped_and_undoes():
    net = chain(2)
    x0, y0 = net["junctions"].geometry.iat[0].coords[0]
    cmd = MoveNode(net, "J1", x0 + 5, y0 + 7)
    cmd.redo()
    assert validate(net).ids("unsnapped_endpoint") == set()
    assert net["pipes"].geometry.iat[0].coords[-1] == (x0 + 5, y0 + 7)
    assert net["pipes"].geometry.iat[1].coords[0] == (x0 + 5, y0 + 7)
    cmd.merge_with(MoveNode(net, "J1", x0 + 9, y0 + 9))
    cmd.undo()
    assert net["junctions"].geometry.iat[0].coords[0] == (x0, y0)
    assert net["pipes"].geometry.iat[0].coords[-1] == (x0, y0)


def test_add_and_remove_commands_round_trip():
    net = chain(2)
    frame = gpd.GeoDataFrame(
        {"id": ["J7"], "elevation_m": [12.5]}, geometry=[shapely.Point(41_405_050, 3_320_050)], crs=4529
    )
    add = AddFeatures(net, "junctions", frame)
    add.redo()
    assert net.feature("J7")["elevation_m"] == 12.5
    add.undo()
    with pytest.raises(UnknownFeatureError):
        net.locate("J7")
    rm = RemoveFeatures(net, "pipes", ["P2"])
    rm.redo()
    assert net["pipes"]["id"].tolist() == ["P1"]
    rm.undo()
    assert sorted(net["pipes"]["id"]) == ["P1", "P2"]
    assert net.version == 4
