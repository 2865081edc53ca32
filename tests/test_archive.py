"""safe_extract(): hostile member paths are refused and nothing lands outside the target."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

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


def _sha256(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_marker_records_the_archives_sha256(tmp_path):
    archive = tmp_path / "good.tar.gz"
    _tar(archive, [("top/a.txt", b"A", "file")])
    dest = safe_extract(archive, tmp_path / "good")
    assert _sha256(archive) in (dest / ".extracted").read_text()


def test_changed_archive_is_extracted_again(tmp_path):
    """A re-fetched archive (new registry entry, corrupt copy replaced) must not be
    answered with the tree of the old one."""
    archive = tmp_path / "data.tar.gz"
    _tar(archive, [("top/a.txt", b"old", "file"), ("top/gone.txt", b"x", "file")])
    dest = safe_extract(archive, tmp_path / "data")
    _tar(archive, [("top/a.txt", b"new", "file"), ("top/added.txt", b"y", "file")])
    assert safe_extract(archive, tmp_path / "data") == dest
    assert (dest / "top" / "a.txt").read_bytes() == b"new"
    assert (dest / "top" / "added.txt").is_file()
    assert not (dest / "top" / "gone.txt").exists(), "files of the old archive must go"
    assert _listing(tmp_path) == ["data", "data.tar.gz"], "no leftovers"


def test_tree_with_a_marker_from_before_checksums_is_extracted_again(tmp_path):
    archive = tmp_path / "data.tar.gz"
    _tar(archive, [("top/a.txt", b"current", "file")])
    stale = tmp_path / "data"
    (stale / "top").mkdir(parents=True)
    (stale / "top" / "a.txt").write_bytes(b"stale")
    (stale / ".extracted").write_text("data.tar.gz\n")  # what the marker used to hold
    safe_extract(archive, stale)
    assert (stale / "top" / "a.txt").read_bytes() == b"current"


def test_interrupted_extraction_leaves_the_previous_tree_and_no_half_tree(tmp_path, monkeypatch):
    archive = tmp_path / "data.tar.gz"
    _tar(archive, [("top/a.txt", b"old", "file")])
    old_sha = _sha256(archive)
    dest = safe_extract(archive, tmp_path / "data")
    _tar(archive, [("top/a.txt", b"new", "file"), ("top/b.txt", b"new", "file")])

    real_extractall = tarfile.TarFile.extractall

    def interrupted(self, path=".", *args, **kwargs):
        (Path(path) / "top").mkdir(parents=True, exist_ok=True)
        (Path(path) / "top" / "a.txt").write_bytes(b"half")  # one member written, then ^C
        raise KeyboardInterrupt

    monkeypatch.setattr(tarfile.TarFile, "extractall", interrupted)
    with pytest.raises(KeyboardInterrupt):
        safe_extract(archive, dest)
    assert (dest / "top" / "a.txt").read_bytes() == b"old", "the previous tree is untouched"
    assert old_sha in (dest / ".extracted").read_text(), "and still says where it came from"
    assert _listing(tmp_path) == ["data", "data.tar.gz"], "no half tree"

    monkeypatch.setattr(tarfile.TarFile, "extractall", real_extractall)
    safe_extract(archive, dest)
    assert (dest / "top" / "b.txt").read_bytes() == b"new", "the next run extracts it"


def test_interrupted_first_extraction_leaves_nothing_that_looks_done(tmp_path, monkeypatch):
    archive = tmp_path / "data.tar.gz"
    _tar(archive, [("top/a.txt", b"A", "file")])

    def interrupted(self, path=".", *args, **kwargs):
        (Path(path) / "half.txt").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(tarfile.TarFile, "extractall", interrupted)
    with pytest.raises(KeyboardInterrupt):
        safe_extract(archive, tmp_path / "data")
    assert _listing(tmp_path) == ["data.tar.gz"]


def _listing(folder: Path) -> list[str]:
    """The names in ``folder``, without the extraction lock files (they stay, empty)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


def test_extracts_where_tarfile_has_no_data_filter(tmp_path, monkeypatch):
    """Python 3.10.0-3.10.11 and 3.11.0-3.11.3 have no extraction filters (``filter=`` is a
    TypeError there): the course's own member checks do the work, hostile archives are
    still refused, and no special permission bit comes out of an archive."""
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    real = tarfile.TarFile.extractall

    def without_filters(self, path=".", members=None, *, numeric_owner=False, **kwargs):
        if kwargs:
            name = next(iter(kwargs))
            raise TypeError(f"extractall() got an unexpected keyword argument {name!r}")
        return real(self, path, members, numeric_owner=numeric_owner, filter="fully_trusted")

    monkeypatch.setattr(tarfile.TarFile, "extractall", without_filters)
    archive = tmp_path / "good.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        folder = tarfile.TarInfo("top/sub")
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(folder)
        for name, mode in (("top/sub/b.txt", 0o4755), ("top/a.txt", 0o600)):
            info = tarfile.TarInfo(name)
            info.size, info.mode = 1, mode
            tar.addfile(info, io.BytesIO(b"B"))
    dest = safe_extract(archive, tmp_path / "good")
    assert (dest / "top" / "sub" / "b.txt").read_bytes() == b"B"
    assert not (dest / "top" / "sub" / "b.txt").stat().st_mode & 0o7000, "no setuid bit"
    assert (dest / "top" / "a.txt").stat().st_mode & 0o400
    bad = tmp_path / "bad.tar.gz"
    _tar(bad, [("ok.txt", b"1", "file"), ("../evil.txt", b"x", "file")])
    with pytest.raises(UnsafeArchiveError, match="outside the target"):
        safe_extract(bad, tmp_path / "bad")
    assert not (tmp_path / "evil.txt").exists()


def test_two_extractions_at_once_leave_one_complete_tree(tmp_path, monkeypatch):
    """A notebook and `course fetch` extracting the same archive at the same time: the
    second waits for the first, and the tree is whole, its marker true."""
    import threading

    from course_utils.data import archive as archive_module

    archive = tmp_path / "data.tar.gz"
    _tar(archive, [(f"top/{i}.txt", str(i).encode(), "file") for i in range(20)])
    real = archive_module._extract_into
    first_done, go_on = threading.Event(), threading.Event()

    def slow_first(source, folder, *args, **kwargs):
        real(source, folder, *args, **kwargs)
        if not first_done.is_set():
            first_done.set()
            go_on.wait(10)

    monkeypatch.setattr(archive_module, "_extract_into", slow_first)
    errors: list[BaseException] = []

    def extract() -> None:
        try:
            safe_extract(archive, tmp_path / "data")
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    first = threading.Thread(target=extract)
    first.start()
    assert first_done.wait(10)
    second = threading.Thread(target=extract)
    second.start()
    second.join(1.0)  # the second one runs (or waits) while the first holds its tree
    go_on.set()
    first.join(10)
    second.join(10)
    assert not errors, errors
    dest = tmp_path / "data"
    assert sorted(p.name for p in (dest / "top").iterdir()) == sorted(f"{i}.txt" for i in range(20))
    assert _sha256(archive) in (dest / ".extracted").read_text()
    assert _listing(tmp_path) == ["data", "data.tar.gz"], "no temporary folder left"


@pytest.mark.parametrize("kind", ["tar", "zip"])
@pytest.mark.parametrize(
    ("limit", "value", "fragment"), [("MAX_FILES", 2, "3 files"), ("MAX_BYTES", 10, "12 bytes")]
)
def test_an_archive_that_unpacks_to_too_much_is_refused(
    tmp_path, monkeypatch, kind, limit, value, fragment
):
    from course_utils.data import archive as archive_module

    monkeypatch.setattr(archive_module, limit, value)
    members = [("a.txt", b"1234", "file"), ("b.txt", b"1234", "file"), ("c.txt", b"1234", "file")]
    archive = tmp_path / f"big.{'tar.gz' if kind == 'tar' else 'zip'}"
    if kind == "tar":
        _tar(archive, members)
    else:
        with zipfile.ZipFile(archive, "w") as zf:
            for name, data, _ in members:
                zf.writestr(name, data)
    with pytest.raises(UnsafeArchiveError, match=fragment) as caught:
        safe_extract(archive, tmp_path / "big")
    assert "more than" in str(caught.value)
    assert _listing(tmp_path) == [archive.name], "nothing extracted"
