"""The package's shape: its public face, and who may import whom inside it.

``course_utils`` is a few independent leaves (``data``, ``metrics``, ``viz``, ``models``)
over a core of modules that import nothing from the package (``ops``, NumPy reference
code; ``palettes``; the private TensorFlow importer ``_tf``); ``widgets``
and ``exercises`` compose the leaves; ``runs``, ``training``, ``env``, ``cli`` and
``slides`` sit on top. The import graph is read from the source with :mod:`ast` (imports
inside functions included, since they are dependencies all the same), so these tests run
without TensorFlow.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import course_utils

PACKAGE = Path(course_utils.__file__).resolve().parent
ROOT = "course_utils"

#: Independent leaves: each imports only itself, the core and ``_tf``.
LEAVES = {"data", "metrics", "viz", "models", "ops"}
#: Imported by anyone: ``ops`` is NumPy reference code (see its docstring), ``palettes`` the
#: colour maps ``data`` and ``viz`` share, ``_tf`` the quiet TensorFlow import,
#: ``random_state`` the save-and-restore of the random streams, ``paths`` where the course's
#: files are, ``_pictures`` how a figure is stored (JPEG or PNG). None of them imports
#: anything from ``course_utils``.
CORE = {"ops", "palettes", "_tf", "random_state", "_memory", "_hashing", "paths", "_pictures"}
#: Compose the leaves for the notebooks; they never reach up to training, runs or the CLI.
COMPOSERS = {"widgets", "exercises"}
#: Leaves whose inner modules are private to them: others import their package face.
FACED = {"models", "metrics"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _targets(node: ast.AST, module: str) -> Iterator[str]:
    """The ``course_utils`` modules one import statement loads (most specific name)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module if _is_package(module) else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}".rstrip(".")
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            yield sub if sub in MODULES else base


def _imports(module: str, *, import_time_only: bool = False, source: str | None = None) -> set[str]:
    """Every ``course_utils`` module that ``module`` imports.

    Args:
        module: dotted name.
        import_time_only: only imports that run when the module is imported (not those
            inside functions or under ``if TYPE_CHECKING``).
        source: the module's code (default: read from its file).
    """
    tree = ast.parse(MODULES[module].read_text() if source is None else source)
    if import_time_only:
        nodes: list[ast.AST] = []
        pending: list[ast.stmt] = list(tree.body)
        while pending:
            stmt = pending.pop()
            if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test):
                pending.extend(stmt.orelse)
            elif isinstance(stmt, ast.If | ast.Try | ast.With):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(stmt, field, []):
                        pending.extend(
                            child.body if isinstance(child, ast.excepthandler) else [child]
                        )
            elif isinstance(stmt, ast.ClassDef):
                pending.extend(stmt.body)
            else:
                nodes.append(stmt)
    else:
        nodes = list(ast.walk(tree))
    return {
        target
        for node in nodes
        for target in _targets(node, module)
        if target == ROOT or target.startswith(ROOT + ".")
    }


def _unit(module: str) -> str:
    """The top-level part a module belongs to (``course_utils.models.layers`` -> ``models``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def _edges() -> set[tuple[str, str, str]]:
    """(importing module, imported module, ...) edges, as (module, target, target's unit)."""
    return {(m, t, _unit(t)) for m in MODULES for t in _imports(m)}


EDGES = _edges()


def _unit_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {_unit(m): set() for m in MODULES}
    for module, _, unit in EDGES:
        if unit != _unit(module):
            graph[_unit(module)].add(unit)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one node (or a self-loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _violations(importers: set[str], allowed: set[str]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, target, unit in EDGES
        if _unit(module) in importers and unit != _unit(module) and unit not in allowed
    )


def test_the_parser_sees_every_kind_of_import():
    """Guards the guards: the rules below are only as good as the import parser."""
    source = """
from __future__ import annotations
import json
from typing import TYPE_CHECKING
import course_utils.data.cache
from course_utils import ops, setup
from course_utils.models import build
from . import display
from ..metrics import confusion
if TYPE_CHECKING:
    from course_utils.env import Env
try:
    from course_utils import viz
except ImportError:
    from course_utils import palettes
class Widget:
    from course_utils import _tf
def later():
    import course_utils.training as training
"""
    module = "course_utils.widgets.upsampling"
    at_import = {
        "course_utils.data.cache",
        "course_utils.ops",
        "course_utils",  # setup: a name of the root, not a module
        "course_utils.models",  # build: a name of the package, not a module
        "course_utils.widgets.display",
        "course_utils.metrics.confusion",
        "course_utils.viz",
        "course_utils.palettes",
        "course_utils._tf",
    }
    assert _imports(module, import_time_only=True, source=source) == at_import
    later = {"course_utils.env", "course_utils.training"}
    assert _imports(module, source=source) == at_import | later
    assert {"models", "metrics", "data", "ops", "widgets", ROOT} <= set(_unit_graph())


def test_no_import_cycles_between_parts_of_the_package():
    graph = _unit_graph()
    assert _cycles(graph) == [], f"import cycles between parts of course_utils: {graph}"


def test_no_import_time_cycles_between_modules():
    graph = {m: _imports(m, import_time_only=True) - {m} for m in MODULES}
    assert _cycles(graph) == []


def test_no_module_imports_the_package_root():
    """``import course_utils`` inside the package hides which part it needs (the root loads
    every part on demand), and a leaf that imports the root depends on all of them."""
    offenders = sorted(f"{m} imports {t}" for m, t, _ in EDGES if t == ROOT and m != ROOT)
    assert offenders == []


def test_core_modules_import_nothing_from_the_package():
    assert _violations(CORE, allowed=set()) == []


@pytest.mark.parametrize("leaf", sorted(LEAVES))
def test_leaves_import_only_themselves_and_the_core(leaf):
    assert _violations({leaf}, allowed=CORE) == []


@pytest.mark.parametrize("composer", sorted(COMPOSERS))
def test_widgets_and_exercises_compose_leaves_only(composer):
    """Not ``cli``, ``training``, ``runs``, ``env`` or ``slides``: a widget or a checker works
    on arrays and models handed to it."""
    assert _violations({composer}, allowed=LEAVES | CORE) == []


def test_runs_is_storage_only():
    """``runs`` saves and loads: it needs ``data`` (where runs live) and what a saved model
    names (``models``, ``metrics``); choosing what to start from is ``training``'s."""
    assert _violations({"runs"}, allowed={"data", "models", "metrics"} | CORE) == []


@pytest.mark.parametrize("faced", sorted(FACED))
def test_other_parts_use_the_package_face_of(faced):
    """``course_utils.models.layers`` and friends are the leaf's business: others import
    ``course_utils.models`` (its ``__all__``), so a module never matters for its side effects."""
    offenders = sorted(
        f"{module} imports {target}"
        for module, target, unit in EDGES
        if unit == faced and _unit(module) != faced and target != f"{ROOT}.{faced}"
    )
    assert offenders == []


def test_the_memory_probe_is_a_function_of_models_with_a_class_count():
    """The probe runs ``python -m course_utils.models.profiling`` (a typed ``main``), not a
    code string that calls ``course_utils.setup`` with 11 classes written into it."""
    import inspect

    from course_utils import models
    from course_utils.models import profiling

    for probe in (models.peak_training_memory, models.peak_training_memories):
        assert inspect.signature(probe).parameters["num_classes"].default == 11
    measured = profiling._run_probe(
        {"name": "unet", "preset": "tiny", "input_shape": [32, 32, 3], "batch_size": 2,
         "num_classes": 3, "precision": "float32", "seed": 0}
    )  # fmt: skip
    assert measured["logits"] == [2, 32, 32, 3] and measured["precision"] == "float32"
    assert measured["peak_mb"] > 0


def _public_parts() -> set[str]:
    return {info.name for info in pkgutil.iter_modules([str(PACKAGE)])} - {"__main__"}


def test_every_public_part_is_in_all():
    public = {name for name in _public_parts() if not name.startswith("_")}
    assert {"data", "ops", "runs", "seed_record", "env", "profiles", "cli"} <= public
    assert public <= set(course_utils.__all__), sorted(public - set(course_utils.__all__))
    assert "_tf" not in course_utils.__all__
    assert {"setup", "Env", "__version__"} <= set(course_utils.__all__)


def test_py_typed_is_shipped():
    assert (PACKAGE / "py.typed").is_file()


def test_import_is_free_and_every_public_name_resolves():
    """In a fresh process: ``import course_utils`` imports neither TensorFlow nor Keras nor
    any part, each name of ``__all__`` and each public part resolves as an attribute (on first
    use, without an explicit ``import course_utils.ops``), and ``dir()`` lists them for tab
    completion."""
    parts = sorted(p for p in _public_parts() if not p.startswith("_"))
    names = sorted(set(course_utils.__all__) | set(parts))
    code = f"""
import json, sys
import course_utils
before = sorted(m for m in sys.modules if m.startswith(("tensorflow", "keras", "course_utils.")))
listed = dir(course_utils)
failed = {{}}
for name in {names!r}:
    if name in {parts!r}:  # a part another part imported is an attribute already:
        vars(course_utils).pop(name, None)  # ask the lazy loader itself
    try:
        getattr(course_utils, name)
    except Exception as error:
        failed[name] = repr(error)
private = hasattr(course_utils, "no_such_name")
print(json.dumps({{"before": before, "dir": listed, "failed": failed, "private": private}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["before"] == [], "importing course_utils must load nothing else"
    assert report["failed"] == {}
    assert set(course_utils.__all__) <= set(report["dir"])
    assert not report["private"]
