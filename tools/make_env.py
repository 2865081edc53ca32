"""Create or refresh the course's virtual environment, one line per step.

    python3 tools/make_env.py [--python 3.12] [--venv .venv] [--extras test]

Used by ``make lab`` and ``make test`` (and ``make test-pythons``). It needs only the
standard library of the Python that runs it, so it works before anything is installed.

- The interpreter is ``--python``: a command or path (``python3``, ``/usr/bin/python3.12``)
  or a bare version (``3.12``), looked up on ``PATH`` and then in pyenv's folder.
  The course supports Python 3.10 to 3.13 (TensorFlow 2.21's wheels).
- An existing environment is reused only when its Python has the same version as the one
  asked for, and only reinstalled when ``pyproject.toml`` or the lock
  (``requirements/constraints.txt``) changed since it was installed. A folder is replaced
  only when it is a virtual environment (it has ``pyvenv.cfg``); any other folder of that
  name stops the set-up with an error and is left as it is.
- Everything is installed through the lock, so every machine gets the same versions.
  pip's own output goes to a log file (``build/setup-<venv>.log``), named when a step fails.
- The environment's interpreter is ``<venv>/bin/python``, or ``<venv>\\Scripts\\python.exe``
  on Windows (:func:`venv_python`), so the script also runs there without ``make``:
  ``python tools/make_env.py --python python``.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUPPORTED = ((3, 10), (3, 13))
LOCK = ROOT / "requirements" / "constraints.txt"
STAMP_NAME = ".installed"
LOG_DIR = ROOT / "build"


class SetupError(RuntimeError):
    """A step failed; the message says what to do."""


def venv_python(venv: Path, platform: str | None = None) -> Path:
    """The interpreter of the virtual environment ``venv``: ``Scripts\\python.exe`` on
    Windows, ``bin/python`` elsewhere, as ``python -m venv`` lays them out.

    Args:
        venv: the environment's folder.
        platform: a ``sys.platform`` value; ``None`` reads this machine's.
    """
    if (sys.platform if platform is None else platform) == "win32":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def find_python(asked: str) -> str:
    """The interpreter for ``asked``: a command, a path, or a version such as ``3.12``."""
    if asked.replace(".", "").isdigit():
        found = shutil.which(f"python{asked}")
        if found and _version(found):
            return found
        pattern = os.path.expanduser(f"~/.pyenv/versions/{asked}*/bin/python{asked}")
        for candidate in sorted(glob.glob(pattern), reverse=True):
            if _version(candidate):
                return candidate
        raise SetupError(
            f"No Python {asked} found (looked for python{asked} on PATH and in ~/.pyenv). "
            f"Install it, or pass its path: make ... PYTHON=/path/to/python{asked}"
        )
    found = shutil.which(asked) or (asked if Path(asked).is_file() else None)
    if not found or not _version(found):
        raise SetupError(f"{asked!r} is not a Python that runs here. Pass PYTHON=/path/to/python3")
    return found


def _version(python: str) -> tuple[int, int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:3])"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return int(out[0]), int(out[1]), int(out[2])


def _install_inputs(pyproject: str) -> str:
    """The parts of ``pyproject.toml`` that decide what is installed: every table but the
    tools' settings (``[tool.*]``), so a change of lint or test settings reinstalls nothing."""
    kept, keep = [], True
    for line in pyproject.splitlines():
        if line.startswith("["):
            keep = not line.lstrip("[").startswith("tool.")
        if keep:
            kept.append(line)
    return "\n".join(kept)


def _fingerprint(version: tuple[int, int, int], extras: str) -> str:
    digest = hashlib.sha256()
    digest.update(_install_inputs((ROOT / "pyproject.toml").read_text()).encode())
    digest.update(LOCK.read_bytes())
    digest.update(f"{version[0]}.{version[1]} [{extras}]".encode())
    return digest.hexdigest()


def is_current(python: str, venv: Path, extras: str) -> bool:
    """Whether ``venv`` has ``python``'s version and was installed from today's
    ``pyproject.toml`` and lock with these extras (then set-up has nothing to do)."""
    version = _version(python)
    interpreter = venv_python(venv)
    have = _version(str(interpreter)) if interpreter.exists() else None
    stamp = venv / STAMP_NAME
    return (
        version is not None
        and have is not None
        and have[:2] == version[:2]
        and stamp.is_file()
        and stamp.read_text() == _fingerprint(version, extras)
    )


def _step(label: str, command: list[str], log: Path) -> None:
    start = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    if result.returncode != 0:
        tail = "".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[-15:])
        raise SetupError(
            f"{label} failed (exit {result.returncode}). The last lines of {log}:\n{tail}\n"
            f"The whole output is in {log}."
        )
    print(f"  {label:<48} {time.perf_counter() - start:6.1f} s", flush=True)


def _is_empty_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())


def _check_replaceable(venv: Path) -> None:
    """Refuse to delete ``venv`` unless it is a virtual environment (``pyvenv.cfg``, which
    every one has): ``VENV=data`` must never wipe the datasets and trained runs."""
    if venv.is_symlink() or not (venv / "pyvenv.cfg").is_file():
        raise SetupError(
            f"{venv} exists and is not a virtual environment (it has no pyvenv.cfg), so it "
            "was left untouched. Name another folder for the environment (make ... "
            "VENV=.venv-other), or move that folder away yourself if it is an old "
            "environment."
        )


def make_env(asked_python: str, venv: Path, extras: str) -> Path:
    """Create or refresh ``venv`` for ``asked_python``; return its interpreter."""
    python = find_python(asked_python)
    version = _version(python)
    assert version is not None  # find_python only returns interpreters that run
    if not SUPPORTED[0] <= version[:2] <= SUPPORTED[1]:
        raise SetupError(
            f"{python} is Python {'.'.join(map(str, version))}; the course needs Python "
            "3.10 to 3.13 (TensorFlow 2.21 has wheels for those only). Name one that is "
            "installed: make ... PYTHON=python3.12 (a command, a path or a bare version). "
            "To install 3.12 beside this one: with uv, `uv python install 3.12`, then "
            'make ... PYTHON="$(uv python find 3.12)"; with pyenv, `pyenv install 3.12`, '
            "then make ... PYTHON=3.12."
        )
    interpreter = venv_python(venv)
    stamp = venv / STAMP_NAME
    if is_current(python, venv, extras):
        return interpreter
    wanted = _fingerprint(version, extras)
    have = _version(str(interpreter)) if interpreter.exists() else None
    log = LOG_DIR / f"setup-{venv.name.lstrip('.')}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(
        f"set-up of {venv} with {python} ({'.'.join(map(str, version))})\n", encoding="utf-8"
    )
    print(f"Setting up {venv} with Python {'.'.join(map(str, version))} (details: {log})")
    total = time.perf_counter()
    if have and have[:2] != version[:2]:
        _check_replaceable(venv)
        print(
            f"  {venv} has Python {have[0]}.{have[1]}, not {version[0]}.{version[1]}: replacing it"
        )
        shutil.rmtree(venv)
    elif venv.exists() and not have and not _is_empty_folder(venv):
        _check_replaceable(venv)
        print(f"  {venv} is a virtual environment without its Python: replacing it")
        shutil.rmtree(venv)
    if not interpreter.exists():
        _step("create the virtual environment", [python, "-m", "venv", str(venv)], log)
    stamp.unlink(missing_ok=True)
    _step(
        f"install the course and [{extras}] from the lock",
        [str(interpreter), "-m", "pip", "install", "--disable-pip-version-check",
         "-c", str(LOCK), "-e", f".[{extras}]"],
        log,
    )  # fmt: skip
    stamp.write_text(wanted)
    print(f"  {'ready':<48} {time.perf_counter() - total:6.1f} s")
    return interpreter


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--python", default="python3", help="command, path or version (3.12)")
    parser.add_argument("--venv", default=".venv", help="the environment's folder")
    parser.add_argument("--extras", default="test", help="extras of the package to install")
    args = parser.parse_args(argv)
    try:
        make_env(args.python, (ROOT / args.venv).resolve(), args.extras)
    except SetupError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
