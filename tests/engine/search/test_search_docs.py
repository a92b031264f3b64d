"""The examples in docs/search.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[3] / "docs" / "search.md"


def test_docs_examples_run(tmp_path, monkeypatch, capsys):
    if not DOC.exists():
        pytest.skip(f"{DOC} is not in this checkout")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile("\n".join(blocks), str(DOC), "exec"), namespace)
    assert len(namespace["result"]) == 1
    assert namespace["result"].data["duration_min"].iloc[0] == 17
    assert (tmp_path / "conjunctions.parquet").exists()
    assert "ground1-space1=500 km" in capsys.readouterr().out
