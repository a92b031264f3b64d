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


# -- the layers of docs/architecture.md ---------------------------------------------------------
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def _layers() -> dict[str, int]:
    block = ARCHITECTURE.read_text().split("## Layers", 1)[1].split("```text", 1)[1]
    layers = {}
    for line in block.split("```", 1)[0].strip().splitlines():
        words = line.split()
        assert words[0] == "layer", line
        for part in words[2:]:
            layers[part] = int(words[1])
    return layers


def _layer_of(module: str, layers: dict[str, int]) -> tuple[str, int] | None:
    best = None
    for part, layer in layers.items():
        if (module == part or module.startswith(part + ".")) and (
            best is None or len(part) > len(best[0])
        ):
            best = (part, layer)
    return best


def _absolute_imports(path: Path, module: str) -> set[str]:
    """Every module ``path`` imports, relative imports resolved against ``module``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module)
                continue
            base = package[: len(package) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
            found.add(target)
            if not node.module:  # from . import name: the names are modules
                found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _layer_offenders(layers: dict[str, int]) -> list[str]:
    offenders = []
    for folder in ("aurorax", "app"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            module = module.removesuffix(".__init__")
            own = _layer_of(module, layers)
            if own is None:
                continue
            for name in _absolute_imports(path, module):
                target = _layer_of(name, layers)
                if target is None or target[0] == own[0] or target[0] == "aurorax.config":
                    continue
                # A package's face hands on its subpackages (aurorax.engine -> .search).
                inside = own[0].startswith(target[0] + ".") or target[0].startswith(own[0] + ".")
                if target[1] >= own[1] and not inside:
                    offenders.append(
                        f"{module} (layer {own[1]}) imports {name} (layer {target[1]})"
                    )
    return offenders


def test_every_module_imports_only_lower_layers_of_the_architecture_page():
    layers = _layers()
    assert layers["aurorax.geo"] == 0 and layers["app"] > layers["aurorax.viz"]
    # Every package of ours is on the page.
    packages = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "aurorax").rglob("__init__.py")
    }
    unplaced = sorted(p for p in packages - {"aurorax"} if _layer_of(p, layers) is None)
    assert unplaced == []
    assert _layer_offenders(layers) == []


def test_the_layer_checker_sees_an_import_going_up():
    layers = _layers()
    moved = {**layers, "aurorax.engine.search": layers["aurorax.engine.store"]}
    offenders = _layer_offenders(moved)
    assert any(
        o.startswith("aurorax.engine.search.") and "aurorax.engine.store" in o for o in offenders
    )


def test_the_conjunction_algorithm_has_no_sql_and_no_io():
    path = ROOT / "aurorax" / "engine" / "search" / "_algorithm.py"
    imported = {name for name in _imports(path) if not name.startswith("aurorax.geo")}
    assert imported <= {"__future__", "dataclasses", "numpy", "math", "typing"}, imported
    text = path.read_text()
    assert "SELECT" not in text and "open(" not in text
