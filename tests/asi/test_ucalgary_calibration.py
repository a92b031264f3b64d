"""UCalgary Rayleigh calibration files: the real REGO file, and bad input."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aurorax.asi import AsiError, AsiFileError, read_calibration, to_rayleighs

REAL = (
    Path(__file__).parents[2] / "../shared/data/ucalgary/REGO_Rayleighs_15651_20210908-+_v02.sav"
).resolve()


@pytest.fixture
def real_calibration() -> Path:
    if not REAL.is_file():
        pytest.skip(f"real REGO calibration file not found at {REAL}")
    return REAL


def test_real_rego_rayleighs(real_calibration):
    cal = read_calibration(real_calibration)
    assert cal.instrument == "rego"
    assert cal.detector_uid == "15651"
    assert cal.rayleighs_per_dn_per_s == pytest.approx(13.215592839603069, rel=1e-12)
    assert cal.valid_from == pd.Timestamp("2021-09-08", tz="UTC")
    counts = np.array([[0, 100], [200, 65535]], np.uint16)
    rayleighs = to_rayleighs(counts, cal, exposure_s=2.0)
    assert rayleighs.dtype == np.float32
    assert rayleighs[0, 1] == pytest.approx(100 / 2.0 * 13.215592839603069, rel=1e-6)


def test_bad_calibration_files(tmp_path):
    with pytest.raises(AsiFileError, match=r"calibration file name does not follow"):
        read_calibration(tmp_path / "rayleighs.sav")
    fake = tmp_path / "REGO_Rayleighs_15651_20210908-+_v02.sav"
    fake.write_bytes(b"secret bytes, not IDL")
    with pytest.raises(
        AsiFileError,
        match=rf"^{re.escape(str(fake))}: not an IDL save file \(signature 73656372\)$",
    ):
        read_calibration(fake)


def test_to_rayleighs_needs_positive_exposure(real_calibration):
    with pytest.raises(AsiError, match=r"exposure_s must be positive, got 0"):
        to_rayleighs(np.ones(3), read_calibration(real_calibration), 0)
