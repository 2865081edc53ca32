"""``course check --class``: is this machine ready for a class? A check learners run at home.

It looks at what a class needs and cannot fix in the room: a supported Python, a
TensorFlow and Keras that import (in a separate process, so a crash on an old CPU is
reported rather than suffered), the course datasets in the data folder (the set of
``course fetch --course``), and free disk space. Each finding is one line; the last
line says either that all is ready or exactly what to run to fix it.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

#: The Python versions the course supports (TensorFlow 2.21's wheels), oldest and newest.
SUPPORTED_PYTHONS = ((3, 10), (3, 13))
#: Free disk space a class needs in the data folder's disk: the datasets (about 0.6 GB
#: with CIFAR-10 extracted), their array caches, trained runs of two profiles, and room
#: for TensorFlow's temporary files and notebook checkpoints.
MIN_FREE_GB = 5
_GB = 1024**3
_IMPORT_TIMEOUT_S = 600
_IMPORT_CODE = """
import json
from course_utils._tf import import_tensorflow
tf = import_tensorflow()
import keras
print(json.dumps({"tensorflow": tf.__version__, "keras": keras.__version__}))
"""
_REBUILD = "rebuild the environment: make clean-env && make lab"


@dataclasses.dataclass(frozen=True)
class Finding:
    """The result of one check.

    Attributes:
        what: what was checked (``"Python"``, ``"libraries"``, ``"datasets"``, ``"disk"``).
        ok: whether it is ready.
        detail: one line on what was found.
        fix: what to do when it is not ready, command included; ``""`` when ready.
    """

    what: str
    ok: bool
    detail: str
    fix: str = ""


def course_command() -> str:
    """How to call the ``course`` command from here: ``course`` when the shell finds this
    environment's, else its path (``.venv/bin/course``), else ``python -m course_utils``."""
    from course_utils.data.cache import shown_path

    script = Path(sys.executable).with_name("course")
    found = shutil.which("course")
    if found and script.is_file() and Path(found).resolve() == script.resolve():
        return "course"
    if script.is_file():
        return shown_path(script)
    return f"{Path(sys.executable).name} -m course_utils"


def check_python(version: tuple[int, ...] | None = None) -> Finding:
    """Whether the Python running the course is one it supports (3.10 to 3.13).

    Args:
        version: the version to judge; this interpreter's by default.
    """
    version = tuple(version or sys.version_info[:3])
    low, high = SUPPORTED_PYTHONS
    shown = ".".join(map(str, version))
    supported = f"{low[0]}.{low[1]} to {high[0]}.{high[1]}"
    if low <= version[:2] <= high:
        return Finding("Python", True, f"{shown} (the course supports {supported})")
    return Finding(
        "Python",
        False,
        f"{shown}, but TensorFlow 2.21 and the course need {supported}",
        f"Python {shown} is not supported: install Python {high[0]}.{high[1]} and "
        f"{_REBUILD} PYTHON={high[0]}.{high[1]}",
    )


def _required_specifiers() -> dict[str, str]:
    """The course's version ranges for tensorflow and keras, from its installed metadata."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement

    try:
        lines = metadata.requires("segmentation-course") or []
    except metadata.PackageNotFoundError:
        return {}
    ranges = {}
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None and req.name in ("tensorflow", "keras"):
            ranges[req.name] = str(req.specifier)
    return ranges


def _import_libraries() -> dict[str, str]:
    """Import TensorFlow and Keras in a child process; their versions.

    Raises:
        RuntimeError: when the import fails or crashes; the message says how.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-c", _IMPORT_CODE],
            capture_output=True,
            text=True,
            timeout=_IMPORT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise RuntimeError(f"importing them took more than {_IMPORT_TIMEOUT_S} s") from err
    if done.returncode < 0:
        name = _signal_name(-done.returncode)
        hint = " (the CPU may lack the AVX instructions TensorFlow needs)" * (name == "SIGILL")
        raise RuntimeError(f"the import crashed with {name}{hint}")
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        errors = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise RuntimeError(f"the import failed: {errors[-1] if errors else 'no message'}")
    try:
        return dict(json.loads(lines[-1]))
    except (json.JSONDecodeError, TypeError, ValueError) as err:
        raise RuntimeError(f"the import printed {lines[-1]!r}, not the versions") from err


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def check_libraries(importer: Callable[[], dict[str, str]] | None = None) -> Finding:
    """Whether TensorFlow and Keras import, in the versions the course requires.

    Args:
        importer: returns ``{"tensorflow": version, "keras": version}`` or raises
            ``RuntimeError``; by default TensorFlow and Keras are imported in a child process.
    """
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion

    try:
        versions = (importer or _import_libraries)()
    except RuntimeError as err:
        return Finding(
            "libraries",
            False,
            f"TensorFlow/Keras do not import: {err}",
            f"TensorFlow/Keras do not import: {_REBUILD}",
        )
    detail = f"TensorFlow {versions['tensorflow']} and Keras {versions['keras']} import"
    wrong = []
    for name, spec in _required_specifiers().items():
        try:
            fits = SpecifierSet(spec).contains(versions[name], prereleases=True)
        except (InvalidSpecifier, InvalidVersion):
            fits = False
        if not fits:
            wrong.append(f"{name}{spec}")
    if wrong:
        return Finding(
            "libraries",
            False,
            f"{detail}, but the course needs {' and '.join(wrong)}",
            f"TensorFlow/Keras are not the course's versions: {_REBUILD}",
        )
    return Finding("libraries", True, detail)


def check_datasets() -> Finding:
    """Whether every course dataset (``course fetch --course``) is in the data folder, each
    file with its registered SHA-256 (a zero-byte or truncated file is not ready)."""
    from course_utils.data.cache import data_dir, shown_path
    from course_utils.data.course_datasets import course_status

    statuses = course_status()
    where = shown_path(data_dir())
    missing = [s for s in statuses if not s.ready]
    if not missing:
        names = ", ".join(
            s.name if s.present == s.name else f"{s.name} (as {s.present})" for s in statuses
        )
        return Finding("datasets", True, f"{names} are in {where}")
    size = sum(s.bytes_to_fetch for s in missing)
    names = ", ".join(s.name for s in missing)
    damaged = [f for s in missing for f in s.damaged]
    found = f"{names} not fetched yet ({_size(size)} to download into {where})"
    if damaged:
        count = (
            f"{len(damaged)} file fails its"
            if len(damaged) == 1
            else (f"{len(damaged)} files fail their")
        )
        found += (
            f"; {count} checksum (zero-byte, truncated or changed: {', '.join(damaged[:3])}"
            f"{', ...' if len(damaged) > 3 else ''}), and fetching sets them aside in "
            "_rejected/ and downloads them again"
        )
    return Finding(
        "datasets",
        False,
        found,
        f"fetch the course datasets ({names}): run {course_command()} fetch --course",
    )


def check_disk(min_free_gb: float = MIN_FREE_GB) -> Finding:
    """Whether the disk of the data folder has at least ``min_free_gb`` GB free."""
    from course_utils.data.cache import DATA_DIR_ENV_VAR, data_dir, shown_path

    folder = data_dir()
    free = shutil.disk_usage(folder).free
    detail = f"{free / _GB:.1f} GB free on the disk of {shown_path(folder)}"
    if free >= min_free_gb * _GB:
        return Finding("disk", True, f"{detail} (at least {min_free_gb:g} GB needed)")
    return Finding(
        "disk",
        False,
        f"{detail}, less than the {min_free_gb:g} GB a class needs",
        f"free {(min_free_gb * _GB - free) / _GB:.1f} GB more on the disk of "
        f"{shown_path(folder)}, or set "
        f"{DATA_DIR_ENV_VAR} to a folder on a disk with {min_free_gb:g} GB free",
    )


def _size(n: int) -> str:
    return f"{n / 1024**2:.0f} MB" if n < _GB else f"{n / _GB:.1f} GB"


#: The checks of ``course check --class``, in the order they are printed.
CHECKS: tuple[Callable[[], Finding], ...] = (
    check_python,
    check_libraries,
    check_datasets,
    check_disk,
)


def verdict(findings: list[Finding]) -> str:
    """The one final line: all ready, or what to do, in order, with the commands."""
    fixes = [f.fix for f in findings if not f.ok]
    if not fixes:
        return "READY for class: Python, TensorFlow/Keras, the course datasets and disk space."
    steps = fixes[0] if len(fixes) == 1 else "; ".join(f"({i}) {f}" for i, f in enumerate(fixes, 1))
    return f"NOT READY. To fix: {steps}"
