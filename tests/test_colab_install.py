"""The course installs on Python 3.12 as Colab and Binder install it, and runs.

Binder: see :func:`test_the_binder_environment_installs_on_its_python`.

Colab: the notebooks' own install cell (``tools/notebook_links.py``), run by IPython in a
stand-in of a Colab runtime: a fresh Python 3.12 virtual environment with Colab's own
TensorFlow, Keras, NumPy and ipywidgets pre-installed (:data:`COLAB_STACK`). The cell's
address is pointed at a git repository made from the working tree instead of GitHub, with no
release tag, so the cell's fallback to the default branch runs. It must keep TensorFlow,
Keras and NumPy (not reinstalled), replace the too old ipywidgets, ask for a restart since
the kernel had imported ipywidgets, and install the rest; run again (after the restart), it
installs nothing. Then, outside the checkout, ``course_utils`` imports, ``setup()`` runs and
the built-in ``shapes`` set loads, and ``pip check`` finds no broken requirement. pip's cache
is used (``~/.cache/pip``), so TensorFlow's wheel (about 600 MB) is downloaded once. It
prints its steps' times (``pytest -s``) and records them as properties (``--junitxml``).

Skipped when no Python 3.12 is found (``python3.12`` on ``PATH`` or in pyenv's folder, or
``$COURSE_PYTHON312``); with ``CI`` set that is a failure. Deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The files a wheel is built from (nothing else of the checkout is copied).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "course_utils")
#: Never installed by the Colab cell: the test tools (the ``test`` extra) and JupyterLab (the
#: stand-in has one, as Colab does, through ipywidgets 7's notebook extension).
NOT_INSTALLED = ("pytest", "nbval", "playwright", "ruff", "mypy", "pre-commit", "jupyterlab")
#: Stands in for the packages a Colab runtime brings, which the cell must keep when they are
#: in the course's ranges. Colab pins its own releases and moves them a few times a year;
#: these are within the course's ranges as a current runtime's would be: TensorFlow 2.21, a
#: Keras 3 older than the newest (so that keeping it is visible), and the NumPy 2.0.2 and
#: ipywidgets 7.7.1 Colab has long shipped, the latter below the course's ``>=8.1``, so the
#: cell must replace it. Update them when Colab moves. A pip as recent as Colab's too: the
#: test's local ``git+file://`` address is refused by the pip of Python 3.12.1's venv (23.2).
COLAB_STACK = (
    "tensorflow==2.21.0", "keras==3.13.2", "numpy==2.0.2", "ipywidgets==7.7.1", "pip==24.1.2",
)  # fmt: skip
#: A kernel of the stand-in runtime: ``google.colab`` present (what the cell tests), NumPy and
#: ipywidgets already imported, then the cell as IPython runs it (``!`` commands included).
KERNEL = """
import sys, types
sys.modules["google.colab"] = types.ModuleType("google.colab")
import numpy, ipywidgets
from IPython.core.interactiveshell import InteractiveShell
with open(sys.argv[1], encoding="utf-8") as cell:
    result = InteractiveShell.instance().run_cell(cell.read())
sys.exit(0 if result.success else 1)
"""
#: What the stand-in runs after the cell, from a folder outside the checkout.
SMOKE = """
import json, sys, time
from importlib import metadata
start = time.perf_counter()
import course_utils
env = course_utils.setup(profile="quick")
from course_utils import data
images, masks = data.shapes(4, 32)
batch_images, batch_masks = next(iter(data.load("shapes", "train", 32, batch_size=4, limit=8)))
print(json.dumps({
    "module": course_utils.__file__,
    "python": sys.version.split()[0],
    "versions": {name: metadata.version(name) for name in ("tensorflow", "keras", "numpy",
                                                           "ipywidgets")},
    "shapes": [list(images.shape), list(masks.shape)],
    "batch": [list(batch_images.shape), list(batch_masks.shape)],
    "seconds": round(time.perf_counter() - start, 1),
}))
"""


def _notebook_links():
    spec = importlib.util.spec_from_file_location(
        "notebook_links", ROOT / "tools" / "notebook_links.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["notebook_links"] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def _make_env():
    spec = importlib.util.spec_from_file_location("make_env", ROOT / "tools" / "make_env.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _python312() -> str:
    make_env = _make_env()
    try:
        return make_env.find_python(os.environ.get("COURSE_PYTHON312") or "3.12")
    except make_env.SetupError as err:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Python 3.12 for the Colab install test: {err}")
        pytest.skip(f"no Python 3.12 here, so the Colab install is not tested: {err}")


def _copy_sources(names: tuple[str, ...], dest: Path) -> Path:
    """Copy these files and folders of the checkout into ``dest`` (no caches); return it."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, dest / name)
    return dest


def _run(label: str, command: list[str], log: Path, **kwargs) -> float:
    start = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False, **kwargs)
    if done.returncode != 0:
        tail = "".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[-30:])
        pytest.fail(f"{label} failed (exit {done.returncode}); the last lines of {log}:\n{tail}")
    return time.perf_counter() - start


def _git_repository(folder: Path, log: Path) -> Path:
    """The working tree's package files as a git repository with one commit and no tag."""
    _copy_sources(WHEEL_SOURCES, folder)
    git = ["git", "-C", str(folder), "-c", "user.name=test", "-c", "user.email=test@example.org"]
    _run("git init", [*git, "init", "--quiet", "--initial-branch=main"], log)
    _run("git add", [*git, "add", "."], log)
    _run("git commit", [*git, "commit", "--quiet", "-m", "the working tree"], log)
    return folder


def _stand_in_env(tmp_path: Path) -> dict[str, str]:
    """The environment of the stand-in's processes: its ``pip`` first on ``PATH`` (the cell
    runs ``!pip``), no ``PYTHONPATH`` (the checkout must not be importable there), and no
    ``COURSE_DATA_DIR`` (a fresh runtime has none; the smoke run sets the test's own)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_DATA_DIR")}
    env["PATH"] = f"{tmp_path / 'venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return {**env, "COURSE_PROFILE": "quick", "TF_CPP_MIN_LOG_LEVEL": "2"}


def _run_cell(python: str, cell: Path, env: dict[str, str], cwd: Path) -> tuple[str, float]:
    start = time.perf_counter()
    done = subprocess.run(
        [python, "-c", KERNEL, str(cell)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"the install cell failed:\n{output[-4000:]}"
    return output, time.perf_counter() - start


def _distributions(python: str) -> set[str]:
    """The names of the distributions installed in ``python``'s environment (lower case)."""
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {entry["name"].lower() for entry in json.loads(listed)}


def _stamp(venv: Path, distribution: str) -> tuple[str, int]:
    """Which install of ``distribution`` is there: its dist-info folder and RECORD's mtime
    (a reinstall, even of the same version, writes both anew)."""
    (record,) = (venv / "lib").glob(f"python3.12/site-packages/{distribution}-*.dist-info/RECORD")
    return record.parent.name, record.stat().st_mtime_ns


@pytest.mark.slow
@pytest.mark.network
def test_the_colab_cell_keeps_colabs_stack_and_installs_the_rest(tmp_path, record_property):
    python = _python312()
    log = tmp_path / "install.log"
    seconds = {}
    start = time.perf_counter()
    repo = _git_repository(tmp_path / "repo", log)
    seconds["repo"] = time.perf_counter() - start
    venv = tmp_path / "venv"
    seconds["venv"] = _run("creating the 3.12 environment", [python, "-m", "venv", str(venv)], log)
    venv_python = str(venv / "bin" / "python")
    # --no-compile: byte-compiling all of TensorFlow takes half the install time and tests
    # nothing; Python compiles what it imports.
    seconds["colab_stack"] = _run(
        "installing the stand-in of Colab's packages",
        [venv_python, "-m", "pip", "install", "--disable-pip-version-check", "--no-compile",
         *COLAB_STACK],
        log,
    )  # fmt: skip
    kept = {name: _stamp(venv, name) for name in ("tensorflow", "keras", "numpy")}
    colab_own = _distributions(venv_python)
    # The notebooks' cell, its address pointed at the local repository instead of GitHub.
    links = _notebook_links()
    release = links.release()
    local = dataclasses.replace(release, repository=f"file://{repo}")
    source = links.install_cell(local)
    assert source.replace(local.repository, release.repository) == links.install_cell(release)
    cell = tmp_path / "cell.py"
    cell.write_text(source, encoding="utf-8")
    env = _stand_in_env(tmp_path)

    first, seconds["cell"] = _run_cell(venv_python, cell, env, tmp_path)
    print(first)
    assert "from the default branch (commit " in first, first
    assert "Kept this runtime's tensorflow 2.21.0, keras 3.13.2, numpy 2.0.2 and " in first
    (installed,) = [line for line in first.splitlines() if line.startswith("Installed: ")]
    assert "ipywidgets 8." in installed and "(was 7.7.1, outside >=8.1)" in installed
    assert "pooch " in installed and "tensorflow" not in installed and "keras" not in installed
    assert "RESTART NEEDED" in first and "ipywidgets 7.7.1 -> 8." in first
    assert "set USE_DRIVE = True" in first
    assert {name: _stamp(venv, name) for name in kept} == kept, "Colab's packages reinstalled"

    again, seconds["cell_again"] = _run_cell(venv_python, cell, env, tmp_path)  # the restart
    print(again)
    assert "Nothing to install" in again and "No restart needed." in again, again

    start = time.perf_counter()
    done = subprocess.run(
        [venv_python, "-c", SMOKE],
        cwd=tmp_path,  # not the checkout: the installed package must be the one imported
        env={**env, "COURSE_DATA_DIR": str(tmp_path / "data")},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    seconds["run"] = time.perf_counter() - start
    assert done.returncode == 0, f"setup() or shapes failed in the 3.12 env:\n{done.stderr[-3000:]}"
    _run("pip check", [venv_python, "-m", "pip", "check", "--disable-pip-version-check"], log)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result["module"]).is_relative_to(venv), result["module"]
    assert result["python"].startswith("3.12.")
    assert result["versions"]["tensorflow"] == "2.21.0" and result["versions"]["keras"] == "3.13.2"
    assert result["versions"]["numpy"] == "2.0.2"
    assert result["shapes"] == [[4, 32, 32, 3], [4, 32, 32, 1]]
    assert result["batch"] == [[4, 32, 32, 3], [4, 32, 32, 1]]
    added = _distributions(venv_python) - colab_own
    assert not added & set(NOT_INSTALLED), f"the cell installed {added & set(NOT_INSTALLED)}"
    seconds["total"] = sum(seconds.values())
    for step, value in seconds.items():
        record_property(f"seconds_{step}", round(value, 1))
    print(
        "Colab cell on a stand-in of Colab's packages, Python 3.12: "
        + ", ".join(f"{step} {value:.0f} s" for step, value in seconds.items())
        + f" ({len(added)} distributions added to {len(colab_own)})"
    )


#: What Binder's environment needs from the checkout to run ``environment.yml``'s pip part.
BINDER_SOURCES = ("environment.yml", "pyproject.toml", "README.md", "course_utils", "requirements")


@pytest.mark.slow
@pytest.mark.network
def test_the_binder_environment_installs_on_its_python(tmp_path, record_property):
    """``environment.yml`` as repo2docker runs it, as far as this machine allows.

    repo2docker (checked with its ``--no-build --debug`` output) copies the repository,
    then runs ``mamba env update --file environment.yml`` in it: mamba makes the Python
    the file names, from conda-forge, and pip installs the file's ``pip:`` lines from the
    repository's folder. conda-forge cannot be reached from here, so the test makes that
    Python with a venv instead and runs the ``pip:`` lines exactly as written; then
    JupyterLab, its RISE extension and ``course_utils`` must load, and ``pip check`` pass.
    """
    import yaml

    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    (python_pin,) = [
        d for d in spec["dependencies"] if isinstance(d, str) and d.startswith("python")
    ]
    assert python_pin == "python=3.12", "the test makes a 3.12 env: update it with the file"
    (pip_part,) = [d["pip"] for d in spec["dependencies"] if isinstance(d, dict)]
    python = _python312()
    log = tmp_path / "install.log"
    repo = _copy_sources(BINDER_SOURCES, tmp_path / "repo")
    requirements = repo / "binder-requirements.txt"  # what conda hands to pip
    requirements.write_text("\n".join(pip_part) + "\n")
    venv = tmp_path / "env"
    seconds = {
        "venv": _run("creating the 3.12 environment", [python, "-m", "venv", str(venv)], log)
    }
    venv_python = str(venv / "bin" / "python")
    seconds["install"] = _run(
        "installing environment.yml's pip part",
        [venv_python, "-m", "pip", "install", "--disable-pip-version-check", "--no-compile",
         "-r", str(requirements)],
        log,
        cwd=repo,
    )  # fmt: skip
    _run("pip check", [venv_python, "-m", "pip", "check", "--disable-pip-version-check"], log)
    extensions = subprocess.run(
        [str(venv / "bin" / "jupyter"), "labextension", "list"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    listed = extensions.stdout + extensions.stderr
    assert "jupyterlab-rise" in listed and "enabled" in listed, listed
    done = subprocess.run(
        [venv_python, "-c", "import course_utils, jupyterlab; print(course_utils.__file__)"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert Path(done.stdout.strip()).is_relative_to(repo), "the editable install is the repo's"
    for step, value in seconds.items():
        record_property(f"binder_seconds_{step}", round(value, 1))
    print(
        "Binder's pip part on Python 3.12: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items())
    )
