"""The shipped sites table: real THEMIS ASI coordinates (notes section 9) and its loader's errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from aurorax.demo import SITES_COLUMNS, SitesFileError, load_sites, sites_csv_candidates

# Notes section 9: geodetic lat/lon from the UCalgary observatories API (pyaurorax notebook).
THEMIS_NOTES = {
    "atha": (54.60, -113.64), "chbg": (49.81, -74.42), "ekat": (64.73, -110.67),
    "fsim": (61.76, -121.27), "fsmi": (60.03, -111.93), "fykn": (66.56, -145.21),
    "gako": (62.41, -145.16), "gbay": (53.32, -60.46), "gill": (56.38, -94.64),
    "inuv": (68.41, -133.77), "kapu": (49.39, -82.32), "kian": (66.97, -160.44),
    "kuuj": (58.11, -68.41), "mcgr": (62.95, -155.60), "nrsq": (61.16, -45.44),
    "pgeo": (53.76, -122.85), "pina": (50.26, -95.87), "rank": (62.82, -92.11),
    "snap": (63.56, -110.87), "snkq": (56.54, -79.23), "talo": (69.54, -93.56),
    "tpas": (53.99, -100.94), "whit": (60.62, -135.01), "yknf": (62.52, -114.31),
}  # fmt: skip


def test_sites_table_has_the_24_themis_sites_with_the_notes_coordinates():
    sites = load_sites()
    assert tuple(sites.columns) == SITES_COLUMNS
    themis = sites[sites["program"] == "themis-asi"].set_index("site_uid")
    assert sorted(themis.index) == sorted(THEMIS_NOTES)
    for uid, (lat, lon) in THEMIS_NOTES.items():
        assert themis.loc[uid, "lat"] == pytest.approx(lat, abs=1e-9)
        assert themis.loc[uid, "lon"] == pytest.approx(lon, abs=1e-9)
        assert themis.loc[uid, "display_name"] == f"THEMIS-ASI {uid.upper()}"
        assert themis.loc[uid, "instrument_type"] == "panchromatic ASI"
    assert themis.loc["gill", "platform"] == "gillam"
    assert themis.loc["fsmi", "platform"] == "fort smith"


def test_rego_and_trex_sites_share_coordinates_with_colocated_themis_imagers():
    sites = load_sites()
    trex = sites[sites["program"] == "trex"]
    assert sorted(trex["site_uid"]) == ["atha", "fsmi", "gill", "luck", "pina", "rabb"]
    assert set(trex["instrument_type"]) == {"RGB ASI"}
    rego = sites[sites["program"] == "rego"].set_index("site_uid")
    assert set(rego["instrument_type"]) == {"redline ASI"}
    for uid in ("atha", "fsmi", "gill", "rank", "talo"):
        assert tuple(rego.loc[uid, ["lat", "lon"]]) == THEMIS_NOTES[uid]
    assert rego.loc["resu", "platform"] == "resolute bay"
    assert rego.loc["resu", "lat"] == pytest.approx(74.70)


def test_loader_finds_the_checkout_copy_first():
    expected = Path(__file__).resolve().parents[2] / "data" / "sites.csv"
    assert sites_csv_candidates()[0] == expected
    assert expected.is_file()


def _write(tmp_path, text):
    path = tmp_path / "sites.csv"
    path.write_text(text)
    return path


HEADER = "program,site_uid,platform,instrument_type,display_name,lat,lon,alt_km\n"


def test_loader_names_a_missing_column(tmp_path):
    path = _write(tmp_path, "program,site_uid\nthemis-asi,gill\n")
    with pytest.raises(SitesFileError, match=r"lacks column\(s\) \['platform'"):
        load_sites(path)


def test_loader_names_row_and_column_of_a_bad_number(tmp_path):
    path = _write(tmp_path, HEADER + "themis-asi,gill,gillam,panchromatic ASI,X,56.38,west,0\n")
    with pytest.raises(SitesFileError) as err:
        load_sites(path)
    assert str(err.value) == f"sites table {path} row 1: column lon is not a number ('west')"


def test_loader_rejects_out_of_range_latitude(tmp_path):
    path = _write(tmp_path, HEADER + "themis-asi,gill,gillam,panchromatic ASI,X,96.0,-94.6,0\n")
    with pytest.raises(SitesFileError) as err:
        load_sites(path)
    assert str(err.value) == f"sites table {path} row 1: column lat = 96.0 is outside [-90.0, 90.0]"


def test_loader_rejects_duplicates_and_missing_files(tmp_path):
    row = "themis-asi,gill,gillam,panchromatic ASI,X,56.38,-94.64,0\n"
    path = _write(tmp_path, HEADER + row + row)
    with pytest.raises(SitesFileError, match="row 2: duplicate program/site_uid themis-asi/gill"):
        load_sites(path)
    with pytest.raises(SitesFileError, match="does not exist"):
        load_sites(tmp_path / "nope.csv")
