"""The 1024 x 512 global grid, per-imager regridding and the multi-imager mosaic."""

from __future__ import annotations

import numpy as np
import pytest

from aurorax.asi import AsiError, GlobalGrid, GridIndex, Imager, Mosaic, azel_to_lla, read_skymap

from .conftest import REAL_SKYMAP, make_skymap, write_hours


def test_global_grid_geometry():
    grid = GlobalGrid()
    assert grid.shape == (512, 1024)
    assert grid.lon_centres[0] == pytest.approx(-180 + 360 / 2048)
    assert grid.lat_centres[-1] == pytest.approx(90 - 180 / 1024)
    cell = grid.cell_of(62.41, -145.16)
    j, i = divmod(int(cell), 1024)
    assert grid.lat_edges[j] <= 62.41 < grid.lat_edges[j + 1]
    assert grid.lon_edges[i] <= -145.16 < grid.lon_edges[i + 1]
    assert grid.cell_of(0.0, 180.0) == grid.cell_of(0.0, -180.0)
    assert grid.cell_of(np.nan, 0.0) == -1


def test_regrid_places_the_sky_where_it_is(skymap):
    # frame value = 100 x elevation: the grid must show the zenith over the site and 45 degrees
    # elevation where a 45-degree line of sight crosses 110 km
    frame = np.nan_to_num(skymap.elevation * 100).astype(np.uint16)
    index = GridIndex.build(skymap, altitude_km=110.0, min_elevation_deg=10.0)
    grid = index.regrid(frame)
    assert grid.shape == (512, 1024) and grid.dtype == np.float32
    site = grid.ravel()[index.grid.cell_of(60.0, -100.0)]
    assert site > 8000
    assert np.nanmax(grid) == pytest.approx(site, abs=300)
    lat45, lon45 = azel_to_lla(60.0, -100.0, 0.0, 0.0, 45.0, 110.0)
    assert grid.ravel()[index.grid.cell_of(lat45, lon45)] == pytest.approx(4500, abs=700)
    # nothing below 10 degrees elevation, nothing far from the site
    assert np.nanmin(grid) >= 1000
    lat, lon = np.meshgrid(index.grid.lat_centres, index.grid.lon_centres, indexing="ij")
    filled = np.isfinite(grid)
    assert np.abs(lat[filled] - 60).max() < 8 and filled.sum() == len(index.cells)
    # an independent check of one cell: mean of the pixels whose centres fall inside it
    clat, clon = skymap.pixel_centres(110.0)
    j, i = divmod(int(index.grid.cell_of(60.0, -100.0)), 1024)
    inside = (
        (clat >= index.grid.lat_edges[j]) & (clat < index.grid.lat_edges[j + 1])
        & (clon >= index.grid.lon_edges[i]) & (clon < index.grid.lon_edges[i + 1])
    )  # fmt: skip
    assert site == pytest.approx(frame[inside].mean(), rel=1e-6)


def test_real_skymap_regrid_covers_no_holes(real_dir):
    sky = read_skymap(REAL_SKYMAP)
    index = GridIndex.build(sky)
    grid = index.regrid(np.ones(sky.shape, dtype=np.uint16))
    filled = np.isfinite(grid)
    # every cell whose centre the imager sees above 10.5 degrees is filled (no holes between
    # pixel centres near the horizon), and nothing below 9.5 degrees is
    lat, lon = np.meshgrid(index.grid.lat_centres[400:480], index.grid.lon_centres, indexing="ij")
    az, el = sky.lla_to_azel(lat, lon, 110.0)
    seen = sky.azel_to_pixel(az, el)[0] >= 0
    assert filled[400:480][seen & (el > 10.5)].all()
    assert not filled[400:480][el < 9.5].any()
    assert not filled[:400].any() and not filled[480:].any()
    assert np.all(grid[filled] == 1.0)
    site_j, site_i = divmod(int(index.grid.cell_of(sky.site_lat, sky.site_lon)), 1024)
    assert filled[site_j, site_i]


def test_mosaic_takes_the_highest_elevation(skymap):
    west = make_skymap("west", lon=-102.0)
    east = make_skymap("east", lon=-98.0)
    mosaic = Mosaic([GridIndex.build(west), GridIndex.build(east)])
    frames = [np.full(west.shape, 1000, np.uint16), np.full(east.shape, 2000, np.uint16)]
    grid = mosaic.regrid(frames)
    cell = mosaic.grid.cell_of
    assert grid.ravel()[cell(60.0, -102.0)] == 1000
    assert grid.ravel()[cell(60.0, -98.0)] == 2000
    assert grid.ravel()[cell(60.0, -100.7)] == 1000  # nearer the west site: seen higher there
    assert grid.ravel()[cell(60.0, -99.3)] == 2000
    # a missing frame leaves only that imager's own cells empty
    only_west = mosaic.regrid([frames[0], None])
    assert np.isnan(only_west.ravel()[cell(60.0, -98.0)])
    assert only_west.ravel()[cell(60.0, -102.0)] == 1000
    with pytest.raises(AsiError, match="1 frames for a mosaic of 2 imagers"):
        mosaic.regrid(frames[:1])
    with pytest.raises(
        AsiError, match=r"frame shape \(8, 8\) does not match the index shape \(64, 64\)"
    ):
        mosaic.indexes[0].regrid(np.zeros((8, 8)))


def test_mosaic_keeps_monochrome_and_colour_imagers_in_their_layers():
    west = make_skymap("west", lon=-102.0)
    east = make_skymap("east", lon=-98.0)
    twin = make_skymap("twin", lon=-98.0)  # a second camera at the east site
    grey = np.full(west.shape, 1000, np.uint16)
    colour = np.zeros((*east.shape, 3), np.uint8) + np.array([20, 120, 40], np.uint8)
    mosaic = Mosaic([GridIndex.build(s) for s in (west, east, twin)])
    cell = mosaic.grid.cell_of
    layers = mosaic.regrid_layers([grey, colour, grey])
    mono, rgb = layers[0].ravel(), layers[1].reshape(-1, 3)
    assert mono[cell(60.0, -102.0)] == 1000 and np.isnan(rgb[cell(60.0, -102.0)]).all()
    # The east site's two cameras see its sky equally high: the one listed first takes it.
    assert list(rgb[cell(60.0, -98.0)]) == [20.0, 120.0, 40.0]
    assert np.isnan(mono[cell(60.0, -98.0)])
    assert not (np.isfinite(mono) & np.isfinite(rgb).all(axis=1)).any()
    assert mosaic.regrid_layers([None, colour, None])[0] is None
    only_colour = mosaic.regrid([None, colour, colour])
    assert only_colour.shape == (*mosaic.grid.shape, 3)
    with pytest.raises(AsiError, match="the frames are monochrome and colour: regrid_layers"):
        mosaic.regrid([grey, colour, None])
    with pytest.raises(AsiError, match=r"colour frames of a mosaic have \[3, 4\] channels"):
        mosaic.regrid_layers([None, colour, np.zeros((*east.shape, 4))])


def test_mosaic_of_imagers_at_a_time(tmp_path):
    _, west_frames = write_hours(
        tmp_path, "west", "2021-12-01T05:00", 1, n=64, cadence_s=60, seed=1
    )
    _, east_frames = write_hours(
        tmp_path, "east", "2021-12-01T05:00", 1, n=64, cadence_s=120, seed=2
    )
    kwargs = {"asi_dir": tmp_path, "base_url": ""}
    west = Imager(
        "west",
        "2021-12-01T05:00",
        "2021-12-01T06:00",
        skymap=make_skymap("west", lon=-102.0),
        **kwargs,
    )
    east = Imager(
        "east",
        "2021-12-01T05:00",
        "2021-12-01T06:00",
        skymap=make_skymap("east", lon=-98.0),
        **kwargs,
    )
    mosaic = Mosaic.from_imagers([west, east])
    # 05:03: west has a frame, east (2-minute cadence) is 60 s away -> only west contributes
    grid = mosaic.regrid_at("2021-12-01T05:03", max_offset_s=3.0)
    np.testing.assert_array_equal(grid, mosaic.regrid([west_frames[3], None]))
    assert np.isnan(grid.ravel()[mosaic.grid.cell_of(60.0, -98.0)])
    both = mosaic.regrid_at("2021-12-01T05:04")
    np.testing.assert_array_equal(both, mosaic.regrid([west_frames[4], east_frames[2]]))
    with pytest.raises(AsiError, match="regrid_at needs a mosaic built with Mosaic.from_imagers"):
        Mosaic(mosaic.indexes).regrid_at("2021-12-01T05:04")
