"""The import direction of STYLE.md, checked by parsing every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What each part may import of ours (besides itself and aurorax.config).
ALLOWED = {
    "aurorax.geo": set(),
    "aurorax.engine": {"aurorax.geo"},
    "aurorax.asi": {"aurorax.geo"},
    "aurorax.demo": {"aurorax.engine", "aurorax.asi", "aurorax.geo"},
    "aurorax.viz": {"aurorax.engine", "aurorax.asi", "aurorax.geo", "aurorax.demo"},
    "aurorax.api": {"aurorax.engine", "aurorax.asi", "aurorax.geo"},
    "aurorax.client": {"aurorax.api", "aurorax.engine", "aurorax.asi", "aurorax.geo"},
    "aurorax.ingest": {"aurorax.engine", "aurorax.asi", "aurorax.geo", "aurorax.demo"},
}
WEB_LIBRARIES = {"panel", "holoviews", "bokeh", "geoviews", "datashader"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _part(module: str) -> str | None:
    for part in ALLOWED:
        if module == part or module.startswith(part + "."):
            return part
    return None


def _modules(folder: str):
    single = ROOT / f"{folder}.py"  # a part that is one module (aurorax.client)
    for path in [single] if single.exists() else sorted((ROOT / folder).rglob("*.py")):
        yield path, ".".join(path.relative_to(ROOT).with_suffix("").parts)


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_subpackage_imports_follow_the_layering(part):
    offenders = []
    folder = part.replace(".", "/")
    for path, _ in _modules(folder):
        for name in _imports(path):
            target = _part(name)
            if name == "app" or name.startswith("app."):
                offenders.append(f"{path.name} imports {name}")
            elif target and target != part and target not in ALLOWED[part]:
                offenders.append(f"{path.name} imports {name}")
    assert offenders == [], f"{part} breaks the layering: {offenders}"


def test_library_never_imports_the_web_stack():
    offenders = []
    for path, module in _modules("aurorax"):
        if module.startswith("aurorax.viz"):
            continue  # viz builds HoloViews elements by design
        for name in _imports(path):
            if name.split(".")[0] in WEB_LIBRARIES:
                offenders.append(f"{module} imports {name}")
    assert offenders == []


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import aurorax.engine\nfrom app.main import serve\n")
    assert _imports(bad) == {"aurorax.engine", "app.main"}
    assert _part("aurorax.engine._repository") == "aurorax.engine"
