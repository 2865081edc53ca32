"""safe_extract(): hostile member paths are refused and nothing lands outside the target."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from course_utils.data.archive import safe_extract
from course_utils.data.errors import UnsafeArchiveError


def _tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = data
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize(
    "members, fragment",
    [
        ([("ok.txt", b"1", "file"), ("../evil.txt", b"x", "file")], "outside the target"),
        ([("a/../../evil.txt", b"x", "file")], "outside the target"),
        ([("/tmp/evil-absolute.txt", b"x", "file")], "absolute path"),
        ([("link", "../../etc/passwd", "symlink")], "is a link"),
        # A link to '.' then a member written through it: each path looks harmless alone.
        ([("a", ".", "symlink"), ("a/../evil.txt", b"x", "file")], "is a link"),
        ([("a", ".", "symlink"), ("a/q", "../evil.txt", "symlink")], "is a link"),
    ],
)
def test_hostile_tar_is_refused(tmp_path, members, fragment):
    archive = tmp_path / "bad.tar.gz"
    _tar(archive, members)
    dest = tmp_path / "out" / "bad"
    with pytest.raises(UnsafeArchiveError, match=fragment):
        safe_extract(archive, dest)
    assert not dest.exists() and not (tmp_path / "out" / "bad.partial").exists()
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out" / "evil.txt").exists()


def test_standard_library_filter_errors_become_clear_errors(tmp_path, monkeypatch):
    """If a member slips past our checks, tarfile's own filter still stops it, with our message."""
    from course_utils.data import archive as archive_module

    monkeypatch.setattr(archive_module, "_check_tar", lambda tar, path: None)
    bad = tmp_path / "bad.tar.gz"
    _tar(bad, [("../evil.txt", b"x", "file")])
    with pytest.raises(UnsafeArchiveError, match="download it again"):
        safe_extract(bad, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_hostile_zip_is_refused(tmp_path):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fine.txt", "1")
        zf.writestr("../../evil.txt", "x")
    with pytest.raises(UnsafeArchiveError, match="outside the target"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_good_archive_extracts_once(tmp_path):
    archive = tmp_path / "good.tar.gz"
    _tar(archive, [("top/a.txt", b"A", "file"), ("top/sub/b.txt", b"B", "file")])
    dest = safe_extract(archive, tmp_path / "good")
    assert (dest / "top" / "sub" / "b.txt").read_bytes() == b"B"
    (dest / "top" / "a.txt").write_bytes(b"changed")
    safe_extract(archive, tmp_path / "good")
    assert (dest / "top" / "a.txt").read_bytes() == b"changed", (
        "a finished extraction is not redone"
    )
