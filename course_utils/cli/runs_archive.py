"""Share trained runs: ``course export-runs`` packs ``<data_dir>/runs/<profile>/`` into one
archive, ``course import-runs FILE|URL`` installs such an archive on another machine.

The archive is a ``.tar.gz`` holding ``runs-manifest.json`` (the profile and the SHA-256
and size of every file) and the files under ``runs/<profile>/``. An import checks
everything before it installs anything: the archive's paths (no absolute paths, ``..``,
links or devices, by :func:`course_utils.data.archive.safe_extract`), the manifest, and
every checksum. It extracts into a temporary folder inside the data folder and only then
moves the files into ``runs/<profile>/``, so a failed import leaves the runs already
there as they were. Runs of the same name are replaced, and the files they had are kept
aside in ``runs/<profile>/_replaced/<timestamp>/`` (nothing of the learner's is deleted);
other runs are kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

from course_utils import paths, runs
from course_utils.data.archive import safe_extract
from course_utils.data.cache import sha256_of, shown_path
from course_utils.data.errors import UnsafeArchiveError
from course_utils.profiles import PROFILES

MANIFEST_NAME = "runs-manifest.json"
#: The folder inside an archive that holds ``<profile>/<file>``: the archive's own format
#: (:data:`FORMAT_VERSION`), whatever the layout of the data folder
#: (:func:`course_utils.runs.runs_dir` decides where the runs are installed).
ARCHIVE_RUNS = "runs"
FORMAT = "segmentation-course runs"
FORMAT_VERSION = 1
_TIMEOUT_S = 60
#: A run file's name: no folders, not hidden (``.<name>.partial`` files are saves in progress).
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
#: The folder of ``runs/<profile>/`` where an import keeps the files of the runs it replaced.
REPLACED_DIRNAME = "_replaced"
#: Hosts an import may reach over plain ``http://`` (none: the tests add their local server).
_PLAIN_HTTP_HOSTS: frozenset[str] = frozenset()


class RunsArchiveError(RuntimeError):
    """A runs archive cannot be written, fetched, trusted or installed; nothing was installed."""


@dataclasses.dataclass(frozen=True)
class ExportedRuns:
    """What :func:`export_runs` wrote.

    Attributes:
        path: the archive.
        profile: the profile whose runs it holds.
        runs: the run names, sorted.
        files: the number of files in it (besides the manifest).
        size_bytes: the total size of those files (before compression).
        sha256: the archive's own SHA-256, to pin it (``course import-runs ... --sha256``).
    """

    path: Path
    profile: str
    runs: tuple[str, ...]
    files: int
    size_bytes: int
    sha256: str = ""


@dataclasses.dataclass(frozen=True)
class ImportedRuns:
    """What :func:`import_runs` installed.

    Attributes:
        folder: where the runs now are (``<data_dir>/runs/<profile>``).
        profile: their profile.
        runs: the run names installed, sorted.
        replaced: those of them that replaced a run of the same name.
        files: the number of files installed.
        kept_aside: where the files of the replaced runs now are
            (``runs/<profile>/_replaced/<timestamp>/``), or ``None`` when none was replaced.
    """

    folder: Path
    profile: str
    runs: tuple[str, ...]
    replaced: tuple[str, ...]
    files: int
    kept_aside: Path | None = None


def default_archive_path(profile: str) -> Path:
    """Where :func:`export_runs` writes when told nothing: ``build/runs-<profile>.tar.gz``
    (:func:`course_utils.paths.build_dir` is not committed, so a large archive never lands
    in the repository)."""
    return paths.build_dir() / f"runs-{profile}.tar.gz"


def _run_name(file_name: str) -> str:
    return PurePosixPath(file_name).stem


def _run_files(folder: Path) -> list[Path]:
    """The files of the saved runs in ``folder``: plain visible files, sorted."""
    return sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and not f.is_symlink() and _PLAIN_NAME.match(f.name)
    )


def export_runs(profile: str, out: str | os.PathLike[str] | None = None) -> ExportedRuns:
    """Pack the saved runs of one profile into a ``.tar.gz`` with a manifest of checksums.

    Each file is read once, and its checksum and its bytes in the archive come from that
    one read, so a run saved while the export runs cannot make the two disagree. The
    archive is written under a temporary name and renamed: it is complete or absent.

    Args:
        profile: ``"quick"``, ``"default"`` or ``"full"``.
        out: the archive to write; :func:`default_archive_path` by default.

    Returns:
        What was written.

    Raises:
        RunsArchiveError: for an unknown profile, or when it has no saved runs.
    """
    if profile not in PROFILES:
        raise RunsArchiveError(f"Unknown profile {profile!r}: use one of {', '.join(PROFILES)}.")
    folder = runs.runs_dir(profile, create=False)
    files = _run_files(folder) if folder.is_dir() else []
    if not files:
        raise RunsArchiveError(
            f"No saved runs for profile {profile!r} in {shown_path(folder)}: nothing to export. "
            "The notebooks save their trained models there; run them in this profile first "
            f"(COURSE_PROFILE={profile}), or export another profile with --profile."
        )
    target = Path(out) if out is not None else default_archive_path(profile)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    entries: dict[str, dict[str, Any]] = {}
    try:
        with tarfile.open(partial, "w:gz") as tar:
            for path in files:
                data = path.read_bytes()
                arcname = f"{ARCHIVE_RUNS}/{profile}/{path.name}"
                entries[arcname] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                _add(tar, arcname, data, path.stat().st_mtime)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "profile": profile,
                "created": time.strftime("%Y-%m-%d %H:%M:%S"),
                "files": entries,
            }
            text = json.dumps(manifest, indent=2) + "\n"
            _add(tar, MANIFEST_NAME, text.encode(), time.time())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    names = tuple(sorted({_run_name(f.name) for f in files}))
    size = sum(e["bytes"] for e in entries.values())
    return ExportedRuns(target, profile, names, len(files), size, sha256_of(target))


def _add(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    """Add a regular file, owned by nobody in particular (no user names leave the machine)."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o644
    tar.addfile(info, io.BytesIO(data))


def _is_url(source: str) -> bool:
    """Whether ``source`` is an address rather than a file's path (any ``scheme://``)."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source) is not None


def _check_url(url: str) -> None:
    """Only ``https://``: the archive's ``.keras`` files are loaded later, and an address
    anyone on the way can rewrite must not bring them."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme.lower() == "https" and parts.hostname:
        return
    if parts.scheme.lower() == "http" and parts.hostname in _PLAIN_HTTP_HOSTS:
        return
    raise RunsArchiveError(
        f"Refusing to import from {url}: only https:// addresses (or a file on this machine) "
        "are accepted, since an archive brings models that are loaded later and a plain "
        "http:// download can be altered on its way. Nothing was installed. Use the https:// "
        "address, or download the file another way and give its path (with --sha256 to pin "
        "it)."
    )


def _check_sha256(archive: Path, expected: str, shown: str) -> None:
    found = sha256_of(archive)
    if found != expected:
        raise RunsArchiveError(
            f"Checksum error: {shown} has SHA-256 {found}, not the {expected} given with "
            "--sha256: it is not the archive that was exported (or it was damaged on the "
            "way). Nothing was installed; ask for the archive and its hash again "
            "(course export-runs prints both)."
        )


def _download(url: str, folder: Path, progress: bool = False) -> Path:
    """Download ``url`` into ``folder`` with pooch's HTTP downloader (``progress``: its
    progress bar, on stderr); return the file."""
    import pooch
    import requests

    name = PurePosixPath(url.split("?", 1)[0]).name or "runs.tar.gz"
    target = folder / (name if _PLAIN_NAME.match(name) else "runs.tar.gz")
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=_TIMEOUT_S)
    try:
        downloader(url, str(target), None)
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as err:
        raise RunsArchiveError(
            f"Could not download {url}: the machine seems offline or the server is unreachable "
            f"({type(err).__name__}). Nothing was installed. Check the address, or download "
            "the file another way and give its path: course import-runs <file>."
        ) from err
    except requests.exceptions.HTTPError as err:
        raise RunsArchiveError(
            f"The server refused {url} ({err}). Nothing was installed. Check the address."
        ) from err
    except requests.exceptions.RequestException as err:
        raise RunsArchiveError(
            f"The download of {url} failed ({type(err).__name__}: {err}). Nothing was "
            "installed; run the same command again."
        ) from err
    return target


def _extract(archive: Path, dest: Path, shown: str) -> Path:
    try:
        return safe_extract(archive, dest)
    except UnsafeArchiveError as err:
        reason = str(err).split(". ", 1)[0].replace(f"Refusing to extract {archive.name}: ", "")
        raise RunsArchiveError(
            f"Refusing to import {shown}: {reason}. Nothing was installed. A runs archive "
            "holds only plain files; do not use this one, and ask for a new export "
            "(course export-runs)."
        ) from err
    except (tarfile.TarError, zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, EOFError) as err:
        raise RunsArchiveError(
            f"{shown} is not a readable .tar.gz or .zip archive ({type(err).__name__}: {err}); "
            "it may be truncated or not an archive at all. Nothing was installed; download it "
            "again, or make a new one with course export-runs."
        ) from err


def _read_manifest(tree: Path, shown: str) -> dict[str, Any]:
    path = tree / MANIFEST_NAME
    if not path.is_file():
        raise RunsArchiveError(
            f"{shown} has no {MANIFEST_NAME}, so it was not written by course export-runs (or "
            "was repacked since). Without the manifest its files cannot be checked: nothing "
            "was installed. Make the archive with course export-runs."
        )
    try:
        manifest = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RunsArchiveError(
            f"The {MANIFEST_NAME} of {shown} is not valid JSON ({err}). Nothing was installed; "
            "make the archive again with course export-runs."
        ) from err
    problem = _manifest_problem(manifest)
    if problem:
        raise RunsArchiveError(
            f"The {MANIFEST_NAME} of {shown} is not one course export-runs writes: {problem}. "
            "Nothing was installed; make the archive again with course export-runs."
        )
    return manifest


def _manifest_problem(manifest: Any) -> str:
    """What is wrong with a manifest's shape, or ``""``."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return f"its format is not {FORMAT!r}"
    if manifest.get("format_version") != FORMAT_VERSION:
        return (
            f"format version {manifest.get('format_version')!r}, this course reads "
            f"{FORMAT_VERSION} (update the course on one of the two machines)"
        )
    profile = manifest.get("profile")
    if profile not in PROFILES:
        return f"unknown profile {profile!r} (expected one of {', '.join(PROFILES)})"
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return "it lists no files"
    prefix = f"{ARCHIVE_RUNS}/{profile}/"
    for name, entry in files.items():
        base = name[len(prefix) :] if name.startswith(prefix) else ""
        if not _PLAIN_NAME.match(base):
            return f"{name!r} is not a file of {prefix}"
        sha = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
            return f"{name!r} has no SHA-256"
    return ""


def _check_plain_files(tree: Path, profile: str, shown: str) -> None:
    """Everything under ``runs/`` is a plain file of ``runs/<profile>/`` (no folder, no link)."""
    folders = {ARCHIVE_RUNS, f"{ARCHIVE_RUNS}/{profile}"}
    for path in sorted(tree.rglob("*")):
        name = path.relative_to(tree).as_posix()
        if path.parent == tree and name != ARCHIVE_RUNS:
            continue  # the manifest (anything else at the top is never installed)
        if name in folders and path.is_dir() and not path.is_symlink():
            continue
        if path.is_symlink() or not path.is_file() or path.parent != tree / ARCHIVE_RUNS / profile:
            kind = "a folder" if path.is_dir() else "something else"
            raise RunsArchiveError(
                f"Refusing to import {shown}: {name} is {kind}, not a plain file of "
                f"{ARCHIVE_RUNS}/{profile}/. Nothing was installed. A runs archive holds only "
                "plain files; do not use this one, and ask for a new export (course export-runs)."
            )


def _verify(tree: Path, manifest: dict[str, Any], shown: str) -> None:
    """Every file of the manifest is there with its checksum, and nothing else is."""
    _check_plain_files(tree, manifest["profile"], shown)
    found = {
        p.relative_to(tree).as_posix()
        for p in tree.rglob("*")
        if not p.is_dir() and p.parent != tree
    }
    listed = set(manifest["files"])
    if found - listed:
        extra = ", ".join(sorted(found - listed))
        raise RunsArchiveError(
            f"{shown} holds files its manifest does not list ({extra}). Nothing was installed; "
            "make the archive again with course export-runs."
        )
    if listed - found:
        missing = ", ".join(sorted(listed - found))
        raise RunsArchiveError(
            f"{shown} lacks files its manifest lists ({missing}): it is incomplete. Nothing "
            "was installed; download it again or make a new one with course export-runs."
        )
    for name in sorted(listed):
        expected = manifest["files"][name]["sha256"]
        if sha256_of(tree / name) != expected:
            raise RunsArchiveError(
                f"Checksum error: {name} in {shown} does not match the SHA-256 in its manifest "
                f"({expected[:12]}...): the archive was damaged or changed after it was "
                "exported. Nothing was installed; download it again or make a new one with "
                "course export-runs."
            )


def _aside_folder(folder: Path) -> Path:
    """A new, empty ``_replaced/<timestamp>/`` folder in ``folder`` (``-2``, ``-3``... when
    two imports share a second)."""
    parent = folder / REPLACED_DIRNAME
    parent.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for count in range(1, 1000):
        candidate = parent / (stamp if count == 1 else f"{stamp}-{count}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"{parent} holds a thousand folders named {stamp}: empty it")


def _install(source: Path, profile: str) -> ImportedRuns:
    """Move the verified files into ``runs/<profile>/``; a run's scores after its model.

    The files of the runs of the same name (and anything else in the way) are first moved
    into a ``_replaced/<timestamp>/`` folder. An OS error on the way (no space, no
    permission) undoes every move made so far and becomes a :class:`RunsArchiveError`; so
    does Ctrl-C, which then goes on (``KeyboardInterrupt``) once the runs that were there
    are back in place.
    """
    folder = runs.runs_dir(profile, create=False)
    files = sorted(source.iterdir(), key=lambda f: (_run_name(f.name), f.suffix == ".json"))
    names = tuple(sorted({_run_name(f.name) for f in files}))
    moved: list[tuple[Path, Path]] = []  # (from, to), in order, to undo
    aside: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        in_the_way = {folder / f.name for f in files if os.path.lexists(folder / f.name)}
        in_the_way |= {f for f in _run_files(folder) if _run_name(f.name) in names}
        replaced = tuple(sorted({_run_name(f.name) for f in in_the_way}))
        if in_the_way:
            aside = _aside_folder(folder)
            for old in sorted(in_the_way):
                os.replace(old, aside / old.name)
                moved.append((old, aside / old.name))
        for f in files:
            os.replace(f, folder / f.name)
            moved.append((f, folder / f.name))
    except BaseException as err:  # an OS error, or Ctrl-C half-way: put everything back
        stuck = _undo(moved)
        if aside is not None and not stuck:
            with contextlib.suppress(OSError):  # rmdir: only empty folders go
                aside.rmdir()
                aside.parent.rmdir()  # earlier imports' files stay
        if not isinstance(err, OSError) and not stuck:
            raise  # everything is back as it was: the interruption goes on
        where = (
            f"; putting back failed for {', '.join(str(p) for p in stuck)}: your previous "
            f"files are in {shown_path(aside)}"
            if stuck and aside is not None
            else " (the runs that were there are back in place)"
        )
        cause = f"{type(err).__name__}: {err}" if isinstance(err, OSError) else "interrupted"
        raise RunsArchiveError(
            f"Could not install the runs into {shown_path(folder)} ({cause}). Nothing was "
            f"installed{where}. Check that the folder is writable and its disk has space, "
            "then run the same command again."
        ) from err
    return ImportedRuns(folder, profile, names, replaced, len(files), aside)


def _undo(moved: list[tuple[Path, Path]]) -> list[Path]:
    """Move files back where they came from, last first; return those that could not be."""
    stuck = []
    for source, target in reversed(moved):
        try:
            os.replace(target, source)
        except OSError:
            stuck.append(source)
    return stuck


def import_runs(
    source: str | os.PathLike[str], sha256: str | None = None, *, progress: bool = False
) -> ImportedRuns:
    """Install the runs of an archive made by :func:`export_runs`, from a file or a URL.

    Everything is checked in a temporary folder inside the data folder before a single
    file is installed: the archive's paths, its manifest, and the SHA-256 of every file.
    Only then are the files moved into ``<data_dir>/runs/<profile>/`` (the profile the
    manifest names). A failure leaves the runs already there untouched; a run of the
    same name as one in the archive is replaced, its files kept aside in
    ``runs/<profile>/_replaced/<timestamp>/``; the others are kept.

    Args:
        source: an archive's path, or an ``https://`` URL to download it from (plain
            ``http://`` is refused: the models it brings are loaded later).
        sha256: the archive's SHA-256 as ``export_runs`` printed it, to pin the very
            archive that was exported; checked before anything is extracted.
        progress: show a progress bar (on stderr) while a URL downloads.

    Returns:
        What was installed, and where.

    Raises:
        RunsArchiveError: when the address is not ``https://``, the file is missing or
            cannot be downloaded, its SHA-256 is not ``sha256``, it is not an archive,
            holds an unsafe path or a folder, has no (valid) manifest, or a checksum does
            not match. The message says which and what to do; nothing was installed.
    """
    text = os.fspath(source)
    expected = None
    if sha256 is not None:
        expected = sha256.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", expected):
            raise RunsArchiveError(
                f"--sha256 {sha256!r} is not a SHA-256 (64 hexadecimal digits, as course "
                "export-runs prints it). Nothing was installed."
            )
    if _is_url(text):
        _check_url(text)
    elif not Path(text).is_file():
        raise RunsArchiveError(
            f"No file {text}: give the path of an archive made by course export-runs, or "
            "its https:// address."
        )
    work = Path(tempfile.mkdtemp(prefix=".runs-import-", dir=paths.data_dir()))
    try:
        archive = _download(text, work, progress) if _is_url(text) else Path(text)
        if expected is not None:
            _check_sha256(archive, expected, text)
        tree = _extract(archive, work / "tree", text)
        manifest = _read_manifest(tree, text)
        _verify(tree, manifest, text)
        profile = manifest["profile"]
        return _install(tree / ARCHIVE_RUNS / profile, profile)
    finally:
        shutil.rmtree(work, ignore_errors=True)
