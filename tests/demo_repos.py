"""Small demo repositories for tests: one day of the embedded demo, 2021-12-01."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from aurorax.demo import build_demo

DAY = dt.date(2021, 12, 1)


def one_day_demo(db: Path, programs=("themis-asi", "themis"), **kwargs) -> Path:
    """Build the demo repository of ``DAY`` alone at ``db`` (no images unless ``image_nights``
    says so; other ``build_demo`` options pass through) and return ``db``."""
    options = {"image_nights": 0, "progress": False, **kwargs}
    build_demo(db, start=DAY, days=1, programs=list(programs), **options)
    return db
