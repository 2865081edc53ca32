"""One environment, installed the same way everywhere: Python 3.10-3.13, through the lock.

`make lab`, `make test` and `make test-pythons` all set up through `tools/make_env.py`,
which installs through `requirements/constraints.txt`; `environment.yml` (conda, Binder)
installs through the same lock.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "constraints.txt"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
SUPPORTED = ["3.10", "3.11", "3.12", "3.13"]


def _make_env():
    spec = importlib.util.spec_from_file_location("make_env", ROOT / "tools" / "make_env.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lock_pins(python: str, full: str | None = None) -> dict[str, str]:
    """{name: version} of the lock's lines that apply on ``python`` (Linux)."""
    env = {"python_version": python, "python_full_version": full or f"{python}.0"}
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate(env):
            continue
        name, version = requirement.strip().split("==")
        assert canonicalize_name(name) not in pins, f"{name} pinned twice for Python {python}"
        pins[canonicalize_name(name)] = version
    return pins


def test_pyproject_declares_python_310_to_313_and_an_spdx_licence():
    allowed = SpecifierSet(PROJECT["requires-python"])
    assert [v for v in ["3.9", *SUPPORTED, "3.14"] if f"{v}.0" in allowed] == SUPPORTED
    classifiers = {c.rsplit(" :: ", 1)[-1] for c in PROJECT["classifiers"] if "Python ::" in c}
    assert classifiers == set(SUPPORTED)
    assert PROJECT["license"] == "MIT", "an SPDX expression, not a TOML table (setuptools warns)"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py310"


@pytest.mark.parametrize("python", SUPPORTED)
def test_the_lock_pins_every_requirement_on_every_supported_python(python):
    pins = _lock_pins(python)
    env = {"python_version": python, "python_full_version": f"{python}.0", "extra": ""}
    declared = list(PROJECT["dependencies"])
    for extra in PROJECT["optional-dependencies"].values():
        declared += [r for r in extra if not r.startswith(PROJECT["name"])]
    for text in declared:
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate(env):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in the lock for Python {python}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"the lock pins {name}=={pins[name]}, outside {text!r}: run `make lock`"
        )
    for tool in ("ruff", "mypy", "pytest", "tensorflow", "keras"):
        assert tool in pins, f"{tool} must be pinned, or a new release can turn CI red"


def test_this_environment_was_installed_from_the_lock():
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    pins = _lock_pins(python, ".".join(map(str, sys.version_info[:3])))
    ours = {canonicalize_name(PROJECT["name"]), "pip", "setuptools", "wheel", "uv"}
    off = {}
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name not in ours and pins.get(name) != dist.version:
            off[name] = (dist.version, pins.get(name))
    assert not off, f"installed (version, lock) differ: {off}; set up with `make env`"


def test_environment_yml_installs_through_the_same_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    python = next(d for d in conda if d.startswith("python"))
    assert f"{python.split('=')[1]}.0" in SpecifierSet(PROJECT["requires-python"])
    assert sorted(conda) == sorted([python, "pip"]), "conda brings Python and pip, nothing else"
    assert pip == [["-c requirements/constraints.txt", "-e .[lab]"]]


def test_the_makefile_sets_up_through_the_script_and_checks_types():
    makefile = (ROOT / "Makefile").read_text()
    env_rule = re.search(r"^env:\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "tools/make_env.py" in env_rule
    assert re.search(r"^test: .*\benv\b|^test: lint typecheck", makefile, re.M)
    assert re.search(r"^typecheck: env\n\t\$\(BIN\)/mypy", makefile, re.M)
    assert "pip install" not in re.search(r"^test:.*?(?=^\S)", makefile, re.M | re.S).group(0)


# --- tools/make_env.py, with stand-in interpreters --------------------------------------


def _fake_python(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version.replace('.', ' ')}\n")
    path.chmod(0o755)
    return path


def test_a_bare_version_is_found_on_path(tmp_path, monkeypatch):
    make_env = _make_env()
    fake = _fake_python(tmp_path / "bin" / "python3.12", "3.12.4")
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    assert make_env.find_python("3.12") == str(fake)
    with pytest.raises(make_env.SetupError, match=r"No Python 3\.97 found.*PYTHON="):
        make_env.find_python("3.97")


def test_an_unsupported_python_is_refused_with_what_to_do(tmp_path):
    make_env = _make_env()
    old = _fake_python(tmp_path / "python3.9", "3.9.18")
    with pytest.raises(
        make_env.SetupError, match=r"Python 3\.9\.18; the course needs Python 3\.10"
    ):
        make_env.make_env(str(old), tmp_path / "venv", "test")
    assert not (tmp_path / "venv").exists()


def test_a_python_too_new_is_refused_with_how_to_get_312(tmp_path):
    """`python3` is 3.14 on a new system: the message gives the commands that get 3.12."""
    make_env = _make_env()
    new = _fake_python(tmp_path / "python3", "3.14.0")
    with pytest.raises(make_env.SetupError) as error:
        make_env.make_env(str(new), tmp_path / "venv", "test")
    message = str(error.value)
    assert "Python 3.14.0; the course needs Python 3.10 to 3.13" in message
    assert "`uv python install 3.12`" in message
    assert 'PYTHON="$(uv python find 3.12)"' in message
    assert "`pyenv install 3.12`" in message and "PYTHON=3.12." in message
    assert not (tmp_path / "venv").exists()


def test_a_venv_of_another_python_is_replaced_and_installed_through_the_lock(tmp_path, monkeypatch):
    make_env = _make_env()
    asked = _fake_python(tmp_path / "python3.12", "3.12.4")
    venv = tmp_path / "venv"
    _fake_python(venv / "bin" / "python", "3.11.7")
    (venv / "pyvenv.cfg").write_text("version = 3.11.7\n")  # what `python -m venv` writes
    (venv / "leftover").write_text("from the 3.11 environment")
    steps = []

    def step(label, command, log):
        steps.append(command)
        if command[1:3] == ["-m", "venv"]:
            _fake_python(venv / "bin" / "python", "3.12.4")

    monkeypatch.setattr(make_env, "_step", step)
    monkeypatch.setattr(make_env, "LOG_DIR", tmp_path / "build")
    python = make_env.make_env(str(asked), venv, "test")
    assert python == venv / "bin" / "python" and not (venv / "leftover").exists()
    assert steps[0] == [str(asked), "-m", "venv", str(venv)]
    install = steps[1]
    assert install[install.index("-c") + 1] == str(make_env.LOCK) and ".[test]" in install
    # Same Python, nothing changed: no step runs at all (no network needed).
    monkeypatch.setattr(make_env, "_step", lambda *a: pytest.fail(f"ran {a[0]}"))
    assert make_env.make_env(str(asked), venv, "test") == python
    # Another extra (or a changed lock) reinstalls, keeping the venv.
    monkeypatch.setattr(make_env, "_step", step)
    make_env.make_env(str(asked), venv, "slides")
    assert steps[-1][-1] == ".[slides]" and len(steps) == 3


@pytest.mark.parametrize("python_inside", ["none", "another version"])
def test_a_folder_that_is_not_a_venv_is_never_deleted(tmp_path, monkeypatch, python_inside):
    """`make lab VENV=data` must not wipe the datasets and trained runs: only a folder with
    the pyvenv.cfg every virtual environment has is ever replaced."""
    make_env = _make_env()
    asked = _fake_python(tmp_path / "python3.12", "3.12.4")
    data = tmp_path / "data"
    (data / "runs" / "default").mkdir(parents=True)
    (data / "runs" / "default" / "unet.keras").write_bytes(b"hours of training")
    if python_inside != "none":
        _fake_python(data / "bin" / "python", "3.11.7")
    monkeypatch.setattr(make_env, "_step", lambda *a: pytest.fail(f"ran {a[0]}"))
    monkeypatch.setattr(make_env, "LOG_DIR", tmp_path / "build")
    with pytest.raises(make_env.SetupError, match=r"not a virtual environment.*pyvenv\.cfg"):
        make_env.make_env(str(asked), data, "test")
    assert (data / "runs" / "default" / "unet.keras").read_bytes() == b"hours of training"


def test_a_broken_venv_or_an_empty_folder_is_set_up(tmp_path, monkeypatch):
    make_env = _make_env()
    asked = _fake_python(tmp_path / "python3.12", "3.12.4")
    steps = []

    def step(label, command, log):
        steps.append(command)
        if command[1:3] == ["-m", "venv"]:
            _fake_python(Path(command[3]) / "bin" / "python", "3.12.4")

    monkeypatch.setattr(make_env, "_step", step)
    monkeypatch.setattr(make_env, "LOG_DIR", tmp_path / "build")
    broken = tmp_path / "broken"  # a venv whose interpreter is gone
    broken.mkdir()
    (broken / "pyvenv.cfg").write_text("version = 3.12.4\n")
    (broken / "lib").mkdir()
    empty = tmp_path / "empty"
    empty.mkdir()
    for venv in (broken, empty):
        assert make_env.make_env(str(asked), venv, "test") == venv / "bin" / "python"
    assert not (broken / "lib").exists(), "the broken venv was replaced"


@pytest.mark.parametrize(
    ("platform", "inside"),
    [("linux", "bin/python"), ("darwin", "bin/python"), ("win32", "Scripts/python.exe")],
)
def test_the_venv_interpreter_follows_the_platform(tmp_path, monkeypatch, platform, inside):
    make_env = _make_env()
    assert make_env.venv_python(tmp_path, platform) == tmp_path / inside
    monkeypatch.setattr(sys, "platform", platform)  # no argument: read at call time
    assert make_env.venv_python(tmp_path) == tmp_path / inside


def test_a_windows_venv_is_set_up_reused_and_replaced_through_scripts(tmp_path, monkeypatch):
    """Every step uses the helper: with Windows' layout (``Scripts\\python.exe``) the venv is
    created, its pip runs, it is reused when nothing changed and replaced when it has another
    Python, and a folder without pyvenv.cfg is still never deleted."""
    make_env = _make_env()
    layout = make_env.venv_python
    monkeypatch.setattr(make_env, "venv_python", lambda venv, platform=None: layout(venv, "win32"))
    monkeypatch.setattr(make_env, "LOG_DIR", tmp_path / "build")
    venv = tmp_path / "venv"
    scripts = venv / "Scripts" / "python.exe"
    steps = []

    def stand_in(version):
        def step(label, command, log):
            steps.append(command)
            if command[1:3] == ["-m", "venv"]:
                _fake_python(scripts, version)
                (venv / "pyvenv.cfg").write_text(f"version = {version}\n")

        return step

    python312 = _fake_python(tmp_path / "python3.12", "3.12.4")
    monkeypatch.setattr(make_env, "_step", stand_in("3.12.4"))
    assert make_env.make_env(str(python312), venv, "test") == scripts
    assert steps[0] == [str(python312), "-m", "venv", str(venv)]
    assert steps[1][0] == str(scripts) and steps[1][1:4] == ["-m", "pip", "install"]
    assert not (venv / "bin").exists()
    # Nothing changed: reused, no step at all.
    monkeypatch.setattr(make_env, "_step", lambda *a: pytest.fail(f"ran {a[0]}"))
    assert make_env.make_env(str(python312), venv, "test") == scripts
    # Another Python asked for: the venv (it has pyvenv.cfg) is replaced.
    (venv / "leftover").write_text("from the 3.12 environment")
    python311 = _fake_python(tmp_path / "python3.11", "3.11.7")
    monkeypatch.setattr(make_env, "_step", stand_in("3.11.7"))
    assert make_env.make_env(str(python311), venv, "test") == scripts
    assert not (venv / "leftover").exists() and steps[2][0] == str(python311)
    # A folder with Scripts\\python.exe but no pyvenv.cfg is left as it is.
    data = tmp_path / "data"
    _fake_python(data / "Scripts" / "python.exe", "3.11.7")
    (data / "unet.keras").write_bytes(b"hours of training")
    monkeypatch.setattr(make_env, "_step", lambda *a: pytest.fail(f"ran {a[0]}"))
    with pytest.raises(make_env.SetupError, match=r"not a virtual environment.*pyvenv\.cfg"):
        make_env.make_env(str(python312), data, "test")
    assert (data / "unet.keras").read_bytes() == b"hours of training"


def test_a_failing_step_names_the_log_and_shows_its_end(tmp_path):
    make_env = _make_env()
    log = tmp_path / "setup.log"
    log.write_text("")
    command = [
        sys.executable,
        "-c",
        "print('ERROR: no matching distribution'); raise SystemExit(3)",
    ]
    with pytest.raises(make_env.SetupError) as error:
        make_env._step("install", command, log)
    assert "exit 3" in str(error.value) and str(log) in str(error.value)
    assert "no matching distribution" in str(error.value)


def test_the_built_environment_is_reused_without_pip():
    """`make test` on a built venv runs no pip: it passes with the package index unreachable.

    Only asks; never changes the running environment.
    """
    make_env = _make_env()
    venv = Path(sys.prefix)
    if not (venv / make_env.STAMP_NAME).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{venv} was not set up by tools/make_env.py")
        pytest.skip("this environment was not set up by tools/make_env.py")
    assert make_env.is_current(sys.executable, venv, "test"), (
        "pyproject.toml's dependencies or the lock changed since this venv was set up: make env"
    )


def test_tool_settings_do_not_reinstall_but_dependencies_do():
    make_env = _make_env()
    text = (ROOT / "pyproject.toml").read_text()
    base = make_env._install_inputs(text)
    assert make_env._install_inputs(text + "\n[tool.newtool]\noption = 1\n") == base
    changed = text.replace('"tqdm>=4.66"', '"tqdm>=4.67"')
    assert changed != text and make_env._install_inputs(changed) != base
