"""The Keogramist on the default demo's first week, in a real browser: every record has an image.

The demo is built with the default options (first day, number of days, image cadence, binning
and image nights) for the THEMIS ASI and REGO imagers at Gillam and Rankin Inlet, so the week
holds 28 daily keogram records, more than one page of rows. The page is paged through in the
browser, and on every page each drawn keogram band holds image data (no band is empty, no
"no image files" note) and the pages together list every record of the repository.
"""

from __future__ import annotations

import datetime as dt

import pytest

from app.pages.keogramist import MAX_ROWS
from aurorax.demo import DEFAULT_DAYS, build_demo
from tests.app.test_keogramist_paging import daily_keogram_records
from tests.browser.conftest import screenshot
from tests.serving import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST = dt.date(2021, 12, 1)  # build_demo's default first day
LAST = FIRST + dt.timedelta(days=DEFAULT_DAYS - 1)

# The drawn keogram image of the page (the rasterised Image glyph's data), row by row: for each
# keogram row k of the y axis (the band y in [k, k + 1], k = 0 the page's last row), the share
# of its pixels that hold data (are not NaN).
BANDS_JS = """(rows) => {
  const B = window.Bokeh;
  if (!B || !B.index) return null;
  for (const view of B.index.query(() => true)) {
    if (!view.renderer_views) continue;
    for (const r of view.renderer_views.values()) {
      if (!r.model.glyph || r.model.glyph.constructor.__name__ !== 'Image') continue;
      const src = r.model.data_source.data;
      if (!src.image || src.image.length === 0) continue;
      const data = src.image[0], [h, w] = data.shape, y0 = src.y[0], dh = src.dh[0];
      const filled = new Array(rows).fill(0), total = new Array(rows).fill(0);
      for (let i = 0; i < h; i++) {
        const k = Math.floor(y0 + (i + 0.5) * dh / h);
        if (k < 0 || k >= rows) continue;
        for (let j = i * w; j < (i + 1) * w; j++) {
          total[k]++;
          if (!Number.isNaN(data[j])) filled[k]++;
        }
      }
      return {bands: filled.map((f, k) => (total[k] ? f / total[k] : 0)), end: view.model.y_range.end};
    }
  }
  return null;
}"""


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    data = tmp_path_factory.mktemp("keogramist-week")
    db = data / "aurorax.duckdb"
    # The server's asi_dir is <data dir>/asi (AURORAX_DATA_DIR), where the demo writes its images.
    build_demo(
        db,
        programs=["themis-asi", "rego"],
        platforms=["gillam", "rankin inlet"],
        progress=False,
        asi_dir=data / "asi",
        products_dir=data / "products",
    )
    return db, data


def _bands(page, rows):
    """The per-band counts of the drawn page, once the plot shows ``rows`` bands."""
    drawn = None
    for _ in range(120):
        drawn = page.evaluate(BANDS_JS, rows)
        if drawn and drawn["end"] == rows:
            return drawn["bands"]
        page.wait_for_timeout(500)
    raise AssertionError(f"the keogram plot never showed {rows} rows: {drawn}")


def test_every_record_of_the_first_week_has_an_image(week, page):
    db, data = week
    records = daily_keogram_records(db, FIRST, LAST + dt.timedelta(days=1))
    assert len(records) == 2 * 2 * DEFAULT_DAYS  # two programs at two sites, every night
    n_pages = -(-len(records) // MAX_ROWS)
    assert n_pages >= 2  # the test pages through the week

    url = f"/keogramist?start={FIRST.isoformat()}&end={LAST.isoformat()}"
    with running_server(db, data, path="/keogramist") as base:
        page.goto(base + url, wait_until="networkidle")
        page.get_by_text(f"Page 1 of {n_pages}").wait_for(timeout=60_000)
        listed = 0
        for number in range(1, n_pages + 1):
            rows = min(MAX_ROWS, len(records) - listed)
            page.get_by_text(f"Page {number} of {n_pages}").wait_for(timeout=60_000)
            bands = _bands(page, rows)
            # Row k from the bottom is the page's row rows - k (top first); a December night at
            # these sites is over 12 hours of frames, so each row is mostly image.
            empty = [rows - k for k, share in enumerate(bands) if share < 0.3]
            assert empty == [], f"page {number}: rows {empty} have little or no image data {bands}"
            assert page.get_by_text("no image files").count() == 0
            screenshot(page, f"keogramist-week-page{number}")
            listed += rows
            if number < n_pages:
                page.get_by_role("button", name="Next").click()
        assert listed == len(records)
    assert page.console_errors == []
