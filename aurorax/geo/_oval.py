"""A statistical auroral oval: Holzworth & Meng's (1975) fit to the Feldstein ovals.

Holzworth, R. H. and Meng, C.-I. (1975), Mathematical representation of the auroral oval,
Geophys. Res. Lett., 2(9), 377-380, doi:10.1029/GL002i009p00377. The poleward and equatorward
boundaries of Feldstein's statistical ovals (ground and satellite observations, 1960s), for the
activity levels Q = 0 (quiet) to 6 (active), as corrected geomagnetic colatitude against magnetic
local time:

    theta(phi) = A0 + A1 cos(phi + A2) + A3 cos 2(phi + A4) + A5 cos 3(phi + A6)

with ``phi`` the MLT angle from magnetic noon (``(MLT - 12) * 15`` degrees), A0, A1, A3, A5 in
degrees and the phases A2, A4, A6 in radians. It is a climatology: where the oval is on average
for a given activity, not a nowcast (for that, OVATION Prime driven by the solar wind, which has
no offline Python package). AACGM-v2 latitude stands in for corrected geomagnetic latitude (they
differ by well under a degree in the auroral zone); the southern oval is the mirror image.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OVAL_Q_LEVELS", "feldstein_oval"]

#: Activity levels of the model: Feldstein's Q index, 0 (quiet) to 6 (active).
OVAL_Q_LEVELS = tuple(range(7))

# Holzworth & Meng (1975), Table 1: rows Q = 0..6, columns A0..A6.
_POLEWARD = np.array(
    [
        [15.22, 2.41, 3.34, -0.85, 1.01, 0.32, 0.90],
        [15.85, 2.70, 3.32, -0.67, 1.15, 0.49, 1.00],
        [16.09, 2.51, 3.27, -0.56, 1.30, 0.42, 0.94],
        [16.16, 1.92, 3.14, -0.46, 1.43, 0.32, 0.96],
        [16.29, 1.41, 3.06, -0.09, 1.35, 0.40, 1.03],
        [16.44, 0.81, 2.99, 0.14, 1.25, 0.48, 1.05],
        [16.71, 0.37, 2.90, 0.63, 1.59, 0.60, 1.00],
    ]
)
_EQUATORWARD = np.array(
    [
        [17.36, 3.03, 3.46, 0.42, 2.11, -0.25, 1.13],
        [18.66, 3.90, 3.37, 0.16, 2.55, -0.13, 0.96],
        [19.73, 4.69, 3.34, -0.57, -1.41, -0.07, 0.75],
        [20.63, 4.95, 3.31, -0.66, -1.28, 0.30, -0.58],
        [21.56, 4.93, 3.31, -0.44, -0.81, -0.07, -0.75],
        [22.32, 4.96, 3.29, -0.39, -0.72, -0.16, -0.52],
        [23.18, 4.85, 3.34, -0.38, -0.62, -0.53, -0.16],
    ]
)


def _colatitude(a: np.ndarray, phi: np.ndarray) -> np.ndarray:
    return (
        a[0]
        + a[1] * np.cos(phi + a[2])
        + a[3] * np.cos(2 * (phi + a[4]))
        + a[5] * np.cos(3 * (phi + a[6]))
    )


def feldstein_oval(mlt, q: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Equatorward and poleward boundaries of the statistical (Feldstein) auroral oval.

    Holzworth & Meng's (1975) representation of Feldstein's ovals (see the module docstring):
    a climatological oval for an activity level, in magnetic coordinates.

    Parameters
    ----------
    mlt : array_like
        Magnetic local time, hours (any real; taken modulo 24).
    q : int
        Activity level, Feldstein's Q index: 0 (quiet) to 6 (active).

    Returns
    -------
    equatorward_mlat, poleward_mlat : numpy.ndarray
        Magnetic latitude of the two boundaries in the northern hemisphere, degrees (the
        southern oval is at minus these). NaN where ``mlt`` is NaN.

    Raises
    ------
    ValueError
        ``q`` is not one of 0 to 6.

    Examples
    --------
    >>> eq, pole = feldstein_oval([0.0, 12.0], q=3)
    >>> [round(float(v), 1) for v in eq], [round(float(v), 1) for v in pole]
    ([63.9, 73.7], [71.2, 75.6])
    """
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or q not in OVAL_Q_LEVELS:
        raise ValueError(f"q must be an activity level 0 to 6 (Feldstein's Q index), got {q!r}")
    mlt = np.asarray(mlt, dtype=float)
    phi = np.radians((mlt - 12.0) * 15.0)
    equatorward = 90.0 - _colatitude(_EQUATORWARD[int(q)][:, None], phi.ravel()[None, :])[0]
    poleward = 90.0 - _colatitude(_POLEWARD[int(q)][:, None], phi.ravel()[None, :])[0]
    return equatorward.reshape(mlt.shape), poleward.reshape(mlt.shape)
