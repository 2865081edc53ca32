"""CIFAR-10: the JPEG copy stands in only when the official archive cannot be reached.

Every mirror here is built by the test (a few tiny JPEGs in the copy's layout), so the
tests keep their meaning the day the shared mirror holds the official archive too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tarfile

import numpy as np
import pytest
from PIL import Image

from course_utils import data
from course_utils.data import download
from course_utils.data.catalog import CATALOG, SOURCES, Source
from course_utils.data.errors import ChecksumError, DownloadError, SourceUnreachableError

OFFICIAL = "cifar-10-python.tar.gz"
PER_CLASS = {"train": 3, "test": 1}


def _jpeg_copy() -> bytes:
    """The JPEG copy's layout: ``cifar10_jpeg/<split>/<class>/<n>.jpg``, a few per class."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for split, count in PER_CLASS.items():
            for name in CATALOG["cifar10_jpeg"].class_names:
                for n in range(count):
                    jpg = io.BytesIO()
                    pixels = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
                    Image.fromarray(pixels).save(jpg, format="JPEG")
                    info = tarfile.TarInfo(f"cifar10_jpeg/{split}/{name}/{n:04d}.jpg")
                    info.size = len(jpg.getvalue())
                    tar.addfile(info, io.BytesIO(jpg.getvalue()))
    return buffer.getvalue()


@pytest.fixture
def jpeg_mirror(tmp_path, empty_data_dir, monkeypatch):
    """A mirror holding the JPEG copy and not the official archive; nothing configured yet."""
    copy = _jpeg_copy()
    mirror = tmp_path / "mirror"
    (mirror / "cifar10").mkdir(parents=True)
    (mirror / "cifar10" / "cifar10_jpeg.tar.gz").write_bytes(copy)
    entries = dict(download.registry())
    entries["cifar10_jpeg/cifar10_jpeg.tar.gz"] = hashlib.sha256(copy).hexdigest()
    monkeypatch.setattr(download, "registry", lambda: entries)
    sizes = {split: 10 * count for split, count in PER_CLASS.items()}
    monkeypatch.setitem(
        CATALOG, "cifar10_jpeg", dataclasses.replace(CATALOG["cifar10_jpeg"], split_sizes=sizes)
    )
    return mirror


def test_falls_back_when_the_mirror_lacks_the_archive_and_says_why(
    jpeg_mirror, monkeypatch, capsys
):
    from course_utils.data import readers

    monkeypatch.setattr(readers, "_NOTICES_SHOWN", {})  # as in a fresh notebook kernel
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(jpeg_mirror))
    head = data.arrays("cifar10", "train", limit=20)
    tail = data.arrays("cifar10", "train", offset=20, limit=10)
    assert head.images.shape == (20, 32, 32, 3) and tail.images.shape == (10, 32, 32, 3)
    assert "JPEG copy" in head.source and head.images.base is tail.images.base, "one read"
    out = capsys.readouterr().out
    assert out.count("JPEG copy of CIFAR-10") == 1, "the fallback is announced once"
    assert f"has no cifar10/{OFFICIAL}" in out, "why the official archive failed"
    assert "instead" in out, "and what is used instead"
    assert data.shown_path(jpeg_mirror) in out, "the mirror as notebooks print paths"
    assert len(np.unique(data.arrays("cifar10", "test").targets)) == 10
    assert "JPEG copy of CIFAR-10" not in capsys.readouterr().out, "once per process"


def test_tampered_archive_in_the_mirror_is_an_error_not_a_fallback(
    jpeg_mirror, monkeypatch, capsys
):
    (jpeg_mirror / "cifar10" / OFFICIAL).write_bytes(b"not the archive")
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(jpeg_mirror))
    with pytest.raises(ChecksumError, match="does not match its registered SHA-256"):
        data.arrays("cifar10", "test")
    assert "JPEG copy" not in capsys.readouterr().out


def test_tampered_download_is_an_error_not_a_fallback(empty_data_dir, local_server, monkeypatch):
    (local_server.root / OFFICIAL).write_bytes(b"a captive portal's login page")
    monkeypatch.setitem(
        SOURCES,
        "cifar10",
        Source(urls={OFFICIAL: local_server.url + OFFICIAL}, archives=(OFFICIAL,)),
    )
    with pytest.raises(ChecksumError, match="does not match its registered SHA-256"):
        data.arrays("cifar10", "test")


def test_offline_without_mirror_reports_the_real_cause_first(
    empty_data_dir, closed_port_url, monkeypatch
):
    monkeypatch.setitem(
        SOURCES,
        "cifar10",
        Source(urls={OFFICIAL: closed_port_url + OFFICIAL}, archives=(OFFICIAL,)),
    )
    with pytest.raises(SourceUnreachableError) as err:
        data.arrays("cifar10", "test")
    message = str(err.value)
    assert message.startswith("CIFAR-10: the official archive could not be fetched: ")
    assert closed_port_url + OFFICIAL in message and "offline" in message
    assert message.index("offline") < message.index("JPEG copy"), "the real cause comes first"
    assert "only from a local mirror" in message, "then why the stand-in cannot help"


def test_interrupted_download_is_reported_not_papered_over(
    empty_data_dir, local_server, monkeypatch, capsys
):
    """Only an unreachable source falls back: an interrupted download says 'run it again'."""
    (local_server.root / OFFICIAL).write_bytes(b"x" * 100_000)
    local_server.truncate(OFFICIAL)
    monkeypatch.setitem(
        SOURCES,
        "cifar10",
        Source(urls={OFFICIAL: local_server.url + OFFICIAL}, archives=(OFFICIAL,)),
    )
    with pytest.raises(DownloadError, match="interrupted") as err:
        data.arrays("cifar10", "test")
    assert not isinstance(err.value, SourceUnreachableError)
    assert "JPEG copy" not in capsys.readouterr().out
