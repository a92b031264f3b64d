"""Data source endpoints: anonymous reads in AuroraX's formats, creation with an API key."""

from __future__ import annotations

from aurorax.engine import DataSource
from tests.api.conftest import DEMO_OWNER, OTHER_OWNER, headers


def test_list_in_every_format_equals_the_library(api, library):
    expected = [s for s in library.list_data_sources() if s.program in ("themis-asi", "themis")]
    full = api("GET", "/data_sources", params={"format": "full_record"}).json()
    demo = [DataSource.from_dict(d) for d in full if d["program"] in ("themis-asi", "themis")]
    assert demo == expected
    basic = api("GET", "/data_sources", params={"program": "themis"}).json()
    assert basic == [s.basic_info() for s in expected if s.program == "themis"]
    ids = api("GET", "/data_sources", params={"format": "identifier_only", "program": "themis"})
    assert ids.json() == [{"identifier": s.identifier} for s in expected if s.program == "themis"]
    meta = api("GET", "/data_sources/1", params={"format": "with_metadata"}).json()
    assert meta["owner"] == DEMO_OWNER and meta["metadata"]["site_uid"] == "atha"


def test_filters_and_stats(api, library):
    counts = library.counts().set_index("identifier")
    got = api(
        "GET",
        "/data_sources",
        params={"platform": "themise", "source_type": "heo", "include_stats": "true"},
    ).json()
    assert [d["display_name"] for d in got] == ["THEMIS-E"]
    ident = got[0]["identifier"]
    assert got[0]["stats"]["ephemeris_count"] == counts.loc[ident, "ephemeris_count"] == 1440
    assert got[0]["stats"]["earliest_ephemeris_loaded"] == "2021-12-01T00:00:00"
    assert got[0]["stats"]["latest_ephemeris_loaded"] == "2021-12-01T23:59:00"
    assert api("GET", "/data_sources", params={"owner": "nobody@example.org"}).json() == []


def test_get_by_identifier_and_errors(api, library):
    assert api("GET", "/data_sources/3").json() == library.get_data_source(3).basic_info()
    missing = api("GET", "/data_sources/99999")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "NotFound"
    assert missing.json()["error_message"].startswith("no data source with identifier 99999")
    bad = api("GET", "/data_sources/abc")
    assert (bad.status_code, bad.json()) == (
        400,
        {"error_code": "AssertionError", "error_message": "identifier: 'abc' is not an integer"},
    )
    fmt = api("GET", "/data_sources", params={"format": "everything"})
    assert fmt.status_code == 400
    assert fmt.json()["error_message"].startswith("format: 'everything' is not allowed")


def test_search_or_within_lists_case_insensitive(api, library):
    body = {"programs": ["THEMIS"], "platforms": ["themisa", "themisd"]}
    got = api("POST", "/data_sources/search", json=body).json()
    assert [d["display_name"] for d in got] == ["THEMIS-A", "THEMIS-D"]
    bad = api("POST", "/data_sources/search", json={"programs": "themis"})
    assert bad.status_code == 400
    assert bad.json()["error_message"] == "programs: expected a list of strings, got 'themis'"
    unknown = api("POST", "/data_sources/search", json={"program": ["themis"]})
    assert (
        unknown.status_code == 400
        and "unknown field(s) ['program']" in unknown.json()["error_message"]
    )


def _new_source(platform: str, owner: str | None = None) -> dict:
    body = {
        "program": "api-test",
        "platform": platform,
        "instrument_type": "footprint",
        "source_type": "leo",
        "display_name": f"API {platform}",
    }
    return body if owner is None else body | {"owner": owner}


def test_create_needs_a_key_and_is_owned_by_it(api, demo_key, other_key, keys):
    before = api("GET", "/data_sources").json()
    assert api("POST", "/data_sources", json=_new_source("p1")).status_code == 401
    wrong = api("POST", "/data_sources", json=_new_source("p1"), headers=headers("axk_00_nope"))
    assert (wrong.status_code, wrong.json()["error_code"]) == (401, "NotAuthenticated")
    foreign = api(
        "POST", "/data_sources", json=_new_source("p1", DEMO_OWNER), headers=headers(other_key)
    )
    assert (foreign.status_code, foreign.json()["error_code"]) == (403, "NotPermitted")
    assert api("GET", "/data_sources").json() == before

    created = api("POST", "/data_sources", json=_new_source("p1"), headers=headers(other_key))
    assert created.status_code == 201
    assert created.json()["owner"] == OTHER_OWNER
    ident = created.json()["identifier"]
    assert created.headers["Location"].endswith(f"/api/v1/data_sources/{ident}")
    assert (
        api("GET", f"/data_sources/{ident}", params={"format": "full_record"}).json()
        == created.json()
    )

    dup = api("POST", "/data_sources", json=_new_source("p1"), headers=headers(other_key))
    assert (dup.status_code, dup.json()["error_code"]) == (409, "Duplicate")
    assert f"already exists as identifier {ident}" in dup.json()["error_message"]


def test_invalid_source_is_a_400_naming_the_field(api, other_key):
    body = _new_source("p2") | {"source_type": "balloon"}
    bad = api("POST", "/data_sources", json=body, headers=headers(other_key))
    assert bad.status_code == 400
    assert bad.json()["error_message"].startswith("data source source_type must be one of")
    long = _new_source("x" * 51)
    bad = api("POST", "/data_sources", json=long, headers=headers(other_key))
    assert bad.status_code == 400 and "at most 50 are allowed" in bad.json()["error_message"]
