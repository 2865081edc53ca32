"""The course installs on Python 3.12 as Colab and Binder install it, and runs.

Binder: see :func:`test_the_binder_environment_installs_on_its_python`.

Colab: builds the wheel from the working tree (``pip wheel --no-deps``), makes a fresh Python 3.12
virtual environment, installs ``<wheel>[colab]`` from the package index through the lock,
and then, outside the checkout, imports ``course_utils``, runs ``setup()`` and loads the
built-in ``shapes`` set, and ``pip check`` finds no broken requirement. pip's cache is
used (``~/.cache/pip``), so where the index lets it cache, TensorFlow's wheel (573 MB) is
downloaded once. About 1.5 to 2 minutes on a busy 2-core machine; it prints its steps'
times (``pytest -s``) and records them as properties (``--junitxml``).

Skipped when no Python 3.12 is found (``python3.12`` on ``PATH`` or in pyenv's folder, or
``$COURSE_PYTHON312``); with ``CI`` set that is a failure. Deselect with ``-m "not slow"``.
"""

from __future__ import annotations

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
LOCK = ROOT / "requirements" / "constraints.txt"
#: The files a wheel is built from (nothing else of the checkout is copied).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "course_utils")
#: Never part of a Colab install: the test tools (the ``test`` extra).
NOT_INSTALLED = ("pytest", "nbval", "playwright", "ruff", "mypy", "pre-commit")
#: What the fresh environment runs, from a folder outside the checkout.
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
    "tensorflow": metadata.version("tensorflow"),
    "keras": metadata.version("keras"),
    "shapes": [list(images.shape), list(masks.shape)],
    "batch": [list(batch_images.shape), list(batch_masks.shape)],
    "seconds": round(time.perf_counter() - start, 1),
}))
"""


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


@pytest.mark.slow
@pytest.mark.network
def test_the_colab_extra_installs_and_runs_on_python_312(tmp_path, record_property):
    python = _python312()
    log = tmp_path / "install.log"
    source = _copy_sources(WHEEL_SOURCES, tmp_path / "source")
    seconds = {}
    # No build isolation: the test environment's setuptools builds it, with no download.
    # --no-compile below: byte-compiling all of TensorFlow takes half the install time
    # (30 of 77 s here) and tests nothing; Python compiles what it imports.
    seconds["wheel"] = _run(
        "building the wheel",
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(source)],
        log,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("segmentation_course-*.whl")
    venv = tmp_path / "venv"
    seconds["venv"] = _run("creating the 3.12 environment", [python, "-m", "venv", str(venv)], log)
    venv_python = str(venv / "bin" / "python")
    seconds["install"] = _run(
        "installing the wheel with [colab]",
        [venv_python, "-m", "pip", "install", "--disable-pip-version-check", "--no-compile",
         "-c", str(LOCK), f"{wheel}[colab]"],
        log,
    )  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(
        [venv_python, "-c", SMOKE],
        cwd=tmp_path,  # not the checkout: the installed package must be the one imported
        env={**os.environ, "COURSE_PROFILE": "quick", "TF_CPP_MIN_LOG_LEVEL": "2"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    seconds["run"] = time.perf_counter() - start
    assert done.returncode == 0, f"setup() or shapes failed in the 3.12 env:\n{done.stderr[-3000:]}"
    _run("pip check", [venv_python, "-m", "pip", "check", "--disable-pip-version-check"], log)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result["module"]).is_relative_to(venv), result["module"]
    assert result["python"].startswith("3.12.")
    assert result["tensorflow"].startswith("2.21.")
    assert result["shapes"] == [[4, 32, 32, 3], [4, 32, 32, 1]]
    assert result["batch"] == [[4, 32, 32, 3], [4, 32, 32, 1]]
    installed = subprocess.run(
        [venv_python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    names = {entry["name"].lower() for entry in json.loads(installed)}
    assert not names & set(NOT_INSTALLED), (
        f"test tools in a Colab install: {names & set(NOT_INSTALLED)}"
    )
    seconds["total"] = sum(seconds.values())
    for step, value in seconds.items():
        record_property(f"seconds_{step}", round(value, 1))
    print(
        "Colab install on Python 3.12: "
        + ", ".join(f"{step} {value:.0f} s" for step, value in seconds.items())
        + f" ({len(names)} distributions)"
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
