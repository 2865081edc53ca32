"""The datasets the notebooks read, as one set: what ``course fetch --course`` fetches and
``course check --class`` expects in the data folder.

The list is written once, here. ``tests/test_course_datasets.py`` reads every
``data.arrays("...")``, ``data.load("...")`` and ``data.fetch("...")`` of the notebooks
and compares, so it cannot drift from them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from course_utils.data.cache import data_dir, sha256_of_files
from course_utils.data.catalog import SOURCES
from course_utils.data.download import fetch, registered_files, registry
from course_utils.data.errors import DatasetError, SourceUnreachableError

#: Every dataset a notebook reads (the built-in ``shapes`` needs no download).
COURSE_DATASETS: tuple[str, ...] = ("camvid", "cifar10", "isbi2012")

#: A copy that stands in for a dataset whose official files cannot be reached, as the
#: readers do: CIFAR-10's JPEG copy, which only a local mirror provides.
STAND_INS: dict[str, str] = {"cifar10": "cifar10_jpeg"}


@dataclasses.dataclass(frozen=True)
class DatasetStatus:
    """Whether one course dataset is in the data folder.

    Attributes:
        name: the dataset the notebooks ask for, e.g. ``"cifar10"``.
        present: the dataset whose files are all there: ``name``, its stand-in, or
            ``None`` when neither is complete.
        bytes_to_fetch: what a fetch would still download (0 when present).
        damaged: registered files of ``name`` that are there but fail their SHA-256 (a
            zero-byte or truncated download, a file changed since): a fetch sets them
            aside in ``_rejected/`` and downloads them again.
    """

    name: str
    present: str | None
    bytes_to_fetch: int
    damaged: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        """Whether the notebooks can read the dataset without a network."""
        return self.present is not None


@dataclasses.dataclass(frozen=True)
class FetchOutcome:
    """What fetching one course dataset gave.

    Attributes:
        name: the dataset the notebooks ask for.
        fetched: the dataset actually fetched (``name`` or its stand-in), ``None`` on failure.
        path: its folder in the data folder, ``None`` on failure.
        error: why it failed, or why the stand-in was fetched instead; ``""`` otherwise.
    """

    name: str
    fetched: str | None
    path: Path | None
    error: str = ""


def download_size(name: str) -> int:
    """The total size of a dataset's registered files: what a first fetch downloads.

    Raises:
        ValueError: when the catalog records no size for it.
    """
    size = SOURCES[name].size_bytes if name in SOURCES else None
    if size is None:
        raise ValueError(
            f"No download size recorded for {name!r}: add size_bytes to its Source in "
            "course_utils/data/catalog.py (the sum of its registered files' sizes)."
        )
    return size


def missing_files(name: str) -> list[str]:
    """Registered files of a dataset (``"<dataset>/<path>"``) that are not in the data folder.

    Only presence is checked here; :func:`damaged_files` checks the content.
    """
    root = data_dir()
    return [f for f in registered_files(name) if not (root / f).is_file()]


def damaged_files(name: str) -> list[str]:
    """Registered files of a dataset that are in the data folder but fail their SHA-256.

    Each file is hashed once per version (:func:`~course_utils.data.cache.sha256_of_files`).
    """
    root = data_dir()
    files = registered_files(name)
    digests = sha256_of_files([root / f for f in files], root)
    expected = registry()
    return [f for f in files if digests[root / f] not in (None, expected[f])]


def _good_bytes(name: str, damaged: list[str]) -> int:
    root = data_dir()
    files = (root / f for f in registered_files(name) if f not in damaged)
    return sum(f.stat().st_size for f in files if f.is_file())


def status(name: str) -> DatasetStatus:
    """Whether a dataset (or the copy that stands in for it) is complete in the data folder,
    every file of it with its registered SHA-256."""
    for candidate in (name, STAND_INS.get(name)):
        if candidate is not None and not missing_files(candidate):
            if not damaged_files(candidate):
                return DatasetStatus(name, candidate, 0)
    damaged = damaged_files(name)
    to_fetch = max(0, download_size(name) - _good_bytes(name, damaged))
    return DatasetStatus(name, None, to_fetch, tuple(damaged))


def course_status() -> list[DatasetStatus]:
    """:func:`status` of every dataset in :data:`COURSE_DATASETS`."""
    return [status(name) for name in COURSE_DATASETS]


def fetch_course(*, progress: bool = True) -> list[FetchOutcome]:
    """Fetch every course dataset (verified and cached, see :func:`~course_utils.data.fetch`).

    A dataset whose official files cannot be reached (offline, or a mirror without them)
    is replaced by its stand-in from :data:`STAND_INS` when that one can be had, as the
    readers do. Other failures (a checksum that does not match, an interrupted download)
    are reported, never papered over. One failure does not stop the others.

    Args:
        progress: show progress bars.

    Returns:
        One outcome per dataset, in the order of :data:`COURSE_DATASETS`.
    """
    return [_fetch_one(name, progress) for name in COURSE_DATASETS]


def _fetch_one(name: str, progress: bool) -> FetchOutcome:
    try:
        return FetchOutcome(name, name, fetch(name, progress=progress))
    except SourceUnreachableError as err:
        official = err
    except (DatasetError, ValueError) as err:
        return FetchOutcome(name, None, None, str(err))
    stand_in = STAND_INS.get(name)
    if stand_in is None:
        return FetchOutcome(name, None, None, str(official))
    try:
        path = fetch(stand_in, progress=progress)
    except (DatasetError, ValueError) as err:
        return FetchOutcome(name, None, None, f"{official}\nIts stand-in {stand_in}: {err}")
    return FetchOutcome(name, stand_in, path, str(official))
