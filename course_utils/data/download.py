"""``fetch(name)``: download a dataset's registered files with pooch, verified and cached.

The registry (``registry.txt``) names every file and its SHA-256; ``catalog.SOURCES``
says where each comes from. With ``$COURSE_DATA_MIRROR`` set, the very same code copies
the files from ``<mirror>/<dataset>/<file>`` instead of the internet, and still checks
every checksum.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import sys
import time
from importlib import resources
from collections.abc import Sequence
from pathlib import Path

from course_utils.data.archive import safe_extract
from course_utils.data.cache import MIRROR_ENV_VAR, REJECTED_DIRNAME, data_dir, mirror_dir
from course_utils.data.catalog import CATALOG, SOURCES
from course_utils.data.errors import ChecksumError, DownloadError

_TIMEOUT_S = 60


@functools.cache
def registry() -> dict[str, str]:
    """Map each registered file (``"<dataset>/<path>"``) to its SHA-256."""
    text = resources.files("course_utils.data").joinpath("registry.txt").read_text()
    entries = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            fname, sha = line.split()
            entries[fname] = sha
    return entries


def registered_files(name: str) -> list[str]:
    """Registry file names (``"<dataset>/<path>"``) of one dataset."""
    prefix = f"{name}/"
    return sorted(f for f in registry() if f.startswith(prefix))


def url_of(fname: str) -> str | None:
    """The public URL of a registered file, or ``None`` for mirror-only files."""
    name, rel = fname.split("/", 1)
    source = SOURCES[name]
    if rel in source.urls:
        return source.urls[rel]
    if source.base_url:
        return source.base_url + rel
    return None


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _set_aside(path: Path, root: Path, fname: str) -> Path:
    """Move a file that failed its checksum to ``_rejected/`` (never delete it)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = root / REJECTED_DIRNAME / f"{fname}.{stamp}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), target)
    return target


def _check_name(name: str) -> None:
    if name == "shapes":
        raise ValueError("'shapes' is built in and needs no download: use data.shapes() or load().")
    if name not in SOURCES or name not in CATALOG:
        known = ", ".join(sorted(SOURCES))
        raise ValueError(f"Unknown dataset {name!r}. The registry knows: {known}.")


class _KeepRejected:
    """Wrap a pooch downloader: a download that fails its checksum is kept aside."""

    def __init__(self, inner, fname: str, sha: str, root: Path):
        self.inner, self.fname, self.sha, self.root = inner, fname, sha, root
        self.rejected: Path | None = None

    def __call__(self, url: str, output_file: str, pooch_obj) -> None:
        self.inner(url, output_file, pooch_obj)
        if sha256_of(Path(output_file)) != self.sha:
            target = self.root / REJECTED_DIRNAME / f"{self.fname}.{time.strftime('%Y%m%d-%H%M%S')}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(output_file, target)
            self.rejected = target


class _MirrorCopy:
    """A pooch downloader that copies from a local mirror folder."""

    def __init__(self, source: Path):
        self.source = source

    def __call__(self, url: str, output_file: str, pooch_obj) -> None:
        if not self.source.is_file():
            raise FileNotFoundError(self.source)
        shutil.copyfile(self.source, output_file)


def mirror_path(fname: str) -> str:
    """Where a registry file must sit inside a mirror: ``<dataset folder>/<path>``."""
    name, rel = fname.split("/", 1)
    return f"{SOURCES[name].mirror_folder or name}/{rel}"


def _offline_hint(fname: str) -> str:
    return (
        f"To work offline, fetch it on a connected machine (python -m course_utils fetch "
        f"{fname.split('/')[0]}) and copy the data/ folder over, or set {MIRROR_ENV_VAR} to a "
        f"folder holding <mirror>/{mirror_path(fname)}."
    )


def _fetch_file(pup, fname: str, root: Path, mirror: Path | None, progressbar: bool) -> None:
    import pooch
    import requests

    sha = registry()[fname]
    url = url_of(fname)
    if mirror is not None:
        where = mirror / mirror_path(fname)
        inner = _MirrorCopy(where)
    elif url is None:
        raise DownloadError(
            f"{fname} has no public URL: it is a repackaged copy available only from a local "
            f"mirror. Set {MIRROR_ENV_VAR} to a folder holding <mirror>/{mirror_path(fname)}."
        )
    else:
        where = url
        inner = pooch.HTTPDownloader(progressbar=progressbar, timeout=_TIMEOUT_S)
    downloader = _KeepRejected(inner, fname, sha, root)
    try:
        pup.fetch(fname, downloader=downloader)
    except FileNotFoundError as err:
        fallback = (
            "or unset it to download from the public URL."
            if url is not None
            else "(this file has no public URL: only a mirror can provide it)."
        )
        raise DownloadError(
            f"The mirror {mirror} has no {mirror_path(fname)} (looked for {where}). Check "
            f"{MIRROR_ENV_VAR}, {fallback}"
        ) from err
    except ValueError as err:
        if downloader.rejected is None:
            raise
        raise ChecksumError(
            f"{fname} from {where} does not match its registered SHA-256 ({sha[:12]}...). "
            f"The file was kept aside as {downloader.rejected} and nothing was cached. The "
            "source may be corrupt or changed: try again later, or fetch it from another "
            "mirror; do not edit the registry to match an unknown file."
        ) from err
    except (
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
    ) as err:
        raise DownloadError(
            f"The download of {url} was interrupted ({type(err).__name__}). Nothing was "
            "kept in the cache; run the same command again to restart it."
        ) from err
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as err:
        raise DownloadError(
            f"Could not download {url}: the machine seems offline or the server is "
            f"unreachable ({type(err).__name__}). {_offline_hint(fname)}"
        ) from err
    except requests.exceptions.HTTPError as err:
        raise DownloadError(
            f"The server refused {url} ({err}). If the URL has moved, report it to the course "
            f"maintainers. {_offline_hint(fname)}"
        ) from err


def fetch(name: str, *, progress: bool = True, only: Sequence[str] | None = None) -> Path:
    """Download (or copy from the mirror) every file of a dataset, verified and cached.

    Files already in the cache with the right checksum are not fetched again. A
    cached file whose checksum does not match is moved to ``_rejected/`` and
    fetched anew. Archives are extracted safely next to them, once.

    Args:
        name: a registry name, e.g. ``"camvid"`` (see :func:`course_utils.data.info`).
        progress: show a progress bar.
        only: fetch just these files of the dataset (paths inside it), e.g. one split's.

    Returns:
        The dataset's folder in the cache (``<data_dir>/<name>``).

    Raises:
        ValueError: for an unknown dataset name.
        DownloadError: when a file cannot be had (offline, HTTP error, interrupted,
            missing from the mirror); :class:`ChecksumError` when it does not verify.
    """
    import pooch
    from tqdm import tqdm

    _check_name(name)
    pooch.get_logger().setLevel("WARNING")
    root = data_dir()
    mirror = mirror_dir()
    files = registered_files(name)
    if only is not None:
        wanted = {f"{name}/{f}" for f in only}
        unknown = wanted - set(files)
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not registered files of {name!r}.")
        files = sorted(wanted)
    sha = registry()
    todo = []
    for fname in files:
        path = root / fname
        if path.is_file():
            if sha256_of(path) == sha[fname]:
                continue
            aside = _set_aside(path, root, fname)
            print(
                f"{fname}: checksum mismatch in the cache; moved it to {aside} "
                "and fetching a fresh copy.",
                file=sys.stderr,
            )
        todo.append(fname)

    if todo:
        pup = pooch.create(
            path=root,
            base_url="",
            registry={f: f"sha256:{sha[f]}" for f in todo},
            urls={f: url_of(f) or f"mirror-only:{f}" for f in todo},
            retry_if_failed=0,  # a failed checksum must not download (and keep) twice
        )
        origin = f"mirror {mirror}" if mirror else "the public URLs"
        single = len(todo) == 1
        bar = tqdm(
            todo, desc=f"{name} ({origin})", unit="file", disable=not progress or single,
            file=sys.stdout, mininterval=0.5,
        )  # fmt: skip
        for fname in bar:
            _fetch_file(pup, fname, root, mirror, progressbar=progress and single and not mirror)

    folder = root / name
    for archive in SOURCES[name].archives if only is None else ():
        safe_extract(folder / archive, folder / _archive_stem(archive))
    return folder


def _archive_stem(archive: str) -> str:
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip"):
        if archive.endswith(suffix):
            return archive[: -len(suffix)]
    return archive + ".d"
