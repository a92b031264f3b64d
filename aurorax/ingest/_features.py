"""Image-content features of one minute of all-sky frames (numpy only).

Frames are first reduced to a 64 x 64 grid of block means (4 x 4 pixels for THEMIS, 8 x 8 for
REGO): the classes the demo labels (clouds, arcs, diffuse aurora, pulsating patches) are tens to
hundreds of km across, far larger than a block, and block means make the features nearly the same
whether the model behind a demo frame was evaluated per 2 x 2 or per 4 x 4 pixels (the training
images use the cheaper one). Only blocks that see the sky above 10 degrees elevation count: the
dark corners outside the lens circle and the horizon haze say nothing about the aurora.

Per frame (``FRAME_FEATURES``): brightness percentiles over the sky (log counts above the frame's
1st percentile, the dark/airglow floor), the zenith brightness, spatial structure (mean absolute
north-south and east-west gradients relative to the frame's contrast, their ratio: arcs are
elongated east-west so their north-south gradients dominate), the bright-area fraction and the
spread. Per pair of consecutive frames in the same minute (``PAIR_FEATURES``): how much the sky
changed (pulsating patches switch on and off every 5-20 s). A minute's feature vector is the mean
of its frames' features, the spread over its frames of the 99th percentile, the mean of its pairs'
features (0 without a pair) and whether it had a pair (``MINUTE_FEATURES``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "GRID_SIZE",
    "FRAME_FEATURES",
    "PAIR_FEATURES",
    "MINUTE_FEATURES",
    "SkyMasks",
    "sky_masks",
    "frame_features",
    "pair_features",
    "minute_features",
]

#: Side of the block-mean grid features are computed on.
GRID_SIZE = 64
#: Pixels looking lower than this (degrees) are left out of every feature.
MIN_ELEVATION_DEG = 10.0
#: Blocks looking higher than this (degrees) form the zenith region.
ZENITH_ELEVATION_DEG = 45.0

FRAME_FEATURES = (
    "log_floor",
    "log_p50",
    "log_p90",
    "log_p99",
    "log_zenith",
    "gradient_ns",
    "gradient_ew",
    "gradient_ratio",
    "bright_fraction",
    "log_std",
    "skew",
)
PAIR_FEATURES = ("log_change", "relative_change", "changed_fraction")
MINUTE_FEATURES = (*FRAME_FEATURES, "p99_spread", *PAIR_FEATURES, "has_pair")


class SkyMasks:
    """Which blocks of the 64 x 64 grid see the sky (and the zenith) for one camera geometry.

    Parameters
    ----------
    elevation
        Pixel-centre elevation (degrees, NaN off-sky), ``(ny, nx)`` in aurorax orientation, with
        ``ny`` and ``nx`` multiples of :data:`GRID_SIZE` (e.g. a :class:`~aurorax.asi.Skymap`'s
        ``elevation``).
    """

    def __init__(self, elevation: np.ndarray) -> None:
        elevation = np.asarray(elevation, dtype=float)
        ny, nx = elevation.shape
        if ny % GRID_SIZE or nx % GRID_SIZE:
            raise ValueError(
                f"frames of {ny} x {nx} pixels do not divide into {GRID_SIZE} x {GRID_SIZE} blocks"
            )
        self.shape = (ny, nx)
        self.block = (ny // GRID_SIZE, nx // GRID_SIZE)
        with np.errstate(invalid="ignore"):
            low = np.where(np.isfinite(elevation), elevation, -90.0)
        blocks = _blocks(low[None])[0]
        lowest = blocks.min(axis=(1, 3))
        self.sky = lowest >= MIN_ELEVATION_DEG
        self.zenith = lowest >= ZENITH_ELEVATION_DEG
        if not self.sky.any():
            raise ValueError("the skymap has no pixel above 10 degrees elevation")
        # Gradient pairs where both blocks see the sky.
        self.ns_pairs = self.sky[1:, :] & self.sky[:-1, :]
        self.ew_pairs = self.sky[:, 1:] & self.sky[:, :-1]


def sky_masks(elevation: np.ndarray) -> SkyMasks:
    """The :class:`SkyMasks` of a pixel elevation map (degrees)."""
    return SkyMasks(elevation)


def _blocks(frames: np.ndarray) -> np.ndarray:
    t, ny, nx = frames.shape
    by, bx = ny // GRID_SIZE, nx // GRID_SIZE
    return frames.reshape(t, GRID_SIZE, by, GRID_SIZE, bx)


def block_means(frames: np.ndarray, masks: SkyMasks) -> np.ndarray:
    """Frames ``(time, ny, nx)`` reduced to float32 block means ``(time, 64, 64)``."""
    frames = np.asarray(frames)
    if frames.shape[1:] != masks.shape:
        raise ValueError(f"frames are {frames.shape[1:]}, the sky masks are for {masks.shape}")
    return _blocks(frames.astype(np.float32, copy=False)).mean(axis=(2, 4), dtype=np.float32)


def frame_features(grid: np.ndarray, masks: SkyMasks) -> np.ndarray:
    """Per-frame features ``(time, len(FRAME_FEATURES))`` of block-mean frames ``(time, 64, 64)``."""
    # float64: the skew is a small difference of large means, float32 sums would blur it.
    grid = np.asarray(grid, dtype=np.float64)
    sky = grid[:, masks.sky]  # (time, n_sky)
    p01, p10, p50, p90, p99 = np.percentile(sky, (1, 10, 50, 90, 99), axis=1)
    contrast = p90 - p10 + 10.0
    zenith = grid[:, masks.zenith].mean(axis=1) if masks.zenith.any() else p50
    ns = np.abs(np.diff(grid, axis=1))[:, masks.ns_pairs].mean(axis=1)
    ew = np.abs(np.diff(grid, axis=2))[:, masks.ew_pairs].mean(axis=1)
    bright = (sky - p01[:, None] > 0.5 * (p99 - p01)[:, None] + 20.0).mean(axis=1)
    mean = sky.mean(axis=1)
    features = np.stack(
        [
            np.log10(np.maximum(p01, 1.0)),
            np.log10(np.maximum(p50 - p01, 0.0) + 1.0),
            np.log10(np.maximum(p90 - p01, 0.0) + 1.0),
            np.log10(np.maximum(p99 - p01, 0.0) + 1.0),
            np.log10(np.maximum(zenith - p01, 0.0) + 1.0),
            ns / contrast,
            ew / contrast,
            np.log10((ns + 1.0) / (ew + 1.0)),
            bright,
            np.log10(sky.std(axis=1) + 1.0),
            (mean - p50) / contrast,
        ],
        axis=1,
    )
    return features.astype(np.float64)


def pair_features(before: np.ndarray, after: np.ndarray, masks: SkyMasks) -> np.ndarray:
    """Change between block-mean frames ``before[i]`` and ``after[i]``: ``(n, len(PAIR_FEATURES))``."""
    a = np.asarray(before, dtype=np.float64)[:, masks.sky]
    b = np.asarray(after, dtype=np.float64)[:, masks.sky]
    change = np.abs(b - a)
    p10, p90 = np.percentile(b, (10, 90), axis=1)
    contrast = p90 - p10 + 10.0
    mean_change = change.mean(axis=1)
    changed = (change > 0.2 * contrast[:, None] + 50.0).mean(axis=1)
    return np.stack([np.log10(mean_change + 1.0), mean_change / contrast, changed], axis=1)


def minute_features(
    times: pd.DatetimeIndex,
    frame_rows: np.ndarray,
    pair_rows: np.ndarray,
    pair_minutes: pd.DatetimeIndex,
) -> pd.DataFrame:
    """Combine per-frame and per-pair features into one row per minute.

    Parameters
    ----------
    times
        Frame times (UTC), one per row of ``frame_rows``.
    frame_rows
        :func:`frame_features` of those frames.
    pair_rows
        :func:`pair_features` of consecutive frames in the same minute.
    pair_minutes
        The minute of each pair (UTC).

    Returns
    -------
    pandas.DataFrame
        Index: the minutes with frames (UTC, sorted); columns :data:`MINUTE_FEATURES`.
    """
    minutes = pd.DatetimeIndex(times).floor("min")
    frames = pd.DataFrame(frame_rows, columns=FRAME_FEATURES, index=minutes)
    grouped = frames.groupby(level=0, sort=True)
    out = grouped.mean()
    out["p99_spread"] = grouped["log_p99"].std(ddof=0).fillna(0.0)
    if len(pair_rows):
        pairs = pd.DataFrame(pair_rows, columns=PAIR_FEATURES, index=pair_minutes)
        pair_means = pairs.groupby(level=0).mean()
    else:
        pair_means = pd.DataFrame(columns=PAIR_FEATURES, dtype=float)
    out = out.join(pair_means, how="left")
    out["has_pair"] = out["log_change"].notna().astype(float)
    out[list(PAIR_FEATURES)] = out[list(PAIR_FEATURES)].fillna(0.0)
    return out[list(MINUTE_FEATURES)]


class MinuteFeatureBuilder:
    """Streams chunks of frames (in time order) into per-minute features.

    The last frame of each chunk is kept so a pair that straddles two chunks still counts.
    """

    def __init__(self, masks: SkyMasks) -> None:
        self.masks = masks
        self._times: list[pd.DatetimeIndex] = []
        self._frames: list[np.ndarray] = []
        self._pairs: list[np.ndarray] = []
        self._pair_minutes: list[pd.DatetimeIndex] = []
        self._last: tuple[pd.Timestamp, np.ndarray] | None = None

    def add(self, times: pd.DatetimeIndex, frames: np.ndarray) -> None:
        """Add frames ``(time, ny, nx)`` taken at ``times`` (UTC, after the previous chunk)."""
        if len(times) == 0:
            return
        grid = block_means(frames, self.masks)
        self._times.append(pd.DatetimeIndex(times))
        self._frames.append(frame_features(grid, self.masks))
        all_times = pd.DatetimeIndex(times)
        if self._last is not None:
            all_times = pd.DatetimeIndex([self._last[0]]).append(all_times)
            grid_all = np.concatenate([self._last[1][None], grid])
        else:
            grid_all = grid
        minute = all_times.floor("min")
        same = np.flatnonzero(minute[1:] == minute[:-1])
        if same.size:
            self._pairs.append(pair_features(grid_all[same], grid_all[same + 1], self.masks))
            self._pair_minutes.append(minute[1:][same])
        self._last = (all_times[-1], grid_all[-1])

    def result(self) -> pd.DataFrame:
        """The :func:`minute_features` of everything added."""
        if not self._times:
            return pd.DataFrame(columns=MINUTE_FEATURES, dtype=float)
        times = self._times[0].append(self._times[1:]) if len(self._times) > 1 else self._times[0]
        pairs = np.concatenate(self._pairs) if self._pairs else np.empty((0, len(PAIR_FEATURES)))
        minutes = pd.DatetimeIndex([], tz="UTC")
        for part in self._pair_minutes:
            minutes = minutes.append(part)
        return minute_features(times, np.concatenate(self._frames), pairs, minutes)
