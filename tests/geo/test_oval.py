"""The statistical (Feldstein / Holzworth-Meng) auroral oval: its known shape and bad input."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import aurorax.geo._oval
from aurorax.geo import OVAL_Q_LEVELS, feldstein_oval


def test_docstring_example():
    result = doctest.testmod(aurorax.geo._oval)
    assert result.attempted > 0 and result.failed == 0


def test_the_oval_is_lowest_near_midnight_and_widens_and_moves_south_with_activity():
    mlt = np.arange(0.0, 24.0, 0.25)
    quiet_eq, quiet_pole = feldstein_oval(mlt, q=0)
    active_eq, active_pole = feldstein_oval(mlt, q=6)
    assert (quiet_eq < quiet_pole).all() and (active_eq < active_pole).all()
    # The equatorward boundary is furthest south in the pre-midnight to midnight sector and
    # furthest north on the dayside (Feldstein's oval is displaced to the nightside).
    assert 21.0 <= mlt[np.argmin(active_eq)] or mlt[np.argmin(active_eq)] <= 1.0
    assert 9.0 <= mlt[np.argmax(active_eq)] <= 15.0
    # More activity: the equatorward boundary moves south at every MLT, the oval widens.
    assert (active_eq < quiet_eq).all()
    assert np.mean(active_pole - active_eq) > np.mean(quiet_pole - quiet_eq)
    # Plausible latitudes: the active nightside oval reaches the low sixties.
    assert 60.0 < active_eq.min() < 64.0 and quiet_pole.max() < 80.0


def test_mlt_wraps_and_keeps_the_shape():
    eq, pole = feldstein_oval([[0.0, 6.0], [24.0, 30.0]], q=2)
    assert (
        eq.shape == (2, 2) and eq[0] == pytest.approx(eq[1]) and pole[0] == pytest.approx(pole[1])
    )
    assert OVAL_Q_LEVELS == (0, 1, 2, 3, 4, 5, 6)


@pytest.mark.parametrize("q", [-1, 7, 2.5, "3", True])
def test_bad_activity_level_says_so(q):
    with pytest.raises(
        ValueError, match=r"q must be an activity level 0 to 6 \(Feldstein's Q index\), got "
    ):
        feldstein_oval(0.0, q=q)
