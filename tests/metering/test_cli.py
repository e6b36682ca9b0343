"""``gasops meter``: simulate and anchor a day, prove and verify a reading offline, balance and emissions as JSON,
bad input reported in one line."""

from __future__ import annotations

import json

import pytest

from console.cli import main


@pytest.fixture
def ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("GASOPS_LEDGER_PASSPHRASE", "pw-meter")
    monkeypatch.setenv("GASOPS_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "L"
    assert main(["ledger", "init", "--ledger", str(folder), "--origin", "town.gas.example/ledger"]) == 0
    return folder


def test_a_simulated_day_end_to_end(ledger, tmp_path, capsys):
    L = ["--ledger", str(ledger)]
    assert main(["meter", "simulate", *L, "--hours", "24", "--customers", "3", "--leak", "8"]) == 0
    assert "0 rejected" in capsys.readouterr().out
    assert main(["meter", "list", *L, "--json"]) == 0
    meters = json.loads(capsys.readouterr().out)
    assert [m["meter_id"] for m in meters] == ["DMA-1-000-C00", "DMA-1-000-C01", "DMA-1-000-C02", "DMA-1-000-GS"]
    proof = tmp_path / "p.json"
    assert main(["meter", "prove", *L, "DMA-1-000-GS", "30", str(proof)]) == 0
    vkey = capsys.readouterr().out.split("--log-key ")[1].strip()
    assert main(["meter", "verify", str(proof), "--log-key", vkey]) == 0
    assert "VERIFIED" in capsys.readouterr().out
    assert main(["meter", "verify", str(proof)]) == 2  # self-consistent, keys not pinned
    capsys.readouterr()
    doc = json.loads(proof.read_text())
    doc["reading"]["value"] += 1
    proof.write_text(json.dumps(doc))
    assert main(["meter", "verify", str(proof), "--log-key", vkey, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["failure"] == "values-proof"
    # customers 20 + 35 + 50 = 105 Nm³/h, leak 8: in 24·113 = 2712, out 2520, UFG 192 Nm³
    assert main(["meter", "balance", *L, "DMA-1", "2026-03-01", "--json", "--record"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["inflow_nm3"], row["consumption_nm3"], row["ufg_nm3"]) == pytest.approx((2712.0, 2520.0, 192.0))
    assert main(["meter", "emissions", "vented", *L, "INC-1", "1000", "--start", "2026-03-02T10:00:00Z",
                 "--end", "2026-03-02T11:00:00Z", "--record"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["meter", "emissions", "report", *L, "2026-03"]) == 0
    assert json.loads(capsys.readouterr().out)["ch4_t"] == pytest.approx(0.67997, abs=1e-5)


def test_bad_input_is_one_clear_error(ledger, tmp_path, capsys):
    L = ["--ledger", str(ledger)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"meter_id": "X", "body": {}, "readings": []}\nnot json\n')
    capsys.readouterr()
    for argv, message in [
        (["meter", "anchor", *L, str(bad)], "bad.jsonl:2: not JSON"),
        (["meter", "prove", *L, "NOPE", "1", str(tmp_path / "x.json")], "meter 'NOPE' is not registered"),
        (["meter", "verify", str(bad)], "bad.jsonl: is not JSON"),
    ]:
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith("gasops: error: ") and message in err and "Traceback" not in err
    # a batch of an unknown meter is checked and refused, never anchored
    bad.write_text('{"meter_id": "X", "body": {"device": "did:key:x"}, "readings": [{"counter": 0}]}\n')
    assert main(["meter", "anchor", *L, str(bad)]) == 0
    assert "1 rejected" in capsys.readouterr().out


def test_training_on_a_networks_own_meters_and_the_html_report(ledger, tmp_path, capsys):
    from console.io import write_network
    from tests.ui.synthetic import district

    net_file = tmp_path / "town.gpkg"
    write_network(district(8), net_file)
    L = ["--ledger", str(ledger)]
    assert main(["meter", "simulate", *L, "--network", str(net_file), "--on-network", "--hours", "48",
                 "--leak", "12", "--area", "PS0 LP"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "1 gate, 4 district, 21 customer" in out and "0 rejected" in out
    assert main(["meter", "balance", *L, "PS0 LP", "2026-03-01", "2026-03-02", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["ufg_nm3"] for r in rows] == pytest.approx([288.0, 288.0], abs=0.05)  # 24 h × 12 Nm³/h
    assert all(r["linepack_change_nm3"] == 0.0 for r in rows)
    assert main(["meter", "emissions", "vented", *L, "ISO-1", "500", "--scope", "isolation", "--start",
                 "2026-03-02T10:00:00Z", "--end", "2026-03-02T11:00:00Z", "--record"]) == 0  # fmt: skip
    capsys.readouterr()
    page = tmp_path / "report.html"
    assert main(["meter", "emissions", "report", *L, "2026-03", "--out", str(page)]) == 0
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "ISO-1" in text and "IPCC AR6" in text and "0.3400 t CH₄" in text
    for argv, message in [
        (["meter", "simulate", *L, "--network", str(net_file), "--on-network", "--leak", "5", "--area", "nowhere"],
         "not a pressure system"),
        (["meter", "simulate", *L, "--on-network"], "--on-network needs --network"),
        (["meter", "emissions", "station", *L, "--station", "RG1", "--sensor", "S1", "--ventilation", "1200",
          "--start", "2026-03-01T00:00:00Z", "--end", "2026-03-02T00:00:00Z", "--db", str(tmp_path / "none.db")],
         "no history database"),
        (["meter", "emissions", "incident", *L, "INC-404"], "INC-404"),
    ]:  # fmt: skip
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("gasops: error: ") and message in err and "Traceback" not in err
