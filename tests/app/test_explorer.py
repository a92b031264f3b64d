"""The Event Explorer's logic without a browser: globe geometry, images, spacecraft, messages."""

from __future__ import annotations

import datetime as dt

import holoviews as hv
import numpy as np
import pandas as pd
import pytest

from app.pages._query import parse_args
from app.pages.explorer import GLOBE_PX, QUERY, ExplorerState, create_page
from aurorax.asi import GlobalGrid
from aurorax.viz import plot_globe, project_orthographic
from aurorax.viz._coastlines import coastline_lonlat, coastlines_within
from aurorax.viz._globe import EARTH_RADIUS_M, globe_coastlines
from aurorax.viz._globe_raster import AURORA_CMAP
from tests.demo_repos import one_day_demo

from .conftest import check_exports

IMAGE_HOUR = pd.Timestamp("2021-12-01T06:00", tz="UTC")
GILLAM = (56.38, -94.64)


def build_explorer_data(folder, trex: bool = False):
    """A 1-day demo repository (THEMIS ASI sites + Swarm) and one hour of GILL and RANK images
    at a 5-minute cadence in ``<folder>/asi``. Returns the repository path.

    With ``trex``, the TREx RGB sites too, and colour frames of TREx RGB GILL (beside THEMIS
    GILL) at 06:00, 06:20 and 06:40 (its minute files, 20-minute cadence).
    """
    from aurorax.demo import AuroralModel, load_sites, render_demo_images

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "aurorax.duckdb"
    one_day_demo(db, ["themis-asi", "trex", "swarm"] if trex else ["themis-asi", "swarm"])
    sites = load_sites()
    themis = sites[(sites["program"] == "themis-asi") & sites["site_uid"].isin(["gill", "rank"])]
    day = pd.Timestamp("2021-12-01", tz="UTC")
    model = AuroralModel(2021, day, day + pd.Timedelta(days=1))
    render_demo_images(folder / "asi", themis, model, [IMAGE_HOUR], cadence_s=300)
    if trex:
        colour = sites[(sites["program"] == "trex") & (sites["site_uid"] == "gill")]
        render_demo_images(folder / "asi", colour, model, [IMAGE_HOUR], cadence_s=1200)
    return db


@pytest.fixture(scope="module")
def explorer_db(tmp_path_factory):
    return build_explorer_data(tmp_path_factory.mktemp("explorer"))


@pytest.fixture(scope="module")
def trex_explorer_db(tmp_path_factory):
    return build_explorer_data(tmp_path_factory.mktemp("explorer-trex"), trex=True)


@pytest.fixture
def trex_state(trex_explorer_db):
    db = trex_explorer_db
    state = ExplorerState(db_path=str(db), asi_dir=str(db.parent / "asi"))
    state.load()
    return state


@pytest.fixture
def state(explorer_db):
    state = ExplorerState(db_path=str(explorer_db), asi_dir=str(explorer_db.parent / "asi"))
    state.load()
    return state


def _element(overlay, group):
    found = [el for el in overlay if el.group == group]
    return found[0] if found else None


def test_orthographic_geometry():
    x, y, visible = project_orthographic(
        [60.0, 60.0, 0.0, -60.0], [-100.0, -10.0, -100.0, 80.0], 60, -100
    )
    assert (x[0], y[0]) == pytest.approx((0.0, 0.0), abs=1e-6)
    # 90 degrees of arc from the centre lies on the limb; the antipode is on the far side.
    assert np.hypot(x[2], y[2]) == pytest.approx(EARTH_RADIUS_M * np.sin(np.radians(60)))
    assert list(visible) == [True, True, True, False]
    # Due north of the centre projects straight up.
    x, y, _ = project_orthographic([70.0], [-100.0], 60, -100)
    assert x[0] == pytest.approx(0.0, abs=1e-6) and y[0] > 0


def test_coastlines_render_offline_with_hudson_bay():
    rings = coastline_lonlat("c")
    assert sum(len(r) for r in rings) > 5000
    path = globe_coastlines(60, -100).data[0]
    xy = np.column_stack([path["x"], path["y"]]) if isinstance(path, dict) else np.asarray(path)
    finite = xy[np.isfinite(xy).all(axis=1)]
    assert len(finite) > 2000
    # A vertex within 150 km of Churchill, on the west shore of Hudson Bay.
    cx, cy, _ = project_orthographic([58.77], [-94.17], 60, -100)
    assert np.hypot(finite[:, 0] - cx[0], finite[:, 1] - cy[0]).min() < 150_000
    # Nothing drawn outside the globe.
    assert np.hypot(finite[:, 0], finite[:, 1]).max() <= EARTH_RADIUS_M * (1 + 1e-9)


def test_defaults_to_the_first_minute_with_images(state):
    assert state.day == dt.date(2021, 12, 1)
    assert state.image_hours == [IMAGE_HOUR]
    assert state.minute == 6 * 60 + 10
    assert state.status == ""
    assert state.imagers == ["THEMIS-ASI GILL", "THEMIS-ASI RANK"]
    grid = GlobalGrid()
    assert state.grid.shape == (512, 1024)
    flat = state.grid.ravel()
    assert np.isfinite(flat[grid.cell_of(*GILLAM)])  # the zenith of Gillam is seen
    assert np.isnan(flat[grid.cell_of(48.85, 2.35)])  # Paris is not
    assert sorted(state.ephemeris["display_name"].unique()) == ["Swarm A", "Swarm B", "Swarm C"]
    epochs = state.ephemeris["epoch"]
    assert epochs.min() == IMAGE_HOUR + pd.Timedelta(minutes=10 - 45)
    assert epochs.max() == IMAGE_HOUR + pd.Timedelta(minutes=10 + 45)


def test_images_drawn_where_the_imagers_are(state):
    # Centred on Gillam, the image pixels cluster around the middle of the globe.
    state.param.update(central_lat=GILLAM[0], central_lon=GILLAM[1])
    image = _element(state.globe(), "ASI")
    values = image.dimension_values(2, flat=False)
    xs, ys = image.dimension_values(0, expanded=False), image.dimension_values(1, expanded=False)
    rows, cols = np.nonzero(np.isfinite(values))
    assert len(rows) > 1000
    # Gillam and Rankin Inlet (700 km north) both lie within 1,500 km of the centre.
    assert np.abs(xs[cols]).max() < 1_500_000 and np.abs(ys[rows]).max() < 1_500_000
    assert np.isfinite(values[np.argmin(np.abs(ys)), np.argmin(np.abs(xs))])


def test_spacecraft_positions_footprints_and_tracks(state):
    globe = state.globe()
    time = state.time
    rows = state.ephemeris[state.ephemeris["epoch"] == time]
    positions = _element(globe, "Positions")
    for _, row in rows.iterrows():
        x, y, vis = project_orthographic([row["geo_lat"]], [row["geo_lon"]], 60, -100)
        drawn = positions.data[positions.data["spacecraft"] == row["display_name"]]
        if vis[0]:
            assert (drawn["x"].iloc[0], drawn["y"].iloc[0]) == pytest.approx((x[0], y[0]))
        else:
            assert drawn.empty
    # One element per layer: every spacecraft's track in one Segments element, own colour each.
    tracks = _element(globe, "Tracks")
    assert sorted(tracks.data["spacecraft"].unique()) == ["Swarm A", "Swarm B", "Swarm C"]
    assert tracks.data.groupby("spacecraft")["colour"].nunique().eq(1).all()
    assert tracks.data["colour"].nunique() == 3
    # Consecutive records of one spacecraft are joined: a segment starts where the last ended.
    one = tracks.data[tracks.data["spacecraft"] == "Swarm A"]
    joined = np.isclose(one["x0"].to_numpy()[1:], one["x1"].to_numpy()[:-1])
    assert joined.mean() > 0.5
    footprints = _element(globe, "Footprints")
    assert set(footprints.data["spacecraft"]) <= {"Swarm A", "Swarm B", "Swarm C"}
    assert len(footprints.data) >= 1


def _rendered(globe):
    return hv.renderer("bokeh").get_plot(globe).state


def _models(figure, name):
    return [m for m in figure.references() if type(m).__name__ == name]


def test_legend_names_every_spacecraft_in_its_colour(state):
    # Issue 13: no legend, positions all red and footprints all orange.
    globe = state.globe()
    figure = _rendered(globe)
    (legend,) = _models(figure, "Legend")
    items = legend.items
    # One entry per spacecraft, from the data of the positions' glyph (its colour column).
    assert len(items) == 1
    field = items[0].label["field"]
    (renderer,) = items[0].renderers
    drawn = set(_element(globe, "Positions").data["spacecraft"])
    assert drawn and drawn <= {"Swarm A", "Swarm B", "Swarm C"}
    assert set(renderer.data_source.data[field]) == drawn
    # Tracks, positions and footprints use one colour mapper, one colour per spacecraft.
    mappers = _models(figure, "CategoricalColorMapper")
    factors = {tuple(m.factors) for m in mappers}
    assert factors == {("Swarm A", "Swarm B", "Swarm C")}
    assert len({tuple(m.palette) for m in mappers}) == 1 and len(set(mappers[0].palette)) == 3


def test_hover_names_the_spacecraft_and_its_coordinates(state):
    figure = _rendered(state.globe())
    hovers = _models(figure, "HoverTool")
    tooltips = [h.tooltips for h in hovers]
    # Bokeh shares one hover tool between layers with the same tooltips: positions and footprints.
    (point_hover,) = [h for h in hovers if "lat" in dict(h.tooltips)]
    assert len(point_hover.renderers) == 2
    tips = dict(point_hover.tooltips)
    assert tips["spacecraft"] == "@{spacecraft}" and tips["lon"].startswith("@{lon}")
    footprints = _element(state.globe(), "Footprints").data
    assert set(footprints["point"]) <= {"north B-trace footprint", "south B-trace footprint"}
    assert ((footprints["lat"] > 0) == (footprints["point"] == "north B-trace footprint")).all()
    assert any(dict(t).get("footprint track") == "@{spacecraft}" for t in tooltips)


def test_colour_bar_colour_map_and_opacity_of_the_images(state):
    figure = _rendered(state.globe())
    (bar,) = _models(figure, "ColorBar")
    assert bar.title == "ASI counts"
    image = _element(state.globe(), "ASI")
    assert image.opts.get().kwargs["alpha"] == 1.0
    state.param.update(image_alpha=0.4, cmap="gray")
    image = _element(state.globe(), "ASI")
    assert image.opts.get().kwargs["alpha"] == pytest.approx(0.4)
    # Gray from black to white, its opacity the level squared (the dark sky clear).
    cmap = image.opts.get().kwargs["cmap"]
    assert (cmap[0], cmap[128], cmap[-1]) == ("#00000000", "#80808040", "#ffffffff")
    with pytest.raises(ValueError, match="alpha must be between 0 and 1, got 1.5"):
        plot_globe(grid_values=state.grid, image_alpha=1.5)


def _grey_glyph(globe):
    """The rendered grey ASI layer: its Bokeh ``Image`` renderer (the only one of the globe)."""
    (renderer,) = [r for r in _rendered(globe).renderers if type(r.glyph).__name__ == "Image"]
    return renderer


def _drawn_alpha(renderer) -> tuple[np.ndarray, np.ndarray]:
    """The counts of the grey layer's seen screen pixels and the opacity each is drawn with, as
    BokehJS maps them: the colour mapper's palette entry of the value (the end entries beyond
    the limits) times the glyph's opacity."""
    from matplotlib.colors import to_rgba_array

    glyph = renderer.glyph
    values = np.asarray(renderer.data_source.data["image"][0], dtype=float).ravel()
    values = values[np.isfinite(values)]
    mapper = glyph.color_mapper
    palette = to_rgba_array(list(mapper.palette))
    n = len(palette)
    index = np.clip(np.floor((values - mapper.low) / (mapper.high - mapper.low) * n), 0, n - 1)
    return values, palette[index.astype(int), 3] * glyph.global_alpha


def test_grey_images_dark_sky_is_transparent_and_aurora_opaque(state):
    # Issue 13: THEMIS ASI and REGO were drawn opaque through the colour map, so every imager's
    # dark sky was a black disc over the map. Now a cell is as opaque as it is bright on the
    # colour scale: transparent at its lower limit (the dark sky), opaque at its upper one.
    state.param.update(central_lat=GILLAM[0], central_lon=GILLAM[1])
    globe = state.globe()
    renderer = _grey_glyph(globe)
    mapper = renderer.glyph.color_mapper
    seen = state.grid[np.isfinite(state.grid)]
    lo, hi = np.percentile(seen, [1, 99])
    assert (mapper.low, mapper.high) == pytest.approx((lo, hi), rel=1e-5)
    values, alpha = _drawn_alpha(renderer)
    assert len(values) > 1000
    # The dark sky, at or below the lower limit (Rankin Inlet's zenith at 06:10 among it), is
    # transparent; the brightest aurora, at or above the upper one, fully opaque.
    grid = GlobalGrid()
    assert state.grid.reshape(-1)[grid.cell_of(62.82, -92.11)] <= lo
    assert (alpha[values <= lo] == 0.0).all() and (values <= lo).any()
    assert (alpha[values >= hi] == 1.0).all() and (values >= hi).any()
    # In between, the opacity rises with the counts, as the level on the colour scale squared
    # (to within the palette's 256 steps): the faint half of the sky is nearly clear.
    order = np.argsort(values)
    assert (np.diff(alpha[order]) >= 0).all()
    level = np.clip((values - lo) / (hi - lo), 0, 1)
    np.testing.assert_allclose(alpha, level**2, atol=0.015)
    assert np.median(alpha) < 0.1
    assert "the dark sky transparent" in state.caption()
    # Bright aurora keeps the colour map's colours, and the colour bar is drawn from the same
    # colour mapper (each count's colour and opacity as on the globe).
    from matplotlib.colors import to_rgba, to_rgba_array

    palette = to_rgba_array(list(mapper.palette))
    assert tuple(palette[-1]) == pytest.approx(to_rgba(AURORA_CMAP[-1]))
    assert tuple(palette[0][:3]) == pytest.approx(to_rgba(AURORA_CMAP[0])[:3])
    (bar,) = _models(_rendered(globe), "ColorBar")
    assert list(bar.color_mapper.palette) == list(mapper.palette)
    # The opacity slider scales every cell's opacity; another colour map keeps the ramp.
    state.param.update(image_alpha=0.4, cmap="inferno")
    renderer = _grey_glyph(state.globe())
    values, alpha = _drawn_alpha(renderer)
    assert alpha.max() == pytest.approx(0.4) and (alpha[values <= lo] == 0.0).all()
    palette = to_rgba_array(list(renderer.glyph.color_mapper.palette))
    assert tuple(palette[-1]) == pytest.approx(to_rgba("#fcffa4"), abs=0.01)  # inferno's top


def test_title_is_short_and_the_imagers_are_in_the_caption(state):
    # Issue 13: the title listed every imager and was cut off at the globe's width.
    title = state.globe().opts.get().kwargs["title"]
    assert title == "2021-12-01 06:10 UTC"
    assert "ASI images: THEMIS-ASI GILL, THEMIS-ASI RANK." in state.caption()
    assert GLOBE_PX >= 640


def test_statistical_oval_layer(state):
    assert "oval" not in state.layers and state.oval is None  # an option, off by default
    state.layers = [*state.layers, "oval"]
    grid = GlobalGrid()
    oval = state.oval
    assert oval.shape == grid.shape
    flat = oval.ravel()
    # 06:10 UT is near magnetic midnight at Gillam (AACGM ~66 N): inside the Q = 3 oval, which
    # reaches down to ~64 N there; the pole, the equator and Paris are outside.
    assert flat[grid.cell_of(*GILLAM)] == 1.0
    for place in [(89.0, 0.0), (0.0, -94.6), (48.85, 2.35)]:
        assert np.isnan(flat[grid.cell_of(*place)])
    # Both hemispheres: cells in the south too.
    assert np.isfinite(oval[: grid.n_lat // 2]).any() and np.isfinite(oval[grid.n_lat // 2 :]).any()
    band = _element(state.globe(), "Oval")
    assert band is not None and np.isfinite(band.dimension_values(2)).any()
    assert "Q = 3" in state.globe().opts.get().kwargs["title"]
    assert "Holzworth & Meng 1975" in state.caption()
    # A quiet oval is smaller than an active one.
    active = np.isfinite(state.oval).sum()
    state.oval_q = 0
    assert np.isfinite(state.oval).sum() < active
    state.layers = ["coastlines"]
    assert state.oval is None


def test_layers_switch_on_and_off(state):
    state.layers = ["coastlines"]
    groups = {el.group for el in state.globe()}
    assert groups == {"Ocean", "Coastlines"}
    state.layers = ["images", "positions"]
    groups = {el.group for el in state.globe()}
    # The image layer draws the monochrome mosaic and the colour (TREx RGB) one.
    assert groups == {"Ocean", "Coastlines", "ASI", "ASIColour", "Positions"}
    with pytest.raises(ValueError, match=r"unknown layer\(s\) \['stars'\]"):
        plot_globe(layers=["stars"])


def test_player_steps_and_minutes_without_images(state):
    state.step(-7)  # 06:03: the 06:05 frame is within half of the 5-minute cadence
    assert state.minute == 363 and state.imagers == ["THEMIS-ASI GILL", "THEMIS-ASI RANK"]
    state.minute = 3 * 60
    assert state.grid is None and state.imagers == []
    # The layer keeps its (transparent) element, so the drawn plot updates in place.
    globe = state.globe()
    image = _element(globe, "ASI")
    assert image.opts.get().kwargs["alpha"] == 0.0
    assert np.isfinite(image.dimension_values(2)).all()
    hv.renderer("bokeh").get_plot(globe)  # no all-NaN warning (warnings are errors here)
    assert state.status == (
        "No all-sky images at 2021-12-01 03:00 UTC (hours of this day with images: 06)."
    )
    state.minute = 1439
    state.step(5)
    assert state.minute == 1439


def test_day_without_data_is_a_message(state):
    state.day = dt.date(2022, 1, 1)
    assert state.image_hours == []
    assert state.status == (
        "No all-sky images at 2022-01-01 06:10 UTC (hours of this day with images: none). "
        "No spacecraft records around 2022-01-01 06:10 UTC."
    )
    # The globe still draws (coastlines only).
    assert {el.group for el in state.globe()} >= {"Coastlines"}


def test_the_day_comes_from_the_address(explorer_db):
    # Issue 13: a link such as ?day=2021-12-03&minute=... opens that day (a conjunction's).
    args = parse_args({"day": [b"2021-12-02"], "minute": [b"375"]}, QUERY)
    assert args.values == {"day": dt.date(2021, 12, 2), "minute": 375}
    assert args.kept == {"day": "2021-12-02", "minute": "375"}
    state = ExplorerState(db_path=str(explorer_db), asi_dir=str(explorer_db.parent / "asi"))
    state.load(minute=args.get("minute"), day=args.get("day"))
    assert state.time == pd.Timestamp("2021-12-02T06:15", tz="UTC")
    assert state.status == (
        "No all-sky images at 2021-12-02 06:15 UTC (hours of this day with images: none). "
        "No spacecraft records around 2021-12-02 06:15 UTC."
    )
    # Without a minute: the first minute of that day with images, plus ten.
    state.load(day=dt.date(2021, 12, 1))
    assert state.time == IMAGE_HOUR + pd.Timedelta(minutes=10)
    allowed = "day must be a UTC day YYYY-MM-DD from 1900-01-01 to 2100-12-31"
    for text in ("2021-12-32", "2021-12-1", "1800-01-01", "2021-12-01T06:00"):
        assert parse_args({"day": [text.encode()]}, QUERY).problems == (
            f"Ignored day={text!r} from the address: {allowed}; showing the default instead.",
        )


def test_missing_repository_message(tmp_path):
    state = ExplorerState(db_path=str(tmp_path / "none.duckdb"), asi_dir=str(tmp_path / "asi"))
    state.load()
    assert state.status.startswith(f"Cannot read the repository {tmp_path / 'none.duckdb'}")
    assert create_page(tmp_path / "none.duckdb").__panel__().get_root() is not None


def test_page_builds(explorer_db):
    page = create_page(explorer_db)
    assert page.state.asi_dir == str(explorer_db.parent / "asi")
    assert page.__panel__().get_root() is not None


def test_globe_exports_to_png_and_html(explorer_db):
    page = create_page(explorer_db, explorer_db.parent / "asi")
    pixels = check_exports(page.exports)
    assert pixels.shape[:2] == (GLOBE_PX, GLOBE_PX) == (640, 640)  # the globe on the page


def test_drawn_globe_image_turns_visible_and_transparent_in_place():
    # The page's DynamicMap updates the drawn image: a minute without images hides it (alpha 0)
    # and one with images shows it again, with no new plot.
    from aurorax.viz._globe import globe_image

    grid = GlobalGrid()
    values = np.full(grid.shape, np.nan, dtype=np.float32)
    values[400:480, 200:300] = 5.0
    stream = hv.streams.Stream.define("Minute", images=False)()
    frames = hv.DynamicMap(
        lambda images: globe_image(values if images else None, 60, -100, size_px=100),
        streams=[stream],
    )
    plot = hv.renderer("bokeh").get_plot(frames)
    (image,) = [r.glyph for r in plot.state.renderers if type(r.glyph).__name__ == "Image"]
    assert image.global_alpha == 0.0
    stream.event(images=True)
    assert image.global_alpha == 1.0
    stream.event(images=False)
    assert image.global_alpha == 0.0


# -- TREx RGB: colour imagers on the globe ------------------------------------------------------


def test_trex_rgb_is_mosaicked_in_colour_beside_the_grey_imagers(trex_state):
    state = trex_state
    assert state.time == IMAGE_HOUR + pd.Timedelta(minutes=10)
    assert state.imagers == ["THEMIS-ASI GILL", "THEMIS-ASI RANK", "TREx RGB GILL"]
    grid = GlobalGrid()
    assert state.grid.shape == grid.shape and state.colour_grid.shape == (*grid.shape, 3)
    grey, colour = state.grid.reshape(-1), state.colour_grid.reshape(-1, 3)
    gillam, rankin = grid.cell_of(*GILLAM), grid.cell_of(62.82, -92.11)
    # THEMIS and TREx at Gillam see its zenith equally high: the colour imager takes it; Rankin
    # Inlet, 700 km north, is THEMIS's alone. A cell is in one layer, never in both.
    assert np.isfinite(colour[gillam]).all() and np.isnan(grey[gillam])
    assert np.isfinite(grey[rankin]) and np.isnan(colour[rankin]).all()
    assert not (np.isfinite(grey) & np.isfinite(colour).all(axis=1)).any()
    # The TREx frame is the 06:20 one (nearest 06:10 of its 20-minute cadence), as its reader
    # reads it: colour cells hold the mean of each channel, green brightest in the aurora.
    seen = colour[np.isfinite(colour).all(axis=1)]
    assert len(seen) > 500 and (seen >= 0).all() and (seen <= 255).all()
    bright = seen[seen.max(axis=1) >= np.percentile(seen.max(axis=1), 99)]
    assert (bright[:, 1] > bright[:, 2]).mean() > 0.9


def test_trex_rgb_is_drawn_in_true_colour_with_the_dark_sky_transparent(trex_state):
    state = trex_state
    # The view faces the centre of Gillam's grid cell (the screen pixels beside the centre lie
    # 10 km from it, inside the cell).
    grid = GlobalGrid()
    j, i = divmod(int(grid.cell_of(*GILLAM)), grid.n_lon)
    state.param.update(central_lat=grid.lat_centres[j], central_lon=grid.lon_centres[i])
    globe = state.globe()
    rgb = _element(globe, "ASIColour")
    assert isinstance(rgb, hv.RGB)
    pixels = np.dstack([rgb.dimension_values(d, flat=False) for d in range(2, 6)])
    alpha = pixels[..., 3]
    assert alpha.max() == pytest.approx(1.0) and alpha.min() == 0.0
    shown = alpha > 0.5
    # Bright aurora is opaque, in the camera's colours: green (557.7 nm) and red (630.0 nm)
    # over little blue, each pixel its own hue, not a colour map's ramp.
    assert shown.sum() > 50
    red, green, blue = (pixels[..., c][shown] for c in range(3))
    assert (green > blue).mean() > 0.9 and (red > blue).mean() > 0.9
    assert (green > red).any() and (red > green).any()
    # The pixel at the centre of the view shows Gillam's zenith cell: its channels over its
    # brightest one, as opaque as that one is bright between the 1st and 99.5th percentiles.
    xs, ys = rgb.dimension_values(0, expanded=False), rgb.dimension_values(1, expanded=False)
    row, col = np.argmin(np.abs(ys)), np.argmin(np.abs(xs))
    cell = state.colour_grid[j, i]
    brightest = state.colour_grid.max(axis=2)
    lo, hi = np.percentile(brightest[np.isfinite(brightest)], [1.0, 99.5])
    np.testing.assert_allclose(pixels[row, col, :3], cell / cell.max(), rtol=1e-5)
    assert pixels[row, col, 3] == pytest.approx(np.clip((cell.max() - lo) / (hi - lo), 0, 1))
    # The dark sky is (nearly) transparent: most of the imager's sky is fainter than the aurora.
    inside = alpha > 0
    assert inside.sum() > 4 * shown.sum()
    assert np.median(alpha[inside]) < 0.3
    # The picture is cropped to the colour imagers' sky: it lies round Gillam, the centre.
    x0, y0, x1, y1 = rgb.bounds.lbrt()
    assert -1_000_000 < x0 < 0 < x1 < 1_000_000 and -1_000_000 < y0 < 0 < y1 < 1_000_000
    # The grey mosaic keeps its colour bar and colour map; the opacity applies to both layers.
    (bar,) = _models(_rendered(globe), "ColorBar")
    assert bar.title == "ASI counts"
    state.param.update(image_alpha=0.4, cmap="gray")
    globe = state.globe()
    assert _element(globe, "ASI").opts.get().kwargs["cmap"][-1] == "#ffffffff"  # gray's white
    faded = _element(globe, "ASIColour").dimension_values(5, flat=False)
    assert faded.max() == pytest.approx(0.4)
    assert "TREx RGB GILL" in state.caption() and "true colour" in state.caption()


def test_a_colour_imager_without_a_frame_leaves_its_sky_to_the_grey_one(trex_state):
    # 06:55: the TREx frames are 06:00, 06:20 and 06:40, farther than half its cadence (10 min),
    # so THEMIS GILL (06:55) shows Gillam's sky instead of a hole where TREx would have won.
    state = trex_state
    state.minute = 6 * 60 + 55
    assert state.imagers == ["THEMIS-ASI GILL", "THEMIS-ASI RANK"]
    assert np.isfinite(state.grid.reshape(-1)[GlobalGrid().cell_of(*GILLAM)])
    assert state.colour_grid is None
    rgb = _element(state.globe(), "ASIColour")
    assert rgb.dimension_values(5).max() == 0.0  # the layer stays, all transparent


def test_colour_globe_image_scales_channels_together():
    from aurorax.viz._globe import globe_colour_image

    grid = GlobalGrid()
    values = np.full((*grid.shape, 3), np.nan, dtype=np.float32)
    j, i = divmod(int(grid.cell_of(*GILLAM)), grid.n_lon)
    values[j - 20 : j + 20, i - 20 : i + 20] = (10.0, 10.0, 10.0)  # dark sky: the lower limit
    values[j - 5 : j + 5, i - 5 : i + 5] = (50.0, 210.0, 30.0)  # bright green: the upper limit
    values[j - 5 : j + 5, i + 10 : i + 15] = (20.0, 110.0, 60.0)  # half as bright
    image = globe_colour_image(values, *GILLAM, size_px=200, clim=(10.0, 210.0))
    pixels = np.dstack([image.dimension_values(d, flat=False) for d in range(2, 6)])
    alpha = pixels[..., 3]
    colours = {tuple(np.round(p.astype(float), 3).tolist()) for p in pixels[alpha > 0]}
    assert colours == {
        (round(50 / 210, 3), 1.0, round(30 / 210, 3), 1.0),
        (round(20 / 110, 3), 1.0, round(60 / 110, 3), 0.5),
    }
    assert np.isclose(alpha, 0).sum() > (alpha > 0).sum()  # the dark sky: transparent
    nothing = globe_colour_image(None, *GILLAM, size_px=200)
    assert nothing.dimension_values(5).max() == 0.0
    with pytest.raises(ValueError, match=r"colour values have shape \(512, 1024\), the grid "):
        globe_colour_image(values[..., 0], *GILLAM)


def test_coastlines_within_a_window():
    # Hudson Bay around Churchill: coast inside, every point within the window.
    xy = coastlines_within((-100.0, -85.0), (52.0, 64.0))
    finite = xy[np.isfinite(xy).all(axis=1)]
    assert len(finite) > 20
    assert finite[:, 0].min() >= -100 and finite[:, 0].max() <= -85
    assert finite[:, 1].min() >= 52 and finite[:, 1].max() <= 64
    # The open Pacific has no coast; a window unwrapped past 180 E finds Chukotka and Alaska's
    # coast (west of the antimeridian in the files) shifted by 360 degrees.
    assert len(coastlines_within((-150.0, -140.0), (20.0, 30.0))) == 0
    east = coastlines_within((175.0, 200.0), (60.0, 70.0))
    lon = east[np.isfinite(east).all(axis=1), 0]
    assert lon.max() > 180 and lon.min() >= 175
