"""The package's layout: the learner's API apart from the course command, one owner of
every file location, and a command line that only parses arguments.

- ``course_utils.cli`` holds everything the ``course`` command does; the rest of the
  package (what the notebooks import) never imports it, nor the notebook tooling that
  only the command needs (nbformat, nbclient, nbconvert, Jupyter).
- :mod:`course_utils.paths` decides where the data folder, the runs, the records, the
  timings and the build output are: no other module climbs out of the package
  (``Path(__file__).parents[...]``) or writes ``"docs"`` or ``"build"`` into a path, and
  only :mod:`course_utils.runs` knows the layout inside the runs folder.
- ``course_utils/cli/main.py`` parses arguments and dispatches: small functions, no file
  reading or writing, no printing, nothing imported beyond the parser's needs.

The source is read with :mod:`ast` (docstrings are prose and not checked), so these tests
run without TensorFlow.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import course_utils

PACKAGE = Path(course_utils.__file__).resolve().parent
CLI = PACKAGE / "cli"
MAIN = CLI / "main.py"
#: Third-party packages only the course command needs; the learner's modules never import them.
TOOLING_LIBRARIES = {"nbformat", "nbclient", "nbconvert", "jupyter_core", "jupyterlab"}
#: Path parts that are the repository's, not the package's: only ``paths`` names them.
REPOSITORY_FOLDERS = ("docs", "build")
#: What ``cli/main.py`` may import: ``cli.arguments`` holds the parser's own helpers (dataset
#: names as choices, read only when checked; ``--version``; the line of an interrupted command).
MAIN_IMPORTS = {
    "__future__", "argparse", "importlib", "collections.abc",
    "course_utils.paths", "course_utils.profiles", "course_utils", "course_utils.cli.arguments",
}  # fmt: skip
#: Calls that read or write files or print: a command's work, not argument parsing.
NOT_PARSING = {
    "open", "print", "read_text", "write_text", "read_bytes", "write_bytes", "mkdir",
    "exists", "is_file", "is_dir", "iterdir", "glob", "rglob", "unlink", "load", "loads",
    "dump", "dumps", "rename", "rmtree", "copyfile",
}  # fmt: skip
#: Longest function of ``cli/main.py``, in lines.
MAX_MAIN_FUNCTION_LINES = 25


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def _sources(folder: Path = PACKAGE) -> dict[str, ast.Module]:
    return {_relative(p): ast.parse(p.read_text(encoding="utf-8")) for p in folder.rglob("*.py")}


SOURCES = _sources()


def _learner_modules() -> dict[str, ast.Module]:
    """Every module but the command's (``cli/``, and ``__main__``, which runs it)."""
    command = ("course_utils/cli/", "course_utils/__main__.py")
    return {name: tree for name, tree in SOURCES.items() if not name.startswith(command)}


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and its functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _strings(tree: ast.Module) -> Iterator[ast.Constant]:
    """Every string constant of the code (f-string parts included), docstrings left out."""
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node


def _imported(tree: ast.Module) -> set[str]:
    """Every module an import statement names (inside functions too; not those under
    ``if TYPE_CHECKING:``, which only the type checker runs)."""
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    names = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _location_problems(name: str, tree: ast.Module) -> list[str]:
    """Where a module decides a file location itself instead of asking ``paths``."""
    found = []
    for node in ast.walk(tree):
        parts: list[ast.expr] = []
        if isinstance(node, ast.Subscript) and getattr(node.value, "attr", None) == "parents":
            found.append(f"{name}:{node.lineno}: climbs out with .parents[...]")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Path":
            parts = node.args  # Path("build"), Path(root, "docs")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            parts = [node.left, node.right]  # root / "docs"
        for part in parts:
            if isinstance(part, ast.Constant) and part.value in REPOSITORY_FOLDERS:
                found.append(f"{name}:{node.lineno}: the repository folder {part.value!r}")
    for node in _strings(tree):  # "docs/timings.json", f"build/{name}"
        if node.value.startswith(tuple(f"{folder}/" for folder in REPOSITORY_FOLDERS)):
            found.append(f"{name}:{node.lineno}: the repository path {node.value!r}")
    return found


def _runs_layout_problems(name: str, tree: ast.Module) -> list[str]:
    """Where a module builds a path into the runs folder itself instead of asking ``runs``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute):
            named = node.id if isinstance(node, ast.Name) else node.attr
            if named == "RUNS_DIRNAME":
                found.append(f"{name}:{node.lineno}: its own name of the runs folder")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and side.value == "runs":
                    found.append(f"{name}:{node.lineno}: joins 'runs' into a path")
    return found


def test_only_paths_decides_where_files_live():
    found = [
        problem
        for name, tree in SOURCES.items()
        if name != "course_utils/paths.py"
        for problem in _location_problems(name, tree)
    ]
    assert found == [], "ask course_utils.paths instead:\n" + "\n".join(found)


def test_only_runs_knows_the_layout_of_the_runs_folder():
    owners = {"course_utils/runs.py", "course_utils/paths.py"}
    found = [
        problem
        for name, tree in SOURCES.items()
        if name not in owners
        for problem in _runs_layout_problems(name, tree)
    ]
    assert found == [], "ask course_utils.runs instead:\n" + "\n".join(found)


def test_the_checks_catch_what_they_forbid():
    """Guards the guards: each rule above fails on the code it forbids."""
    bad = ast.parse(
        '"""Docstrings may say docs/ and build/."""\n'
        "ROOT = Path(__file__).resolve().parents[1]\n"
        'OUT = Path("build") / "slides"\n'
        'RECORD = f"docs/{name}.json"\n'
        'TIMINGS = root / "docs" / "timings.json"\n'
        'RUNS = data_dir() / "runs" / profile\n'
        "OTHER = data_dir() / RUNS_DIRNAME\n"
    )
    assert len(_location_problems("bad.py", bad)) == 4
    assert len(_runs_layout_problems("bad.py", bad)) == 2
    fine = ast.parse(
        '"""docs/ here is prose."""\nhelp_text = "default: docs/x.json"\n'
        '__all__ = ["build", "docs"]  # names, not paths\n'
    )
    assert _location_problems("fine.py", fine) == []


def test_the_learners_modules_never_import_the_course_command_or_its_tools():
    found = sorted(
        f"{name} imports {module}"
        for name, tree in _learner_modules().items()
        for module in _imported(tree)
        if module == "course_utils.cli"
        or module.startswith("course_utils.cli.")
        or module.split(".")[0] in TOOLING_LIBRARIES
    )
    assert found == [], "move it into course_utils/cli/:\n" + "\n".join(found)


#: What ``course_utils.colab`` may import beyond the standard library: it runs in a Colab
#: runtime before the course's requirements are known to be installed, and a requirement it
#: imported would need a restart once replaced. ``google.colab`` is Colab's own.
COLAB_IMPORTS = {"packaging", "google", "course_utils"}


def test_the_colab_installer_is_the_learners_and_imports_almost_nothing():
    """The notebooks' first cell imports ``course_utils.colab`` (so it is not ``cli``'s), and
    it may import only the standard library, ``packaging`` and ``course_utils.paths``."""
    assert "course_utils/colab.py" in _learner_modules()
    imported = _imported(SOURCES["course_utils/colab.py"])
    outside = {name.split(".")[0] for name in imported} - set(sys.stdlib_module_names)
    assert outside <= COLAB_IMPORTS, sorted(outside - COLAB_IMPORTS)
    ours = {name for name in imported if name.startswith("course_utils")}
    assert ours <= {"course_utils", "course_utils.paths"}, sorted(ours)


def test_the_course_command_is_its_own_package():
    assert (CLI / "__init__.py").is_file() and MAIN.is_file()
    assert not (PACKAGE / "cli.py").exists()
    for tool in ("lab", "prepare", "readiness", "slides", "notebook_rules", "runs_archive"):
        assert (CLI / f"{tool}.py").is_file(), f"{tool} belongs to the course command"
        assert not (PACKAGE / f"{tool}.py").exists(), f"{tool} is not the learner's API"
    assert (CLI / "slides_template").is_dir()


def _main_tree() -> ast.Module:
    if not MAIN.is_file():
        pytest.fail(f"no {_relative(MAIN)}: the course command is one module, not a package")
    return ast.parse(MAIN.read_text(encoding="utf-8"))


def test_main_only_parses_arguments_and_dispatches():
    tree = _main_tree()
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= MAIN_IMPORTS, f"main.py imports {sorted(imported - MAIN_IMPORTS)}"
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        lines = (function.end_lineno or function.lineno) - function.lineno + 1
        assert lines <= MAX_MAIN_FUNCTION_LINES, (
            f"main.py's {function.name} has {lines} lines: its work belongs in a module beside it"
        )
        calls = {
            call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            for call in ast.walk(function)
            if isinstance(call, ast.Call)
        }
        assert not calls & NOT_PARSING, f"main.py's {function.name} calls {calls & NOT_PARSING}"


def test_every_command_has_its_module_and_function():
    _main_tree()
    main = importlib.import_module("course_utils.cli.main")  # the module, not cli.main()
    choices = next(
        action.choices
        for action in main.build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert set(choices) == set(main.COMMANDS)
    for command, module in main.COMMANDS.items():
        tree = SOURCES.get(f"course_utils/cli/{module}.py")
        assert tree is not None, f"{command}: no course_utils/cli/{module}.py"
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert f"cmd_{command.replace('-', '_')}" in defined, f"{command}: no function in {module}"


def test_tests_never_use_the_checkouts_data_folder():
    """conftest's autouse fixture: a test's data folder is a temporary one."""
    from course_utils import paths

    assert not paths.data_dir().resolve().is_relative_to(PACKAGE.parent)


def test_without_course_data_dir_a_checkout_uses_its_own_data_folder(monkeypatch):
    from course_utils import paths

    monkeypatch.delenv("COURSE_DATA_DIR")
    root = paths.checkout_root()
    assert root is not None and root.resolve() == PACKAGE.parent
    assert paths.data_dir() == root / "data"


def test_the_user_cache_keeps_an_earlier_versions_folder(tmp_path, monkeypatch):
    """Data that an earlier version kept in ~/.cache/segmentation-course is still found."""
    from course_utils import paths

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    fresh = paths.user_cache_dir()
    assert fresh.is_relative_to(tmp_path / "elsewhere")  # the platform's cache folder
    earlier = tmp_path / ".cache" / paths.APP_NAME
    earlier.mkdir(parents=True)
    assert paths.user_cache_dir() == earlier
