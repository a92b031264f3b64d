"""The demo's build version and the dashboard's start-up: build a missing demo, rebuild an old one.

Every demo data source carries ``metadata["aurorax_demo"]`` (the seed, the span and, from build
version 1 on, ``build_version``). An installed aurorax keeps the demo repository it built; when
the demo's content changes, ``DEMO_BUILD_VERSION`` is raised, and :func:`prepare_demo` rebuilds a
demo whose version is older (or that has none) with the span and seed it had.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from aurorax.engine import Repository, StoreError

from ._build import DEFAULT_DAYS, DemoSummary, build_demo
from ._schemas import DEMO_BUILD_VERSION, DEMO_MARKER

__all__ = ["DEMO_BUILD_VERSION", "demo_build_version", "prepare_demo"]

#: First day of the demo span that ``prepare_demo`` builds on a first start.
DEFAULT_START = date(2021, 12, 1)
DEFAULT_SEED = 2021


def _demo_markers(path: Path) -> list[dict] | None:
    """The demo markers of every data source, or None when the file is not a demo repository
    (unreadable, no data sources, or a source without the marker: someone's own data)."""
    try:
        with Repository(path, read_only=True) as repo:
            sources = repo.list_data_sources()
    except (StoreError, OSError):
        return None
    markers = [(s.metadata or {}).get(DEMO_MARKER) for s in sources]
    if not markers or not all(isinstance(m, dict) for m in markers):
        return None
    return markers


def _version_of(marker: dict) -> tuple[int, str]:
    """``(version, why it is unknown)``: version 0 with the reason when there is none to read."""
    value = marker.get("build_version")
    if value is None:
        return 0, "no demo build version"
    if isinstance(value, bool) or not isinstance(value, int):
        return 0, f"demo build version {value!r} is not a whole number"
    return value, ""


def demo_build_version(db_path: str | Path) -> int | None:
    """The build version of the demo repository at ``db_path``.

    Returns
    -------
    int or None
        The lowest ``build_version`` among its data sources' demo markers; 0 for a demo built
        before demos had a version (or whose version is not a whole number); None when the file
        is missing, unreadable or not a demo repository.
    """
    markers = _demo_markers(Path(db_path).expanduser())
    if markers is None:
        return None
    return min(_version_of(m)[0] for m in markers)


def _span(marker: dict) -> tuple[date, int, int]:
    # The span and seed the old demo was built with (the defaults where a field is unreadable).
    try:
        start = pd.Timestamp(marker["start"]).date()
    except (KeyError, TypeError, ValueError):
        start = DEFAULT_START
    days, seed = marker.get("days"), marker.get("seed")
    days = days if isinstance(days, int) and not isinstance(days, bool) and days > 0 else None
    seed = seed if isinstance(seed, int) and not isinstance(seed, bool) else DEFAULT_SEED
    return start, days or DEFAULT_DAYS, seed


def prepare_demo(
    db_path: str | Path,
    *,
    start: date = DEFAULT_START,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    echo: Callable[[str], object] = print,
    **options,
) -> DemoSummary | None:
    """Make sure ``db_path`` holds a current demo: the start-up of ``aurorax serve --build-demo``
    (``make dashboard``).

    Parameters
    ----------
    db_path
        The repository file.
    start, days, seed
        The span and seed of a demo built because the file is missing (a first start).
    echo
        Called with one line saying why a build or rebuild starts.
    **options
        More :func:`build_demo` options (``asi_dir``, ``products_dir``, ``progress``,
        ``programs``, ...), for the build and the rebuild alike.

    Returns
    -------
    DemoSummary or None
        What was built: the file was missing, or it is a demo of an older or unknown build
        version (:func:`demo_build_version` below ``DEMO_BUILD_VERSION``), rebuilt in place with
        the span and seed it had. None when the file was kept as it is: a current (or newer)
        demo, or a repository that is not a demo, which is never replaced.
    """
    path = Path(db_path).expanduser()
    if not path.exists():
        echo(f"first start: building the demo data set into {path}")
        return build_demo(path, start=start, days=days, seed=seed, **options)
    markers = _demo_markers(path)
    if markers is None:
        return None
    oldest = min(markers, key=lambda m: _version_of(m)[0])
    version, unknown = _version_of(oldest)
    if version >= DEMO_BUILD_VERSION:
        return None
    old_start, old_days, old_seed = _span(oldest)
    if unknown:
        why = f"an older aurorax ({unknown}), this one builds demo version {DEMO_BUILD_VERSION}"
    else:
        why = f"demo version {version}, this aurorax builds version {DEMO_BUILD_VERSION}"
    echo(
        f"rebuilding the demo {path}: it was built by {why} "
        f"({old_start:%Y-%m-%d}, {old_days} day(s), seed {old_seed})"
    )
    return build_demo(
        path, start=old_start, days=old_days, seed=old_seed, overwrite=True, **options
    )
