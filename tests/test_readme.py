"""README.md: opens with the two set-up commands, is assembled from docs/, and its tour runs."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_exactly_two_setup_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make dashboard", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_readme_is_up_to_date_with_docs():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_readme.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_tour_python_example_runs(tmp_path):
    from aurorax.demo import build_demo

    db = tmp_path / "demo.duckdb"
    build_demo(db, start=dt.date(2021, 12, 1), days=1, progress=False, image_nights=0)
    tour = README.split("## A tour in five minutes", 1)[1]
    code = re.search(r"```python\n(.*?)```", tour, re.S).group(1)
    code = code.replace("/tmp/demo.duckdb", str(db))
    namespace: dict = {}
    exec(compile(code, "README tour", "exec"), namespace)
    # 2021-12-01 has the FSIM x THEMIS-E conjunction documented in the demo chapter.
    assert len(namespace["result"]) >= 1
    assert "THEMIS-ASI FSIM" in set(namespace["result"].data["ground1"])
