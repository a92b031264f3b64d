"""The dashboard on a repository built from real-format files only (issue 12 item 4).

No demo build and no SQL: a mirror folder holds THEMIS L1 image CDF files of Pinawa (PINA)
written with :func:`aurorax.asi.write_themis_cdf` in the THEMIS layout, and the site's skymap.
The walk-through of ``docs/real-data.md`` is then run as it is written there, command by command:
the config file, the mirror download, ``aurorax ingest``, ``aurorax ingest-ephemeris`` with the
ISS's published element set (a TLE file) and with a Swarm-style CDF position file, and
``aurorax serve``. A real chromium then opens the Conjunction search, Conjunction analysis and
Event Explorer pages on that repository.

The window is chosen from the TLE: the ISS element set of 2019-12-09 16:38 UTC (the example of the
sgp4 package's README, as published by CelesTrak) puts the ISS's northern footprint 220 and 200 km
from Pinawa at 22:50 and 22:51 UTC that evening; the images cover 22:30-23:30 UTC.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest

from aurorax.asi import write_skymap, write_themis_cdf
from tests.asi.conftest import make_skymap
from tests.browser.conftest import screenshot
from tests.browser.probes import GLYPHS_JS, TITLES_JS
from tests.serving import free_port, wait_for_server

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = ROOT / "docs" / "real-data.md"
#: The chapter's folder for the user's data; the test puts a temporary folder in its place.
DOC_ROOT = "/data/aurora"
#: The mirror the chapter downloads from; the test serves a temporary folder there.
DOC_MIRROR = "http://127.0.0.1:8000/asi"

SITE = "pina"
SITE_LAT, SITE_LON = 50.26, -95.87  # data/sites.csv
IMAGE_START = pd.Timestamp("2019-12-09T22:30", tz="UTC")
IMAGE_END = pd.Timestamp("2019-12-09T23:30", tz="UTC")
CADENCE_S = 10
FRAME_PX = 256
PASS_MINUTES = ("22:50", "22:51")


# -- the files a user has -------------------------------------------------------------------


def pina_frames(times: pd.DatetimeIndex, skymap) -> np.ndarray:
    """Counts of a quiet sky with an east-west arc drifting south, and noise (deterministic).

    Row 0 is the north edge (aurorax orientation); pixels below the horizon read as the
    camera's dark level, as in real THEMIS frames.
    """
    rng = np.random.default_rng(2019)
    rows = np.arange(FRAME_PX)[:, None] + 0.5
    elapsed = (times - times[0]).total_seconds().to_numpy()
    frames = np.empty((len(times), FRAME_PX, FRAME_PX), dtype=np.uint16)
    sky = np.isfinite(skymap.elevation)
    airglow = 2500.0 + 1500.0 * np.cos(np.radians(np.nan_to_num(skymap.elevation, nan=0.0)))
    for i, t_s in enumerate(elapsed):
        centre = 60.0 + 120.0 * t_s / 3600.0  # the arc drifts from the north to the south
        arc = 9000.0 * np.exp(-0.5 * ((rows - centre) / 9.0) ** 2) * (1 + 0.2 * np.sin(t_s / 60))
        counts = np.where(sky, airglow + arc, 1000.0) + rng.normal(0, 80, (FRAME_PX, FRAME_PX))
        frames[i] = np.clip(counts, 0, 65535).astype(np.uint16)
    return frames


def write_mirror(mirror: Path) -> list[Path]:
    """The mirror's THEMIS files of PINA for 22:30-23:30 UTC (two hourly files) and its skymap."""
    from aurorax.asi import image_path

    skymap = make_skymap(SITE, SITE_LAT, SITE_LON, n=FRAME_PX, valid_from="2019-01-01")
    write_skymap(mirror / "themis" / "skymaps" / SITE / "themis_skymap_pina_20190101-+_v01.npz",
                 skymap)  # fmt: skip
    files = []
    for hour in pd.date_range(IMAGE_START.floor("h"), IMAGE_END, freq="h", inclusive="left"):
        start, end = max(hour, IMAGE_START), min(hour + pd.Timedelta(hours=1), IMAGE_END)
        times = pd.date_range(start, end, freq=f"{CADENCE_S}s", inclusive="left")
        path = image_path("themis", SITE, hour, mirror)
        write_themis_cdf(path, SITE, times.tz_convert(None), pina_frames(times, skymap))
        files.append(path)
    return files


def swarm_like_cdf(path: Path) -> Path:
    """A Swarm-style position file (``Latitude``/``Longitude``/``Radius`` in ITRF, CDF_EPOCH,
    every 60 s) of a polar orbit crossing over Pinawa northward at 23:05 UTC."""
    from tests.ingest.test_cdf_positions import swarm

    t0 = np.datetime64("2019-12-09T23:05:00", "ns")
    times = t0 + np.arange(-65, 55) * np.timedelta64(60, "s")
    minutes = (times - t0) / np.timedelta64(60, "s")
    u = np.radians(SITE_LAT + minutes * 360.0 / 94.5)  # argument of latitude, 94.5-min orbit
    lat = np.degrees(np.arcsin(np.sin(u)))
    # Over the pole the track continues on the far meridian; the Earth turning east under the
    # orbit moves the track west by 0.25 deg a minute.
    lon = SITE_LON + np.where(np.cos(u) >= 0, 0.0, 180.0) - 0.25 * minutes
    lon = (lon + 180.0) % 360.0 - 180.0
    return swarm(path, times, lat, lon, np.full(times.size, 6_371_200.0 + 510_000.0))


ISS_TLE = """ISS (ZARYA)
1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991
2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482
"""


# -- the chapter, run as written ------------------------------------------------------------

pytestmark = [pytest.mark.slow]

_DURATION = re.compile(r"\d+\.\d+ s\b")


def chapter_blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block of the chapter, in order."""
    return re.findall(r"```(\w*)\n(.*?)```", CHAPTER.read_text(), re.S)


def console_commands(text: str) -> list[tuple[str, list[str]]]:
    """The ``$ command`` lines of a console block, each with the lines it prints."""
    steps = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def masked(lines) -> list[str]:
    """Lines without trailing blanks, durations (``61.3 s``) replaced by ``<t> s``."""
    return [_DURATION.sub("<t> s", line.rstrip()) for line in lines]


def argv(command: str, root: Path) -> list[str]:
    """The chapter's command line with the user's folder replaced, run by this Python."""
    words = shlex.split(command.replace(DOC_ROOT, str(root)))
    assert words[0] == "aurorax", command
    return [sys.executable, "-m", "aurorax.cli", *words[1:]]


def user_env(root: Path) -> dict:
    """The environment of the user's shell: only the chapter's config file says where things are."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURORAX_")}
    return {**env, "AURORAX_CONFIG": str(root / "config.toml"), "HOME": str(root / "home")}


@contextlib.contextmanager
def serving_folder(folder: Path):
    """``python -m http.server`` on a free loopback port in ``folder`` (folder listings too)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Walkthrough:
    """What running the chapter produced: the user's folder, each command's printed lines
    against the chapter's, and the chapter's search body and page addresses."""

    def __init__(self, root: Path):
        self.root = root
        self.printed: list[tuple[str, list[str], list[str]]] = []  # command, expected, actual
        self.serve_command: str | None = None
        self.serve_expected: list[str] = []
        self.search: dict | None = None
        self.pages: list[str] = []

    def expect(self, command: str, expected: list[str], stdout: str) -> None:
        want = masked(line.replace(DOC_ROOT, str(self.root)) for line in expected)
        self.printed.append((command, want, masked(stdout.rstrip("\n").splitlines())))


def run_chapter(root: Path, mirror_url: str) -> Walkthrough:
    """Run the chapter's blocks in order in the user's folder ``root``."""
    done = Walkthrough(root)
    env = user_env(root)
    blocks = chapter_blocks()
    snippet_output = None
    for language, text in blocks:
        text = text.replace(DOC_MIRROR, mirror_url + "/asi")
        if language == "toml":
            (root / "config.toml").write_text(text.replace(DOC_ROOT, str(root)))
        elif language == "python":
            result = subprocess.run(
                [sys.executable, "-c", text], env=env, capture_output=True, text=True, timeout=300
            )
            assert result.returncode == 0, result.stderr
            snippet_output = result.stdout
        elif language == "console" and not text.startswith("$ "):
            # The printout of the Python snippet just before it.
            assert snippet_output is not None, "a console block without a command or a snippet"
            done.expect("the download snippet", text.splitlines(), snippet_output)
            snippet_output = None
        elif language == "console":
            for command, expected in console_commands(text):
                if command.startswith("aurorax serve"):
                    done.serve_command, done.serve_expected = command, expected
                    continue
                result = subprocess.run(
                    argv(command, root), env=env, capture_output=True, text=True, timeout=900
                )
                assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
                done.expect(command, expected, result.stdout)
        elif language == "text" and text.startswith("ISS (ZARYA)"):
            (root / "iss.tle").write_text(text)
        elif language == "text":
            done.pages += re.findall(r"http://127\.0\.0\.1:5006(/\S+)", text)
        elif language == "json" and '"result"' in text:
            (root / "themise.json").write_text(text)
        elif language == "json":
            done.search = json.loads(text)
    return done


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory) -> Walkthrough:
    """The chapter run on a mirror of real-format PINA files, the ISS's TLE and a Swarm CDF."""
    base = tmp_path_factory.mktemp("real-data")
    mirror, root = base / "mirror", base / "user"
    write_mirror(mirror / "asi")
    root.mkdir()
    swarm_like_cdf(root / "SW_OPER_MAGB_LR_1B_20191209.cdf")
    with serving_folder(mirror) as url:
        return run_chapter(root, url)


def test_every_command_prints_what_the_chapter_shows(walkthrough):
    commands = [command for command, _, _ in walkthrough.printed]
    assert [c.split(" /")[0] for c in commands] == [
        "the download snippet",
        "aurorax ingest",
        "aurorax ingest-ephemeris",
        "aurorax ingest-ephemeris",
        "aurorax import-aurorax-json",
        "aurorax db info",
    ]
    for command, expected, printed in walkthrough.printed:
        assert printed == expected, command
    assert walkthrough.serve_command == "aurorax serve --no-build-demo"
    assert walkthrough.search is not None and len(walkthrough.pages) == 2


def test_the_repository_holds_only_what_the_chapter_put_in(walkthrough):
    from aurorax.engine import Repository

    root = walkthrough.root
    with Repository(root / "aurorax.duckdb", read_only=True) as repo:
        sources = {(s.program, s.platform): s for s in repo.list_data_sources()}
        assert set(sources) == {
            ("themis-asi", "pinawa"), ("iss", "iss"), ("swarm", "swarmb"), ("themis", "themise"),
        }  # fmt: skip
        assert sources[("themis-asi", "pinawa")].metadata["ingested_by"] == "aurorax ingest"
    keograms = root / "products" / "keograms" / "themis-asi" / "pina" / "2019" / "12" / "09"
    assert sorted(p.name for p in keograms.iterdir()) == [
        "themis-asi_pina_20191209_22_keogram.png",
        "themis-asi_pina_20191209_23_keogram.png",
        "themis-asi_pina_20191209_keogram.png",
    ]
    # The downloaded files are the mirror's, byte for byte.
    mirror = root.parent / "mirror" / "asi"
    for path in sorted((mirror / "themis").rglob("*.*")):
        copy = root / "asi" / path.relative_to(mirror)
        assert copy.read_bytes() == path.read_bytes(), copy


# -- the dashboard on that repository --------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard(walkthrough):
    """``aurorax serve`` as the chapter runs it (plus ``--port``); yields (base URL, log path)."""
    port = free_port()
    root = walkthrough.root
    log = root / "serve.log"
    cmd = argv(walkthrough.serve_command, root) + ["--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=user_env(root), stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_server(proc, base + "/overview", log, timeout_s=180)
            yield base, log
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_serve_prints_what_the_chapter_shows(walkthrough, dashboard):
    base, log = dashboard
    port = base.rsplit(":", 1)[1]
    expected = masked(line.replace(":5006", f":{port}") for line in walkthrough.serve_expected)
    printed = masked(log.read_text().splitlines())
    assert printed[: len(expected)] == expected


# Finite y values of each drawn line (Curve) of the page: the intensity series has some.
LINE_VALUES_JS = """() => {
    const counts = [];
    for (const doc of Bokeh.documents) {
        for (const model of doc.all_models) {
            const g = model.glyph;
            if (g !== undefined && g.constructor.__name__ === "Line" && g.y.field !== undefined) {
                const ys = [...model.data_source.data[g.y.field]];
                counts.push(ys.filter((v) => v !== null && Number.isFinite(v)).length);
            }
        }
    }
    return counts;
}"""

# Image glyphs' arrays: how many finite, non-zero pixels the drawn images hold.
IMAGE_PIXELS_JS = """() => {
    let lit = 0;
    for (const doc of Bokeh.documents) {
        for (const model of doc.all_models) {
            const g = model.glyph;
            if (g !== undefined && g.constructor.__name__ === "Image") {
                for (const image of model.data_source.data[g.image.field]) {
                    for (const v of image) { if (Number.isFinite(v) && v > 0) { lit += 1; } }
                }
            }
        }
    }
    return lit;
}"""


def _wait_for_bokeh(page) -> None:
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=60_000)
    page.locator("canvas").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)


@pytest.mark.browser
def test_conjunction_search_finds_the_passes(walkthrough, dashboard, page):
    from tests.browser.conftest import click_until

    base, _ = dashboard
    body = json.dumps(walkthrough.search)
    page.goto(base + "/conjunctions?q=" + quote(body), wait_until="networkidle")
    page.locator(".tabulator-row").first.wait_for(timeout=60_000)
    page.get_by_text("Found 2 conjunctions in").wait_for(timeout=30_000)
    rows = page.locator(".tabulator-row")
    assert rows.count() == 2
    texts = rows.all_inner_texts()
    assert "THEMIS-ASI PINA" in texts[0] and "iss iss" in texts[0]
    assert "2019-12-09 22:50" in texts[0]
    assert "THEMIS-ASI PINA" in texts[1] and "swarm swarmb" in texts[1]
    row = rows.first
    click_until(
        lambda: row.locator(".tabulator-cell").nth(2).click(),
        page.get_by_text("Conjunction #0: THEMIS-ASI PINA x iss iss"),
        retry_if=lambda: "tabulator-selected" not in (row.get_attribute("class") or ""),
    )
    page.get_by_text("That night's keograms and movies").wait_for(timeout=30_000)
    # The links of the products the ingest rendered, served from the products folder.
    keogram = page.get_by_role("link", name="THEMIS-ASI PINA daily keogram (2019-12-09 22:30-23:29")
    keogram.first.wait_for(timeout=30_000)
    href = keogram.first.get_attribute("href")
    assert href.endswith("/themis-asi_pina_20191209_keogram.png")
    with urllib.request.urlopen(base + href, timeout=30) as response:
        assert response.read(8) == b"\x89PNG\r\n\x1a\n"
    assert page.get_by_role("link", name="THEMIS-ASI PINA movie").count() == 1
    page.wait_for_timeout(1500)
    assert page.locator("canvas").count() >= 2
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.wait_for_timeout(1500)
    screenshot(page, "real-data-conjunctions")
    assert "Traceback" not in page.content()
    assert page.console_errors == []


@pytest.mark.browser
def test_analysis_shows_frames_and_an_intensity_series(walkthrough, dashboard, page):
    base, _ = dashboard
    (address,) = [p for p in walkthrough.pages if p.startswith("/analysis")]
    page.goto(base + address, wait_until="networkidle")
    page.get_by_text("Conjunction analysis").first.wait_for(timeout=60_000)
    _wait_for_bokeh(page)
    glyphs = page.evaluate(GLYPHS_JS)
    assert glyphs.count("Image") == 1  # the montage: one plot of the four frames
    titles = page.evaluate(TITLES_JS)
    assert [t[:4] for t in titles] == ["(A) ", "(B) ", "(C) ", "(D) "]
    assert all(t[4:].startswith(("22:4", "22:5")) for t in titles), titles
    assert page.evaluate(IMAGE_PIXELS_JS) > 4 * 10_000  # the sky of each frame is drawn
    # The pass selector offers the ISS's pass that the conjunction search found.
    select = page.locator("select").filter(has_text="closest")
    options = [o for o in select.locator("option").all_inner_texts() if "closest" in o]
    assert options == ["2019-12-09 22:50-22:51 UT, closest 202 km"]
    # The intensity series: the mean counts in the box while the footprint is in the sky.
    assert max(page.evaluate(LINE_VALUES_JS), default=0) >= 5
    assert page.get_by_text("Download montage (PNG)").count() == 1
    assert page.get_by_text("Download movie (mp4)").count() == 1
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.wait_for_timeout(1500)
    screenshot(page, "real-data-analysis")
    assert "Traceback" not in page.content()
    assert page.console_errors == []


@pytest.mark.browser
def test_explorer_shows_the_image_and_spacecraft_at_the_minute(walkthrough, dashboard, page):
    base, _ = dashboard
    (address,) = [p for p in walkthrough.pages if p.startswith("/explorer")]
    page.goto(base + address, wait_until="networkidle")
    page.get_by_text("Event Explorer").first.wait_for(timeout=60_000)
    page.get_by_text("2019-12-09 22:50 UTC").first.wait_for(timeout=60_000)
    _wait_for_bokeh(page)
    page.wait_for_function(f"() => ({GLYPHS_JS})().includes('Image')", timeout=60_000)
    glyphs = page.evaluate(GLYPHS_JS)
    assert "MultiLine" in glyphs  # coastlines and graticule
    assert "Scatter" in glyphs  # spacecraft positions and footprints
    assert page.evaluate(IMAGE_PIXELS_JS) > 1_000  # Pinawa's image on the global grid
    page.get_by_text("THEMIS-ASI PINA").first.wait_for(timeout=30_000)
    screenshot(page, "real-data-explorer")
    assert "No all-sky images" not in page.content()
    assert "Traceback" not in page.content()
    assert page.console_errors == []
