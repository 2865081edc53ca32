"""Safe archive extraction: no member may land outside the target folder."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

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


def safe_extract(archive: Path, dest: Path) -> Path:
    """Extract a ``.tar``, ``.tar.gz`` or ``.zip`` archive into ``dest``, once.

    Every member is checked before anything is written: absolute paths, ``..``
    that climbs out of ``dest``, symbolic and hard links, and device files are
    refused with :class:`UnsafeArchiveError`; the standard library's ``"data"``
    extraction filter checks again while writing. Extraction goes to a temporary
    folder that is renamed into place at the end, so an interrupted run leaves
    no half-extracted tree. A finished extraction is not repeated.

    Args:
        archive: the archive file.
        dest: the folder to create.

    Returns:
        ``dest``.
    """
    archive = Path(archive)
    dest = Path(dest)
    if (dest / _DONE_MARKER).is_file():
        return dest
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    _check_member_path(name, archive)
                zf.extractall(tmp)
        else:
            with tarfile.open(archive) as tar:
                _check_tar(tar, archive)
                try:  # the standard library's own checks, as a second line of defence
                    tar.extractall(tmp, filter="data")
                except tarfile.FilterError as err:
                    raise UnsafeArchiveError(
                        f"Refusing to extract {archive.name}: {err}. Delete it and download it "
                        "again from the official URL."
                    ) from err
        (tmp / _DONE_MARKER).write_text(archive.name + "\n")
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest
