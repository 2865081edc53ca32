"""Where datasets live on disk: the cache folder and the optional offline mirror."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

DATA_DIR_ENV_VAR = "COURSE_DATA_DIR"
MIRROR_ENV_VAR = "COURSE_DATA_MIRROR"
REJECTED_DIRNAME = "_rejected"


def _repo_data_dir() -> Path | None:
    """The ``data/`` folder of a source checkout that this package runs from, if any."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "data" / "README.md").is_file():
        return root / "data"
    return None


def data_dir() -> Path:
    """Return the dataset cache folder, creating it if needed.

    ``$COURSE_DATA_DIR`` when set; else the ``data/`` folder of the course
    checkout; else the user's cache folder (``~/.cache/segmentation-course``).
    """
    env = os.environ.get(DATA_DIR_ENV_VAR)
    if env:
        path = Path(env).expanduser()
    else:
        path = _repo_data_dir() or Path.home() / ".cache" / "segmentation-course"
    path.mkdir(parents=True, exist_ok=True)
    return path


def mirror_dir() -> Path | None:
    """Return the local mirror folder from ``$COURSE_DATA_MIRROR``, or ``None``.

    Raises:
        DownloadError: if the variable names a folder that does not exist.
    """
    env = os.environ.get(MIRROR_ENV_VAR)
    if not env:
        return None
    path = Path(env).expanduser()
    if not path.is_dir():
        from course_utils.data.errors import DownloadError

        raise DownloadError(
            f"{MIRROR_ENV_VAR}={env} is not a folder. Point it at a folder laid out as "
            "<mirror>/<dataset>/<file> (for example ../shared/datasets), or unset it to "
            "download from the public URLs."
        )
    return path


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """One dataset folder in the cache."""

    name: str
    path: Path
    files: int
    size_bytes: int


def cached() -> list[CacheEntry]:
    """List the dataset folders in the cache with their file counts and sizes."""
    entries = []
    root = data_dir()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = [f for f in folder.rglob("*") if f.is_file()]
        entries.append(
            CacheEntry(folder.name, folder, len(files), sum(f.stat().st_size for f in files))
        )
    return entries
