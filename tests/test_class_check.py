"""``course check --class``: one line per check, then one line that says ready or what to run."""

from __future__ import annotations

import collections
import hashlib
import os

import pytest

from course_utils import cli
from course_utils.cli import readiness
from course_utils.data import download
from course_utils.data.course_datasets import COURSE_DATASETS

VERSIONS = {"tensorflow": "2.21.0", "keras": "3.15.1"}


FAKE = b"a stand-in for the file"


@pytest.fixture
def fake_registry(monkeypatch):
    """Every registered file's SHA-256 made that of :data:`FAKE` (for this test only)."""
    for fname in download.registry():
        monkeypatch.setitem(download.registry(), fname, hashlib.sha256(FAKE).hexdigest())


def _fake_fetched(data_dir, names) -> None:
    """Every registered file of ``names`` in the data folder, with the content the
    ``fake_registry`` fixture makes the registry expect."""
    for name in names:
        for fname in download.registered_files(name):
            (data_dir / fname).parent.mkdir(parents=True, exist_ok=True)
            (data_dir / fname).write_bytes(FAKE)


@pytest.fixture
def libraries_import(monkeypatch):
    """TensorFlow and Keras 'import' in the course's versions, without importing them."""
    monkeypatch.setattr(readiness, "_import_libraries", lambda: dict(VERSIONS))


def test_a_missing_dataset_names_the_fetch_command(
    empty_data_dir, libraries_import, fake_registry, capsys
):
    _fake_fetched(empty_data_dir, [n for n in COURSE_DATASETS if n != "isbi2012"])
    assert cli.main(["check", "--class"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("Pre-class check")
    assert any(line.split()[:2] == ["TO", "FIX"] and "isbi2012" in line for line in lines[1:-1])
    last = lines[-1]
    assert last.startswith("NOT READY") and "course fetch --course" in last
    assert "isbi2012" in last and "camvid" not in last


def test_all_present_is_ready(empty_data_dir, libraries_import, fake_registry, capsys):
    _fake_fetched(empty_data_dir, COURSE_DATASETS)
    assert cli.main(["check", "--class"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines[1:-1]] == ["ok"] * 4
    assert "TensorFlow 2.21.0 and Keras 3.15.1" in lines[2]
    assert lines[-1].startswith("READY for class")


def test_a_stand_in_is_enough(empty_data_dir, libraries_import, fake_registry, capsys):
    _fake_fetched(empty_data_dir, ["camvid", "isbi2012", "cifar10_jpeg"])
    assert cli.main(["check", "--class"]) == 0
    assert "cifar10 (as cifar10_jpeg)" in capsys.readouterr().out


def test_every_problem_is_in_the_last_line_in_order(empty_data_dir, monkeypatch, capsys):
    def broken():
        raise RuntimeError("the import failed: ImportError: libcudart.so.12")

    monkeypatch.setattr(readiness, "_import_libraries", broken)
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(readiness.shutil, "disk_usage", lambda path: usage(0, 0, 2 * 1024**3))
    assert cli.main(["check", "--class"]) == 1
    out = capsys.readouterr().out
    assert "TensorFlow/Keras do not import: the import failed: ImportError" in out
    assert "2.0 GB free" in out and "less than the 5 GB a class needs" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("NOT READY. To fix: (1) TensorFlow/Keras do not import")
    assert "make clean-env && make lab" in last
    assert "(2) fetch the course datasets (camvid, cifar10, isbi2012)" in last
    assert "(3) free 3.0 GB more" in last and "COURSE_DATA_DIR" in last


def test_versions_outside_the_course_range_are_named(monkeypatch):
    monkeypatch.setattr(readiness, "_required_specifiers", lambda: {"tensorflow": ">=2.21,<2.22"})
    finding = readiness.check_libraries(lambda: {"tensorflow": "2.19.0", "keras": "3.15.1"})
    assert not finding.ok and "TensorFlow 2.19.0" in finding.detail
    assert finding.detail.endswith("but the course needs tensorflow>=2.21,<2.22")
    assert readiness.check_libraries(lambda: dict(VERSIONS)).ok


def test_the_course_ranges_come_from_the_installed_metadata():
    ranges = readiness._required_specifiers()
    assert set(ranges) == {"tensorflow", "keras"} and "2.21" in ranges["tensorflow"]


@pytest.mark.parametrize(
    ("version", "ok"),
    [((3, 9, 18), False), ((3, 10, 0), True), ((3, 13, 1), True), ((3, 14, 0), False)],
)
def test_python_versions(version, ok):
    finding = readiness.check_python(version)
    assert finding.ok == ok
    if not ok:
        assert "3.10 to 3.13" in finding.detail and "PYTHON=3.13" in finding.fix


@pytest.mark.slow  # a TensorFlow subprocess
def test_the_real_import_of_tensorflow_and_keras():
    """In a child process, as learners run it (a crash there would be reported, not suffered)."""
    versions = readiness._import_libraries()
    assert versions["tensorflow"].startswith("2.21") and versions["keras"].startswith("3.")
    assert readiness.check_libraries(lambda: versions).ok


@pytest.mark.parametrize("damage", ["zero bytes", "truncated"])
def test_a_zero_byte_or_truncated_file_is_not_ready(
    empty_data_dir, libraries_import, fake_registry, capsys, damage
):
    _fake_fetched(empty_data_dir, COURSE_DATASETS)
    bad = empty_data_dir / download.registered_files("isbi2012")[0]
    bad.write_bytes(b"" if damage == "zero bytes" else FAKE[:5])
    assert cli.main(["check", "--class"]) == 1
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    assert last.startswith("NOT READY") and "isbi2012" in last and "camvid" not in last
    assert "course fetch --course" in last
    assert "fail their checksum" in out or "fails its checksum" in out, out


def test_checksums_are_computed_once_per_file_version(empty_data_dir, fake_registry, monkeypatch):
    """Gigabytes of data are not hashed again on every check or fetch: a small record keeps
    each file's SHA-256 with its size and modification time, and a changed file is hashed
    again."""
    from course_utils.data import cache, course_datasets

    _fake_fetched(empty_data_dir, ["isbi2012"])
    hashed = []
    real = cache.sha256_of
    monkeypatch.setattr(cache, "sha256_of", lambda path: hashed.append(path) or real(path))
    files = download.registered_files("isbi2012")
    assert course_datasets.status("isbi2012").ready
    assert len(hashed) == len(files)
    assert course_datasets.status("isbi2012").ready
    assert len(hashed) == len(files), "the second check hashed nothing"
    changed = empty_data_dir / files[0]
    changed.write_bytes(FAKE[::-1])  # same size, new content (and a new modification time)
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    assert not course_datasets.status("isbi2012").ready
    assert hashed[len(files) :] == [changed]
