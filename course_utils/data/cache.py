"""Where datasets live on disk: the cache folder, what is in it, and the optional mirror.

The cache folder (:func:`data_dir`, decided by :mod:`course_utils.paths`) holds one folder
per dataset, the trained runs the notebooks save (:func:`course_utils.paths.runs_root`,
listed by :mod:`course_utils.runs`) and the files that failed their checksum
(``_rejected/``).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from course_utils import paths
from course_utils._hashing import sha256_of  # noqa: F401  (data.cache.sha256_of callers)
from course_utils.paths import DATA_DIR_ENV_VAR, data_dir  # noqa: F401  (decided in paths)

MIRROR_ENV_VAR = "COURSE_DATA_MIRROR"
REJECTED_DIRNAME = "_rejected"


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as a notebook should print it: without the folders of one machine.

    Relative to the course checkout when the path is in it or beside it
    (``data/camvid``, ``../shared/datasets``), under ``~`` when it is in the home folder,
    else as it is. Printed outputs then read the same on every machine.
    """
    target = Path(path).expanduser().resolve()
    root = paths.checkout_root()
    if root is not None:
        for base, prefix in ((root, ""), (root.parent, "../")):
            if base != Path(base.anchor) and target.is_relative_to(base):
                return prefix + (target.relative_to(base).as_posix() or ".")
    home = Path.home().resolve()
    if target.is_relative_to(home):
        return "~/" + target.relative_to(home).as_posix()
    return str(target)


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


#: The record of known checksums in the data folder (see :func:`sha256_of_files`).
CHECKSUMS_NAME = ".checksums.json"


def sha256_of_files(paths: Iterable[Path], root: Path | None = None) -> dict[Path, str | None]:
    """The SHA-256 of each file (``None`` when it is missing), each hashed once per version.

    A small record in the data folder (``.checksums.json``: size, modification time and
    SHA-256 of each file hashed) gives back the digest of a file whose size and
    modification time have not changed, so that checking gigabytes of datasets on every
    ``course fetch`` or ``course check --class`` does not read them again. A file that
    changed in any way that moves its size or time is hashed anew. The record is a cache:
    deleting it costs one more hashing, nothing else.

    Args:
        paths: the files (inside ``root``; others are hashed without being recorded).
        root: the data folder; :func:`data_dir` by default.

    Returns:
        ``{path: sha256 or None}``, in the order of ``paths``.
    """
    import json

    root = root if root is not None else data_dir()
    record_path = root / CHECKSUMS_NAME
    try:
        record = json.loads(record_path.read_text())
        if not isinstance(record, dict):
            record = {}
    except (OSError, ValueError):
        record = {}
    changed = False
    found: dict[Path, str | None] = {}
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            found[path] = None
            continue
        if not path.is_file():
            found[path] = None
            continue
        try:
            key = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            key = None
        known = record.get(key) if key else None
        if (
            isinstance(known, dict)
            and known.get("bytes") == stat.st_size
            and known.get("mtime_ns") == stat.st_mtime_ns
        ):
            found[path] = str(known.get("sha256"))
            continue
        found[path] = sha256_of(path)
        if key:
            record[key] = {
                "bytes": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "sha256": found[path],
            }
            changed = True
    if changed:
        temporary = record_path.with_name(f"{record_path.name}.{os.getpid()}.partial")
        try:
            temporary.write_text(json.dumps(record, indent=0, sort_keys=True) + "\n")
            os.replace(temporary, record_path)
        except OSError:  # a read-only data folder: the digests are right, only not kept
            temporary.unlink(missing_ok=True)
    return found


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """One dataset folder in the cache."""

    name: str
    path: Path
    files: int
    size_bytes: int


@dataclasses.dataclass(frozen=True)
class RejectedFile:
    """A file kept aside in ``_rejected/`` because it failed its checksum."""

    path: Path
    size_bytes: int


def _files(folder: Path) -> list[Path]:
    return [f for f in folder.rglob("*") if f.is_file()]


def cached() -> list[CacheEntry]:
    """List the dataset folders in the cache with their file counts and sizes.

    Trained runs (:func:`course_utils.paths.runs_root`, see
    :func:`course_utils.runs.list_runs`), exported models (:func:`course_utils.paths.exports_dir`)
    and files kept aside (``_rejected/``, see :func:`rejected_files`) are not datasets and are
    not listed.
    """
    entries = []
    root = data_dir()
    not_datasets = {paths.runs_root(), paths.exports_dir(), root / REJECTED_DIRNAME}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder in not_datasets or folder.name.startswith("."):
            continue
        files = _files(folder)
        entries.append(
            CacheEntry(folder.name, folder, len(files), sum(f.stat().st_size for f in files))
        )
    return entries


def rejected_dir() -> Path:
    """The folder where files that failed their checksum are kept (``<data_dir>/_rejected``)."""
    return data_dir() / REJECTED_DIRNAME


def rejected_files() -> list[RejectedFile]:
    """List the files kept aside in ``_rejected/`` (nothing reads them; they may go)."""
    folder = rejected_dir()
    if not folder.is_dir():
        return []
    return [RejectedFile(f, f.stat().st_size) for f in sorted(_files(folder))]


def clear_rejected() -> int:
    """Delete the ``_rejected/`` folder and everything in it.

    Returns:
        The number of files deleted.
    """
    folder = rejected_dir()
    count = len(rejected_files())
    shutil.rmtree(folder, ignore_errors=True)
    return count


def quarantine(path: Path, fname: str, root: Path | None = None, *, copy: bool = False) -> Path:
    """Keep a file that failed its checksum aside in ``_rejected/``; never delete it.

    The one place that decides where rejected files go: ``<root>/_rejected/<fname>.<time>``
    (a number is added when that name is taken), so a learner or a teacher can look at
    what arrived and ``course cache --clear-rejected`` removes it all.

    Args:
        path: the file to keep aside.
        fname: its registry name (``"<dataset>/<path>"``), which names the kept copy.
        root: the cache folder; :func:`data_dir` by default.
        copy: copy the file instead of moving it (when its owner deletes it itself).

    Returns:
        Where the file was kept.
    """
    folder = (root if root is not None else data_dir()) / REJECTED_DIRNAME
    base = folder / f"{fname}.{time.strftime('%Y%m%d-%H%M%S')}"
    target, n = base, 1
    while target.exists():
        n += 1
        target = base.with_name(f"{base.name}-{n}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if copy:
        shutil.copyfile(path, target)
    else:
        shutil.move(str(path), target)
    return target
