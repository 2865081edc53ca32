"""Colab: the notebooks install the released course with only its run-time packages.

Every notebook's install cell and "Open in Colab" badge, and the READMEs' launch links, are
the ones tools/notebook_links.py writes from pyproject.toml (the release tag and the
repository), and the ``colab`` extra covers every third-party import of the notebooks and of
``course_utils`` at run time. tests/test_colab_helper.py tests what the cell's helper decides;
tests/test_colab_install.py runs the cell on Python 3.12 against a stand-in of Colab's packages.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import course_utils
from course_utils import colab
from course_utils.cli import notebook_rules

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebook_rules.notebook_paths(ROOT / "notebooks")
#: The ``course_utils`` sub-package that only the maintainers' and the local set-up's
#: commands use (``course lab``, ``course slides``, ``course run-notebooks``): not needed on
#: Colab.
TOOLING_PACKAGE = ROOT / "course_utils" / "cli"
#: Never part of a Colab install: Colab's own server and kernel (upgrading them breaks its
#: runtime), the notebook tooling, and the test tools.
NOT_FOR_COLAB = {
    "jupyterlab", "notebook", "jupyter-server", "ipykernel", "nbclient", "nbconvert", "nbval",
    "pytest", "playwright", "ruff", "mypy", "pre-commit", "sphinx",
}  # fmt: skip

_spec = importlib.util.spec_from_file_location(
    "notebook_links", ROOT / "tools" / "notebook_links.py"
)
notebook_links = importlib.util.module_from_spec(_spec)
sys.modules["notebook_links"] = notebook_links  # its dataclass looks itself up there
_spec.loader.exec_module(notebook_links)
RELEASE = notebook_links.release()


# --- the install cell and the badge -------------------------------------------------------


def test_every_notebook_has_the_install_cell_and_badge_of_the_release():
    """The check mode of tools/notebook_links.py; fix with `python tools/notebook_links.py`."""
    assert notebook_links.problems(NOTEBOOKS, RELEASE) == []
    assert notebook_links.readme_problems(notebook_links.READMES, RELEASE) == []


def test_the_tools_check_passes_on_the_repository():
    """``python tools/notebook_links.py --check`` as a maintainer runs it: notebooks and
    READMEs agree with pyproject.toml (a drift fails here, with the tool's own message)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "notebook_links.py"), "--check"],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_release_is_the_package_version_and_the_requirement_is_valid():
    project = notebook_links.tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert RELEASE.version == project["version"] == course_utils.__version__
    requirement = Requirement(RELEASE.requirement)
    assert canonicalize_name(requirement.name) == canonicalize_name(project["name"])
    assert requirement.url == f"git+{project['urls']['Repository']}@v{project['version']}"
    assert Requirement(RELEASE.source).url == f"git+{project['urls']['Repository']}"
    # the helper the cell calls reads this distribution's metadata and this extra
    assert canonicalize_name(colab.DISTRIBUTION) == canonicalize_name(project["name"])
    assert colab.EXTRA in project["optional-dependencies"]


def _python(cell: str) -> str:
    """The cell as IPython runs it (``!pip`` becomes ``get_ipython().system(...)``)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(cell)


def test_the_install_cell_installs_the_tag_or_else_the_default_branch_then_the_rest():
    source = notebook_links.install_cell(RELEASE)
    lines = source.splitlines()
    assert "USE_DRIVE = False  # True: keep datasets and trained runs on your Google Drive" in (
        source
    )
    (pip,) = [line.strip() for line in lines if line.strip().startswith("!pip")]
    tagged, _, fallback = pip.partition(" || ")
    assert tagged == f'!pip install -q --no-deps "{{course}}@{RELEASE.tag}" 2>/dev/null'
    assert fallback == 'pip install -q --no-deps "{course}"'
    assert f'    course = "{RELEASE.source}"' in lines
    assert lines[-1] == "    colab.install(use_drive=USE_DRIVE)"
    assert len(lines) <= 12, "learners read this cell: keep it short"


def test_the_install_cell_does_nothing_outside_colab():
    python = _python(notebook_links.install_cell(RELEASE))
    assert 'if "google.colab" in sys.modules:' in python and "get_ipython().system(" in python

    def get_ipython():
        raise AssertionError("the cell ran a command outside Colab")

    namespace = {"get_ipython": get_ipython}
    exec(compile(python, "colab-cell", "exec"), namespace)
    assert namespace["USE_DRIVE"] is False and "colab" not in namespace


def test_the_readme_links_follow_the_release():
    stale = (
        "[![Launch on Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/"
        "someone/else/HEAD?urlpath=lab/tree/notebooks/00_setup.ipynb)\n"
        "[x](https://colab.research.google.com/github/someone/else/blob/main/notebooks/07_x.ipynb)"
        " and https://example.org/blob/main/notebooks/ stays.\n"
    )
    new = notebook_links.readme_updated(stale, RELEASE)
    assert f"mybinder.org/v2/gh/{RELEASE.slug}/{RELEASE.tag}?urlpath=lab/tree/notebooks/" in new
    assert f"{RELEASE.colab_url('07_x.ipynb')})" in new
    assert "https://example.org/blob/main/notebooks/ stays." in new
    links = (
        "[a](https://github.com/someone/else/blob/main/notebooks/07_x.ipynb) "
        "[b](https://raw.githubusercontent.com/someone/else/main/notebooks/07_x.ipynb)"
    )
    assert notebook_links.readme_updated(links, RELEASE) == (
        f"[a]({RELEASE.github_url('07_x.ipynb')}) [b]({RELEASE.download_url('07_x.ipynb')})"
    )
    assert notebook_links.readme_updated(new, RELEASE) == new, "idempotent"


def test_the_tool_rewrites_and_checks_a_readme(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("[b](https://mybinder.org/v2/gh/a/b/main?urlpath=lab)\n")
    assert notebook_links.readme_problems((readme,), RELEASE)
    assert notebook_links.write_readmes((readme,), RELEASE) == [readme]
    assert notebook_links.readme_problems((readme,), RELEASE) == []
    assert readme.read_text() == (
        f"[b](https://mybinder.org/v2/gh/{RELEASE.slug}/{RELEASE.tag}?urlpath=lab)\n"
    )


def _notebook(first_markdown: str, colab_cell: str = "import sys  # google.colab") -> dict:
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": first_markdown},
            {"cell_type": "code", "metadata": {}, "source": colab_cell, "outputs": []},
            {"cell_type": "markdown", "metadata": {}, "source": "## Summary"},
        ]
    }


def test_the_badge_goes_under_the_title_once_and_replaces_an_old_one():
    old = (
        "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/someone/else/blob/main/notebooks/07_x.ipynb)"
    )
    text = f"# 07 · Title\n\n{old}\n\n**Learning objectives.** You can\n\n- a;"
    raw = notebook_rules.dumps(_notebook(text))
    new = notebook_links.updated(raw, RELEASE, "07_x.ipynb")
    first = "".join(json.loads(new)["cells"][0]["source"])
    badge = notebook_links.badge(RELEASE, "07_x.ipynb")
    assert first == f"# 07 · Title\n\n{badge}\n\n**Learning objectives.** You can\n\n- a;"
    assert f"/blob/v{RELEASE.version}/notebooks/07_x.ipynb)" in badge
    assert notebook_links.updated(new, RELEASE, "07_x.ipynb") == new, "idempotent"
    code = "".join(json.loads(new)["cells"][1]["source"])
    assert code == notebook_links.install_cell(RELEASE)


def test_beside_the_badge_the_notebook_on_github_and_its_raw_file_at_the_same_tag():
    line = notebook_links.badge(RELEASE, "07_x.ipynb")
    colab, view, download = line.split(" · ")
    repository, tag = RELEASE.repository, f"v{RELEASE.version}"
    assert (
        colab
        == f"[![Open in Colab]({notebook_links.BADGE_IMAGE})]({RELEASE.colab_url('07_x.ipynb')})"
    )
    assert view == f"[View on GitHub]({repository}/blob/{tag}/notebooks/07_x.ipynb)"
    assert download == (
        f"[Download notebook](https://raw.githubusercontent.com/{RELEASE.slug}/{tag}/"
        "notebooks/07_x.ipynb)"
    )
    student = notebook_links.badge(RELEASE.student_edition(), "07_x.ipynb")
    assert student.count(f"/{tag}-student/") == 3 and f"/{tag}/" not in student


def test_a_stale_badge_line_with_its_links_is_replaced_whole(tmp_path):
    """Another repository and ref, old link labels, no download link: one line comes out, the
    tool's, and the rest of the cell is kept; ``--check`` reports the stale notebook first."""
    stale = (
        "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/someone/else/blob/main/notebooks/07_x.ipynb)"
        " · [On GitHub](https://github.com/someone/else/blob/main/notebooks/07_x.ipynb)"
    )
    path = tmp_path / "07_x.ipynb"
    path.write_text(notebook_rules.dumps(_notebook(f"# 07 · Title\n\n{stale}\n\nText")))
    assert "badge line" in notebook_links.problems([path], RELEASE)[0]
    assert notebook_links.write([path], RELEASE) == [path]
    first = "".join(json.loads(path.read_text())["cells"][0]["source"])
    assert first == f"# 07 · Title\n\n{notebook_links.badge(RELEASE, '07_x.ipynb')}\n\nText"
    assert notebook_links.problems([path], RELEASE) == []
    assert notebook_links.write([path], RELEASE) == [], "idempotent"


def test_every_notebooks_badge_line_has_its_github_and_download_links():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        first = "".join(next(c for c in nb["cells"] if c["cell_type"] == "markdown")["source"])
        assert notebook_links.badge(RELEASE, path.name) in first.splitlines(), path.name


def test_the_readmes_colab_badge_has_its_github_and_download_links_in_their_language(tmp_path):
    for readme in notebook_links.READMES:
        lines = readme.read_text(encoding="utf-8").splitlines()
        (line,) = [x for x in lines if x.startswith("[![Open in Colab]")]
        labels = notebook_links.readme_labels(readme)
        assert line == notebook_links.badge(RELEASE, "00_setup.ipynb", labels), readme.name
    assert notebook_links.readme_labels(ROOT / "README.ko.md") != notebook_links.LINK_LABELS
    bare = tmp_path / "README.md"  # the badge alone, as before the links: drift
    bare.write_text(
        "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({RELEASE.colab_url('00_setup.ipynb')})\n"
    )
    assert notebook_links.readme_problems((bare,), RELEASE)
    assert notebook_links.write_readmes((bare,), RELEASE) == [bare]
    assert bare.read_text() == notebook_links.badge(RELEASE, "00_setup.ipynb") + "\n"
    assert notebook_links.readme_problems((bare,), RELEASE) == []


def test_the_slides_leave_out_the_whole_badge_line():
    from course_utils.cli import slides

    text = f"# 07 · Title\n\n{notebook_links.badge(RELEASE, '07_x.ipynb')}\n\nText"
    assert slides.COLAB_BADGE.sub("", text) == "# 07 · Title\n\nText"


def test_a_notebook_without_the_colab_cell_first_is_reported(tmp_path):
    path = tmp_path / "03_x.ipynb"
    path.write_text(notebook_rules.dumps(_notebook("# 03 · T", colab_cell="x = 1")))
    assert "not the Colab install cell" in notebook_links.problems([path], RELEASE)[0]
    with pytest.raises(ValueError, match="not the Colab install cell"):
        notebook_links.write([path], RELEASE)


def test_only_a_github_address_is_accepted(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "c"\nversion = "1.0"\n[project.urls]\nRepository = "x"')
    with pytest.raises(ValueError, match="GitHub address"):
        notebook_links.release(pyproject)


# --- the colab extra ----------------------------------------------------------------------


def _top_modules(code: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _runtime_imports() -> set[str]:
    """Third-party top-level modules the notebooks and run-time ``course_utils`` import."""
    names = set()
    for path in (ROOT / "course_utils").rglob("*.py"):
        if path.is_relative_to(TOOLING_PACKAGE):
            continue
        names |= _top_modules(path.read_text(encoding="utf-8"))
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                # IPython magics (%pip, !ls) are not Python: a `pass` keeps the indentation.
                python = re.sub(r"^(\s*)[%!].*$", r"\1pass", "".join(cell["source"]), flags=re.M)
                names |= _top_modules(python)
    # google.colab (course_utils.colab on Colab only) is Colab's own module, never installed
    return names - set(sys.stdlib_module_names) - {"course_utils", "__future__", "google"}


def _closure(requirements: list[str]) -> set[str]:
    """The distributions these requirements install (read from the installed metadata)."""
    seen: set[str] = set()
    todo = [Requirement(text) for text in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        if name in seen or name == "segmentation-course":
            continue
        seen.add(name)
        todo += [Requirement(text) for text in metadata.requires(requirement.name) or []]
    return seen


def _project() -> dict:
    return notebook_links.tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_colab_extra_covers_every_run_time_import():
    installs = _closure(_project()["optional-dependencies"]["colab"])
    providers = metadata.packages_distributions()
    missing = {
        module: providers.get(module)
        for module in _runtime_imports()
        if not {canonicalize_name(d) for d in providers.get(module, [])} & installs
    }
    assert not missing, f"imported at run time but not installed by [colab]: {missing}"


def test_the_colab_extra_alone_holds_no_server_kernel_or_tool():
    found = _closure(_project()["optional-dependencies"]["colab"]) & NOT_FOR_COLAB
    assert not found, f"the colab extra installs {sorted(found)}"


def test_a_colab_install_holds_no_server_kernel_or_tool():
    project = _project()
    found = _closure(project["dependencies"] + project["optional-dependencies"]["colab"])
    assert not found & NOT_FOR_COLAB, (
        f"pip install '.[colab]' installs {sorted(found & NOT_FOR_COLAB)}"
    )
