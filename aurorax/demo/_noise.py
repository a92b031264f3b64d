"""Counter-based deterministic randomness for the demo models.

A hash of (seed, key, integer coordinates) gives the same "random" number for the same inputs no
matter how a computation is batched or in which order sites and minutes are processed, which is what
makes the demo reproducible and lets the image renderer evaluate the auroral model pixel by pixel.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["stable_key", "hash_uniform", "hash_normal"]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PRIMES = (
    np.uint64(0x8CB92BA72F3D8DD7),
    np.uint64(0xD6E8FEB86659FD93),
    np.uint64(0xA0761D6478BD642F),
    np.uint64(0xE7037ED1A0B428DB),
)


def stable_key(text: str) -> int:
    """A process-independent integer for a string (Python's ``hash`` is salted per process)."""
    return zlib.crc32(text.encode("utf-8"))


def _splitmix(x: np.ndarray) -> np.ndarray:
    # splitmix64 finaliser; uint64 array arithmetic wraps modulo 2**64 by design.
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def _hash(seed: int, *coords) -> np.ndarray:
    arrays = np.broadcast_arrays(*(np.asarray(c, dtype=np.int64) for c in coords))
    h = np.full(arrays[0].shape, np.uint64(seed & 0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
    h = _splitmix(h)
    for i, c in enumerate(arrays):
        h = _splitmix(h ^ (c.astype(np.uint64) * _PRIMES[i % len(_PRIMES)]))
    return h


def hash_uniform(seed: int, *coords) -> np.ndarray:
    """Uniform numbers in [0, 1) that depend only on ``seed`` and the integer ``coords``.

    ``coords`` are broadcast together; the result has their broadcast shape.
    """
    return (_hash(seed, *coords) >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


def hash_normal(seed: int, *coords) -> np.ndarray:
    """Standard normal numbers from :func:`hash_uniform` (Box-Muller)."""
    u1 = hash_uniform(seed, *coords, 1)
    u2 = hash_uniform(seed, *coords, 2)
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
