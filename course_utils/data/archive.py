"""Safe archive extraction: no member may land outside the target folder, an archive may
not unpack to more than :data:`MAX_BYTES` in :data:`MAX_FILES` files, a tree extracted
from an older archive is replaced, never reused, and two extractions of the same tree at
once (a notebook and ``course fetch``) take turns."""

from __future__ import annotations

import contextlib
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from course_utils.data.cache import sha256_of
from course_utils.data.errors import UnsafeArchiveError

_DONE_MARKER = ".extracted"

#: The most an archive may unpack to (the course's datasets and runs archives are far
#: smaller): a damaged or hostile archive cannot fill the disk.
MAX_BYTES = 8 * 2**30
#: The most files (and folders) an archive may hold.
MAX_FILES = 200_000
#: How long an extraction waits for another one of the same tree to finish, in seconds.
LOCK_TIMEOUT_S = 3600


def _check_member_path(name: str, archive: Path) -> None:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or (pure.parts and pure.parts[0].endswith(":")):
        raise UnsafeArchiveError(
            f"Refusing to extract {archive.name}: member {name!r} has an absolute path. "
            "The archive is damaged or hostile; delete it and download it again from the "
            "dataset's official URL."
        )
    depth = 0
    for part in pure.parts:
        depth += -1 if part == ".." else (0 if part in ("", ".") else 1)
        if depth < 0:
            raise UnsafeArchiveError(
                f"Refusing to extract {archive.name}: member {name!r} points outside the "
                "target folder ('..'). The archive is damaged or hostile; delete it and "
                "download it again from the dataset's official URL."
            )


def _check_size(sizes: Iterable[int], archive: Path) -> None:
    """Refuse an archive whose members add up to more than :data:`MAX_FILES` files or
    :data:`MAX_BYTES` bytes."""
    count, total = 0, 0
    for size in sizes:
        count, total = count + 1, total + max(0, size)
    if count > MAX_FILES or total > MAX_BYTES:
        found = f"{count:,} files" if count > MAX_FILES else f"{total:,} bytes"
        limit = f"{MAX_FILES:,} files" if count > MAX_FILES else f"{MAX_BYTES:,} bytes"
        raise UnsafeArchiveError(
            f"Refusing to extract {archive.name}: it would unpack to {found}, more than the "
            f"{limit} the course allows for one archive. No archive of the course is that "
            "large: it is damaged or not the expected file; delete it and download it again "
            "from the official URL."
        )


def _check_tar(tar: tarfile.TarFile, archive: Path) -> None:
    _check_size((m.size if m.isfile() else 0 for m in tar.getmembers()), archive)
    for member in tar.getmembers():
        _check_member_path(member.name, archive)
        if member.issym() or member.islnk():
            # No dataset needs links, and links are how archives escape a folder
            # (a link to '.' or '..' followed by a member written through it).
            raise UnsafeArchiveError(
                f"Refusing to extract {archive.name}: member {member.name!r} is a link "
                f"(to {member.linkname!r}). Dataset archives hold only files and folders; "
                "delete the archive and download it again from the official URL."
            )
        if not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(
                f"Refusing to extract {archive.name}: member {member.name!r} is a device or "
                "pipe, which no dataset contains."
            )


def extracted_from(dest: Path) -> str | None:
    """The SHA-256 of the archive that ``dest`` was extracted from, or ``None``.

    ``None`` when ``dest`` holds no finished extraction, or one whose marker predates
    checksums (it holds only the archive's name): such a tree is extracted again.
    """
    try:
        fields = (Path(dest) / _DONE_MARKER).read_text().split()
    except OSError:
        return None
    if fields and len(fields[0]) == 64 and all(c in "0123456789abcdef" for c in fields[0]):
        return fields[0]
    return None


def _extract_checked_members(tar: tarfile.TarFile, folder: Path) -> None:
    """Extract members that :func:`_check_tar` has accepted (plain files and folders inside
    ``folder``), by hand: for Pythons whose ``tarfile`` has no extraction filters
    (3.10.0-3.10.11, 3.11.0-3.11.3). Files get mode 644 (755 when executable) and no owner,
    as the ``"data"`` filter gives them."""
    root = folder.resolve()
    for member in tar.getmembers():
        target = (folder / member.name.replace("\\", "/")).resolve()
        if target != root and not target.is_relative_to(root):  # _check_tar's job: twice
            raise UnsafeArchiveError(
                f"Refusing to extract member {member.name!r}: it points outside the target "
                "folder. Delete the archive and download it again from the official URL."
            )
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(member)
        if source is None:  # not a regular file: refused by _check_tar already
            continue
        with source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)
        target.chmod(0o755 if member.mode & 0o100 else 0o644)


def _extract_into(archive: Path, folder: Path) -> None:
    """Check every member of ``archive``, then extract it into ``folder``."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            _check_size((info.file_size for info in infos), archive)
            for info in infos:
                _check_member_path(info.filename, archive)
            zf.extractall(folder)
        return
    with tarfile.open(archive) as tar:
        _check_tar(tar, archive)
        if not hasattr(tarfile, "data_filter"):  # no filters before 3.10.12 / 3.11.4
            _extract_checked_members(tar, folder)
            return
        try:  # the standard library's own checks, as a second line of defence
            tar.extractall(folder, filter="data")
        except tarfile.FilterError as err:
            raise UnsafeArchiveError(
                f"Refusing to extract {archive.name}: {err}. Delete it and download it "
                "again from the official URL."
            ) from err


def _lock(dest: Path) -> contextlib.AbstractContextManager[object]:
    """A lock held while ``dest`` is checked and extracted: ``.<dest>.lock`` beside it (the
    empty file stays; the lock is the operating system's and goes with the process)."""
    from filelock import FileLock

    return FileLock(str(dest.with_name(f".{dest.name}.lock")), timeout=LOCK_TIMEOUT_S)


def safe_extract(archive: Path, dest: Path, sha256: str | None = None) -> Path:
    """Extract a ``.tar``, ``.tar.gz`` or ``.zip`` archive into ``dest``, again only if it changed.

    Every member is checked before anything is written: absolute paths, ``..``
    that climbs out of ``dest``, symbolic and hard links, and device files are
    refused with :class:`UnsafeArchiveError`; the standard library's ``"data"``
    extraction filter checks again while writing.

    ``dest/.extracted`` records the SHA-256 of the archive the tree came from. When
    it matches the archive, nothing is done. Otherwise (first extraction, or an
    archive fetched anew after a registry change or a corrupt copy) the archive is
    extracted into a temporary sibling folder of its own (hidden, unique) that then takes
    the place of ``dest``: an interrupted run leaves the previous tree or none, never a half
    tree that looks finished. The check and the extraction hold a lock on ``dest``
    (``.<dest name>.lock`` beside it), so a second extraction at the same time waits
    and then finds the tree done. An archive that would unpack to more than
    :data:`MAX_BYTES` or :data:`MAX_FILES` is refused.

    Args:
        archive: the archive file.
        dest: the folder to create (or replace).
        sha256: the archive's SHA-256 when the caller has just verified it; computed
            from the file otherwise.

    Returns:
        ``dest``.

    Raises:
        UnsafeArchiveError: for an unsafe member or an archive too large; nothing is written.
        TimeoutError: when another extraction of ``dest`` holds the lock for
            :data:`LOCK_TIMEOUT_S` seconds.
    """
    archive = Path(archive)
    dest = Path(dest)
    digest = sha256 or sha256_of(archive)
    if extracted_from(dest) == digest:
        return dest
    from filelock import Timeout

    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _lock(dest):
            if extracted_from(dest) == digest:  # extracted by another process meanwhile
                return dest
            _extract_replacing(archive, dest, digest)
    except Timeout as err:
        raise TimeoutError(
            f"Another extraction of {dest} (a notebook or `course fetch`) has held its lock "
            f"for {LOCK_TIMEOUT_S // 60} minutes: let it finish, or stop it, then run this "
            "again."
        ) from err
    return dest


def _extract_replacing(archive: Path, dest: Path, digest: str) -> None:
    """Extract into a new temporary folder beside ``dest``, then swap it in (under the lock)."""
    for legacy in (dest.with_name(dest.name + ".partial"), dest.with_name(dest.name + ".old")):
        shutil.rmtree(legacy, ignore_errors=True)  # left by an older course version, killed
    for leftover in dest.parent.glob(f".{dest.name}.*.tmp"):
        shutil.rmtree(leftover, ignore_errors=True)  # ours, from a killed run (we hold the lock)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", suffix=".tmp", dir=dest.parent))
    old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", suffix=".tmp", dir=dest.parent))
    old.rmdir()  # only the unique name is wanted: dest is renamed to it
    try:
        _extract_into(archive, tmp)
        (tmp / _DONE_MARKER).write_text(f"{digest}  {archive.name}\n")
        if dest.exists():
            dest.rename(old)
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not dest.exists():
            old.rename(dest)  # the previous tree is still a consistent one: keep it
        raise
    shutil.rmtree(old, ignore_errors=True)
