"""Bad images and masks get clear errors naming the file and the fix."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from course_utils.data import check_image, check_mask, read_image, read_mask
from course_utils.data.catalog import CATALOG
from course_utils.data.errors import DataValidationError
from course_utils.data.readers import read_pairs

CAMVID = CATALOG["camvid"]


def _save(path, array, mode=None):
    Image.fromarray(array, mode=mode).save(path)
    return path


def test_mask_shape_differs_from_image(tmp_path):
    image = _save(tmp_path / "im.png", np.zeros((40, 60, 3), np.uint8))
    mask = _save(tmp_path / "m.png", np.zeros((40, 50), np.uint8))
    with pytest.raises(
        DataValidationError, match=r"the mask is \(40, 50\) but its image is \(40, 60\).*nearest"
    ):
        read_pairs([(image, mask)], CAMVID, None)


def test_labels_out_of_range_are_reported_with_counts(tmp_path):
    labels = np.zeros((10, 10), np.uint8)
    labels[0, :3] = 13
    labels[1, :2] = 11  # the void id is allowed
    with pytest.raises(DataValidationError, match=r"13 \(3 px\).*0\.\.10 or the void id 11"):
        check_mask(labels, (10, 10, 3), CAMVID.num_classes, CAMVID.ignore_index, source="m.png")
    check_mask(np.where(labels == 13, 0, labels), (10, 10, 3), 11, 11)


def test_void_is_not_allowed_without_ignore_index():
    with pytest.raises(DataValidationError, match="255"):
        check_mask(np.full((4, 4), 255, np.uint8), (4, 4), num_classes=2, ignore_index=None)


@pytest.mark.parametrize("mode, shape", [("L", (8, 8)), ("RGBA", (8, 8, 4))])
def test_grayscale_or_rgba_where_rgb_expected(tmp_path, mode, shape):
    path = _save(tmp_path / f"{mode}.png", np.zeros(shape, np.uint8), mode)
    with pytest.raises(DataValidationError, match=f"expected a RGB image.*it is {mode}.*convert"):
        read_image(path, channels=3)
    assert read_image(path, channels=3, convert=True).shape == (8, 8, 3)


def test_check_image_shapes():
    check_image(np.zeros((4, 4, 3)), 3)
    with pytest.raises(DataValidationError, match=r"image\[\.\.\., :3\]"):
        check_image(np.zeros((4, 4, 4)), 3)
    with pytest.raises(DataValidationError, match=r"\(H, W, 1\)"):
        check_image(np.zeros((4, 4)), 1)


def test_colour_mask_is_refused(tmp_path):
    path = _save(tmp_path / "rgb_mask.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(DataValidationError, match="one class id per pixel"):
        read_mask(path)


def test_readers_resize_masks_nearest_neighbour(tmp_path):
    image = _save(tmp_path / "im.png", np.zeros((40, 60, 3), np.uint8))
    labels = np.zeros((40, 60), np.uint8)
    labels[:, 30:] = 8
    mask = _save(tmp_path / "m.png", labels)
    _, masks = read_pairs([(image, mask)], CAMVID, (21, 33))
    assert masks.shape == (1, 21, 33)
    assert set(np.unique(masks)) == {0, 8}, "resizing must never invent labels between 0 and 8"


def test_fractional_labels_are_refused():
    with pytest.raises(DataValidationError, match="fractional.*nearest-neighbour"):
        check_mask(np.array([[0, 0.5], [2.7, 1]]), (2, 2), num_classes=3)


def test_binary_and_16_bit_masks(tmp_path):
    binary = tmp_path / "b.png"
    Image.fromarray(np.array([[0, 255], [255, 0]], np.uint8)).convert("1").save(binary)
    assert read_mask(binary).tolist() == [[0, 1], [1, 0]]
    deep = tmp_path / "d.png"
    Image.fromarray(np.array([[0, 300]], np.uint16)).save(deep)
    with pytest.raises(DataValidationError, match="8-bit class ids"):
        read_mask(deep)


@pytest.mark.parametrize("channels", [4, 2, 0, "3", True])
def test_unsupported_channel_count_is_explained(tmp_path, channels):
    path = _save(tmp_path / "im.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r"channels=.*3 channels \(RGB\) or 1"):
        read_image(path, channels=channels)


def test_numpy_channel_counts_are_fine(tmp_path):
    path = _save(tmp_path / "im.png", np.zeros((4, 4, 3), np.uint8))
    assert read_image(path, channels=np.int64(3)).shape == (4, 4, 3)
    assert read_image(path, channels=np.int64(1), convert=True).shape == (4, 4, 1)


def test_dataset_info_refuses_other_channel_counts():
    import dataclasses

    with pytest.raises(ValueError, match="'camvid': channels=4.*RGB \\(3\\) or grayscale \\(1\\)"):
        dataclasses.replace(CAMVID, channels=4)
    with pytest.raises(ValueError, match="12 colours for 11 classes"):
        dataclasses.replace(CAMVID, colors=CAMVID.colors + ((0, 0, 0),))
