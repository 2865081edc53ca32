"""Oxford-IIIT Pet and PASCAL VOC: the real fetch + extract + read path, on small archives
built here in the official layout and served from 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import tarfile

import numpy as np
import pytest
from PIL import Image

from course_utils.data import download, load
from course_utils.data.catalog import SOURCES, Source, voc_colors


def _add(tar, name, data: bytes):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _png(array, palette=None) -> bytes:
    img = Image.fromarray(array)
    if palette is not None:
        img = img.convert("P")
        img.putpalette([c for rgb in palette for c in rgb])
        img = Image.fromarray(array, mode="P")
        img.putpalette([c for rgb in palette for c in rgb])
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _jpg(array) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="JPEG")
    return buf.getvalue()


def _serve(monkeypatch, server, name, archives: dict[str, bytes], source: Source):
    entries = {k: v for k, v in download.registry().items() if not k.startswith(f"{name}/")}
    for fname, data in archives.items():
        (server.root / fname).write_bytes(data)
        entries[f"{name}/{fname}"] = hashlib.sha256(data).hexdigest()
    monkeypatch.setattr(download, "registry", lambda: entries)
    monkeypatch.setitem(SOURCES, name, source)


def test_oxford_pets_official_layout(empty_data_dir, local_server, monkeypatch):
    rng = np.random.default_rng(0)
    names = ["Abyssinian_1", "Abyssinian_2", "beagle_3"]
    images, annotations = io.BytesIO(), io.BytesIO()
    with tarfile.open(fileobj=images, mode="w:gz") as tar:
        for i, n in enumerate(names):
            h, w = 30 + 10 * i, 40
            pixels = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
            if i == 2:  # the real set has a few grayscale images: the reader converts them
                pixels = pixels[..., 0]
            _add(tar, f"images/{n}.jpg", _jpg(pixels))
    with tarfile.open(fileobj=annotations, mode="w:gz") as tar:
        _add(tar, "annotations/trainval.txt", b"Abyssinian_1 1 1 1\nbeagle_3 13 2 3\n")
        _add(tar, "annotations/test.txt", b"Abyssinian_2 1 1 1\n")
        for i, n in enumerate(names):
            trimap = np.full((30 + 10 * i, 40), 2, np.uint8)
            trimap[5:15, 5:15] = 1
            trimap[4, 4:16] = 3
            _add(tar, f"annotations/trimaps/{n}.png", _png(trimap))
    _serve(
        monkeypatch, local_server, "oxford_pets",
        {"images.tar.gz": images.getvalue(), "annotations.tar.gz": annotations.getvalue()},
        Source(base_url=local_server.url, archives=("images.tar.gz", "annotations.tar.gz")),
    )  # fmt: skip
    ds = load("oxford_pets", "trainval", image_size=(32, 32), batch_size=2, shuffle=False)
    image, mask = next(iter(ds))
    assert image.shape == (2, 32, 32, 3) and mask.shape == (2, 32, 32, 1)
    assert set(np.unique(mask.numpy())) == {0, 1, 2}  # background, pet, border=void
    assert len(list(load("oxford_pets", "test", image_size=32, batch_size=None))) == 1


def test_voc2012_official_layout(empty_data_dir, local_server, monkeypatch):
    root = "VOCdevkit/VOC2012"
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        _add(tar, f"{root}/ImageSets/Segmentation/train.txt", b"2007_000032\n2007_000039\n")
        _add(tar, f"{root}/ImageSets/Segmentation/val.txt", b"2007_000033\n")
        for k, i in enumerate(["2007_000032", "2007_000039", "2007_000033"]):
            h, w = 50 + k, 60
            _add(tar, f"{root}/JPEGImages/{i}.jpg", _jpg(np.full((h, w, 3), 100, np.uint8)))
            labels = np.zeros((h, w), np.uint8)
            labels[10:30, 10:30] = 15  # person
            labels[9, 9:31] = 255  # border: void
            _add(tar, f"{root}/SegmentationClass/{i}.png", _png(labels, voc_colors(256)))
    name = "VOCtrainval_11-May-2012.tar"
    _serve(monkeypatch, local_server, "voc2012", {name: archive.getvalue()},
           Source(urls={name: local_server.url + name}, archives=(name,)))  # fmt: skip
    ds = load("voc2012", "train", image_size=(40, 48), batch_size=2, shuffle=False)
    image, mask = next(iter(ds))
    assert image.shape == (2, 40, 48, 3)
    assert set(np.unique(mask.numpy())) <= {0, 15, 255} and 15 in np.unique(mask.numpy())


def test_cifar10_official_archive_layout(empty_data_dir, local_server, monkeypatch, capsys):
    import pickle

    rng = np.random.default_rng(0)
    archive = io.BytesIO()
    expected = {}
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            images = rng.integers(0, 255, (4, 3, 32, 32), dtype=np.uint8)
            labels = rng.integers(0, 10, 4).tolist()
            expected[name] = (images, labels)
            batch = {
                b"data": images.reshape(4, -1),
                b"labels": labels,
                b"batch_label": name.encode(),
            }
            _add(tar, f"cifar-10-batches-py/{name}", pickle.dumps(batch, protocol=2))
        _add(tar, "cifar-10-batches-py/batches.meta", pickle.dumps({b"label_names": []}))
    fname = "cifar-10-python.tar.gz"
    _serve(monkeypatch, local_server, "cifar10", {fname: archive.getvalue()},
           Source(urls={fname: local_server.url + fname}, archives=(fname,)))  # fmt: skip
    from course_utils import data

    train = data.arrays("cifar10", "train")
    assert train.images.shape == (20, 32, 32, 3) and "official archive" in train.source
    first_images, first_labels = expected["data_batch_1"]
    np.testing.assert_array_equal(train.images[0], first_images[0].transpose(1, 2, 0))  # CHW -> HWC
    assert train.targets[:4].tolist() == first_labels
    assert "JPEG copy" not in capsys.readouterr().out, (
        "the fallback must not be used when the archive works"
    )


def test_mnist_official_idx_files(empty_data_dir, local_server, monkeypatch):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (6, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5, 9], np.uint8)
    files = {
        "train-images-idx3-ubyte.gz": gzip.compress(
            struct.pack(">IIII", 2051, 6, 28, 28) + images.tobytes()
        ),
        "train-labels-idx1-ubyte.gz": gzip.compress(struct.pack(">II", 2049, 6) + labels.tobytes()),
    }
    _serve(monkeypatch, local_server, "mnist", files, Source(base_url=local_server.url))
    from course_utils import data

    train = data.arrays("mnist", "train")
    np.testing.assert_array_equal(train.images[..., 0], images)
    assert train.targets.tolist() == labels.tolist()


@pytest.mark.parametrize(
    "images_header, fragment",
    [
        (b"\x1f\x8b\x08\x03" + b"\x00" * 12, "not an IDX file"),  # not even the zero bytes
        (struct.pack(">BBBBIII", 0, 0, 0x0D, 3, 6, 28, 28), r"type byte 0x0d \(float\)"),
        (struct.pack(">BBBBII", 0, 0, 0x08, 2, 6, 784), "2 dimension\\(s\\) where 3"),
        (struct.pack(">IIII", 2051, 7, 28, 28), "promises 7 x 28 x 28 bytes"),
    ],
)
def test_mnist_bad_idx_header_is_explained(
    empty_data_dir, local_server, monkeypatch, images_header, fragment
):
    pixels = np.zeros(6 * 28 * 28, np.uint8).tobytes()
    labels = struct.pack(">II", 2049, 6) + bytes(6)
    files = {
        "train-images-idx3-ubyte.gz": gzip.compress(images_header + pixels),
        "train-labels-idx1-ubyte.gz": gzip.compress(labels),
    }
    _serve(monkeypatch, local_server, "mnist", files, Source(base_url=local_server.url))
    from course_utils import data

    with pytest.raises(data.DataValidationError, match=fragment):
        data.arrays("mnist", "train")


def test_mnist_images_and_labels_must_agree(empty_data_dir, local_server, monkeypatch):
    files = {
        "train-images-idx3-ubyte.gz": gzip.compress(
            struct.pack(">IIII", 2051, 6, 28, 28) + bytes(6 * 28 * 28)
        ),
        "train-labels-idx1-ubyte.gz": gzip.compress(struct.pack(">II", 2049, 5) + bytes(5)),
    }
    _serve(monkeypatch, local_server, "mnist", files, Source(base_url=local_server.url))
    from course_utils import data

    with pytest.raises(data.DataValidationError, match="6 train images but 5 labels"):
        data.arrays("mnist", "train")


class _AsksForOsSystem:
    """Unpickles as a call to os.system: what a replaced batch file could hold."""

    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [2, 5])
def test_cifar10_batches_are_read_without_running_code(
    empty_data_dir, local_server, monkeypatch, tmp_path, protocol
):
    """Anyone who can write the data folder could replace a batch file: it is read by an
    unpickler that builds only what a batch holds (dict, list, bytes, str, NumPy arrays)
    and refuses anything else, here a pickle that asks for os.system."""
    import pickle

    marker = tmp_path / "code-ran"
    good = {
        b"data": np.zeros((4, 3 * 32 * 32), np.uint8),
        b"labels": [0, 1, 2, 3],
        b"batch_label": b"training batch 2 of 5",
        b"filenames": [b"a.png", b"b.png", b"c.png", b"d.png"],
    }
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            batch = dict(good)
            if name == "data_batch_3":
                batch[b"labels"] = _AsksForOsSystem(marker)
            _add(tar, f"cifar-10-batches-py/{name}", pickle.dumps(batch, protocol=protocol))
    fname = "cifar-10-python.tar.gz"
    _serve(monkeypatch, local_server, "cifar10", {fname: archive.getvalue()},
           Source(urls={fname: local_server.url + fname}, archives=(fname,)))  # fmt: skip
    from course_utils import data

    assert data.arrays("cifar10", "test").images.shape == (4, 32, 32, 3), "a clean batch reads"
    with pytest.raises(data.DataValidationError, match=r"data_batch_3.*posix\.system|os\.system"):
        data.arrays("cifar10", "train")
    assert not marker.exists(), "the pickle's code ran"
