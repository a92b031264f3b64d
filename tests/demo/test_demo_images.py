"""Demo skymaps and images: lens geometry, van Rhijn, agreement of neighbours, APA, files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurorax.asi import Imager, azel_to_lla, lla_to_azel, load_skymap, read_skymap, write_skymap
from aurorax.demo import (
    REGO_LENS,
    THEMIS_CAMERA,
    THEMIS_LENS,
    TREX_LENS,
    AuroralModel,
    FrameRenderer,
    dark_hours,
    demo_skymap_path,
    fisheye_azel,
    make_demo_skymap,
    render_demo_images,
    van_rhijn_factor,
)
from aurorax.geo import geo_to_aacgm, magnetic_local_time

GILL = ("gill", 56.38, -94.64, 0.0)
TPAS = ("tpas", 53.99, -100.94, 0.0)
RANK = ("rank", 62.82, -92.11, 0.0)


@pytest.fixture(scope="module")
def model():
    return AuroralModel(2021, "2021-12-01", "2021-12-08")


# --- skymaps ------------------------------------------------------------------------------------


def test_demo_skymap_is_an_equidistant_north_up_east_right_fisheye():
    sky = make_demo_skymap(*GILL, program="themis-asi")
    assert sky.shape == (256, 256) and sky.program == "themis"
    assert sky.altitudes_km == (90.0, 110.0, 150.0)
    el, az = sky.elevation.astype(float), sky.azimuth.astype(float)
    # Zenith at the centre; zenith angle grows linearly with the distance from it.
    assert np.nanmax(el) == pytest.approx(90.0 - THEMIS_LENS.deg_per_px / np.sqrt(2), abs=1e-3)
    rows = np.arange(256) + 0.5
    zenith_angle = 90.0 - el[:128, 128]
    radius = np.hypot(128 - rows[:128], 0.5)
    finite = np.isfinite(zenith_angle)
    np.testing.assert_allclose(
        zenith_angle[finite], radius[finite] * THEMIS_LENS.deg_per_px, atol=1e-3
    )
    # North is up (row 0), east is right (last column).
    assert az[40, 128] == pytest.approx(0.0, abs=0.5) or az[40, 128] == pytest.approx(360, abs=0.5)
    assert az[128, 215] == pytest.approx(90.0, abs=0.5)
    assert az[215, 128] == pytest.approx(180.0, abs=0.5)
    # Outside the 170 degree field of view: NaN, as in the real skymaps.
    assert np.isnan(el[0, 0]) and np.isnan(sky.vertex_lat[1, 0, 0])
    assert np.nanmin(el) >= 5.0 - 1e-3


def test_demo_skymap_vertices_map_through_the_spherical_geometry():
    sky = make_demo_skymap(*GILL, program="themis")
    lat, lon = sky.vertices(110.0)
    # Top rows are north of the site, right columns east of it.
    assert lat[20, 128] > GILL[1] + 3 and lat[236, 128] < GILL[1] - 3
    assert lon[128, 236] > GILL[2] + 5 and lon[128, 20] < GILL[2] - 5
    # Each vertex, seen from the site, has the vertex's lens direction.
    v_az, v_el = fisheye_azel(THEMIS_LENS, vertices=True)
    az, el = lla_to_azel(GILL[1], GILL[2], GILL[3], lat, lon, 110.0)
    ok = np.isfinite(v_el)
    np.testing.assert_allclose(el[ok], v_el[ok], atol=2e-3)
    # Azimuth is ill-conditioned near zenith with float32 vertices; check it below 80 degrees.
    d_az = (az[ok] - v_az[ok] + 180) % 360 - 180
    assert np.abs(d_az[v_el[ok] < 80]).max() < 2e-3


def test_rego_demo_skymap_and_file_round_trip(tmp_path):
    sky = make_demo_skymap("gill", 56.38, -94.64, 0.0, program="rego")
    assert sky.shape == (REGO_LENS.size_px,) * 2 and sky.altitudes_km == (230.0,)
    path = demo_skymap_path(tmp_path, "rego", "gill", pd.Timestamp("2000-01-01"))
    assert path == tmp_path / "rego/skymaps/gill/rego_skymap_gill_20000101-+_v01.npz"
    write_skymap(path, sky)
    again = load_skymap("gill", "2021-12-05", skymap_dir=path.parent, program="rego")
    np.testing.assert_array_equal(again.vertex_lat, sky.vertex_lat)
    np.testing.assert_array_equal(read_skymap(path).elevation, sky.elevation)


def test_unknown_program_is_rejected():
    with pytest.raises(ValueError) as err:
        make_demo_skymap("gill", 56.0, -94.0, 0.0, program="trex_nir")
    assert str(err.value) == (
        "program 'trex_nir' has no demo lens; allowed: 'themis-asi', 'rego', 'trex'"
    )


def test_trex_rgb_demo_skymap_is_a_quarter_size_colour_camera(tmp_path):
    sky = make_demo_skymap(*GILL, program="trex")
    assert sky.shape == (TREX_LENS.size_px,) * 2 == (128, 128) and sky.program == "trex"
    assert sky.altitudes_km == (90.0, 110.0, 150.0, 230.0)
    path = demo_skymap_path(tmp_path, "trex", "gill", pd.Timestamp("2000-01-01"))
    assert path == tmp_path / "trex/skymaps/gill/trex_skymap_gill_20000101-+_v01.npz"
    # The zenith pixel maps to the site at both emission altitudes.
    for altitude in (110.0, 230.0):
        lat, lon = sky.pixel_centres(altitude)
        assert lat[63, 63] == pytest.approx(GILL[1], abs=0.05)
        assert lon[63, 63] == pytest.approx(GILL[2], abs=0.1)


# --- radiometry ---------------------------------------------------------------------------------


def test_van_rhijn_equals_the_slant_path_through_a_thin_shell():
    # Path length between the 110 and 111 km shells along a line of sight, from the exact
    # ray-sphere geometry, over the 1 km vertical thickness.
    h, dh, r = 110.0, 1.0, 6371.2
    for el in (90.0, 45.0, 20.0, 5.0):
        e = np.radians(el)

        def slant(alt, e=e):
            return -r * np.sin(e) + np.sqrt((r * np.sin(e)) ** 2 + (r + alt) ** 2 - r**2)

        expected = (slant(h + dh) - slant(h)) / dh
        assert van_rhijn_factor(el, h + dh / 2) == pytest.approx(expected, rel=2e-3)
    assert van_rhijn_factor(90.0, 110.0) == pytest.approx(1.0)


def _active_time(model, site, label_column, label, hours=range(4, 13)):
    """First minute of Dec 1-5 at ``site`` whose model classification is ``label``."""
    _, lat, lon, _ = site
    for day in pd.date_range("2021-12-01", periods=5, freq="D", tz="UTC"):
        times = day + pd.to_timedelta([h * 60 + m for h in hours for m in range(60)], "min")
        mlat, mlon = geo_to_aacgm(lat, lon, 110.0, times[0])
        mlt = magnetic_local_time(np.full(len(times), float(mlon)), times)
        labels = model.classify(times, float(mlat), mlt, 0.0)[label_column].to_numpy()
        hit = np.flatnonzero(labels == label)
        if len(hit):
            return times[hit[len(hit) // 2]]
    pytest.skip(f"the demo model has no {label!r} minute at {site[0]} on Dec 1-5")


def test_neighbouring_imagers_agree_where_their_fields_of_view_overlap(model):
    when = _active_time(model, GILL, "clausen_ml_oath", "classified as arc")
    gill = FrameRenderer(model, "themis-asi", *GILL, when, noise=False)
    tpas = FrameRenderer(model, "themis-asi", *TPAS, when, noise=False)
    # Points at 110 km seen above 15 degrees by both imagers: along the line joining the sites.
    points = np.linspace(0.3, 0.7, 15)
    lat = GILL[1] + points * (TPAS[1] - GILL[1])
    lon = GILL[2] + points * (TPAS[2] - GILL[2])
    seen = []
    for r in (gill, tpas):
        row, col = r.skymap.lla_to_pixel(lat, lon, 110.0)
        assert (row >= 0).all()
        assert (r.skymap.elevation[row, col] > 15).all()
        slant = r.rayleighs([when])[0]
        # Undo the van Rhijn brightening: both should see the same vertical emission.
        seen.append(slant[row, col] / r.brightening[row, col])
    a, b = seen
    assert np.median(np.abs(a - b) / ((a + b) / 2)) < 0.05
    # Not a flat airglow sky (250 R): aurora with a gradient across the overlap.
    assert a.min() > 2 * 250.0 and a.max() > 1.2 * a.min()


def test_apa_minutes_show_pulsating_patches(model):
    apa = _active_time(model, RANK, "calgary_apa_ml_v1", "classified as APA")
    quiet = _active_time(model, RANK, "clausen_ml_oath", "classified as no aurora")
    renderer = FrameRenderer(model, "themis-asi", *RANK, apa, binning=4, noise=False)

    def switching(minute):
        # Fraction of sky pixels whose emission jumps by > 400 R within 30 s of 3 s frames.
        frames = renderer.rayleighs(minute + pd.to_timedelta(np.arange(10) * 3, "s"))
        jump = frames.max(axis=0) - frames.min(axis=0)
        return float((jump[renderer.sky] / renderer.brightening[renderer.sky] > 400).mean())

    assert switching(apa) > 0.05
    assert switching(quiet) < 0.01


def test_counts_follow_the_camera_model(model):
    when = pd.Timestamp("2021-12-03T08:00Z")
    r = FrameRenderer(model, "themis-asi", *GILL, when, noise=False)
    counts = r.render([when])[0].astype(float)
    slant = r.rayleighs([when])[0]
    expected = THEMIS_CAMERA.bias_counts + THEMIS_CAMERA.gain_counts_per_rayleigh * slant
    np.testing.assert_allclose(counts, np.clip(np.rint(expected), 0, 65535))
    assert np.all(counts[~r.sky] == THEMIS_CAMERA.bias_counts)
    noisy = FrameRenderer(model, "themis-asi", *GILL, when).render([when])[0].astype(float)
    resid = (noisy - counts)[r.sky] / np.sqrt(
        THEMIS_CAMERA.gain_counts_per_rayleigh * slant[r.sky] + THEMIS_CAMERA.read_noise_counts**2
    )
    assert resid.std() == pytest.approx(1.0, abs=0.05)


def test_dark_hours_are_the_night_at_the_site():
    hours = dark_hours(56.38, -94.64, "2021-12-05")
    # Gillam (UTC-6) in December: dark (sun below -12 deg) from ~23 UTC to ~13 UTC.
    assert hours[0].hour == 0 and 11 <= hours[hours.hour < 18][-1].hour <= 13
    assert not any(16 <= h.hour <= 21 for h in hours)


def test_rendered_files_are_read_back_by_the_imager(model, tmp_path):
    sites = pd.DataFrame(
        [("themis-asi", *GILL), ("rego", *GILL)],
        columns=["program", "site_uid", "lat", "lon", "alt_km"],
    )
    hour = pd.Timestamp("2021-12-03T08:00Z")
    files = render_demo_images(tmp_path, sites, model, [hour], cadence_s=600, binning=4)
    assert list(files["n_frames"]) == [6, 6]
    assert [p.name for p in files["path"]] == [
        "thg_l1_asf_gill_2021120308_v01.cdf",
        "clg_l1_rgf_gill_2021120308_v01.cdf",
    ]
    themis = Imager("gill", hour, hour + pd.Timedelta(hours=1), asi_dir=tmp_path)
    times, frames = themis.read()
    assert frames.shape == (6, 256, 256) and frames.dtype == np.uint16
    assert times[1] - times[0] == pd.Timedelta(minutes=10)
    # The same renderer reproduces the file (deterministic noise per imager and hour).
    stamp = files["path"][0].stat().st_mtime_ns
    render_demo_images(tmp_path, sites, model, [hour], cadence_s=600, binning=4)
    assert files["path"][0].stat().st_mtime_ns == stamp
    rego = Imager("gill", hour, hour + pd.Timedelta(hours=1), asi_dir=tmp_path, program="rego")
    assert rego.read()[1].shape == (6, 512, 512)
    assert rego.skymap.altitudes_km == (230.0,)
    # The zenith pixel of the frame maps to the site.
    lat, lon = themis.skymap.pixel_centres(110.0)
    assert lat[127, 127] == pytest.approx(GILL[1], abs=0.02)
    lat_n, _ = azel_to_lla(GILL[1], GILL[2], 0.0, 0.0, 45.0, 110.0)
    assert themis.skymap.lla_to_pixel(lat_n, GILL[2], 110.0)[0] < 127


def test_products_are_written_where_their_urls_point(model, tmp_path):
    import imageio_ffmpeg
    import matplotlib.image

    from aurorax.demo import keogram_url, movie_url, product_path, render_products

    sites = pd.DataFrame(
        [("themis-asi", *GILL)], columns=["program", "site_uid", "lat", "lon", "alt_km"]
    )
    hours = [pd.Timestamp("2021-12-03T07:00Z"), pd.Timestamp("2021-12-03T08:00Z")]
    render_demo_images(tmp_path / "asi", sites, model, hours, cadence_s=600, binning=4)
    records = render_products(
        tmp_path / "asi", tmp_path / "products", sites, ["2021-12-03", "2021-12-04"]
    )
    # 2021-12-04 has no image files: skipped. Daily + 2 hourly keograms + 1 daily movie.
    assert list(records["data_product_type"]) == ["keogram"] * 3 + ["movie"]
    assert list(records["metadata.keogram_type"][:3]) == ["daily", "hourly", "hourly"]
    day = pd.Timestamp("2021-12-03", tz="UTC")
    assert records["url"][0] == keogram_url("themis-asi", "gill", day, False)
    assert (
        records["url"][2]
        == "/products/keograms/themis-asi/gill/2021/12/03/themis-asi_gill_20211203_08_keogram.png"
    )
    assert records["url"][3] == movie_url("themis-asi", "gill", day)
    assert (
        records["url"][3]
        == "/products/movies/themis-asi/gill/2021/12/03/themis-asi_gill_20211203_movie.mp4"
    )
    assert records["start"][0] == hours[0] and records["end"][0] == hours[1] + pd.Timedelta(
        minutes=50
    )
    for url in records["url"]:
        assert product_path(tmp_path / "products", url).is_file()
    daily = matplotlib.image.imread(product_path(tmp_path / "products", records["url"][0]))
    assert daily.shape[:2] == (256, 720)
    # 12 frames every 10 min from 07:00, each held for its 10 min slot: 07:00-09:00 has data
    # (30 columns of 2 min per hour), the rest of the day is white.
    has_data = ~(daily[..., :3] == 1.0).all(axis=(0, 2))
    assert np.array_equal(np.flatnonzero(has_data), np.arange(7 * 30, 9 * 30))
    # Column 7 h 25 min shows the 07:20 frame (its meridian, north at the top).
    assert np.array_equal(daily[:, 7 * 30 + 12], daily[:, 7 * 30 + 10])
    assert not np.array_equal(daily[:, 7 * 30 + 12], daily[:, 7 * 30 + 16])
    hourly = matplotlib.image.imread(product_path(tmp_path / "products", records["url"][1]))
    assert (~(hourly[..., :3] == 1.0).all(axis=(0, 2))).all()
    n_frames, _ = imageio_ffmpeg.count_frames_and_secs(str(records["path"][3]))
    assert n_frames == 12 == records["metadata.operating_minutes"][3]
    with pytest.raises(ValueError) as err:
        product_path(tmp_path, "/products/../etc/passwd")
    assert str(err.value) == (
        "product url must start with '/products/' and stay inside it, got '/products/../etc/passwd'"
    )


def test_trex_rgb_frames_mix_the_two_lines_into_three_channels(model):
    # The noiseless camera: each channel is the lines' slant Rayleighs through its filter.
    renderer = FrameRenderer(model, "trex", *GILL, "2021-12-07T06:40", binning=4, noise=False)
    when = pd.DatetimeIndex(["2021-12-07T06:40"], tz="UTC")
    lines = renderer.rayleighs(when)[0]  # (y, x, line): 557.7 nm, 630.0 nm
    frame = renderer.render(when)[0].astype(float)
    assert frame.shape == (128, 128, 3) and lines.shape == (128, 128, 2)
    green, red = lines[..., 0], lines[..., 1]
    sky = renderer.sky
    expected = {
        0: 2.0 + 0.002 * green + 0.05 * red,
        1: 2.0 + 0.02 * green,
        2: 2.0 + 0.005 * green,
    }
    for channel, counts in expected.items():
        unsaturated = sky & (counts < 254)
        np.testing.assert_allclose(frame[..., channel][unsaturated], counts[unsaturated], atol=0.5)
    # The red line is mapped at 230 km, the green at 110 km: not one image scaled.
    assert np.corrcoef(green[sky], red[sky])[0, 1] < 0.95
