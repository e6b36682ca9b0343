"""PostGIS against a real PostgreSQL + PostGIS server that this test run starts on loopback (tests/postgres_server.py).

Round trips keep every id, attribute, dtype, geometry and the CRS; a write that fails half-way leaves the previous
network as it was; every way a database can be wrong gives one line that names the URL (never the password) and the
problem; ``gasops convert`` and ``gasops info`` and the console's open path take URLs like file names.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import console.io._postgis as postgis
from console.cli import main
from console.errors import NetworkFileError
from console.io import PostGISError, detect_format, read_network, redact_url, write_network
from console.io._dburl import parse_location
from console.network import LAYERS, GasNetwork, generate_demo
from tests.io.conftest import build_small_network
from tests.io.test_roundtrip import assert_same_network


def _tables(postgres, schema: str) -> set[str]:
    rows = postgres.execute(f"SELECT tablename FROM pg_tables WHERE schemaname = '{schema}'")
    return {r[0] for r in rows}


def _staging_tables(postgres) -> list[str]:
    return [r[0] for r in postgres.execute("SELECT relname FROM pg_class WHERE relname LIKE 'gasops\\_new\\_%'")]


# -- round trips ----------------------------------------------------------------------------------------------------


def test_small_network_round_trip_keeps_everything(postgres, schema, url):
    net = build_small_network()
    shown = write_network(net, url)
    assert shown == redact_url(url) and postgres.password not in shown
    back = read_network(url)
    assert_same_network(net, back)
    assert back.source == shown
    pipes = back["pipes"].set_index("id")
    assert pipes.loc["P2", "owner"] != pipes.loc["P2", "owner"]  # None survives as missing
    assert pipes["leak_history"].dtype == bool and pipes.loc["P4", "leak_history"]
    assert back.feature("C2")["name"] == "市第一人民医院"
    assert list(back["junctions"]["zone"].cat.categories) == ["西区", "东区"]
    assert back.topology.n_components == 1


def test_tables_mirror_the_geopackage_with_srid_primary_key_and_spatial_index(postgres, schema, url, tmp_path):
    net = build_small_network()
    write_network(net, url)
    gpkg = write_network(net, tmp_path / "net.gpkg")
    assert _tables(postgres, schema) == {*LAYERS, "gasops_meta"}
    for layer in LAYERS:
        fields = list(pyogrio.read_info(gpkg, layer=layer)["fields"])
        columns = postgres.execute(
            f"SELECT column_name FROM information_schema.columns WHERE table_schema = '{schema}' "
            f"AND table_name = '{layer}' ORDER BY ordinal_position"
        )
        assert [c[0] for c in columns] == [*fields, "geom"], layer
    geometry = dict(
        (r[0], (r[1], r[2]))
        for r in postgres.execute(
            f"SELECT f_table_name, srid, type FROM geometry_columns WHERE f_table_schema = '{schema}'"
        )
    )
    assert geometry["pipes"] == (4529, "LINESTRING") and geometry["valves"] == (4529, "POINT")
    indexes = {
        r[0]: r[1]
        for r in postgres.execute(f"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = '{schema}'")
    }
    assert "USING gist (geom)" in indexes["pipes_geom_idx"]
    assert "UNIQUE" in indexes["pipes_pkey"] and "(id)" in indexes["pipes_pkey"]
    meta = dict(postgres.execute(f'SELECT key, value FROM "{schema}".gasops_meta'))
    assert meta["name"] == net.name and meta["srid"] == "4529" and meta["format"] == "gasops-postgis"
    assert json.loads(meta["dtypes"])["pipes"]["last_patrol"] == "datetime64[ms]"
    # NaN is NULL for other GIS tools; an empty text stays an empty text.
    row = postgres.execute(f"""SELECT depth_m, owner FROM "{schema}".pipes WHERE id = 'P2'""")[0]
    assert row == (None, None)
    assert postgres.execute(f"""SELECT name FROM "{schema}".junctions WHERE id = 'J2'""")[0] == ("",)


def test_demo_district_round_trip(postgres, schema, url):
    net = generate_demo(n_pipes=3000, seed=7)
    assert net.counts()["pipes"] >= 2000
    write_network(net, url)
    back = read_network(url)
    assert_same_network(net, back)
    assert back.counts() == net.counts()


def test_engineering_crs_without_srid_round_trips_through_the_metadata(postgres, schema, url, gaslib_dir):
    net = read_network(gaslib_dir / "GasLib-24.net")
    assert net.crs.to_epsg() is None
    write_network(net, url)
    assert postgres.execute(f"SELECT DISTINCT srid FROM geometry_columns WHERE f_table_schema = '{schema}'") == [(0,)]
    back = read_network(url)
    assert back.crs == net.crs
    pd.testing.assert_frame_equal(back["pipes"].drop(columns="geometry"), net["pipes"].drop(columns="geometry"))


def test_network_without_crs_and_empty_network(postgres, schema, url):
    net = GasNetwork(build_small_network().layers, None, name="no crs")
    write_network(net, url)
    back = read_network(url)
    assert back.crs is None
    assert_same_network(net, back)
    empty = GasNetwork({}, "EPSG:4529", name="空管网")
    write_network(empty, url)
    back = read_network(url)
    assert back.crs == empty.crs and back.name == "空管网"
    assert all(n == 0 for n in back.counts().values())
    for layer in LAYERS:
        assert list(back[layer].columns) == list(empty[layer].columns)


def test_crs_option_assigns_without_transforming(url):
    net = build_small_network()
    write_network(net, url)
    back = read_network(url, crs="EPSG:4549")
    assert back.crs.to_epsg() == 4549
    assert shapely.equals_exact(back["pipes"].geometry.array, net["pipes"].geometry.array, tolerance=0).all()


def test_rewrite_replaces_the_network_and_leaves_no_staging_table(postgres, schema, url):
    write_network(generate_demo(n_pipes=500, seed=1), url)
    small = build_small_network()
    write_network(small, url)
    assert_same_network(small, read_network(url))
    assert _staging_tables(postgres) == []
    assert _tables(postgres, schema) == {*LAYERS, "gasops_meta"}


def test_postgis_scheme_public_schema_and_socket_url(postgres):
    postgres.execute("DROP TABLE IF EXISTS public.gasops_meta, public.pipes")  # public also holds spatial_ref_sys
    net = build_small_network()
    url = postgres.url().replace("postgresql://", "postgis://")  # no ?schema=: public
    write_network(net, url)
    assert "spatial_ref_sys" in _tables(postgres, "public")  # PostGIS's own table is left alone
    assert_same_network(net, read_network(postgres.socket_url()))
    assert detect_format(url) == "postgis"


def test_tables_published_by_another_tool_read_without_metadata(postgres, schema, url):
    """A pipes table as ogr2ogr makes it: another geometry name, a serial fid, no gasops_meta."""
    postgres.execute(
        f"""CREATE TABLE "{schema}".pipes (ogc_fid serial PRIMARY KEY, id varchar, from_node varchar,
        to_node varchar, length_m numeric, dn integer, inner_diameter_mm real, pressure_class varchar,
        wkb_geometry geometry(MultiLineString, 4529));
        INSERT INTO "{schema}".pipes (id, from_node, to_node, length_m, dn, inner_diameter_mm, pressure_class,
        wkb_geometry) VALUES ('P1', 'A', 'B', 10.5, 110, 90, 'MP-A',
        ST_GeomFromText('MULTILINESTRING((41400000 3320000, 41400010.5 3320000))', 4529))"""
    )
    net = read_network(url)
    assert net.crs.to_epsg() == 4529 and net.name == schema
    pipe = net.feature("P1")
    assert pipe["dn"] == 110 and pipe["length_m"] == 10.5 and pipe["pressure_class"] == "MP-A"
    assert net["pipes"].geometry.iloc[0].geom_type == "LineString"  # one-part multilines unwrapped
    assert "ogc_fid" in net["pipes"].columns  # their extra columns are kept


# -- atomicity ------------------------------------------------------------------------------------------------------


def test_a_server_error_mid_write_leaves_the_previous_network(postgres, schema, url):
    before = build_small_network()
    write_network(before, url)
    sensors = before["sensors"].copy()
    sensors.loc[1, "name"] = "bad\x00name"  # PostgreSQL text cannot hold NUL: COPY of the last layer fails
    broken = GasNetwork({**before.layers, "sensors": sensors}, before.crs, name="broken")
    with pytest.raises(PostGISError, match=r"cannot write: .*0x00") as info:
        write_network(broken, url)
    assert postgres.password not in str(info.value)
    assert_same_network(before, read_network(url))
    assert _staging_tables(postgres) == []


def test_a_failure_after_some_layers_are_loaded_leaves_the_previous_network(postgres, schema, url, monkeypatch):
    before = build_small_network()
    write_network(before, url)
    loaded = []
    real_copy = postgis._copy_in

    def copy_then_fail(raw, table, layer, srid):
        if layer.name == "pipes":
            raise RuntimeError("disk full (simulated)")
        real_copy(raw, table, layer, srid)
        loaded.append(layer.name)

    monkeypatch.setattr(postgis, "_copy_in", copy_then_fail)
    with pytest.raises(PostGISError, match=r"cannot write: disk full \(simulated\)"):
        write_network(generate_demo(n_pipes=500, seed=3), url)
    assert "junctions" in loaded  # the failure came after real loading
    monkeypatch.undo()
    assert_same_network(before, read_network(url))
    assert _staging_tables(postgres) == []


def test_tables_not_written_by_gasops_are_never_replaced(postgres, schema, url):
    postgres.execute(
        f"CREATE TABLE \"{schema}\".pipes (id text, note text); INSERT INTO \"{schema}\".pipes VALUES ('x', 'keep me')"
    )
    with pytest.raises(PostGISError, match=r"holds tables pipes that GasOps did not write.*choose another schema"):
        write_network(build_small_network(), url)
    assert postgres.execute(f'SELECT note FROM "{schema}".pipes') == [("keep me",)]


def test_duplicate_ids_are_refused_before_connecting(postgres, url):
    net = build_small_network()
    pipes = net["pipes"].copy()
    pipes.loc[1, "id"] = "P1"
    dup = GasNetwork({**net.layers, "pipes": pipes}, net.crs)
    with pytest.raises(PostGISError, match=r"layer 'pipes' has duplicate ids \['P1'\]"):
        write_network(dup, url.replace(str(postgres.port), "1"))  # no server there: refused before connecting


# -- errors ---------------------------------------------------------------------------------------------------------


def test_wrong_password_names_the_url_without_any_password(postgres, schema):
    url = postgres.url(schema=schema, password="not-the-password")
    with pytest.raises(PostGISError) as info:
        read_network(url)
    message = str(info.value)
    assert message.startswith(f"postgresql://gasops@127.0.0.1:{postgres.port}/gasops?schema={schema}: cannot connect")
    assert 'password authentication failed for user "gasops"' in message and "PGPASSWORD" in message
    assert "not-the-password" not in message and postgres.password not in message


def test_nothing_listens_there(postgres):
    url = postgres.url(schema="x").replace(f":{postgres.port}/", ":1/")
    with pytest.raises(
        PostGISError, match=r"gasops@127\.0\.0\.1:1/gasops\?schema=x: cannot connect: .*refused"
    ) as info:
        read_network(url)
    assert postgres.password not in str(info.value)


def test_password_from_pgpassword_or_pgpass(postgres, schema, monkeypatch, tmp_path):
    write_network(build_small_network(), postgres.url(schema=schema))
    bare = f"postgresql://gasops@127.0.0.1:{postgres.port}/gasops?schema={schema}"
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-such-pgpass"))
    with pytest.raises(PostGISError, match=r"no password supplied; give the password in the URL, in PGPASSWORD"):
        read_network(bare)
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    assert read_network(bare).counts()["pipes"] == 7
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{postgres.port}:gasops:gasops:{postgres.password}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert read_network(bare).counts()["pipes"] == 7


def test_database_without_postgis(postgres):
    url = postgres.url("plain", schema="public")
    for attempt in (lambda: read_network(url), lambda: write_network(build_small_network(), url)):
        with pytest.raises(
            PostGISError,
            match=r"/plain\?schema=public: database 'plain' has no PostGIS extension; run CREATE EXTENSION postgis",
        ):
            attempt()


def test_missing_schema(postgres, schema, url):
    write_network(build_small_network(), url)
    missing = postgres.url(schema="no_such_schema")
    with pytest.raises(
        PostGISError,
        match=rf"schema 'no_such_schema' does not exist in database 'gasops'; schemas with GasOps networks: .*{schema}",
    ):
        read_network(missing)
    with pytest.raises(PostGISError, match=r"does not exist .*create it first \(CREATE SCHEMA \"no_such_schema\";\)"):
        write_network(build_small_network(), missing)


def test_srid_mismatch_between_tables_and_metadata(postgres, schema, url):
    write_network(build_small_network(), url)
    postgres.execute(
        f'ALTER TABLE "{schema}".valves ALTER COLUMN geom TYPE geometry(Point, 4326) USING ST_Transform(geom, 4326)'
    )
    with pytest.raises(
        PostGISError,
        match=r"SRID mismatch: gasops_meta records SRID 4529 \(CGCS2000 / 3-degree Gauss-Kruger zone 41\) but tables have other SRIDs \(valves: 4326\)",
    ):
        read_network(url)


def test_srid_mismatch_between_tables_without_metadata(postgres, schema, url):
    write_network(build_small_network(), url)
    postgres.execute(f'DROP TABLE "{schema}".gasops_meta')
    postgres.execute(
        f'ALTER TABLE "{schema}".sensors ALTER COLUMN geom TYPE geometry(Point, 4326) USING ST_Transform(geom, 4326)'
    )
    with pytest.raises(
        PostGISError, match=r"SRID mismatch: tables have different SRIDs \(.*pipes: 4529.*sensors: 4326"
    ):
        read_network(url)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("ALTER TABLE {s}.pipes DROP COLUMN from_node", r"table {schema}\.pipes lacks required column\(s\) from_node"),
        (
            "ALTER TABLE {s}.pipes ALTER COLUMN dn TYPE text",
            r"table {schema}\.pipes: column 'dn' is TEXT, GasOps expects an integer",
        ),
        ("ALTER TABLE {s}.valves DROP COLUMN id", r"table {schema}\.valves has no 'id' column"),
        ("ALTER TABLE {s}.sensors DROP COLUMN geom", r"table {schema}\.sensors has no geometry column"),
        (
            "ALTER TABLE {s}.pipes ALTER COLUMN geom TYPE geometry(Point, 4529) USING ST_StartPoint(geom)",
            r"table {schema}\.pipes holds POINT geometries; GasOps pipes are LineStrings",
        ),
    ],
)
def test_table_with_wrong_columns(postgres, schema, url, change, problem):
    write_network(build_small_network(), url)
    postgres.execute(change.format(s=f'"{schema}"'))
    with pytest.raises(PostGISError, match=problem.format(schema=schema)):
        read_network(url)


def test_schema_without_gasops_tables(postgres, schema, url):
    postgres.execute(f'CREATE TABLE "{schema}".roads (id text)')
    with pytest.raises(PostGISError, match=rf"no GasOps tables in schema '{schema}' \(tables found: roads\)"):
        read_network(url)


def test_urls_are_parsed_and_shown_without_passwords():
    loc = parse_location("postgis://gis:p%40ss@db.example:5433/city?schema=east&sslmode=require&password=other")
    assert loc.schema == "east"
    assert loc.shown == "postgis://gis@db.example:5433/city?schema=east&sslmode=require"
    assert "schema" not in loc.conninfo and loc.conninfo.startswith("postgresql://gis:p%40ss@db.example:5433/city?")
    assert "connect_timeout=10" in loc.conninfo
    assert loc.scrub(f"oops {loc.conninfo} p@ss other") == f"oops {loc.shown} *** ***"
    assert "p%40ss" not in repr(loc) and "p@ss" not in repr(loc)
    with pytest.raises(PostGISError, match=r"empty \?schema="):
        parse_location("postgresql://db/city?schema=")
    with pytest.raises(PostGISError, match="not a database URL"):
        read_network("network.gpkg", format="postgis")
    assert isinstance(PostGISError("x", "y"), NetworkFileError)


# -- command line and the console's open path ----------------------------------------------------------------------


def test_cli_convert_to_and_from_postgis_and_info(postgres, schema, url, tmp_path, capsys):
    source = write_network(build_small_network(), tmp_path / "network.gpkg")
    assert main(["convert", str(source), url]) == 0
    out = capsys.readouterr().out
    assert f"wrote {redact_url(url)} (" in out and postgres.password not in out
    assert main(["info", url, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["file"] == redact_url(url) and info["counts"]["pipes"] == 7 and info["crs"] == "EPSG:4529"
    assert main(["info", url]) == 0
    assert postgres.password not in capsys.readouterr().out
    back = tmp_path / "back.gpkg"
    assert main(["convert", url, str(back)]) == 0
    assert_same_network(read_network(source), read_network(back))


def test_cli_reports_database_errors_in_one_line(postgres, capsys):
    url = postgres.url(schema="nope")
    assert main(["info", url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "schema 'nope' does not exist" in err and postgres.password not in err


def test_console_open_path_reads_a_url(postgres, url):
    from console.app.workspace import open_network

    net = build_small_network()
    write_network(net, url)
    seen = []

    class Feedback:
        def progress(self, fraction, text=""):
            seen.append(text)

    back = open_network(url, Feedback())
    assert_same_network(net, back)
    assert postgres.password not in " ".join(seen) and redact_url(url) in seen[0]


def test_column_values_survive_with_their_edge_cases(url):
    """Text with quotes, commas, newlines and only spaces; floats at the edges of double precision."""
    net = build_small_network()
    junctions = net["junctions"].copy()
    junctions["name"] = ['say "hi", ok', "line\nbreak", "   ", "\\N", "NULL"]
    junctions["elevation_m"] = [np.nextafter(0.0, 1.0), -0.0, 1e308, 0.1 + 0.2, 123456789.123456789]
    edge = GasNetwork({**net.layers, "junctions": junctions}, net.crs, name=net.name)
    write_network(edge, url)
    assert_same_network(edge, read_network(url))


def test_an_editor_with_rights_on_the_schema_only_can_write_and_rewrite(postgres, schema):
    """Staging happens inside the target schema: no CREATE on the database is needed."""
    role = f"editor_{schema}"
    postgres.execute(
        f"CREATE ROLE {role} LOGIN PASSWORD 'editor-pw'; REVOKE CREATE ON DATABASE gasops FROM PUBLIC; "
        f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO {role}'
    )
    url = f"postgresql://{role}:editor-pw@127.0.0.1:{postgres.port}/gasops?schema={schema}"
    write_network(generate_demo(n_pipes=500, seed=2), url)
    small = build_small_network()
    write_network(small, url)
    assert_same_network(small, read_network(url))
