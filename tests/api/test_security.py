"""What an attacker with a key, or an anonymous caller, tried against the API (issue 11): a
data product URL taken over, a source's owner changed by a scoped key, numbers and dates at
their extremes, bodies parsed before the key was checked, oversized searches and answers.

Every test leaves the served repository as it found it (the other API tests compare it with
the pristine copy).
"""

from __future__ import annotations

import pytest

from tests.api.conftest import DEMO_OWNER, OTHER_OWNER, headers

BIG = "1" + "0" * 400  # an integer no float can hold
DAY = {"start": "2021-12-01T00:00:00", "end": "2021-12-02T00:00:00"}


def _error(response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error_code"], body["error_message"]


@pytest.fixture(scope="module")
def demo_products(api):
    body = {**DAY, "data_sources": {"programs": ["themis-asi"]}}
    found = api("POST", "/data_products/search_synchronous", json=body)
    assert found.status_code == 200, found.text
    products = found.json()["result"]
    assert products, "the demo day has data products"
    return products


@pytest.fixture
def own_source(api, other_key):
    body = {
        "program": "security-test",
        "platform": "sat9",
        "instrument_type": "footprint",
        "source_type": "leo",
        "display_name": "Security Sat 9",
    }
    made = api("POST", "/data_sources", json=body, headers=headers(other_key))
    assert made.status_code == 201, made.text
    ident = made.json()["identifier"]
    yield ident
    api("DELETE", f"/data_sources/{ident}", headers=headers(other_key))


def test_an_upload_cannot_take_over_another_sources_product(
    api, other_key, own_source, demo_products
):
    victim = demo_products[0]
    mine = {
        "data_product_type": "keogram",
        "start": "2021-12-01T00:00:00",
        "end": "2021-12-01T01:00:00",
        "url": "https://example.org/security-test/mine.png",
    }
    stolen = {**mine, "url": victim["url"]}
    got = api(
        "POST",
        f"/data_sources/{own_source}/data_products",
        json=[mine, stolen],
        headers=headers(other_key),
    )
    status, code, message = _error(got)
    assert (status, code) == (409, "Conflict")
    assert repr(victim["url"]) in message and "belongs to another data source" in message
    assert str(victim["data_source"]["identifier"]) in message
    # The whole batch is out, and the product is still the demo source's.
    after = api(
        "POST",
        "/data_products/search_synchronous",
        json={**DAY, "data_sources": {"programs": ["themis-asi", "security-test"]}},
    ).json()["result"]
    by_url = {p["url"]: p for p in after}
    assert mine["url"] not in by_url
    assert by_url[victim["url"]] == victim


@pytest.fixture
def scoped_key(keys, api):
    """A key of OTHER_OWNER limited to demo source 1 (as `keys create --source 1` makes it)."""
    key, token = keys.create(OTHER_OWNER, [1])
    yield token
    keys.revoke(key.key_id)


def test_a_scoped_key_cannot_change_the_owner(api, scoped_key, demo_key):
    path = "/data_sources/1"
    before = api("GET", path, params={"format": "full_record"}).json()
    assert before["owner"] == DEMO_OWNER
    got = api("PATCH", path, json={"owner": OTHER_OWNER}, headers=headers(scoped_key))
    status, code, message = _error(got)
    assert (status, code) == (403, "NotPermitted")
    assert f"belongs to {DEMO_OWNER}" in message and "admin" in message
    # A PUT without an owner keeps the source's owner (it used to take the key's).
    whole = {k: v for k, v in before.items() if k not in ("owner", "identifier")}
    put = api("PUT", path, json=whole, headers=headers(scoped_key))
    assert put.status_code == 200, put.text
    assert put.json()["owner"] == DEMO_OWNER
    assert api("GET", path, params={"format": "full_record"}).json() == before
    # The scoped key still writes the source's fields: it is scoped, not powerless.
    renamed = api("PATCH", path, json={"display_name": "x"}, headers=headers(scoped_key))
    assert renamed.status_code == 200, renamed.text
    back = api(
        "PATCH", path, json={"display_name": before["display_name"]}, headers=headers(demo_key)
    )
    assert back.status_code == 200, back.text


def test_the_owner_and_an_admin_may_give_a_source_away(api, keys, other_key, own_source):
    path = f"/data_sources/{own_source}"
    given = api("PATCH", path, json={"owner": DEMO_OWNER}, headers=headers(other_key))
    assert given.status_code == 200, given.text
    assert given.json()["owner"] == DEMO_OWNER
    # The old owner's key no longer writes it; an admin key gives it back.
    refused = api("PATCH", path, json={"owner": OTHER_OWNER}, headers=headers(other_key))
    assert refused.status_code == 403
    admin, token = keys.create("admin@example.org", admin=True)
    try:
        back = api("PATCH", path, json={"owner": OTHER_OWNER}, headers=headers(token))
        assert back.status_code == 200, back.text
        assert back.json()["owner"] == OTHER_OWNER
    finally:
        keys.revoke(admin.key_id)


def _ephemeris_search(values) -> dict:
    return {
        **DAY,
        "data_sources": {
            "programs": ["themis"],
            "ephemeris_metadata_filters": {
                "logical_operator": "AND",
                "expressions": [{"key": "state", "operator": "in", "values": values}],
            },
        },
    }


@pytest.mark.parametrize(
    ("path", "text", "field"),
    [
        (
            "/ephemeris/search_synchronous",
            '{"start": "2021-12-01", "end": "2021-12-02", "data_sources": {"programs": ["themis"],'
            ' "ephemeris_metadata_filters": {"expressions": [{"key": "state", "operator": "=",'
            f' "values": [{BIG}]}}]}}}}}}',
            "data_sources.ephemeris_metadata_filters.expressions[0].values[0]",
        ),
        (
            "/conjunctions/search_synchronous",
            '{"start": "2021-12-01", "end": "2021-12-02", "ground": [{"programs": ["themis-asi"]}],'
            f' "space": [{{"programs": ["themis"]}}], "max_distances": {{"ground1-space1": {BIG}}}}}',
            "max_distances.ground1-space1",
        ),
        (
            "/conjunctions/search_synchronous",
            '{"start": "2021-12-01", "end": "2021-12-02", "ground": [{"programs": ["themis-asi"]}],'
            ' "space": [{"programs": ["themis"]}], "max_distances": {"ground1-space1": 1e400}}',
            "max_distances.ground1-space1",
        ),
    ],
)
def test_numbers_too_large_for_a_float_in_searches_are_400(api, path, text, field):
    got = api("POST", path, data=text)
    status, code, message = _error(got)
    assert (status, code) == (400, "AssertionError"), message
    assert message.startswith(field + ": the number ")
    assert "between -2**63 and 2**63 - 1" in message


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (
            f'{{"epoch": "2021-12-01T00:00", "location_geo": {{"lat": {BIG}, "lon": 1}}}}',
            "location_geo.lat",
        ),
        (
            f'{{"epoch": "2021-12-01T00:00", "location_geo": {{"lat": 1, "lon": 1}}, "metadata": {{"x": {BIG}}}}}',
            "metadata.x",
        ),
        (
            '{"epoch": "2021-12-01T00:00", "location_geo": {"lat": NaN, "lon": 1}}',
            "location_geo.lat",
        ),
    ],
)
def test_numbers_too_large_for_a_float_in_uploads_are_400(
    api, other_key, own_source, record, field
):
    got = api(
        "POST",
        f"/data_sources/{own_source}/ephemeris",
        data=f"[{record}]",
        headers=headers(other_key),
    )
    status, code, message = _error(got)
    assert (status, code) == (400, "AssertionError"), message
    assert message.startswith(f"[0].{field}: the number ")


def test_dates_at_their_extremes_are_400_naming_the_field_and_the_range(api, other_key, own_source):
    got = api("GET", "/availability/ephemeris", params={"start": "0001-01-01", "end": "9999-12-31"})
    status, code, message = _error(got)
    assert (status, code) == (400, "AssertionError")
    assert message.startswith("start: 0001-01-01T00:00:00 is outside")
    assert "1900-01-01T00:00:00 to 2200-01-01T00:00:00 UTC" in message
    body = {"start": "0001-01-01T00:00", "end": "0001-01-02T00:00", "data_sources": {}}
    got = api("POST", "/ephemeris/search_synchronous", json=body)
    status, code, message = _error(got)
    assert (status, code) == (400, "AssertionError")
    assert message.startswith("start: 0001-01-01T00:00:00 is outside")
    assert "OutOfBounds" not in message and "overflow" not in message
    # An upload of a year-1 record is refused, not stored.
    record = [{"epoch": "0001-01-01T00:00", "location_geo": {"lat": 1, "lon": 1}}]
    got = api(
        "POST", f"/data_sources/{own_source}/ephemeris", json=record, headers=headers(other_key)
    )
    status, code, message = _error(got)
    assert (status, code) == (400, "AssertionError")
    assert "field 'epoch' must be within 1900-01-01T00:00:00 to 2200-01-01T00:00:00 UTC" in message


def test_the_key_is_checked_before_the_body_is_read(api, own_source):
    # Not JSON at all: without a key, the answer is about the key (the body was never parsed).
    for method, path in (
        ("POST", f"/data_sources/{own_source}/ephemeris"),
        ("POST", "/data_sources"),
        ("PATCH", f"/data_sources/{own_source}"),
        ("DELETE", f"/data_sources/{own_source}/data_products"),
    ):
        got = api(method, path, data=b"{" * 100_000)
        assert _error(got)[:2] == (401, "NotAuthenticated"), (method, path, got.text)


def test_a_search_listing_too_many_filter_values_is_refused(api):
    # 8 expressions of 30,000 values each took 12 s per search; the server takes 10,000 in all.
    body = _ephemeris_search([f"v{i}" for i in range(6_000)])
    expressions = body["data_sources"]["ephemeris_metadata_filters"]["expressions"]
    expressions.append(dict(expressions[0]))
    for path in ("/ephemeris/search_synchronous", "/ephemeris/search"):
        status, code, message = _error(api("POST", path, json=body))
        assert (status, code) == (400, "AssertionError")
        assert message == (
            "metadata filters: 12000 values in all; a search may list at most 10000 "
            "(split it into several searches)"
        )
    # Under the limit the same search runs.
    assert api(
        "POST", "/ephemeris/search_synchronous", json=_ephemeris_search(["definitive"] * 10)
    ).ok


def test_a_search_body_over_a_mib_is_refused_unparsed(api):
    # 8 x 30,000 values is about 3 MiB: refused by size before the server parses it.
    body = _ephemeris_search([f"state-{i}" for i in range(30_000)])
    expressions = body["data_sources"]["ephemeris_metadata_filters"]["expressions"]
    expressions.extend(dict(expressions[0]) for _ in range(7))
    for path in ("/ephemeris/search", "/conjunctions/search_synchronous"):
        status, code, message = _error(api("POST", path, json=body))
        assert (status, code) == (413, "PayloadTooLarge")
        assert message == (
            "request body is larger than the server's limit of 1048576 bytes (1 MiB)"
        )
