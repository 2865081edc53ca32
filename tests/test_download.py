"""fetch(): verified, cached downloads; and each way a download goes wrong."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from course_utils.data import download
from course_utils.data.catalog import SOURCES, Source
from course_utils.data.errors import ChecksumError, DownloadError, SourceUnreachableError


@pytest.fixture(autouse=True)
def _no_waits_between_attempts(monkeypatch):
    """Transient failures are still retried, without the seconds of waiting."""
    monkeypatch.setattr(download, "_RETRY_WAITS_S", (0.0, 0.0, 0.0))


def _register(monkeypatch, name: str, files: dict[str, bytes], base_url: str, www: Path | None):
    """Register a toy dataset ``name`` (reusing the mnist catalog entry) served at base_url."""
    entries = dict(download.registry())
    entries = {k: v for k, v in entries.items() if not k.startswith(f"{name}/")}
    for rel, content in files.items():
        entries[f"{name}/{rel}"] = hashlib.sha256(content).hexdigest()
        if www is not None:
            (www / rel).parent.mkdir(parents=True, exist_ok=True)
            (www / rel).write_bytes(content)
    monkeypatch.setattr(download, "registry", lambda: entries)
    monkeypatch.setitem(SOURCES, name, Source(base_url=base_url))


def test_downloads_verifies_and_caches(empty_data_dir, local_server, monkeypatch):
    _register(
        monkeypatch,
        "mnist",
        {"a.bin": b"alpha" * 100, "sub/b.bin": b"beta"},
        local_server.url,
        local_server.root,
    )
    folder = download.fetch("mnist", progress=False)
    assert (folder / "a.bin").read_bytes() == b"alpha" * 100
    assert (folder / "sub" / "b.bin").read_bytes() == b"beta"
    assert sorted(local_server.requests) == ["a.bin", "sub/b.bin"]
    download.fetch("mnist", progress=False)
    assert len(local_server.requests) == 2, "a valid cached file must not be downloaded again"


def test_corrupt_cached_file_is_kept_aside_and_fetched_again(
    empty_data_dir, local_server, monkeypatch, capsys
):
    _register(monkeypatch, "mnist", {"a.bin": b"good bytes"}, local_server.url, local_server.root)
    download.fetch("mnist", progress=False)
    cached = empty_data_dir / "mnist" / "a.bin"
    cached.write_bytes(b"bit rot")
    download.fetch("mnist", progress=False)
    assert cached.read_bytes() == b"good bytes"
    rejected = list((empty_data_dir / "_rejected").rglob("a.bin.*"))
    assert len(rejected) == 1 and rejected[0].read_bytes() == b"bit rot"
    assert "checksum mismatch" in capsys.readouterr().err


def test_wrong_checksum_download_is_refused_and_kept_aside(
    empty_data_dir, local_server, monkeypatch
):
    _register(monkeypatch, "mnist", {"a.bin": b"expected"}, local_server.url, None)
    (local_server.root / "a.bin").write_bytes(b"tampered")
    with pytest.raises(ChecksumError) as err:
        download.fetch("mnist", progress=False)
    message = str(err.value)
    assert "does not match its registered SHA-256" in message and "kept aside" in message
    assert local_server.requests == ["a.bin"], "a wrong checksum is never downloaded twice"
    assert not (empty_data_dir / "mnist" / "a.bin").exists()
    assert [p.read_bytes() for p in (empty_data_dir / "_rejected").rglob("a.bin.*")][
        0
    ] == b"tampered"


def test_interrupted_download_leaves_no_partial_file(empty_data_dir, local_server, monkeypatch):
    _register(
        monkeypatch, "mnist", {"big.bin": b"x" * 200_000}, local_server.url, local_server.root
    )
    local_server.truncate("big.bin")
    with pytest.raises(DownloadError) as err:
        download.fetch("mnist", progress=False)
    assert "interrupted" in str(err.value) and "run the same command again" in str(err.value)
    leftovers = [p for p in empty_data_dir.rglob("*") if p.is_file()]
    assert leftovers == [], f"half files left behind: {leftovers}"


def test_a_busy_server_is_tried_again_and_the_learner_told(
    empty_data_dir, local_server, monkeypatch, capsys
):
    _register(monkeypatch, "mnist", {"a.bin": b"data"}, local_server.url, local_server.root)
    local_server.fail_first("a.bin", 2)
    assert (download.fetch("mnist", progress=False) / "a.bin").read_bytes() == b"data"
    assert local_server.requests == ["a.bin"] * 3
    err = capsys.readouterr().err
    assert "trying again" in err and "attempt 2 of 4" in err and "attempt 3 of 4" in err


def test_retries_end_with_the_usual_error(empty_data_dir, local_server, monkeypatch):
    monkeypatch.setattr(download, "_RETRY_WAITS_S", (0.0, 0.0))
    _register(monkeypatch, "mnist", {"a.bin": b"data"}, local_server.url, local_server.root)
    local_server.fail_first("a.bin", 5)
    with pytest.raises(SourceUnreachableError, match="stayed busy.*3 attempts"):
        download.fetch("mnist", progress=False)
    assert local_server.requests == ["a.bin"] * 3  # the first try and the two retries
    assert not (empty_data_dir / "mnist" / "a.bin").exists()


def test_offline_error_names_url_and_mirror(empty_data_dir, closed_port_url, monkeypatch, capsys):
    _register(monkeypatch, "mnist", {"a.bin": b"data"}, closed_port_url, None)
    with pytest.raises(DownloadError) as err:
        download.fetch("mnist", progress=False)
    assert "trying again" not in capsys.readouterr().err, "no server: said at once, not retried"
    message = str(err.value)
    assert f"{closed_port_url}a.bin" in message
    assert "COURSE_DATA_MIRROR" in message and "offline" in message


def test_mirror_copy_is_verified(tmp_path, empty_data_dir, monkeypatch):
    mirror = tmp_path / "mirror"
    _register(monkeypatch, "mnist", {"a.bin": b"real"}, "http://never.invalid/", mirror / "mnist")
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    assert (download.fetch("mnist", progress=False) / "a.bin").read_bytes() == b"real"
    (empty_data_dir / "mnist" / "a.bin").unlink()
    (mirror / "mnist" / "a.bin").write_bytes(b"fake")
    with pytest.raises(ChecksumError):
        download.fetch("mnist", progress=False)


def test_missing_mirror_folder_and_file(tmp_path, empty_data_dir, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "nope"))
    with pytest.raises(DownloadError, match="is not a folder"):
        download.fetch("mnist", progress=False)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "empty"))
    with pytest.raises(DownloadError, match="has no mnist/"):
        download.fetch("mnist", progress=False)


def test_mirror_only_dataset_without_mirror_says_so(tmp_path, empty_data_dir, monkeypatch):
    with pytest.raises(
        DownloadError, match=r"only from a local mirror.*<mirror>/cifar10/cifar10_jpeg"
    ):
        download.fetch("cifar10_jpeg", progress=False)
    (tmp_path / "m").mkdir()
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "m"))
    with pytest.raises(DownloadError, match="has no cifar10/cifar10_jpeg.tar.gz.*no public URL"):
        download.fetch("cifar10_jpeg", progress=False)


def test_unknown_and_builtin_names():
    with pytest.raises(ValueError, match="Unknown dataset 'camvidd'.*camvid"):
        download.fetch("camvidd")
    with pytest.raises(ValueError, match="built in"):
        download.fetch("shapes")


def test_registry_covers_every_dataset_with_valid_hashes():
    entries = download.registry()
    for name in SOURCES:
        assert download.registered_files(name), f"{name} has no registered files"
    assert all(re.fullmatch(r"[0-9a-f]{64}", sha) for sha in entries.values())
    for fname in entries:
        url = download.url_of(fname)
        assert url is None or url.startswith(("https://", "http://"))
    assert download.url_of("camvid/train/0001TP_006690.png").endswith(
        "/CamVid/train/0001TP_006690.png"
    )


def _tar_gz(files: dict[str, bytes]) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_refetched_archive_replaces_the_extracted_tree(empty_data_dir, local_server, monkeypatch):
    """A changed registry entry fetches the new archive; fetch() must return its tree."""
    packed = Source(base_url=local_server.url, archives=("pack.tar.gz",))
    old = _tar_gz({"top/a.txt": b"old", "top/gone.txt": b"x"})
    _register(monkeypatch, "mnist", {"pack.tar.gz": old}, local_server.url, local_server.root)
    monkeypatch.setitem(SOURCES, "mnist", packed)
    tree = download.fetch("mnist", progress=False) / "pack"
    assert (tree / "top" / "a.txt").read_bytes() == b"old"

    new = _tar_gz({"top/a.txt": b"new"})
    _register(monkeypatch, "mnist", {"pack.tar.gz": new}, local_server.url, local_server.root)
    monkeypatch.setitem(SOURCES, "mnist", packed)
    tree = download.fetch("mnist", progress=False) / "pack"
    assert (tree / "top" / "a.txt").read_bytes() == b"new"
    assert not (tree / "top" / "gone.txt").exists()


def test_full_cache_does_not_need_the_mirror(tmp_path, empty_data_dir, local_server, monkeypatch):
    """A mirror that has gone away must not break a dataset that is cached and valid."""
    _register(monkeypatch, "mnist", {"a.bin": b"data"}, local_server.url, local_server.root)
    folder = download.fetch("mnist", progress=False)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "unplugged-usb-stick"))
    assert download.fetch("mnist", progress=False) == folder
    assert download.fetch("mnist", progress=False, only=["a.bin"]) == folder
    (folder / "a.bin").unlink()  # now something must be fetched: the mirror is needed
    with pytest.raises(DownloadError, match="is not a folder"):
        download.fetch("mnist", progress=False)


def test_every_file_kept_aside_goes_through_one_helper(empty_data_dir, local_server, monkeypatch):
    """A corrupt cached file and a download that fails its checksum are kept aside alike."""
    from course_utils.data import cache

    calls = []

    def recording(path, fname, root=None, *, copy=False):
        calls.append((fname, copy))
        return cache.quarantine(path, fname, root, copy=copy)

    monkeypatch.setattr(download, "quarantine", recording)
    _register(monkeypatch, "mnist", {"a.bin": b"good"}, local_server.url, local_server.root)
    download.fetch("mnist", progress=False)
    (empty_data_dir / "mnist" / "a.bin").write_bytes(b"bit rot")
    (local_server.root / "a.bin").write_bytes(b"tampered")
    with pytest.raises(ChecksumError):
        download.fetch("mnist", progress=False)
    assert [fname for fname, _ in calls] == ["mnist/a.bin", "mnist/a.bin"]
    kept = sorted(p.read_bytes() for p in (empty_data_dir / "_rejected").rglob("a.bin.*"))
    assert kept == [b"bit rot", b"tampered"]


def test_quarantine_never_overwrites_an_earlier_reject(tmp_path, monkeypatch):
    from course_utils.data import cache

    monkeypatch.setattr(cache.time, "strftime", lambda fmt: "20250101-120000")  # same second
    kept = []
    for content in (b"first", b"second", b"third"):
        path = tmp_path / "f.bin"
        path.write_bytes(content)
        kept.append(cache.quarantine(path, "mnist/f.bin", tmp_path))
    assert len(set(kept)) == 3 and [p.read_bytes() for p in kept] == [b"first", b"second", b"third"]
    assert all(p.parent == tmp_path / "_rejected" / "mnist" for p in kept)
    copy = tmp_path / "g.bin"
    copy.write_bytes(b"g")
    assert cache.quarantine(copy, "mnist/g.bin", tmp_path, copy=True).read_bytes() == b"g"
    assert copy.is_file(), "copy=True leaves the file where it is"


SHA_A, SHA_B = "a" * 64, "b" * 64


def test_registry_reads_pooch_format_with_optional_url_column():
    text = (
        "# comment\n\n"
        f"camvid/train.txt {SHA_A}\n"
        f"mnist/x.gz sha256:{SHA_B.upper()} https://example.org/elsewhere/x.gz\n"
    )
    assert download._read_registry(text) == {
        "camvid/train.txt": (SHA_A, None),
        "mnist/x.gz": (SHA_B, "https://example.org/elsewhere/x.gz"),
    }


@pytest.mark.parametrize("line", ["camvid/a.png", f"camvid/a.png {SHA_A} https://x/a.png extra"])
def test_registry_lines_with_the_wrong_number_of_fields_are_refused(line):
    with pytest.raises(OSError, match="line 2"):
        download._read_registry(f"# header\n{line}\n")


def test_every_registered_file_is_listed_once_with_a_sha256():
    """pooch reads any checksum (md5 too) and keeps the last of two lines of one file: the
    shipped registry must hold one line per file, each with a SHA-256."""
    import re
    from importlib import resources

    text = resources.files("course_utils.data").joinpath("registry.txt").read_text()
    lines = [line.split() for line in text.splitlines() if line.strip() and line[0] != "#"]
    names = [fields[0] for fields in lines]
    assert len(names) == len(set(names)), "a file listed twice: keep one line per file"
    sha256 = re.compile(r"(sha256:)?[0-9a-fA-F]{64}")
    wrong = [fields for fields in lines if not sha256.fullmatch(fields[1])]
    assert wrong == [], "every checksum must be a SHA-256 (sha256sum of the official file)"
    assert set(download.registry()) == set(names)


def test_url_column_of_the_registry_wins(monkeypatch):
    table = dict(download._registry_table())
    table["mnist/t10k-labels-idx1-ubyte.gz"] = (SHA_A, "https://mirror.example/t10k.gz")
    monkeypatch.setattr(download, "_registry_table", lambda: table)
    assert download.url_of("mnist/t10k-labels-idx1-ubyte.gz") == "https://mirror.example/t10k.gz"
    assert download.url_of("mnist/t10k-images-idx3-ubyte.gz").startswith(SOURCES["mnist"].base_url)
