"""Benchmark: the dashboard's speed in a real browser (Playwright driving Debian's chromium).

Run from the repository root::

    .venv/bin/python benchmarks/bench_pages.py              # builds the demo data in a temp dir
    .venv/bin/python benchmarks/bench_pages.py --data DIR   # build once into DIR, reuse after
    .venv/bin/python benchmarks/bench_pages.py --runs 3 --pages overview,keogramist

What it measures, all in one run, against real ``aurorax serve`` processes on free loopback ports:

1. **First complete render of each page** (overview, conjunctions, analysis, keogramist,
   explorer, availability) on a 31-day demo repository (every demo source; one night of
   images at the demo's 2-minute cadence): from the start of the navigation
   (``performance.timeOrigin``) to the moment the page's real content is drawn, each run in a fresh
   browser context (no HTTP cache, a new server session). "Complete" is a concrete condition per
   page (see ``page_specs``): Bokeh has finished drawing the expected number of plots, each with
   its glyphs (e.g. the keogram ``Image`` and a y range of one unit per keogram row), the table
   has its rows, the page's texts are there and no Panel loading spinner is left. The first run
   of a page is the first visit after the server started (its warm-up builds each page's default
   view once, so the default views' ``pn.cache`` entries in ``app/services.py`` are filled); it
   is printed separately ("cold") from the median of all runs.
2. **The Keogramist with 52 keograms** (4 THEMIS ASI sites x 13 nights of images every 20 min,
   a separate demo repository): from the request ``/keogramist?start=...&end=...`` to the 52 rows
   drawn. Cold = the first request (every keogram made from its image files), then warm.
3. **A one-month conjunction search, click to table** (THEMIS ASI x Swarm, nbtrace, 500 km, the
   whole 31 days): the search form is opened with that search (``?q=``), the distance is changed
   (so every click is a new query the server has not cached) and "Search" is clicked; timed from
   the click to the new table's rows drawn.

Baselines, same run, same browser and machine:

* a bare Panel page (same Panel, Bokeh and HoloViews) with one static HoloViews ``Image`` of the
  size of our plots (800 x 400 px), served by its own process: the framework's floor for a page;
  and the same with an image of the 52-row Keogramist's size (1100 x 2992 px);
* for the search, the engine's own in-process time (``aurorax.engine.search_conjunctions``) of
  the same queries, on a fresh read-only connection.

The machine may be shared: timings are noisy, compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import TimeoutError as PlaywrightTimeout

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.serving import free_port, running_server  # noqa: E402

START = dt.date(2021, 12, 1)
MONTH_DAYS = 31
KEOGRAM_NIGHTS = 13
KEOGRAM_PLATFORMS = ["gillam", "the pas", "pinawa", "rankin inlet"]  # the THEMIS demo image sites
GOALS_S = {"page": 3.0, "keogramist-50": 3.0, "search": 2.0}
VIEWPORT = {"width": 1400, "height": 900}
FLOOR_SIZES = {"floor": (800, 400), "floor-keograms": (1100, 80 + 56 * 52)}
PAGES = ("overview", "conjunctions", "analysis", "keogramist", "explorer", "availability")

# A page is complete when this returns a number (ms since the navigation started): every
# condition of the spec holds. The DOM of Bokeh 3 lives in shadow roots, hence the deep query.
READY_JS = """(spec) => {
  // The cheap checks (Bokeh's own view index) first; the DOM checks, which walk every shadow
  // root once, only when the plots are drawn: the probe runs every 25 ms and must not slow the
  // page it is timing (walking the DOM four times per poll did, on the pages with many roots).
  const B = window.Bokeh;
  if (!B || !B.index || B.documents.length === 0) return false;
  const views = [...B.index.query(() => true)];
  const plots = views.filter((v) => ['Figure', 'Plot'].includes(v.model.constructor.__name__));
  const seen = new Set();
  const drawn = plots.filter((p) => {
    if (!p.has_finished() || p.canvas_view.bbox.width === 0) return false;
    const glyphs = [...p.renderer_views.values()]
      .filter((r) => r.glyph && r.glyph.data_size > 0)
      .map((r) => r.model.glyph.constructor.__name__);
    glyphs.forEach((g) => seen.add(g));
    return glyphs.length > 0;
  });
  if (drawn.length < spec.plots || !spec.glyphs.every((g) => seen.has(g))) return false;
  if (spec.y_end !== null && !drawn.some((p) => p.model.y_range.end === spec.y_end)) return false;
  // The DOM of Bokeh 3 lives in shadow roots: collect them once, then query each.
  const roots = [document];
  for (let i = 0; i < roots.length; i++) {
    for (const el of roots[i].querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
  }
  const deep = (sel) => roots.flatMap((r) => [...r.querySelectorAll(sel)]);
  if (deep('.pn-loading').length > 0) return false;
  if (deep('.tabulator-row').length < spec.rows) return false;
  if (spec.fresh_table && !deep('.tabulator').some((t) => !t.__bench_old)) return false;
  const body = [document.body, ...roots.slice(1)].map((r) => r.textContent).join(' ');
  if (!spec.texts.every((t) => body.includes(t))) return false;
  return performance.now();
}"""

# What the page shows instead, when it never becomes complete (for the error message).
DIAGNOSE_JS = """() => {
  const B = window.Bokeh;
  const views = B && B.index ? [...B.index.query(() => true)] : [];
  const plots = views.filter((v) => ['Figure', 'Plot'].includes(v.model.constructor.__name__));
  return {
    plots: plots.map((p) => ({
      finished: p.has_finished(),
      glyphs: [...p.renderer_views.values()].map((r) => r.model.glyph?.constructor.__name__),
      y_end: p.model.y_range.end,
    })),
    text: document.body.innerText.slice(0, 2000),
  };
}"""

MARK_OLD_TABLES_JS = """() => {
  const walk = (root) => {
    for (const el of root.querySelectorAll('.tabulator')) el.__bench_old = true;
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document);
}"""


def spec(plots=0, glyphs=(), rows=0, texts=(), y_end=None, fresh_table=False) -> dict:
    """What a complete page shows (see ``READY_JS``): at least ``plots`` Bokeh plots drawn, each
    with glyphs holding data, among them all of ``glyphs`` (Bokeh glyph model names); at least
    ``rows`` table rows; every one of ``texts``; a plot whose y range ends at ``y_end``."""
    return {
        "plots": plots,
        "glyphs": list(glyphs),
        "rows": rows,
        "texts": list(texts),
        "y_end": y_end,
        "fresh_table": fresh_table,
    }


# -- data ------------------------------------------------------------------------------------
def build_data(folder: Path) -> tuple[Path, Path]:
    """The month repository (``<folder>/month``) and the keogram one (``<folder>/keograms``);
    kept if already there. Each folder is an ``AURORAX_DATA_DIR`` (images in ``asi/``)."""
    from aurorax.demo import build_demo

    month, keo = folder / "month", folder / "keograms"
    for db, kwargs in (
        (month / "aurorax.duckdb", {"days": MONTH_DAYS, "image_nights": 1}),
        (
            keo / "aurorax.duckdb",
            {
                "days": KEOGRAM_NIGHTS,
                "image_nights": KEOGRAM_NIGHTS,
                "programs": ["themis-asi"],
                "platforms": KEOGRAM_PLATFORMS,
                "image_cadence_s": 1200,
            },
        ),
    ):
        if db.exists():
            print(f"reusing {db}")
            continue
        db.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        build_demo(db, start=START, progress=False, **kwargs)
        print(f"built {db} in {time.perf_counter() - t0:.0f} s")
    return month / "aurorax.duckdb", keo / "aurorax.duckdb"


def page_specs(db: Path) -> dict:
    """The completeness condition of each page on the month repository, from its contents."""
    from app import services
    from app.pages.availability import AvailabilityState
    from app.pages.keogramist import MAX_ROWS

    counts = services.repository_counts(db)
    n_sources = len(counts)
    day = counts["first_epoch"].min().floor("D")
    keograms = services.daily_keograms(db, day, day + dt.timedelta(days=1))
    availability = AvailabilityState(db_path=str(db))
    availability.load()
    return {
        "overview": spec(plots=1, glyphs=["VBar"], rows=min(25, n_sources), texts=["Data sources"]),
        "conjunctions": spec(texts=["ground1: Ground", "space1: Space", "Add metadata filter"]),
        # One plot for the montage (every frame in it), one for the intensity series.
        "analysis": spec(plots=2, glyphs=["Image", "MultiLine", "Line", "Text"]),
        "keogramist": spec(plots=1, glyphs=["Image"], y_end=min(len(keograms), MAX_ROWS)),
        "explorer": spec(plots=1, glyphs=["Image", "MultiPolygons", "Scatter"], texts=["UTC"]),
        "availability": spec(
            plots=1, glyphs=["Rect"], rows=min(30, len(availability.statistics()))
        ),
    }


# -- browser ---------------------------------------------------------------------------------
def time_navigation(browser, url: str, want: dict, timeout_s: float = 60.0) -> float:
    """Seconds from the start of navigating to ``url`` to ``want`` holding, fresh context."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        try:
            handle = page.wait_for_function(
                READY_JS, arg=want, polling=25, timeout=timeout_s * 1000
            )
        except PlaywrightTimeout:
            seen = page.evaluate(DIAGNOSE_JS)
            raise RuntimeError(f"{url} never complete ({want}); it shows {seen}") from None
        ms = handle.json_value()
    finally:
        context.close()
    if errors:
        raise RuntimeError(f"{url}: page errors {errors}")
    return ms / 1000.0


def time_search_clicks(browser, base: str, bodies: list[dict], rows: list[int]) -> list[float]:
    """Seconds from clicking Search to the new table drawn, one fresh query per click."""
    q = quote(json.dumps(bodies[0]))
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    times = []
    try:
        page.goto(f"{base}/conjunctions?q={q}", wait_until="commit")
        page.wait_for_function(READY_JS, arg=spec(rows=min(20, rows[0])), polling=25, timeout=120e3)
        distance = page.get_by_label("Max distance, every pair (km)")
        for body, n in zip(bodies[1:], rows[1:], strict=True):
            distance.fill(str(body["max_distances"]["ground1-space1"]))
            distance.press("Enter")
            page.wait_for_timeout(300)  # the new distance reaches the server
            page.evaluate(MARK_OLD_TABLES_JS)
            t0 = page.evaluate("() => performance.now()")
            page.get_by_role("button", name="Search", exact=True).click()
            want = spec(rows=min(20, n), fresh_table=True, texts=[f"Found {n} conjunction"])
            t1 = page.wait_for_function(READY_JS, arg=want, polling=25, timeout=120e3).json_value()
            times.append((t1 - t0) / 1000.0)
    finally:
        context.close()
    return times


# -- baselines -------------------------------------------------------------------------------
def serve_floor(port: int) -> None:
    """The baseline server: bare Panel pages, each one static HoloViews Image (see docstring)."""
    import holoviews as hv
    import numpy as np
    import panel as pn

    hv.extension("bokeh", logo=False)
    pn.extension()

    def page(width, height):
        def build():
            values = np.random.default_rng(0).random((height, width // 2))
            image = hv.Image(values, bounds=(0, 0, 24, 1)).opts(
                width=width, height=height, cmap="gray"
            )
            return pn.Column(pn.pane.Markdown("## Floor"), pn.pane.HoloViews(image))

        return build

    apps = {name: page(*size) for name, size in FLOOR_SIZES.items()}
    pn.serve(apps, address="127.0.0.1", port=port, show=False, websocket_origin=f"127.0.0.1:{port}")


class FloorServer:
    """``serve_floor`` in its own process (as our server runs in its own)."""

    def __enter__(self):
        self.port = free_port()
        cmd = [sys.executable, __file__, "--serve-floor", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/floor", timeout=10):
                    break
            except (ConnectionError, urllib.error.URLError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the floor server did not start") from None
                time.sleep(0.3)
        return base

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=20)


def search_body(distance_km: float) -> dict:
    end = START + dt.timedelta(days=MONTH_DAYS)
    return {
        "start": f"{START.isoformat()}T00:00:00",
        "end": f"{end.isoformat()}T00:00:00",
        "ground": [{"programs": ["themis-asi"]}],
        "space": [{"programs": ["swarm"]}],
        "conjunction_types": ["nbtrace"],
        "max_distances": {"ground1-space1": distance_km},
        "epoch_search_precision": 60,
    }


def engine_seconds(db: Path, bodies: list[dict]) -> tuple[list[float], list[int]]:
    """In-process engine time of each query (fresh read-only connection each) and row counts."""
    from aurorax.engine import Repository, search_conjunctions

    times, rows = [], []
    for body in bodies:
        t0 = time.perf_counter()
        with Repository(db, read_only=True) as repo:
            result = search_conjunctions(repo, body)
        times.append(time.perf_counter() - t0)
        rows.append(len(result))
    return times, rows


# -- report ----------------------------------------------------------------------------------
def _line(name, ours, floor, goal):
    med = statistics.median(ours)
    ratio = f"{med / floor:6.2f}x" if floor else "      -"
    met = "yes" if med < goal else "NO"
    floor_s = f"{floor:7.2f}" if floor else "      -"
    print(
        f"  {name:<22}{ours[0]:7.2f}{med:9.2f}{floor_s:>9}{ratio:>9}{goal:>7.1f}   {met}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="build/reuse the demo data here")
    parser.add_argument("--runs", type=int, default=5, help="fresh-context runs per page")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated page names")
    parser.add_argument("--skip", default="", help="comma-separated: pages,keograms,search")
    parser.add_argument("--serve-floor", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor is not None:
        serve_floor(args.serve_floor)
        return
    if not Path(CHROMIUM).exists():
        sys.exit(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    skip = set(filter(None, args.skip.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data or Path(tmp)
        month_db, keo_db = build_data(folder)
        specs = page_specs(month_db)
        header = f"  {'':<22}{'cold':>7}{'median':>9}{'floor':>9}{'ratio':>9}{'goal':>7}   met"
        with sync_playwright() as pw, FloorServer() as floor_base:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            floor = {}
            for name in FLOOR_SIZES:
                y = spec(plots=1, glyphs=["Image"])
                runs = [
                    time_navigation(browser, f"{floor_base}/{name}", y) for _ in range(args.runs)
                ]
                floor[name] = statistics.median(runs)
            print(
                f"floor (bare Panel page, one static hv.Image, median of {args.runs}): "
                + ", ".join(f"{n} {s:.2f} s" for n, s in floor.items()),
                flush=True,
            )
            if "pages" not in skip:
                print(f"\nfirst complete render, s (31-day demo, {args.runs} fresh contexts):")
                print(header)
                with running_server(month_db, month_db.parent) as base:
                    for name in args.pages.split(","):
                        runs = [
                            time_navigation(browser, f"{base}/{name}", specs[name])
                            for _ in range(args.runs)
                        ]
                        _line(name, runs, floor["floor"], GOALS_S["page"])
            if "keograms" not in skip:
                from app import services
                from app.pages.keogramist import MAX_ROWS

                first = dt.datetime.combine(START, dt.time(), dt.UTC)
                last = START + dt.timedelta(days=KEOGRAM_NIGHTS - 1)
                n = len(services.daily_keograms(keo_db, first, first + dt.timedelta(days=13)))
                url = f"/keogramist?start={START.isoformat()}&end={last.isoformat()}"
                print(f"\nKeogramist, {n} keograms ({url}), s:")
                print(header)
                with running_server(keo_db, keo_db.parent) as base:
                    want = spec(plots=1, glyphs=["Image"], y_end=min(n, MAX_ROWS))
                    runs = [time_navigation(browser, base + url, want) for _ in range(args.runs)]
                    _line(f"{n} keograms", runs, floor["floor-keograms"], GOALS_S["keogramist-50"])
            if "search" not in skip:
                bodies = [search_body(500.0 + k) for k in range(args.runs + 1)]
                engine, rows = engine_seconds(month_db, bodies)
                print(
                    f"\none-month search THEMIS ASI x Swarm, nbtrace, 500-{500 + args.runs} km "
                    f"({rows[1]:,}-{rows[-1]:,} rows), click to table, s:"
                )
                print(
                    f"  {'':<22}{'first':>7}{'median':>9}{'engine':>9}{'ratio':>9}{'goal':>7}   met"
                )
                with running_server(month_db, month_db.parent, path="/conjunctions") as base:
                    clicks = time_search_clicks(browser, base, bodies, rows)
                _line("click to table", clicks, statistics.median(engine[1:]), GOALS_S["search"])
            browser.close()


if __name__ == "__main__":
    main()
