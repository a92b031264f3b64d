"""The dashboard's only road into the library: cached reads of the repository.

Each function opens its own read-only cursor (STYLE.md: one writer; readers open their own cursors) and
returns plain data (DataFrames), so pages never touch DuckDB directly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import panel as pn

from aurorax.engine import Repository

__all__ = ["availability", "repository_counts"]


@pn.cache(max_items=16, policy="LRU")
def _counts(db_path: str, mtime_ns: int) -> pd.DataFrame:
    # The file's modification time is part of the key so a rebuilt repository is read afresh.
    with Repository(Path(db_path), read_only=True) as repo:
        return repo.counts()


def repository_counts(db_path: Path) -> pd.DataFrame:
    """Data sources with their record counts (see ``Repository.counts``).

    Raises
    ------
    FileNotFoundError
        When there is no repository file at ``db_path``.
    """
    path = Path(db_path)
    if not path.exists():
        raise FileNotFoundError(f"no repository at {path}")
    return _counts(str(path), path.stat().st_mtime_ns)


@pn.cache(max_items=64, policy="LRU")
def _availability(db_path: str, mtime_ns: int, start, end) -> pd.DataFrame:
    with Repository(Path(db_path), read_only=True) as repo:
        return repo.availability(start=start, end=end)


def availability(db_path: Path, start=None, end=None) -> pd.DataFrame:
    """Per-source, per-day record counts in ``[start, end)`` (see ``Repository.availability``)."""
    path = Path(db_path)
    if not path.exists():
        raise FileNotFoundError(f"no repository at {path}")
    return _availability(str(path), path.stat().st_mtime_ns, start, end)
