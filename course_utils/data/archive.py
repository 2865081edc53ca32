"""Safe archive extraction: no member may land outside the target folder, and a tree
extracted from an older archive is replaced, never reused."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from course_utils.data.cache import sha256_of
from course_utils.data.errors import UnsafeArchiveError

_DONE_MARKER = ".extracted"


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


def _check_tar(tar: tarfile.TarFile, archive: Path) -> None:
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


def _extract_into(archive: Path, folder: Path) -> None:
    """Check every member of ``archive``, then extract it into ``folder``."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                _check_member_path(name, archive)
            zf.extractall(folder)
        return
    with tarfile.open(archive) as tar:
        _check_tar(tar, archive)
        try:  # the standard library's own checks, as a second line of defence
            tar.extractall(folder, filter="data")
        except tarfile.FilterError as err:
            raise UnsafeArchiveError(
                f"Refusing to extract {archive.name}: {err}. Delete it and download it "
                "again from the official URL."
            ) from err


def safe_extract(archive: Path, dest: Path, sha256: str | None = None) -> Path:
    """Extract a ``.tar``, ``.tar.gz`` or ``.zip`` archive into ``dest``, again only if it changed.

    Every member is checked before anything is written: absolute paths, ``..``
    that climbs out of ``dest``, symbolic and hard links, and device files are
    refused with :class:`UnsafeArchiveError`; the standard library's ``"data"``
    extraction filter checks again while writing.

    ``dest/.extracted`` records the SHA-256 of the archive the tree came from. When
    it matches the archive, nothing is done. Otherwise (first extraction, or an
    archive fetched anew after a registry change or a corrupt copy) the archive is
    extracted into a temporary sibling folder that then takes the place of ``dest``:
    an interrupted run leaves the previous tree or none, never a half tree that
    looks finished.

    Args:
        archive: the archive file.
        dest: the folder to create (or replace).
        sha256: the archive's SHA-256 when the caller has just verified it; computed
            from the file otherwise.

    Returns:
        ``dest``.
    """
    archive = Path(archive)
    dest = Path(dest)
    digest = sha256 or sha256_of(archive)
    if extracted_from(dest) == digest:
        return dest
    tmp = dest.with_name(dest.name + ".partial")
    old = dest.with_name(dest.name + ".old")
    for leftover in (tmp, old):  # from a run that was killed before it could clean up
        shutil.rmtree(leftover, ignore_errors=True)
    tmp.mkdir(parents=True)
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
    return dest
