"""``course export-runs`` / ``course import-runs``: trained runs shared as one verified archive."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from course_utils import cli
from course_utils.cli.runs_archive import (
    MANIFEST_NAME,
    RunsArchiveError,
    export_runs,
    import_runs,
)

RUNS = {
    "unet.keras": b"model bytes " * 500,
    "unet.json": b'{"val_miou": 0.41}\n',
    "fcn8s.keras": b"another model " * 300,
    "fcn8s.json": b'{"val_miou": 0.38}\n',
}


def _save_runs(data: Path, profile: str, files: dict[str, bytes]) -> Path:
    folder = data / "runs" / profile
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def _exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: str = "quick") -> Path:
    """An archive exported from another machine's data folder."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "teacher"))
    folder = _save_runs(tmp_path / "teacher", profile, RUNS)
    (folder / ".segnet.partial.keras").write_bytes(b"a save in progress")
    archive = export_runs(profile, tmp_path / "share" / f"runs-{profile}.tar.gz").path
    return archive


def _repack(archive: Path, out: Path, change) -> Path:
    """Copy an archive member by member; ``change(info, data)`` returns what to write or None."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for info in src.getmembers():
            data = src.extractfile(info).read()
            for new_info, new_data in change(info, data) or []:
                dst.addfile(new_info, io.BytesIO(new_data) if new_data is not None else None)
    return out


def _member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _use_learner_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "learner"
    monkeypatch.setenv("COURSE_DATA_DIR", str(data))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    return data


def test_round_trip_into_an_empty_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "teacher"))
    _save_runs(tmp_path / "teacher", "quick", RUNS)
    (tmp_path / "teacher" / "runs" / "quick" / ".segnet.partial.keras").write_bytes(b"half")
    out = tmp_path / "share" / "runs-quick.tar.gz"
    assert cli.main(["export-runs", "--profile", "quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 runs of profile quick (4 files" in printed and "fcn8s, unet" in printed
    assert "course import-runs runs-quick.tar.gz" in printed
    with tarfile.open(out) as tar:
        names = sorted(tar.getnames())
        manifest = json.loads(tar.extractfile(MANIFEST_NAME).read())
    assert names == sorted([MANIFEST_NAME] + [f"runs/quick/{n}" for n in RUNS])
    assert manifest["profile"] == "quick" and len(manifest["files"]) == 4
    assert all(len(e["sha256"]) == 64 for e in manifest["files"].values())

    learner = _use_learner_dir(tmp_path, monkeypatch)
    assert not learner.exists()
    assert cli.main(["import-runs", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "installed 2 runs of profile quick" in printed and "replaced" not in printed
    folder = learner / "runs" / "quick"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == RUNS
    assert sorted(p.name for p in learner.iterdir()) == ["runs"], "no temporary folder left"

    from course_utils.runs import has_run

    assert has_run("unet", "quick") and has_run("fcn8s", "quick")


def test_import_keeps_other_runs_and_replaces_same_names(tmp_path, monkeypatch, capsys):
    archive = _exported(tmp_path, monkeypatch)
    learner = _use_learner_dir(tmp_path, monkeypatch)
    folder = _save_runs(
        learner, "quick", {"unet.keras": b"old", "unet.json": b"{}", "own.json": b"1"}
    )
    assert cli.main(["import-runs", str(archive)]) == 0
    printed = capsys.readouterr().out
    assert "(replaced: unet)" in printed
    assert (folder / "unet.keras").read_bytes() == RUNS["unet.keras"]
    assert (folder / "own.json").read_bytes() == b"1"
    # the learner's own run of that name is kept aside, not deleted, and the screen says where
    (aside,) = (folder / "_replaced").iterdir()
    assert {p.name: p.read_bytes() for p in aside.iterdir()} == {
        "unet.keras": b"old",
        "unet.json": b"{}",
    }
    assert "kept aside in" in printed and f"runs/quick/_replaced/{aside.name}" in printed
    from course_utils.runs import list_runs

    assert {(r.profile, r.name) for r in list_runs()} == {
        ("quick", "unet"),
        ("quick", "fcn8s"),
        ("quick", "own"),
    }, "the runs kept aside are not runs"
    # a second import keeps the first import's files aside in a folder of its own
    assert cli.main(["import-runs", str(archive)]) == 0
    assert len(list((folder / "_replaced").iterdir())) == 2
    assert (aside / "unet.keras").read_bytes() == b"old"


def test_a_tampered_file_fails_its_checksum_and_nothing_is_installed(tmp_path, monkeypatch, capsys):
    archive = _exported(tmp_path, monkeypatch)

    def tamper(info, data):
        if info.name == "runs/quick/unet.keras":
            data = data.replace(b"model", b"MODEL", 1)
        return [_member(info.name, data)]

    bad = _repack(archive, tmp_path / "tampered.tar.gz", tamper)
    learner = _use_learner_dir(tmp_path, monkeypatch)
    folder = _save_runs(learner, "quick", {"unet.keras": b"mine", "unet.json": b"{}"})
    assert cli.main(["import-runs", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "Checksum error: runs/quick/unet.keras" in err and "Nothing was installed" in err
    assert (folder / "unet.keras").read_bytes() == b"mine", "the existing run is untouched"
    assert sorted(p.name for p in folder.iterdir()) == ["unet.json", "unet.keras"]
    assert sorted(p.name for p in learner.iterdir()) == ["runs"], "no temporary folder left"


@pytest.mark.parametrize(
    ("member", "kind", "message"),
    [
        ("../escape.keras", tarfile.REGTYPE, "outside the target folder"),
        ("/nonexistent-course-dir/absolute.keras", tarfile.REGTYPE, "absolute path"),
        ("runs/quick/link.keras", tarfile.SYMTYPE, "is a link"),
    ],
)
def test_hostile_paths_are_refused(tmp_path, monkeypatch, member, kind, message):
    archive = _exported(tmp_path, monkeypatch)

    def add_hostile(info, data):
        keep = [_member(info.name, data)]
        if info.name == MANIFEST_NAME:
            hostile = tarfile.TarInfo(member)
            hostile.type = kind
            if kind == tarfile.SYMTYPE:
                hostile.linkname = "/etc/passwd"
                return [*keep, (hostile, None)]
            hostile.size = 4
            return [*keep, (hostile, b"evil")]
        return keep

    bad = _repack(archive, tmp_path / "hostile.tar.gz", add_hostile)
    learner = _use_learner_dir(tmp_path, monkeypatch)
    with pytest.raises(RunsArchiveError, match=message) as caught:
        import_runs(bad)
    assert "Refusing to import" in str(caught.value) and "Nothing was installed" in str(
        caught.value
    )
    assert not (learner / "runs" / "quick").exists()
    assert not (tmp_path / "escape.keras").exists() and not Path("/nonexistent-course-dir").exists()


def test_an_extra_file_the_manifest_does_not_list_is_refused(tmp_path, monkeypatch):
    archive = _exported(tmp_path, monkeypatch)

    def smuggle(info, data):
        keep = [_member(info.name, data)]
        return (
            [*keep, _member("runs/quick/extra.keras", b"x")] if info.name == MANIFEST_NAME else keep
        )

    bad = _repack(archive, tmp_path / "extra.tar.gz", smuggle)
    _use_learner_dir(tmp_path, monkeypatch)
    with pytest.raises(RunsArchiveError, match=r"does not list \(runs/quick/extra.keras\)"):
        import_runs(bad)


def test_a_missing_manifest_says_so(tmp_path, monkeypatch, capsys):
    archive = _exported(tmp_path, monkeypatch)
    bad = _repack(
        archive,
        tmp_path / "no-manifest.tar.gz",
        lambda info, data: None if info.name == MANIFEST_NAME else [_member(info.name, data)],
    )
    learner = _use_learner_dir(tmp_path, monkeypatch)
    assert cli.main(["import-runs", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"has no {MANIFEST_NAME}" in err and "course export-runs" in err
    assert not (learner / "runs").exists()


def test_not_an_archive_and_no_file(tmp_path, monkeypatch):
    _use_learner_dir(tmp_path, monkeypatch)
    page = tmp_path / "runs.tar.gz"
    page.write_text("<html>404 Not Found</html>")
    with pytest.raises(RunsArchiveError, match="not a readable .tar.gz or .zip archive"):
        import_runs(page)
    with pytest.raises(RunsArchiveError, match="No file"):
        import_runs(tmp_path / "absent.tar.gz")


@pytest.fixture
def plain_http_test_server(monkeypatch):
    """The test server speaks plain HTTP on 127.0.0.1: let imports use it, in tests only."""
    from course_utils.cli import runs_archive

    monkeypatch.setattr(runs_archive, "_PLAIN_HTTP_HOSTS", frozenset({"127.0.0.1"}))


def test_import_from_a_url(tmp_path, monkeypatch, local_server, capsys, plain_http_test_server):
    archive = _exported(tmp_path, monkeypatch, profile="default")
    (local_server.root / archive.name).write_bytes(archive.read_bytes())
    learner = _use_learner_dir(tmp_path, monkeypatch)
    assert cli.main(["import-runs", local_server.url + archive.name]) == 0
    assert "installed 2 runs of profile default" in capsys.readouterr().out
    assert local_server.requests == [archive.name]
    assert {p.name: p.read_bytes() for p in (learner / "runs" / "default").iterdir()} == RUNS

    assert cli.main(["import-runs", local_server.url + "missing.tar.gz"]) == 1
    assert "The server refused" in capsys.readouterr().err


def test_a_url_download_shows_a_progress_bar_on_stderr(
    tmp_path, monkeypatch, local_server, capsys, plain_http_test_server
):
    """``course import-runs URL`` shows pooch's progress bar (tqdm, on stderr, where it does
    not mix with the result); the function alone shows none unless asked."""
    archive = _exported(tmp_path, monkeypatch, profile="default")
    (local_server.root / archive.name).write_bytes(archive.read_bytes())
    _use_learner_dir(tmp_path, monkeypatch)
    import_runs(local_server.url + archive.name)
    assert "100%" not in capsys.readouterr().err
    assert cli.main(["import-runs", local_server.url + archive.name]) == 0
    captured = capsys.readouterr()
    assert "100%" in captured.err and "100%" not in captured.out, captured.err
    assert "installed 2 runs of profile default" in captured.out


def test_an_unreachable_url_says_so(tmp_path, monkeypatch, closed_port_url, plain_http_test_server):
    _use_learner_dir(tmp_path, monkeypatch)
    with pytest.raises(RunsArchiveError, match="offline or the server is unreachable"):
        import_runs(closed_port_url + "runs-default.tar.gz")


def test_export_without_runs_says_what_to_do(empty_data_dir, capsys):
    assert cli.main(["export-runs", "--profile", "full"]) == 1
    err = capsys.readouterr().err
    assert "No saved runs for profile 'full'" in err and "COURSE_PROFILE=full" in err


def test_export_writes_into_build_by_default(tmp_path, monkeypatch, capsys):
    """build/ is not committed: a 100 MB archive never lands in the repository by accident."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "teacher"))
    _save_runs(tmp_path / "teacher", "default", RUNS)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["export-runs"]) == 0
    assert capsys.readouterr().out.startswith(
        "build/runs-default.tar.gz: 2 runs of profile default"
    )
    assert (tmp_path / "build" / "runs-default.tar.gz").is_file()
    assert not list((tmp_path / "build").glob(".*partial")), "no temporary file left"


def _with_folder_entry(archive: Path, out: Path, name: str) -> Path:
    """``archive`` with an extra folder member ``name`` (an empty folder, nothing inside)."""

    def add_folder(info, data):
        keep = [_member(info.name, data)]
        if info.name == MANIFEST_NAME:
            folder = tarfile.TarInfo(name)
            folder.type, folder.mode = tarfile.DIRTYPE, 0o755
            return [*keep, (folder, None)]
        return keep

    return _repack(archive, out, add_folder)


def test_a_folder_entry_among_the_runs_is_refused(tmp_path, monkeypatch, capsys):
    archive = _exported(tmp_path, monkeypatch)
    bad = _with_folder_entry(archive, tmp_path / "folder.tar.gz", "runs/quick/own.keras/")
    learner = _use_learner_dir(tmp_path, monkeypatch)
    folder = _save_runs(learner, "quick", {"own.keras": b"mine"})
    assert cli.main(["import-runs", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "runs/quick/own.keras" in err and "not a plain file" in err, err
    assert "Nothing was installed" in err and "Traceback" not in err
    assert sorted(p.name for p in folder.iterdir()) == ["own.keras"], "nothing installed"
    assert (folder / "own.keras").read_bytes() == b"mine"
    assert sorted(p.name for p in learner.iterdir()) == ["runs"], "no temporary folder left"
    # without a file of that name in the way, no folder is installed as a run either
    (folder / "own.keras").unlink()
    with pytest.raises(RunsArchiveError, match="not a plain file"):
        import_runs(bad)
    assert list(folder.iterdir()) == []


def test_an_os_error_while_installing_is_reported_and_undone(tmp_path, monkeypatch):
    import os

    from course_utils.cli import runs_archive

    archive = _exported(tmp_path, monkeypatch)
    learner = _use_learner_dir(tmp_path, monkeypatch)
    folder = _save_runs(learner, "quick", {"unet.keras": b"old", "own.json": b"1"})
    calls = []
    real_replace = os.replace

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise PermissionError(13, "Permission denied", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(runs_archive.os, "replace", failing_replace)
    with pytest.raises(RunsArchiveError, match="Permission denied") as caught:
        import_runs(archive)
    assert "Nothing was installed" in str(caught.value)
    monkeypatch.setattr(runs_archive.os, "replace", real_replace)
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == {
        "unet.keras": b"old",
        "own.json": b"1",
    }, "the runs that were there are there again, and nothing of the archive"
    assert sorted(p.name for p in learner.iterdir()) == ["runs"], "no temporary folder left"


@pytest.mark.parametrize("at_move", [1, 3, 5])
def test_ctrl_c_while_installing_puts_everything_back(tmp_path, monkeypatch, capsys, at_move):
    """Ctrl-C half-way through the moves (while setting a replaced run aside, or installing
    the new files) undoes every move, then ends the command with exit code 130 and one line
    that says nothing was installed: the runs that were there are as they were."""
    import os

    from course_utils.cli import runs_archive

    archive = _exported(tmp_path, monkeypatch)
    learner = _use_learner_dir(tmp_path, monkeypatch)
    folder = _save_runs(learner, "quick", {"unet.keras": b"old", "own.json": b"1"})
    calls = []
    real_replace = os.replace

    def interrupted_replace(src, dst):
        calls.append(dst)
        if len(calls) == at_move:
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(runs_archive.os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        import_runs(archive)
    assert len(calls) == at_move + (at_move - 1), "each move made before Ctrl-C was undone"
    calls.clear()
    assert cli.main(["import-runs", str(archive)]) == 130
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith("course import-runs: interrupted;") and "all of" in line
    assert captured.out == ""
    monkeypatch.setattr(runs_archive.os, "replace", real_replace)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {
        "unet.keras": b"old",
        "own.json": b"1",
    }, "the runs that were there are there again, nothing of the archive, no _replaced/"
    assert sorted(p.name for p in learner.iterdir()) == ["runs"], "no temporary folder left"


def test_a_plain_http_url_is_refused_before_any_download(
    tmp_path, monkeypatch, local_server, capsys
):
    """The .keras files of an archive are loaded later: an address anyone on the way can
    rewrite (http://) is refused; https:// or a local file only."""
    archive = _exported(tmp_path, monkeypatch)
    (local_server.root / archive.name).write_bytes(archive.read_bytes())
    learner = _use_learner_dir(tmp_path, monkeypatch)
    assert cli.main(["import-runs", local_server.url + archive.name]) == 1
    err = capsys.readouterr().err
    assert "http://" in err and "https://" in err and "Nothing was installed" in err, err
    assert local_server.requests == [], "nothing was downloaded"
    assert not (learner / "runs").exists()
    for url in ("ftp://example.org/runs.tar.gz", "file:///etc/passwd"):
        with pytest.raises(RunsArchiveError, match="https://"):
            import_runs(url)


def test_export_prints_the_archive_hash_and_import_checks_it(tmp_path, monkeypatch, capsys):
    import hashlib

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "teacher"))
    _save_runs(tmp_path / "teacher", "quick", RUNS)
    out = tmp_path / "share" / "runs-quick.tar.gz"
    assert cli.main(["export-runs", "--profile", "quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f"SHA-256 {digest}" in printed
    assert f"course import-runs runs-quick.tar.gz --sha256 {digest}" in printed

    learner = _use_learner_dir(tmp_path, monkeypatch)
    wrong = "0" * 64
    assert cli.main(["import-runs", str(out), "--sha256", wrong]) == 1
    err = capsys.readouterr().err
    assert "SHA-256" in err and digest in err and wrong in err and "Nothing was installed" in err
    assert not (learner / "runs" / "quick").exists() or not any(
        (learner / "runs" / "quick").iterdir()
    )
    assert cli.main(["import-runs", str(out), "--sha256", digest.upper()]) == 0
    assert (learner / "runs" / "quick" / "unet.keras").read_bytes() == RUNS["unet.keras"]
    with pytest.raises(RunsArchiveError, match="64 hexadecimal"):
        import_runs(out, sha256="abc")
