from datetime import datetime, timedelta

import numpy as np
import pytest

from aurorax import geo
from aurorax.ingest import ephemeris_records, read_tle, tle_positions

ISS = [
    "ISS (ZARYA)",
    "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991",
    "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482",
]


def test_records_match_geo_footprints(tmp_path):
    path = tmp_path / "iss.tle"
    path.write_text("\n".join(ISS) + "\n")
    t0 = datetime(2019, 12, 9, 17, 0)
    pos = tle_positions(read_tle(path), [t0 + timedelta(minutes=m) for m in range(3)])
    rec = ephemeris_records(7, pos)
    assert list(rec.data_source) == [7, 7, 7]
    t64 = np.array([np.datetime64(t0 + timedelta(minutes=1), "ns")])
    f = geo.footprints(pos.geo_lat[1:2].to_numpy(), pos.geo_lon[1:2].to_numpy(),
                       pos.altitude_km[1:2].to_numpy(), t64, method="aacgm")  # fmt: skip
    assert np.isfinite(f.nbtrace_lat[0])
    assert rec.nbtrace_lat.iloc[1] == pytest.approx(f.nbtrace_lat[0])
    gsm_lat, _ = geo.geo_to_gsm(pos.geo_lat[1:2].to_numpy(), pos.geo_lon[1:2].to_numpy(),
                                pos.altitude_km[1:2].to_numpy(), t64)  # fmt: skip
    assert rec.gsm_lat.iloc[1] == pytest.approx(gsm_lat[0])
    assert 6700 < rec["metadata.radial_distance"].iloc[1] < 6850
