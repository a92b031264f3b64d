"""read_position_cdf on real CDF files written with cdflib: THEMIS l1_state, SSCWeb and Swarm layouts."""

from __future__ import annotations

import cdflib
import numpy as np
import pandas as pd
import pytest
from cdflib.cdfwrite import CDF as CdfWriter

from aurorax import geo
from aurorax.ingest import PositionFileError, ephemeris_records, read_position_cdf

T0 = np.datetime64("2021-12-02T06:00:00", "ns")
RE = geo.EARTH_RADIUS_KM
CDF_EPOCH_UNIX_MS = 62167219200000.0


def write_cdf(path, variables):
    """Write ``variables``: (name, CDF type, dim sizes, data, attributes) tuples, as a CDF file."""
    cdf = CdfWriter(str(path))
    cdf.write_globalattrs({"Project": {0: "aurorax tests"}})
    for name, kind, dims, data, attrs in variables:
        spec = {
            "Variable": name,
            "Data_Type": kind,
            "Num_Elements": 1,
            "Rec_Vary": True,
            "Dim_Sizes": dims,
        }
        cdf.write_var(spec, var_attrs=attrs, var_data=data)
    cdf.close()
    return path


def cdf_epoch(t64):
    """CDF_EPOCH values (ms since 0000-01-01) of datetime64 times."""
    return t64.astype("datetime64[ns]").astype(np.int64) / 1e6 + CDF_EPOCH_UNIX_MS


def unix_s(t64):
    return t64.astype("datetime64[ns]").astype(np.int64) / 1e9


def circular_gei(t64, radius_km, inclination_deg=70.0, period_s=None):
    """A circular orbit in GEI (km): exact positions at any time, to check interpolation."""
    if period_s is None:
        period_s = 2 * np.pi * np.sqrt(radius_km**3 / 398600.4418)
    phase = 2 * np.pi * (unix_s(t64) - unix_s(T0)) / period_s
    inc = np.radians(inclination_deg)
    return radius_km * np.column_stack(
        [np.cos(phase), np.sin(phase) * np.cos(inc), np.sin(phase) * np.sin(inc)]
    )


def expected_geodetic(t64, xyz_gei):
    lat, lon, alt = geo.frame_to_geodetic(xyz_gei, t64, "GEI")
    return pd.DataFrame({"geo_lat": lat, "geo_lon": lon, "altitude_km": alt})


def assert_positions(got, want, atol_km):
    """Positions equal to within ``atol_km`` (compared as GEO Cartesian vectors)."""
    t = pd.DatetimeIndex(got["epoch"]).tz_convert(None).to_numpy()
    a = geo.geodetic_to_frame(got.geo_lat, got.geo_lon, got.altitude_km, t, "GEO")
    b = geo.geodetic_to_frame(want.geo_lat, want.geo_lon, want.altitude_km, t, "GEO")
    assert np.abs(a - b).max() < atol_km


def themis_state(path, times, pos_gei, *, probe="tha", pos_attrs=None):
    """A THEMIS l1_state-like file: unix-seconds doubles, thX_pos (GEI), _gse, _gsm and velocity."""
    fill = [-1e31, "CDF_DOUBLE"]
    good = ~np.isnan(pos_gei).any(axis=1)
    gse = np.full_like(pos_gei, -1e31)
    gsm = np.full_like(pos_gei, -1e31)
    gse[good] = geo.convert_frame(pos_gei[good], times[good], "GEI", "GSE")
    gsm[good] = geo.convert_frame(pos_gei[good], times[good], "GEI", "GSM")
    pos = np.where(np.isnan(pos_gei), -1e31, pos_gei)
    common = {"UNITS": "km", "DEPEND_0": f"{probe}_state_time", "FILLVAL": fill}
    variables = [
        (f"{probe}_state_time", CdfWriter.CDF_DOUBLE, [], unix_s(times),
         {"UNITS": "sec", "CATDESC": "Unix time (seconds since 1970)", "FILLVAL": fill}),
        (f"{probe}_pos", CdfWriter.CDF_DOUBLE, [3], pos,
         {**common, "CATDESC": "Probe position vector in GEI coordinates", **(pos_attrs or {})}),
        (f"{probe}_vel", CdfWriter.CDF_DOUBLE, [3], np.ones_like(pos),
         {"UNITS": "km/s", "DEPEND_0": f"{probe}_state_time", "CATDESC": "GEI velocity"}),
        (f"{probe}_pos_gse", CdfWriter.CDF_DOUBLE, [3], gse, {**common, "CATDESC": "position GSE"}),
        (f"{probe}_pos_gsm", CdfWriter.CDF_DOUBLE, [3], gsm, {**common, "CATDESC": "position GSM"}),
    ]  # fmt: skip
    return write_cdf(path, variables)


def minutes(n, start=T0, step_s=60):
    return start + np.arange(n) * np.timedelta64(step_s, "s")


def test_themis_state_on_whole_minutes_reads_the_gei_positions(tmp_path):
    t = minutes(30)
    xyz = circular_gei(t, 9 * RE, period_s=86400.0)
    positions = read_position_cdf(themis_state(tmp_path / "tha_l1_state_20211202.cdf", t, xyz))
    assert list(positions.columns) == ["epoch", "geo_lat", "geo_lon", "altitude_km"]
    assert str(positions["epoch"].dtype) == "datetime64[ns, UTC]"
    assert (positions["epoch"].dt.tz_convert(None).to_numpy() == t).all()
    assert_positions(positions, expected_geodetic(t, xyz), atol_km=1e-6)
    assert positions.geo_lon.between(-180, 180).all()
    assert positions.attrs == {
        "source": str(tmp_path / "tha_l1_state_20211202.cdf"),
        "variable": "tha_pos",
        "frame": "GEI",
        "frame_source": "CATDESC attribute",
        "units": "km",
        "time_variable": "tha_state_time",
        "time_type": "CDF_DOUBLE",
        "n_samples": 30,
        "n_valid_samples": 30,
        "cadence_s": 60.0,
        "max_gap_s": 240.0,
        "n_minutes": 30,
    }


def test_picking_the_gsm_variable_gives_the_same_positions(tmp_path):
    t = minutes(10)
    xyz = circular_gei(t, 9 * RE, period_s=86400.0)
    path = themis_state(tmp_path / "thb_l1_state_20211202.cdf", t, xyz, probe="thb")
    gsm = read_position_cdf(path, frame="gsm")
    assert gsm.attrs["variable"] == "thb_pos_gsm"
    assert gsm.attrs["frame"] == "GSM" and gsm.attrs["frame_source"] == "variable name"
    assert_positions(gsm, expected_geodetic(t, xyz), atol_km=1e-6)
    gse = read_position_cdf(path, variable="thb_pos_gse")
    assert gse.attrs["frame"] == "GSE"
    assert_positions(gse, expected_geodetic(t, xyz), atol_km=1e-6)


@pytest.mark.parametrize(
    ("pos_attrs", "frame", "source"),
    [
        ({"CATDESC": "Probe position"}, "GEI", "THEMIS naming (thX_pos is GEI)"),
        ({"COORDINATE_SYSTEM": "gei"}, "GEI", "COORDINATE_SYSTEM attribute"),
        ({"COORDINATE_SYSTEM": "GEI_J2000"}, "J2000", "COORDINATE_SYSTEM attribute"),
        ({"CATDESC": "Probe position", "LABLAXIS": "GEO position"}, "GEO", "LABLAXIS attribute"),
    ],
)
def test_frame_detection(tmp_path, pos_attrs, frame, source):
    t = minutes(3)
    xyz = circular_gei(t, 9 * RE, period_s=86400.0)
    positions = read_position_cdf(themis_state(tmp_path / "tha.cdf", t, xyz, pos_attrs=pos_attrs))
    assert positions.attrs["variable"] == "tha_pos"
    assert (positions.attrs["frame"], positions.attrs["frame_source"]) == (frame, source)
    want = expected_geodetic(t, geo.convert_frame(xyz, t, frame, "GEI"))
    assert_positions(positions, want, atol_km=1e-6)


def test_off_minute_samples_are_interpolated_by_a_cubic_spline(tmp_path):
    # A low orbit sampled every 60 s at hh:mm:30: a straight line between samples would be ~4 km
    # inside the orbit half-way; the spline is within metres of the true circle.
    t = minutes(40, start=T0 + np.timedelta64(30, "s"))
    radius = 6371.2 + 600.0
    positions = read_position_cdf(
        themis_state(tmp_path / "thc.cdf", t, circular_gei(t, radius), probe="thc")
    )
    want_t = minutes(39, start=T0 + np.timedelta64(60, "s"))
    assert (positions["epoch"].dt.tz_convert(None).to_numpy() == want_t).all()
    assert_positions(positions, expected_geodetic(want_t, circular_gei(want_t, radius)), 0.01)


def test_fill_records_are_bridged_and_long_gaps_are_not(tmp_path):
    t = minutes(60)
    xyz = circular_gei(t, 6 * RE, period_s=43200.0)
    xyz[5] = np.nan  # one fill record: bridged by the spline
    keep = np.ones(60, bool)
    keep[20:30] = False  # ten missing records (a 11-minute gap): not interpolated across
    positions = read_position_cdf(
        themis_state(tmp_path / "thd.cdf", t[keep], xyz[keep], probe="thd")
    )
    got = positions["epoch"].dt.tz_convert(None).to_numpy()
    assert (got == t[keep]).all()
    assert positions.attrs["n_samples"] == 50 and positions.attrs["n_valid_samples"] == 49
    truth = expected_geodetic(t[keep], circular_gei(t[keep], 6 * RE, period_s=43200.0))
    assert_positions(positions, truth, atol_km=1e-3)
    # Allowing 12-minute gaps fills the hole.
    bridged = read_position_cdf(tmp_path / "thd.cdf", max_gap_s=720)
    assert len(bridged) == 60 and bridged.attrs["max_gap_s"] == 720.0


def sscweb(path, times, xyz_gsm_re, *, epoch_type=CdfWriter.CDF_EPOCH, attrs=None, name="XYZ_GSM"):
    if epoch_type == CdfWriter.CDF_EPOCH:
        epoch = cdf_epoch(times)
    else:
        epoch = np.array(
            cdflib.cdfepoch.compute_tt2000(
                [[int(v) for v in pd.Timestamp(x).strftime("%Y %m %d %H %M %S").split()] + [0, 0, 0]
                 for x in times]
            )
        )  # fmt: skip
    variables = [
        ("Epoch", epoch_type, [], epoch, {"FIELDNAM": "Time", "FILLVAL": [-1e31, "CDF_EPOCH"]}
         if epoch_type == CdfWriter.CDF_EPOCH else {"FIELDNAM": "Time"}),
        (name, CdfWriter.CDF_REAL8, [3], xyz_gsm_re,
         {"UNITS": "Re", "DEPEND_0": "Epoch", "CATDESC": "XYZ position", **(attrs or {})}),
    ]  # fmt: skip
    return write_cdf(path, variables)


@pytest.mark.parametrize("epoch_type", [CdfWriter.CDF_EPOCH, CdfWriter.CDF_TIME_TT2000])
def test_sscweb_gsm_in_earth_radii(tmp_path, epoch_type):
    t = minutes(25, step_s=120)  # SSCWeb's 2-minute resolution
    gei = circular_gei(t, 10 * RE, inclination_deg=30.0, period_s=3 * 86400.0)
    gsm = geo.convert_frame(gei, t, "GEI", "GSM") / RE
    positions = read_position_cdf(sscweb(tmp_path / "ssc.cdf", t, gsm, epoch_type=epoch_type))
    assert positions.attrs["frame"] == "GSM" and positions.attrs["units"] == "Re"
    kind = "CDF_EPOCH" if epoch_type == CdfWriter.CDF_EPOCH else "CDF_TIME_TT2000"
    assert positions.attrs["time_type"] == kind
    want_t = minutes(49)
    assert (positions["epoch"].dt.tz_convert(None).to_numpy() == want_t).all()
    truth = circular_gei(want_t, 10 * RE, inclination_deg=30.0, period_s=3 * 86400.0)
    assert_positions(positions, expected_geodetic(want_t, truth), atol_km=0.05)


def test_coordinate_system_attribute_beats_the_name(tmp_path):
    t = minutes(5)
    geo_xyz = geo.geodetic_to_frame(60.0, -100.0, 30000.0, t, "GEO") / RE
    path = sscweb(tmp_path / "ssc_geo.cdf", t, geo_xyz, name="XYZ_GSM",
                  attrs={"COORDINATE_SYSTEM": "GEO>Geographic"})  # fmt: skip
    positions = read_position_cdf(path)
    assert positions.attrs["frame"] == "GEO"
    assert positions.attrs["frame_source"] == "COORDINATE_SYSTEM attribute"
    np.testing.assert_allclose(positions.geo_lat, 60.0, atol=1e-9)
    np.testing.assert_allclose(positions.geo_lon, -100.0, atol=1e-9)
    np.testing.assert_allclose(positions.altitude_km, 30000.0, atol=1e-6)


def swarm(path, times, lat, lon, radius_m, lat_attrs=None):
    dep = {"DEPEND_0": "Timestamp"}
    variables = [
        ("Timestamp", CdfWriter.CDF_EPOCH, [], cdf_epoch(times), {"UNITS": "-"}),
        ("Latitude", CdfWriter.CDF_DOUBLE, [], lat,
         {**dep, "UNITS": "deg", "DESCRIPTION": "Position in ITRF - Latitude", **(lat_attrs or {})}),
        ("Longitude", CdfWriter.CDF_DOUBLE, [], lon, {**dep, "UNITS": "deg"}),
        ("Radius", CdfWriter.CDF_DOUBLE, [], radius_m, {**dep, "UNITS": "m"}),
        ("F", CdfWriter.CDF_DOUBLE, [], np.full(times.size, 40000.0), {**dep, "UNITS": "nT"}),
    ]  # fmt: skip
    return write_cdf(path, variables)


def test_swarm_latitude_longitude_radius_at_one_second(tmp_path):
    t = minutes(11 * 60, start=T0 - np.timedelta64(30, "s"), step_s=1)
    phase = np.radians(0.06 * np.arange(t.size))  # ~ a 95-minute polar orbit
    lat = np.degrees(np.arcsin(np.sin(phase) * np.sin(np.radians(87.5))))
    lon = np.degrees(np.arctan2(np.sin(phase) * np.cos(np.radians(87.5)), np.cos(phase))) - 120
    lon = (lon + 180) % 360 - 180
    radius_m = 6_831_000.0 + 1000.0 * np.sin(phase / 3)
    positions = read_position_cdf(swarm(tmp_path / "SW_OPER_MAGA_LR_1B.cdf", t, lat, lon, radius_m))
    assert positions.attrs["frame"] == "GEO"
    assert positions.attrs["frame_source"] == "DESCRIPTION attribute"
    assert positions.attrs["variable"] == "Latitude/Longitude/Radius"
    assert positions.attrs["cadence_s"] == 1.0 and positions.attrs["n_samples"] == 660
    on_minute = np.flatnonzero(t.astype("datetime64[s]").astype(np.int64) % 60 == 0)
    assert (positions["epoch"].dt.tz_convert(None).to_numpy() == t[on_minute]).all()
    # Geocentric spherical -> GEO Cartesian by hand, against the geodetic result converted back.
    phi, lam, r = np.radians(lat[on_minute]), np.radians(lon[on_minute]), radius_m[on_minute] / 1e3
    want = np.column_stack(
        [r * np.cos(phi) * np.cos(lam), r * np.cos(phi) * np.sin(lam), r * np.sin(phi)]
    )
    got = geo.geodetic_to_frame(positions.geo_lat, positions.geo_lon, positions.altitude_km,
                                t[on_minute], "GEO")  # fmt: skip
    assert np.abs(got - want).max() < 1e-6
    # Geodetic latitude is poleward of geocentric; at ~450 km altitude the difference is < 0.2 deg.
    assert (np.abs(positions.geo_lat) >= np.abs(lat[on_minute]) - 1e-9).all()
    assert positions.altitude_km.between(400, 520).all()


def test_positions_through_ephemeris_records_match_geo_footprints(tmp_path):
    t = minutes(6)
    xyz = circular_gei(t, 4 * RE, inclination_deg=80.0, period_s=30000.0)
    positions = read_position_cdf(themis_state(tmp_path / "the.cdf", t, xyz, probe="the"))
    records = ephemeris_records(11, positions)
    truth = expected_geodetic(t, xyz)
    fp = geo.footprints(truth.geo_lat.to_numpy(), truth.geo_lon.to_numpy(),
                        truth.altitude_km.to_numpy(), t, method="auto")  # fmt: skip
    assert np.isfinite(fp.nbtrace_lat).all()
    for column in ("nbtrace_lat", "nbtrace_lon", "sbtrace_lat", "sbtrace_lon"):
        np.testing.assert_allclose(records[column], getattr(fp, column), atol=1e-6)
    np.testing.assert_allclose(records["metadata.radial_distance"], 4 * RE, atol=0.06)
    assert (records["epoch"] == positions["epoch"]).all()


# --- bad input -----------------------------------------------------------------------------------


def good_variables():
    t = minutes(5)
    return t, [
        ("Epoch", CdfWriter.CDF_EPOCH, [], cdf_epoch(t), {}),
        ("sc_pos_geo", CdfWriter.CDF_DOUBLE, [3], np.tile([7000.0, 0.0, 0.0], (5, 1)),
         {"UNITS": "km", "DEPEND_0": "Epoch"}),
    ]  # fmt: skip


def with_attrs(variables, name, **changes):
    out = []
    for var in variables:
        if var[0] == name:
            attrs = {k: v for k, v in {**var[4], **changes}.items() if v is not None}
            var = (*var[:4], attrs)
        out.append(var)
    return out


def test_the_good_variables_read(tmp_path):
    _, variables = good_variables()
    positions = read_position_cdf(write_cdf(tmp_path / "ok.cdf", variables))
    assert len(positions) == 5 and positions.attrs["frame"] == "GEO"
    np.testing.assert_allclose(positions.altitude_km, 7000.0 - 6378.137, atol=1e-6)


def test_missing_file_and_not_a_cdf(tmp_path):
    with pytest.raises(PositionFileError, match=r"nope\.cdf: no such file"):
        read_position_cdf(tmp_path / "nope.cdf")
    text = tmp_path / "text.cdf"
    text.write_text("Epoch, X, Y, Z\n")
    with pytest.raises(
        PositionFileError, match=r"text\.cdf: not a CDF file \(first bytes 45706f63\)"
    ):
        read_position_cdf(text)
    _, variables = good_variables()
    good = write_cdf(tmp_path / "cut.cdf", variables).read_bytes()
    cut = tmp_path / "cut.cdf"
    cut.write_bytes(good[:40])
    with pytest.raises(PositionFileError, match=r"cut\.cdf: not a readable CDF file"):
        read_position_cdf(cut)


def test_no_position_variable(tmp_path):
    t = minutes(3)
    path = write_cdf(tmp_path / "mag.cdf", [
        ("Epoch", CdfWriter.CDF_EPOCH, [], cdf_epoch(t), {}),
        ("B_GSE", CdfWriter.CDF_DOUBLE, [3], np.ones((3, 3)), {"UNITS": "nT", "DEPEND_0": "Epoch"}),
    ])  # fmt: skip
    with pytest.raises(
        PositionFileError, match=r"mag\.cdf: no position variable .*\['B_GSE', 'Epoch'\]"
    ):
        read_position_cdf(path)
    with pytest.raises(PositionFileError, match=r"mag\.cdf: no variable 'tha_pos'; the file has"):
        read_position_cdf(path, variable="tha_pos")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"UNITS": "furlong"}, r"variable 'sc_pos_geo': unknown UNITS 'furlong' \(need km, m or Re\)"),
        ({"UNITS": None}, r"variable 'sc_pos_geo': no UNITS attribute"),
        ({"DEPEND_0": None}, r"variable 'sc_pos_geo': no DEPEND_0 attribute naming its time variable"),
        ({"DEPEND_0": "Time"}, r"variable 'sc_pos_geo': DEPEND_0 names 'Time', which is not a variable"),
        ({"COORDINATE_SYSTEM": "SM"}, r"variable 'sc_pos_geo': unknown frame: COORDINATE_SYSTEM attribute is 'SM'"),
    ],
)  # fmt: skip
def test_bad_attributes(tmp_path, changes, message):
    _, variables = good_variables()
    path = write_cdf(tmp_path / "bad.cdf", with_attrs(variables, "sc_pos_geo", **changes))
    with pytest.raises(PositionFileError, match=r"bad\.cdf: " + message):
        read_position_cdf(path)


def test_position_without_any_frame(tmp_path):
    _, variables = good_variables()
    variables[1] = ("sc_pos", *variables[1][1:])
    path = write_cdf(tmp_path / "noframe.cdf", variables)
    with pytest.raises(
        PositionFileError, match=r"variable 'sc_pos': unknown frame: no frame in its name"
    ):
        read_position_cdf(path)
    assert read_position_cdf(path, frame="GEO").attrs["frame_source"] == "frame argument"
    with pytest.raises(PositionFileError, match=r"noframe\.cdf: frame must be one of .*not 'SM'"):
        read_position_cdf(path, frame="SM")


def test_frame_argument_never_relabels_a_known_frame(tmp_path):
    t = minutes(3)
    path = sscweb(tmp_path / "ssc.cdf", t, np.tile([-8.0, 0.0, 2.0], (3, 1)))
    with pytest.raises(
        PositionFileError, match=r"no position variable in frame GEO; found XYZ_GSM \(GSM\)"
    ):
        read_position_cdf(path, frame="GEO")
    with pytest.raises(
        PositionFileError, match=r"'Epoch': is not a 3-vector per record \(dimensions \[\]\)"
    ):
        read_position_cdf(path, variable="Epoch", frame="GEO")


def test_bad_time_variables(tmp_path):
    t, variables = good_variables()
    ints = [("Epoch", CdfWriter.CDF_INT4, [], np.arange(5, dtype=np.int32), {}), variables[1]]
    with pytest.raises(
        PositionFileError, match=r"variable 'Epoch': time variable has type CDF_INT4"
    ):
        read_position_cdf(write_cdf(tmp_path / "int.cdf", ints))
    days = [("Epoch", CdfWriter.CDF_DOUBLE, [], unix_s(t) / 86400.0 + 1e10, {}), variables[1]]
    with pytest.raises(
        PositionFileError, match=r"'Epoch': CDF_DOUBLE time .* is not in seconds since 1970"
    ):
        read_position_cdf(write_cdf(tmp_path / "days.cdf", days))
    backwards = [("Epoch", CdfWriter.CDF_EPOCH, [], cdf_epoch(t[::-1]), {}), variables[1]]
    with pytest.raises(PositionFileError, match=r"'Epoch': times do not increase at record 1"):
        read_position_cdf(write_cdf(tmp_path / "back.cdf", backwards))
    short = [("Epoch", CdfWriter.CDF_EPOCH, [], cdf_epoch(t[:3]), {}), variables[1]]
    with pytest.raises(
        PositionFileError, match=r"'Epoch': time variable has 3 records, 'sc_pos_geo' has 5"
    ):
        read_position_cdf(write_cdf(tmp_path / "short.cdf", short))
    fill = [("Epoch", CdfWriter.CDF_EPOCH, [], np.full(5, -1e31), {}), variables[1]]
    with pytest.raises(
        PositionFileError, match=r"'sc_pos_geo': no record has both a valid position"
    ):
        read_position_cdf(write_cdf(tmp_path / "fill.cdf", fill))
