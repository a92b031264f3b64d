"""Query parameters of the dashboard's addresses: every value is a visitor's input.

A bad value (not UTF-8, huge, of the wrong type or out of range, a parameter the page does not
have) gives a message on the page naming the parameter and what is allowed, the page shows its
default for it, and the server logs no error. The served tests fetch the pages from a real
``aurorax serve`` and read the very session that the request created with a Bokeh client.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import html
import json
import re
import time
import urllib.parse
import urllib.request

import pytest

from app.pages import analysis, conjunctions, explorer, keogramist, overview
from app.pages._query import parse_args
from app.pages._widgets import status_alert
from tests.demo_repos import one_day_demo
from tests.serving import running_server

HUGE = "1" + "0" * 400  # a number no parameter can hold
DIGITS_5000 = "1" + "0" * 4999  # more digits than Python turns into an int from text
DEFAULT = "; showing the default instead."


def build_query_demo(data):
    """The demo's 2021-12-01 for THEMIS GILL (images every 10 minutes, keograms) and Swarm B,
    in the folders ``aurorax serve`` looks in with ``AURORAX_DATA_DIR=data``."""
    return one_day_demo(
        data / "aurorax.duckdb",
        ["themis-asi", "swarm"],
        platforms=["gillam", "swarmb"],
        image_nights=1,
        asi_dir=data / "asi",
        products_dir=data / "products",
        image_cadence_s=600,
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("query") / "data"
    build_query_demo(data)
    return data


# -- reading the arguments (as pn.state.session_args holds them: bytes) -------------------------
def test_bad_values_are_named_with_what_is_allowed():
    args = parse_args(
        {
            "minute": [b"1e999"],
            "lat": [b"abc"],
            "lon": [b"-94.6"],
            "theme": [b"dark"],
        },
        explorer.QUERY,
    )
    assert args.values == {"lon": -94.6, "theme": "dark"}
    assert args.kept == {"lon": "-94.6", "theme": "dark"}
    assert args.problems == (
        "Ignored minute='1e999' from the address: minute must be a whole number from 0 to 1439"
        + DEFAULT,
        "Ignored lat='abc' from the address: lat must be a number from -90 to 90" + DEFAULT,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("minute", "-5"),
        ("minute", "1440"),
        ("minute", "300.5"),
        ("minute", HUGE),
        ("minute", DIGITS_5000),
        ("minute", "\u00b2"),  # a digit to str.isdigit(), not to int()
        ("lat", "nan"),
        ("lat", "1e999"),
        ("lat", "-90.5"),
        ("lon", "inf"),
        ("lon", HUGE),
    ],
)
def test_numbers_out_of_range_or_of_the_wrong_kind_are_ignored(name, value):
    args = parse_args({name: [value.encode()]}, explorer.QUERY)
    assert args.values == {}
    shown = repr(value if len(value) <= 40 else value[:40] + "...")
    allowed = {
        "minute": "a whole number from 0 to 1439",
        "lat": "a number from -90 to 90",
        "lon": "a number from -180 to 180",
    }[name]
    assert args.problems == (
        f"Ignored {name}={shown} from the address: {name} must be {allowed}{DEFAULT}",
    )


def test_invalid_utf8_unknown_names_and_empty_values():
    args = parse_args(
        # Tornado gives a name as the Latin-1 reading of its bytes: "\xff" is %FF, "\xc3\xa9" é.
        {
            "minute": [b"\xff"],
            "x": [b"1"],
            "\xff": [b"2"],
            "\xc3\xa9": [b"3"],
            "lat": [b""],
            "theme": [b"\xfe"],
        },
        explorer.QUERY,
    )
    assert args.values == {}  # lat= is as if it were not there
    reads = "this page has no such parameter (it reads day, minute, lat, lon and theme)."
    assert args.problems == (
        "Ignored minute=%FF from the address: it is not UTF-8 text; "
        "minute must be a whole number from 0 to 1439" + DEFAULT,
        f"Ignored x='1' from the address: {reads}",
        f"Ignored %FF='2' from the address: {reads}",
        f"Ignored 'é'='3' from the address: {reads}",
        "Ignored theme=%FE from the address: it is not UTF-8 text; "
        "theme must be one of default, dark" + DEFAULT,
    )
    assert parse_args({"q": [b"{}"]}, overview.QUERY).problems == (
        "Ignored q='{}' from the address: this page has no such parameter (it reads only theme).",
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"start":"0001-01-01"',  # not JSON
        "[1]",  # not an object
        HUGE,
        DIGITS_5000,
        '{"max_distances": {"ground1-space1": 1e999}}',
        '{"max_distances": {"ground1-space1": NaN}}',
        '{"max_distances": {"ground1-space1": ' + HUGE + "}}",
        "[" * 5000 + "]" * 5000,  # deeper than the JSON decoder goes
    ],
)
def test_a_search_body_must_be_a_json_object_of_finite_numbers(text):
    args = parse_args({"q": [text.encode()]}, conjunctions.QUERY)
    assert args.values == {}
    assert args.problems[0].endswith(
        " from the address: q must be a conjunction search body as the page's Share link "
        "writes it (a JSON object); showing the default instead."
    )
    assert len(args.problems[0]) < 300


def test_values_are_quoted_short_and_the_longest_are_refused():
    args = parse_args({"site": [b"x" * 20_001]}, analysis.QUERY)
    assert args.problems == (
        f"Ignored site={'x' * 40 + '...'!r} from the address: it is longer than 20000 characters"
        + DEFAULT,
    )


def test_times_and_days_must_be_iso_and_within_the_centuries():
    args = parse_args(
        {"start": [b"2021-12-01T05:00:00Z"], "end": [b"9999-12-31T00:00:00"]}, analysis.QUERY
    )
    assert args.values == {"start": dt.datetime(2021, 12, 1, 5)}
    assert args.problems == (
        "Ignored end='9999-12-31T00:00:00' from the address: end must be a UTC time "
        "YYYY-MM-DDTHH:MM:SS from 1900-01-01 to 2100-12-31" + DEFAULT,
    )
    args = parse_args({"start": [b"0001-01-01"], "end": [b"2021-12-01"]}, keogramist.QUERY)
    assert args.values == {"end": dt.date(2021, 12, 1)}
    assert args.problems[0].startswith("Ignored start='0001-01-01' from the address: start must")


def test_the_status_box_shows_text_never_markup():
    state = analysis.AnalysisState()
    state.status = "No imager '<img src=x onerror=alert(1)>'; choose one of **these** [a](b)."
    text = html.unescape(status_alert(state.param.status).get_root().text)
    assert "<img" not in text and "<strong>" not in text and "<a " not in text
    assert _visible_text(text) == state.status


# -- the pages' own checks of the values (without a browser) -------------------------------------
def test_analysis_shows_its_defaults_for_an_unknown_site_or_spacecraft(data):
    state = analysis.AnalysisState(db_path=str(data / "aurorax.duckdb"), asi_dir=str(data / "asi"))
    state.load(site="inuv", spacecraft="dmspf16")
    assert (state.site, state.spacecraft) == ("themis:gill", "swarmb")
    assert state.start is not None and state.series is not None
    assert state.status.startswith(
        "No imager 'inuv' with image files; choose one of ['themis:gill']. "
        "No spacecraft 'dmspf16'; choose one of ['swarmb']."
    )


def test_analysis_window_needs_both_ends_in_order_and_at_most_two_hours(data):
    state = analysis.AnalysisState(db_path=str(data / "aurorax.duckdb"), asi_dir=str(data / "asi"))
    state.load()
    default = (state.start, state.end)
    for start, end, message in [
        ("2021-12-01T05:00:00", "", "The time window needs both start and end"),
        ("2021-12-01T05:10:00", "2021-12-01T05:00:00", "The time window 2021-12-01 05:10:00 to"),
        ("2021-12-01T01:00:00", "2021-12-01T05:00:00", "The time window 2021-12-01 01:00:00 to"),
        ("0001-01-01T00:00:00", "2021-12-01T05:00:00", "The time window 1-01-01 00:00:00 to"),
        ("yesterday-ish", "2021-12-01T05:00:00", "Cannot read the time window"),
    ]:
        state.load(start=start, end=end)
        assert (state.start, state.end) == default
        assert state.series is not None
        assert state.status.startswith(message), state.status


def test_keogramist_shows_the_first_day_for_unreadable_or_reversed_days(data):
    state = keogramist.KeogramistState(
        db_path=str(data / "aurorax.duckdb"),
        asi_dir=str(data / "asi"),
        products_dir=str(data / "products"),
    )
    state.load(start="yesterday", end="2021-12-01")
    assert (state.start, state.end) == (dt.date(2021, 12, 1), dt.date(2021, 12, 1))
    assert len(state.rows) == 1
    assert state.status.startswith("Cannot read the days 'yesterday' to '2021-12-01'")
    state.load(start="2021-12-02", end="2021-12-01")
    assert (state.start, state.end) == (dt.date(2021, 12, 1), dt.date(2021, 12, 1))
    assert state.status == "The end day 2021-12-01 is before the start day 2021-12-02."


def test_explorer_takes_the_minute_from_the_address(data):
    state = explorer.ExplorerState(db_path=str(data / "aurorax.duckdb"), asi_dir=str(data / "asi"))
    state.load(minute=75)
    assert state.time == dt.datetime(2021, 12, 1, 1, 15, tzinfo=dt.UTC)


def test_a_shared_search_fills_the_form_unless_it_is_not_one_the_page_can_run(data):
    from app.pages._conjunction_form import fill_form

    blocks = '"ground": [{}], "space": [{}], "max_distances": {"ground1-space1": 500}'
    state = conjunctions.ConjunctionSearchState(db_path=str(data / "aurorax.duckdb"))
    state.load()
    # Reversed days: the form shows them, and the search says what is wrong (as on the form).
    body = '{"start": "2021-12-03T00:00:00", "end": "2021-12-01T00:00:00", ' + blocks + "}"
    assert fill_form(state, json.loads(body)) == ""
    assert (state.start, state.end) == (dt.date(2021, 12, 3), dt.date(2021, 11, 30))
    state.search()
    assert state.status == "The end day 2021-11-30 is before the start day 2021-12-03."
    for body, reason in [
        ('{"start": "0001-01-01"}', "query: missing required field 'end'"),
        (
            '{"start": "0001-01-01T00:00:00", "end": "0001-01-02T00:00:00", ' + blocks + "}",
            "start: 0001-01-01T00:00:00 is outside the times the repository takes",
        ),
        ('{"ground": 5}', "'int' object is not iterable"),
        ('{"ground": [{"programs": 5}], "space": [{}]}', "'int' object is not iterable"),
    ]:
        state = conjunctions.ConjunctionSearchState(db_path=str(data / "aurorax.duckdb"))
        state.load()
        assert fill_form(state, json.loads(body)).startswith(reason), body


# -- served: the session a request made, read back with a Bokeh client -------------------------
@pytest.fixture(scope="module")
def server(data):
    with running_server(data / "aurorax.duckdb", data) as base:
        yield base


def _visible_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def _served(base, path: str, log) -> dict:
    """GET ``path`` and read its session: visible texts and widget values by title. Checks
    that serving it logged no error."""
    import panel.models  # noqa: F401  (Panel's Bokeh models, to read its documents)
    import panel.models.tabulator  # noqa: F401
    from bokeh.client import pull_session
    from bokeh.util.token import get_session_id

    before = log.stat().st_size
    with urllib.request.urlopen(base + path, timeout=60) as response:
        assert response.status == 200
        page = response.read().decode()
    token = re.search(r'"token":\s*"([^"]+)"', page).group(1)
    slug = urllib.parse.urlsplit(path).path

    def pull() -> list:
        with pull_session(session_id=get_session_id(token), url=base + slug) as session:
            return list(session.document.models)

    # In a thread of its own: Bokeh's client runs an event loop, which cannot start in a thread
    # where one is already running (Playwright's, once a browser test has run in this session).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        models = pool.submit(pull).result(timeout=120)
    time.sleep(0.2)
    with log.open("rb") as f:
        f.seek(before)
        logged = f.read().decode(errors="replace")
    assert "ERROR" not in logged and "Traceback" not in logged, logged[-3000:]
    assert "Could not parse value" not in logged, logged[-3000:]  # Panel saw no bad value
    texts = [
        _visible_text(html.unescape(m.text))
        for m in models
        if isinstance(getattr(m, "text", None), str) and m.visible
    ]
    values = {m.title: m.value for m in models if hasattr(m, "title") and hasattr(m, "value")}
    return {"text": "\n".join(texts), "values": values}


def _log(base, data):
    return data / f"server-{base.rsplit(':', 1)[1]}.log"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/overview?theme=%ff",
            "Ignored theme=%FF from the address: it is not UTF-8 text; theme must be one of "
            "default, dark" + DEFAULT,
        ),
        (
            "/overview?x=%C2%B2",
            "Ignored x='\u00b2' from the address: this page has no such parameter "
            "(it reads only theme).",
        ),
        (
            f"/availability?x={DIGITS_5000}",
            f"Ignored x={DIGITS_5000[:40] + '...'!r} from the address: this page has no such "
            "parameter (it reads only theme).",
        ),
    ],
)
def test_pages_without_parameters_say_which_they_ignored(server, data, path, message):
    page = _served(server, path, _log(server, data))
    assert message in page["text"]


@pytest.mark.slow
def test_analysis_with_bad_parameters_shows_the_default_analysis(server, data):
    log = _log(server, data)
    page = _served(server, "/analysis?site=%ff&spacecraft=%3Cimg%20src=x%3E", log)
    assert (
        "Ignored site=%FF from the address: it is not UTF-8 text; site must be a site_uid "
        "(program:site_uid to pick a program): at most 64 letters, digits, ':', '_', '.' or '-'"
        + DEFAULT
    ) in page["text"]
    assert "Ignored spacecraft='<img src=x>' from the address: spacecraft must be" in page["text"]
    assert page["values"]["Imager"] == "themis:gill"
    assert page["values"]["Spacecraft"] == "swarmb"
    page = _served(server, "/analysis?start=2021-12-01T05:00:00&end=9999-12-31T00:00:00", log)
    assert "Ignored end='9999-12-31T00:00:00' from the address" in page["text"]
    assert "The time window needs both start and end" in page["text"]


@pytest.mark.slow
def test_keogramist_with_bad_days_shows_the_first_day(server, data):
    page = _served(server, "/keogramist?start=2021-12-01&end=%ff", _log(server, data))
    assert (
        "Ignored end=%FF from the address: it is not UTF-8 text; end must be a UTC day "
        "YYYY-MM-DD from 1900-01-01 to 2100-12-31" + DEFAULT
    ) in page["text"]
    assert page["values"]["To (UTC)"] == "2021-12-01"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "messages"),
    [
        (
            "minute=1e999&lat=abc&lon=-94.6",
            [
                "Ignored minute='1e999' from the address: minute must be a whole number from 0 "
                "to 1439" + DEFAULT,
                "Ignored lat='abc' from the address: lat must be a number from -90 to 90" + DEFAULT,
            ],
        ),
        ("minute=-5&lat=nan", ["Ignored minute='-5'", "Ignored lat='nan'"]),
        (f"minute={HUGE}&lat=%C2%B2", ["Ignored minute='100000", "Ignored lat='\u00b2'"]),
    ],
)
def test_explorer_with_bad_parameters_shows_the_default_minute_and_view(
    server, data, query, messages
):
    page = _served(server, f"/explorer?{query}", _log(server, data))
    for message in messages:
        assert message in page["text"]
    assert page["values"]["Minute of day (UTC)"] == 10  # the first image hour, +10 minutes
    assert page["values"]["Tilt: central latitude"] == 60.0
    assert page["values"]["Rotate: central longitude"] == (-94.6 if "lon=" in query else -100.0)


@pytest.mark.slow
def test_explorer_and_analysis_still_read_good_parameters(server, data):
    log = _log(server, data)
    page = _served(server, "/explorer?minute=75&lat=56.4&lon=-94.6&theme=dark", log)
    assert "Ignored" not in page["text"]
    assert page["values"]["Minute of day (UTC)"] == 75
    assert page["values"]["Tilt: central latitude"] == 56.4
    page = _served(server, "/analysis?site=gill&spacecraft=swarmb", log)
    assert "Ignored" not in page["text"]
    assert page["values"]["Imager"] == "themis:gill"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("%ff", "Ignored q=%FF from the address: it is not UTF-8 text; q must be"),
        (HUGE, f"Ignored q={HUGE[:40] + '...'!r} from the address: q must be"),
        (DIGITS_5000, f"Ignored q={DIGITS_5000[:40] + '...'!r} from the address: q must be"),
        (
            urllib.parse.quote('{"start":"0001-01-01"}'),
            """Ignored q='{"start":"0001-01-01"}' from the address: it is not a search this """
            "page can run",
        ),
        (urllib.parse.quote("{bad"), "Ignored q='{bad' from the address: q must be"),
    ],
)
def test_conjunction_search_with_a_bad_shared_search_shows_the_default_form(
    server, data, q, message
):
    page = _served(server, f"/conjunctions?q={q}", _log(server, data))
    assert message in page["text"]
    assert page["values"]["From (UTC day)"] == "2021-12-01"


# -- in a browser: its Location reports the address to the server once the page has loaded -----
# (``browser``: the session's chromium, tests/conftest.py)


@pytest.mark.browser
@pytest.mark.slow
def test_in_a_browser_the_message_shows_the_address_is_tidied_and_nothing_is_logged(
    server, data, browser
):
    log = _log(server, data)
    before = log.stat().st_size

    def visit(path: str, *texts: str):
        page = browser.new_page()
        page.goto(server + path, wait_until="networkidle")
        for text in texts:
            page.get_by_text(text).first.wait_for(timeout=30_000)
        # The browser's address reaches the server, and the server's answers the browser (a
        # page closed while the server writes to it logs a closed-websocket traceback).
        page.wait_for_timeout(1500)
        return page

    # Panel would parse the browser's address (5000 digits, a '²': an int() that raises).
    visit(f"/overview?x={DIGITS_5000}", "Ignored x='1000").close()
    page = visit(
        "/explorer?minute=-5&lat=%C2%B2&lon=-94.6",
        "Ignored minute='-5' from the address",
        "Ignored lat='\u00b2' from the address",
    )
    # The address shows what the page shows: the default minute and latitude.
    page.wait_for_function(
        "() => window.location.search === '?day=2021-12-01&minute=10&lat=60.0&lon=-94.6'",
        timeout=30_000,
    )
    page.wait_for_timeout(1000)
    page.close()
    # A quoted value is text on the page, never markup.
    page = visit(
        "/analysis?site=%3Cimg%20src=x%20onerror=window.__xss=1%3E",
        "Ignored site='<img src=x onerror=window.__xss=1>'",
    )
    assert page.evaluate("window.__xss") is None
    page.close()
    with log.open("rb") as f:
        f.seek(before)
        logged = f.read().decode(errors="replace")
    assert "ERROR" not in logged and "Traceback" not in logged, logged[-3000:]
