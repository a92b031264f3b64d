import numpy as np
import pytest
from sgp4.api import Satrec, jday

from aurorax.ingest import TLEError, read_tle, tle_checksum

# ISS element set as printed in CelesTrak's format (the example in the sgp4 package's README).
ISS = [
    "ISS (ZARYA)",
    "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991",
    "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482",
]


def test_checksums_of_published_lines():
    assert tle_checksum(ISS[1]) == 1
    assert tle_checksum(ISS[2]) == 2


def test_read_tle_and_propagate(tmp_path):
    path = tmp_path / "iss.tle"
    path.write_text("\n".join(ISS) + "\n")
    (tle,) = read_tle(path)
    assert tle.name == "ISS (ZARYA)"
    assert tle.catalog_number == "25544"
    sat = Satrec.twoline2rv(tle.line1, tle.line2)
    jd, fr = jday(2019, 12, 9, 12, 0, 0)
    err, r, _ = sat.sgp4(jd, fr)
    assert err == 0
    assert 6600 < np.linalg.norm(r) < 6900


def test_bad_checksum_names_file_line_and_digit(tmp_path):
    path = tmp_path / "bad.tle"
    bad = ISS[2][:68] + "5"
    path.write_text("\n".join([ISS[0], ISS[1], bad]) + "\n")
    with pytest.raises(TLEError) as info:
        read_tle(path)
    assert str(info.value) == f"{path}: line 3: bad TLE checksum 5, expected 2"


def test_tle_positions_match_sgp4_and_skip_early(tmp_path):
    from datetime import datetime, timedelta

    from aurorax.demo import ecef_to_geodetic, teme_to_ecef
    from aurorax.ingest import tle_positions

    path = tmp_path / "iss.tle"
    path.write_text("\n".join(ISS) + "\n")
    tles = read_tle(path)
    t0 = datetime(2019, 12, 9, 17, 0)
    times = [t0 + timedelta(minutes=m) for m in range(5)] + [datetime(2019, 12, 1)]
    frame = tle_positions(tles, times)
    assert len(frame) == 5 and frame.attrs["skipped"] == 1
    sat = Satrec.twoline2rv(ISS[1], ISS[2])
    jd, fr = jday(2019, 12, 9, 17, 3, 0)
    _, r, _ = sat.sgp4(jd, fr)
    lat, lon, alt = ecef_to_geodetic(teme_to_ecef(np.array([r]), [t0 + timedelta(minutes=3)]))
    assert frame.geo_lat.iloc[3] == pytest.approx(lat[0], abs=1e-6)
    assert frame.geo_lon.iloc[3] == pytest.approx(lon[0], abs=1e-6)
    assert 380 < frame.altitude_km.iloc[3] < 450
