"""``fetch(name)``: download a dataset's registered files with pooch, verified and cached.

The registry (``registry.txt``) names every file and its SHA-256; ``catalog.SOURCES``
says where each comes from. With ``$COURSE_DATA_MIRROR`` set, the very same code copies
the files from ``<mirror>/<dataset>/<file>`` instead of the internet, and still checks
every checksum.
"""

from __future__ import annotations

import functools
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

from course_utils.data.archive import safe_extract
from course_utils.data.cache import (
    MIRROR_ENV_VAR,
    data_dir,
    mirror_dir,
    quarantine,
    sha256_of,
    sha256_of_files,
    shown_path,
)
from course_utils.data.catalog import CATALOG, SOURCES
from course_utils.data.errors import ChecksumError, DownloadError, SourceUnreachableError

_TIMEOUT_S = 60
#: Seconds to wait before each new attempt at a download that failed for a reason that
#: may pass (a dropped connection, a timeout, the server busy: HTTP 429 or 5xx); a wrong
#: checksum is never retried. Tests set it to zeros.
_RETRY_WAITS_S: tuple[float, ...] = (1.0, 3.0, 9.0)


def _read_registry(text: str) -> dict[str, tuple[str, str | None]]:
    """Read pooch's registry format (``<file> <sha256> [<url>]`` per line, ``#`` comments)
    with pooch itself: file -> (SHA-256, the file's own download URL or ``None``).

    The checksum may carry pooch's ``sha256:`` prefix; the optional third column is the
    file's own download URL (it overrides the catalog's base URL). That every checksum is
    a SHA-256 and every file listed once is checked by the tests on ``registry.txt``.

    Raises:
        OSError: for a line with the wrong number of fields (pooch's message names it).
    """
    import io

    import pooch

    reader = pooch.Pooch(path=".", base_url="")
    reader.load_registry(io.StringIO(text))
    return {
        fname: (checksum.rpartition(":")[2], reader.urls.get(fname))
        for fname, checksum in reader.registry.items()
    }


@functools.cache
def _registry_table() -> dict[str, tuple[str, str | None]]:
    """The parsed ``registry.txt``: file -> (SHA-256, URL from its optional third column)."""
    text = resources.files("course_utils.data").joinpath("registry.txt").read_text()
    return _read_registry(text)


@functools.cache
def registry() -> dict[str, str]:
    """Map each registered file (``"<dataset>/<path>"``) to its SHA-256."""
    return {fname: sha for fname, (sha, _url) in _registry_table().items()}


def registered_files(name: str) -> list[str]:
    """Registry file names (``"<dataset>/<path>"``) of one dataset."""
    prefix = f"{name}/"
    return sorted(f for f in registry() if f.startswith(prefix))


def url_of(fname: str) -> str | None:
    """The public URL of a registered file, or ``None`` for mirror-only files.

    The URL in the file's registry line wins; then the catalog's per-file URLs; then
    the dataset's base URL joined with the file's path.
    """
    listed = _registry_table().get(fname)
    if listed is not None and listed[1]:
        return listed[1]
    name, rel = fname.split("/", 1)
    source = SOURCES[name]
    if rel in source.urls:
        return source.urls[rel]
    if source.base_url:
        return source.base_url + rel
    return None


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
            # pooch deletes the download itself when the hash fails: keep a copy.
            self.rejected = quarantine(Path(output_file), self.fname, self.root, copy=True)


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


def _transient(err: BaseException) -> bool:
    """Whether a failed download may succeed if tried again a little later: the server was
    reached but failed or was busy, or the connection dropped or timed out. A connection
    that could not be made at all (refused, no such host: an offline machine, in effect)
    is not retried, so an offline learner hears so at once."""
    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(err, requests.exceptions.ConnectionError):
        cause = err.args[0] if err.args else None
        if isinstance(getattr(cause, "reason", None), NewConnectionError):
            return False
    if isinstance(err, requests.exceptions.HTTPError):
        status = err.response.status_code if err.response is not None else None
        return status == 429 or (status is not None and status >= 500)
    return isinstance(
        err,
        (
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ),
    )


def _with_retries(download: Callable[[], object], fname: str, retry: bool) -> None:
    """Run ``download``; after a transient failure, say so and try again after each wait
    of :data:`_RETRY_WAITS_S`, then let the last failure through."""
    waits = _RETRY_WAITS_S if retry else ()
    for attempt, wait in enumerate((*waits, None), start=1):
        try:
            download()
            return
        except Exception as err:  # noqa: BLE001 (only transient ones are retried)
            if wait is None or not _transient(err):
                raise
            print(
                f"{fname}: download failed ({type(err).__name__}); trying again in {wait:g} s "
                f"(attempt {attempt + 1} of {len(waits) + 1}).",
                file=sys.stderr,
            )
            time.sleep(wait)


def _fetch_file(pup, fname: str, root: Path, mirror: Path | None, progressbar: bool) -> None:
    import pooch
    import requests

    sha = registry()[fname]
    url = url_of(fname)
    where: Path | str
    if mirror is not None:
        where = mirror / mirror_path(fname)
        inner = _MirrorCopy(where)
    elif url is None:
        raise SourceUnreachableError(
            f"{fname} has no public URL: it is a repackaged copy available only from a local "
            f"mirror. Set {MIRROR_ENV_VAR} to a folder holding <mirror>/{mirror_path(fname)}."
        )
    else:
        where = url
        inner = pooch.HTTPDownloader(progressbar=progressbar, timeout=_TIMEOUT_S)
    downloader = _KeepRejected(inner, fname, sha, root)
    try:
        _with_retries(lambda: pup.fetch(fname, downloader=downloader), fname, retry=mirror is None)
    except FileNotFoundError as err:
        fallback = (
            "or unset it to download from the public URL."
            if url is not None
            else "(this file has no public URL: only a mirror can provide it)."
        )
        raise SourceUnreachableError(
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
        raise SourceUnreachableError(
            f"Could not download {url}: the machine seems offline or the server is "
            f"unreachable ({type(err).__name__}). {_offline_hint(fname)}"
        ) from err
    except requests.exceptions.HTTPError as err:
        if _transient(err):  # still busy after every retry
            raise SourceUnreachableError(
                f"The server of {url} stayed busy ({err}) through {len(_RETRY_WAITS_S) + 1} "
                f"attempts. Try again later. {_offline_hint(fname)}"
            ) from err
        raise SourceUnreachableError(
            f"The server refused {url} ({err}). If the URL has moved, report it to the course "
            f"maintainers. {_offline_hint(fname)}"
        ) from err


def fetch(name: str, *, progress: bool = True, only: Sequence[str] | None = None) -> Path:
    """Download (or copy from the mirror) every file of a dataset, verified and cached.

    Files already in the cache with the right checksum are not fetched again, and
    then ``$COURSE_DATA_MIRROR`` is not even looked at. A cached file whose checksum
    does not match is moved to ``_rejected/`` and fetched anew. Archives are
    extracted safely next to them, and extracted again only when the archive
    changed (see :func:`~course_utils.data.archive.safe_extract`).

    Args:
        name: a registry name, e.g. ``"camvid"`` (see :func:`course_utils.data.info`).
        progress: show a progress bar.
        only: fetch just these files of the dataset (paths inside it), e.g. one split's.

    Returns:
        The dataset's folder in the cache (``<data_dir>/<name>``).

    Raises:
        ValueError: for an unknown dataset name.
        DownloadError: when a file cannot be had: :class:`SourceUnreachableError` when
            its source cannot be reached (offline, HTTP error, missing from the mirror),
            :class:`ChecksumError` when it does not verify, plain ``DownloadError`` when
            the download was interrupted or the mirror folder does not exist.
    """
    import pooch
    from tqdm import tqdm

    _check_name(name)
    pooch.get_logger().setLevel("WARNING")
    root = data_dir()
    files = registered_files(name)
    if only is not None:
        wanted = {f"{name}/{f}" for f in only}
        unknown = wanted - set(files)
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not registered files of {name!r}.")
        files = sorted(wanted)
    sha = registry()
    todo = []
    # Each file hashed once per version (size and modification time), not on every fetch.
    known = sha256_of_files([root / fname for fname in files], root)
    for fname in files:
        path = root / fname
        if known[path] is not None:
            if known[path] == sha[fname]:
                continue
            aside = quarantine(path, fname, root)
            print(
                f"{fname}: checksum mismatch in the cache; moved it to {aside} "
                "and fetching a fresh copy.",
                file=sys.stderr,
            )
        todo.append(fname)

    if todo:
        # Only now: a mirror that has gone away must not break a cache that is complete.
        mirror = mirror_dir()
        pup = pooch.create(
            path=root,
            base_url="",
            registry={f: f"sha256:{sha[f]}" for f in todo},
            urls={f: url_of(f) or f"mirror-only:{f}" for f in todo},
            retry_if_failed=0,  # a failed checksum must not download (and keep) twice
        )
        origin = f"mirror {shown_path(mirror)}" if mirror else "the public URLs"
        single = len(todo) == 1
        bar = tqdm(
            todo, desc=f"{name} ({origin})", unit="file", disable=not progress or single,
            file=sys.stdout, mininterval=0.5,
        )  # fmt: skip
        for fname in bar:
            _fetch_file(pup, fname, root, mirror, progressbar=progress and single and not mirror)

    folder = root / name
    for archive in SOURCES[name].archives if only is None else ():
        # Verified above: the registry's SHA-256 is the archive's. A tree extracted from
        # another archive (an older registry entry, a corrupt copy) is extracted anew.
        safe_extract(
            folder / archive, folder / _archive_stem(archive), sha256=sha[f"{name}/{archive}"]
        )
    return folder


def _archive_stem(archive: str) -> str:
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip"):
        if archive.endswith(suffix):
            return archive[: -len(suffix)]
    return archive + ".d"
