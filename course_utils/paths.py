"""Where the course keeps its files: one module decides every location.

- The data folder (datasets, trained runs, files that failed their checksum):
  :func:`data_dir`. ``$COURSE_DATA_DIR`` when set; else the ``data/`` folder of the
  source checkout this package runs from (:func:`checkout_root`); else the user's cache
  folder of this platform (:func:`user_cache_dir`).
- On Google Colab, the data folder on a mounted Google Drive: :func:`drive_data_dir`
  (:func:`course_utils.colab.mount_drive` makes it ``$COURSE_DATA_DIR``).
- The trained runs: :func:`runs_root`, inside the data folder. What is inside it (one
  folder per profile, a model and its scores per run) is :mod:`course_utils.runs`'s.
- The seed records the package ships (package data, in every install):
  :func:`packaged_records_dir`.
- The repository's committed records and timings (``docs/``) and what the commands build
  (``build/``, never committed): :func:`docs_dir`, :func:`timings_path`, :func:`build_dir`.
  They are relative to a repository folder, by default the current folder, since the
  maintainers' commands run from the repository's root.

Only :func:`data_dir` creates its folder; the others only say where. This module imports
nothing from the package (it is part of the core every part may use).
"""

from __future__ import annotations

import os
from pathlib import Path

#: Overrides where the data folder is.
DATA_DIR_ENV_VAR = "COURSE_DATA_DIR"
#: The name of the course's folder in the user's cache folder.
APP_NAME = "segmentation-course"

_PACKAGE = Path(__file__).resolve().parent
_RUNS = "runs"
_DOCS = "docs"
_BUILD = "build"
_EXPORTS = "exports"
#: The folder of a user's own files in a mounted Google Drive.
_MY_DRIVE = "MyDrive"


def checkout_root() -> Path | None:
    """The source checkout this package runs from (the folder with ``pyproject.toml`` and
    ``data/README.md`` above ``course_utils/``); ``None`` for an installed wheel."""
    root = _PACKAGE.parent
    if (root / "pyproject.toml").is_file() and (root / "data" / "README.md").is_file():
        return root
    return None


def user_cache_dir() -> Path:
    """The course's folder in the user's cache folder of this platform (as pooch finds it:
    ``~/.cache/segmentation-course`` on Linux, ``~/Library/Caches/segmentation-course`` on
    macOS, ``%LOCALAPPDATA%\\segmentation-course\\Cache`` on Windows). Where an earlier
    version of the course kept its data in ``~/.cache/segmentation-course`` on another
    platform (or with ``XDG_CACHE_HOME`` set elsewhere), that folder is kept, so datasets and
    trained runs already there are found."""
    import pooch

    earlier = Path.home() / ".cache" / APP_NAME
    return earlier if earlier.is_dir() else Path(pooch.os_cache(APP_NAME))


def data_dir() -> Path:
    """The data folder, created if needed.

    ``$COURSE_DATA_DIR`` when set; else the ``data/`` folder of the course checkout; else
    :func:`user_cache_dir`.
    """
    env = os.environ.get(DATA_DIR_ENV_VAR)
    if env:
        path = Path(env).expanduser()
    else:
        root = checkout_root()
        path = root / "data" if root is not None else user_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def drive_data_dir(mount_point: Path) -> Path:
    """The course's data folder on a Google Drive mounted at ``mount_point`` (Colab's is
    ``/content/drive``): ``segmentation-course`` in "My Drive" (not created here)."""
    return Path(mount_point) / _MY_DRIVE / APP_NAME


def runs_root() -> Path:
    """The folder of the trained runs, inside the data folder (not created here)."""
    return data_dir() / _RUNS


def packaged_records_dir() -> Path:
    """The package's folder of seed records (``course_utils/records/``)."""
    return _PACKAGE / "records"


def docs_dir(root: Path | None = None) -> Path:
    """The repository's ``docs/`` folder, where the committed seed records and timings are.

    Args:
        root: the repository's folder; ``None``: relative to the current folder.
    """
    return Path(root, _DOCS) if root is not None else Path(_DOCS)


def timings_path(root: Path | None = None) -> Path:
    """The notebooks' measured wall times, ``docs/timings.json`` (see :func:`docs_dir`)."""
    return docs_dir(root) / "timings.json"


def build_dir(root: Path | None = None) -> Path:
    """Where the commands write what they build (slide decks, runs archives, the student
    edition): ``build/``, which the repository does not commit.

    Args:
        root: the repository's folder; ``None``: relative to the current folder.
    """
    return Path(root, _BUILD) if root is not None else Path(_BUILD)


def exports_dir() -> Path:
    """Where notebook 12 writes the models it exports (``.keras``, SavedModel, TFLite):
    ``exports/`` inside the data folder (not created here)."""
    return data_dir() / _EXPORTS


def unused_path(path: Path | str) -> Path:
    """``path`` when nothing is there yet; else the first free ``name-2``, ``name-3``, ...
    (the number before the suffix: ``model-2.keras``), so that nothing is overwritten."""
    path = Path(path)
    if not path.exists():
        return path
    k = 2
    while True:
        candidate = path.with_name(f"{path.stem}-{k}{path.suffix}")
        if not candidate.exists():
            return candidate
        k += 1
