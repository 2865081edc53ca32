"""Your own photos (notebook 12): reading, framing, shares, the overlay figure, the photo
segmenter widget, the float32 twin of a model, exports that never overwrite, and the
checkers of notebook 12's exercises with right and wrong answers."""

from __future__ import annotations

import datetime
import io

import numpy as np
import pytest

from course_utils import data, exercises, ops, paths, viz, widgets
from course_utils.data import DataValidationError


def _png(array: np.ndarray, fmt: str = "PNG", **save: object) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt, **save)
    return buf.getvalue()


def _street(h: int = 90, w: int = 120) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


# --- ops -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "aspect", "box"),
    [
        ((360, 480), (3, 4), (0, 0, 360, 480)),
        ((1080, 1920), (3, 4), (0, 240, 1080, 1440)),
        ((4032, 3024), (3, 4), (882, 0, 2268, 3024)),
        ((500, 500), (3, 4), (62, 0, 375, 500)),
        ((101, 203), (3, 4), (0, 34, 101, 134)),
        ((301, 200), (1, 1), (50, 0, 200, 200)),
    ],
)
def test_centre_crop_box(shape, aspect, box):
    assert ops.centre_crop_box(*shape, aspect) == box


def test_centre_crop_box_refuses_what_it_cannot_crop():
    with pytest.raises(ValueError, match="positive integers"):
        ops.centre_crop_box(10, 10, (0, 4))
    with pytest.raises(ValueError, match="empty"):
        ops.centre_crop_box(0, 10)
    with pytest.raises(ValueError, match="too narrow"):
        ops.centre_crop_box(1000, 1)


def test_class_shares_leave_void_out_and_keep_absent_classes():
    ids = np.array([[0, 0, 11], [2, 11, 11]])
    assert ops.class_shares(ids, 4, 11).tolist() == [2 / 3, 0.0, 1 / 3, 0.0]
    assert ops.class_shares(ids, 4, None).tolist() == [2 / 3, 0.0, 1 / 3, 0.0]  # 11 >= 4
    assert ops.class_shares(np.full((2, 2), 11), 11, 11).tolist() == [0.0] * 11


# --- data.read_photo -----------------------------------------------------------------------


def test_read_photo_reads_a_file_and_bytes_alike(tmp_path):
    street = _street()
    path = tmp_path / "street.png"
    path.write_bytes(_png(street))
    assert np.array_equal(data.read_photo(path), street)
    assert np.array_equal(data.read_photo(str(path)), street)
    assert np.array_equal(data.read_photo(path.read_bytes()), street)
    assert np.array_equal(data.read_photo(memoryview(path.read_bytes())), street)


def test_read_photo_converts_grayscale_and_transparency_to_rgb():
    gray = np.full((40, 50), 128, np.uint8)
    rgb = data.read_photo(_png(gray))
    assert rgb.shape == (40, 50, 3) and (rgb == 128).all()
    rgba = np.dstack([_street(40, 50), np.zeros((40, 50), np.uint8)])
    assert data.read_photo(_png(rgba)).shape == (40, 50, 3)


def test_read_photo_turns_a_photo_as_its_exif_tag_says():
    from PIL import Image

    sideways = _street(40, 60)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    upright = data.read_photo(_png(sideways, "JPEG", exif=exif.tobytes(), quality=95))
    assert upright.shape == (60, 40, 3)


def test_read_photo_shrinks_a_large_photo_keeping_its_shape():
    big = data.read_photo(_png(_street(300, 400)), max_side=100)
    assert big.shape == (75, 100, 3)
    assert data.read_photo(_png(_street(300, 400)), max_side=None).shape == (300, 400, 3)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty"),
        (b"<html>not a photo</html>", "not an image that PIL can read"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "HEIC"),
    ],
)
def test_an_upload_that_is_no_image_gets_a_clear_error(content, says):
    with pytest.raises(DataValidationError, match=says) as info:
        data.read_photo(content)
    assert "the uploaded file" in str(info.value)


def test_a_truncated_photo_is_called_damaged(tmp_path):
    jpeg = _png(_street(200, 200), "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(jpeg[: len(jpeg) // 2])
    with pytest.raises(DataValidationError, match="damaged") as info:
        data.read_photo(path)
    assert "cut.jpg" in str(info.value) and "again" in str(info.value)


def test_a_missing_file_or_a_tiny_image_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="PHOTO ="):
        data.read_photo(tmp_path / "nothing.jpg")
    with pytest.raises(FileNotFoundError, match="a folder"):
        data.read_photo(tmp_path)
    with pytest.raises(DataValidationError, match="too small"):
        data.read_photo(_png(_street(10, 300)))


# --- data.frame_photo ----------------------------------------------------------------------


def test_frame_photo_crops_the_centre_resizes_and_puts_ids_back():
    photo = _street(200, 400)
    framed = data.frame_photo(photo, (48, 64))
    assert framed.box == (0, 67, 200, 266) and framed.photo_size == (200, 400)
    assert np.array_equal(framed.crop, photo[:, 67:333])
    assert framed.frame.shape == (48, 64, 3) and framed.frame.dtype == np.uint8
    ids = framed.uncrop(np.ones((200, 266), np.uint8), fill=11)
    assert ids.shape == (200, 400) and (ids[:, :67] == 11).all() and (ids[:, 67:333] == 1).all()
    with pytest.raises(ValueError, match="crop"):
        framed.uncrop(np.ones((48, 64)), fill=11)
    with pytest.raises(DataValidationError, match="read_photo"):
        data.frame_photo(photo[..., 0], (48, 64))
    with pytest.raises(DataValidationError, match="uint8"):  # a [0, 1] float photo is not
        data.frame_photo(photo / 255.0, (48, 64))  # silently truncated to black


# --- viz -----------------------------------------------------------------------------------


def test_show_segmentation_draws_one_row_per_photo_and_labels_shares():
    import matplotlib.pyplot as plt

    names = ["a", "b", "c"]
    photos = [_street(30, 40), _street(20, 20)]
    ids = [np.zeros((30, 40), int), np.full((20, 20), 2)]
    fig = viz.show_segmentation(photos, ids, names, None, 11, reference_shares=[0.5, 0.5, 0])
    assert len(fig.axes) == 6
    plt.close(fig)
    assert viz.share_labels(names, [0.5, 0.25, 0.25]) == ["a 50.0%", "b 25.0%", "c 25.0%"]
    with pytest.raises(ValueError, match="one id map per image"):
        viz.show_segmentation(photos, ids[:1], names)


# --- the widget ----------------------------------------------------------------------------


def _segmenter() -> widgets.PhotoSegmenter:
    calls = []

    def segment(photo):
        calls.append(photo.shape)
        ids = np.zeros(photo.shape[:2], np.uint8)
        ids[:, : photo.shape[1] // 4] = 11  # void on the left quarter
        return ids

    seg = widgets.PhotoSegmenter(segment, {"stand-in": _street()}, ["road", "sky"], None, 11)
    seg.calls = calls  # type: ignore[attr-defined]
    return seg


def test_photo_state_describes_the_largest_classes():
    ids = np.zeros((4, 4), int)
    ids[0] = 1
    st = widgets.photo_state(_street(4, 4), ids, ["road", "sky"], alpha=0.3, name="x")
    assert st.top == (("road", 0.75), ("sky", 0.25))
    assert st.describe() == "x: road 75%, sky 25% (opacity 0.3)"
    with pytest.raises(ValueError, match="differ in size"):
        widgets.photo_state(_street(4, 4), ids[:2], ["road", "sky"])


def test_the_segmenter_reads_an_upload_and_segments_each_photo_once():
    seg = _segmenter()
    assert seg.state().shares.tolist() == [1.0, 0.0]
    upload = ({"name": "mine.png", "content": memoryview(_png(_street(60, 80)))},)
    st = seg.upload(upload)
    assert st.name == "mine.png" and seg.name == "mine.png" and st.note == ""
    assert seg.upload(upload).name == "mine.png (2)", "a second file of the same name is kept"
    seg.set(photo="stand-in", alpha=0.8)
    seg.set(photo="mine.png")
    assert len(seg.calls) == 3, "each photo is segmented once"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="photo must be one of"):
        seg.set(photo="other")
    with pytest.raises(ValueError, match="alpha"):
        seg.set(alpha=2)


def test_a_corrupt_upload_leaves_the_photo_and_says_why():
    seg = _segmenter()
    st = seg.upload([{"name": "notes.txt", "content": b"shopping list"}])
    assert st.name == "stand-in" and "Could not use notes.txt" in st.note
    assert "not an image" in st.describe()
    assert list(seg.photos) == ["stand-in"]
    assert seg.set(alpha=0.2).note, "the reason stays while the same photo is shown"
    good = ({"name": "good.png", "content": _png(_street())},)
    assert seg.upload(good).note == "" and seg.name == "good.png"


def test_the_segmenter_has_a_live_view_and_a_static_picture():
    import ipywidgets as w

    from course_utils.widgets.display import figure_png, mimebundle

    seg = _segmenter()
    view = seg.widget
    kinds = {type(c) for c in view.children[0].children}
    assert {w.FloatSlider, w.Dropdown, w.FileUpload} <= kinds
    before = seg._caption.value
    seg.controls["alpha"].value = 0.9
    assert seg._caption.value != before and "opacity 0.9" in seg._caption.value
    content = _png(_street(50, 70))
    when = datetime.datetime(2026, 12, 6, tzinfo=datetime.timezone.utc)
    seg._upload.value = (  # as ipywidgets 8 gives a file from the browser
        {"name": "new.png", "type": "image/png", "size": len(content),
         "content": memoryview(content), "last_modified": when},
    )  # fmt: skip
    assert seg.controls["photo"].value == "new.png" and "new.png" in seg._caption.value
    assert seg._upload.value == (), "cleared, so that the same file can be chosen again"
    bundle = mimebundle(view, figure_png(seg.static_figure()), repr(seg))
    assert "image/png" in bundle and "application/vnd.jupyter.widget-view+json" in bundle


# --- models.as_float32 ---------------------------------------------------------------------


def test_as_float32_gives_the_same_model_in_float32(keras):
    from course_utils import models

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        mixed = models.build("deeplabv3plus", (32, 32, 3), 3, preset="tiny")
    finally:
        keras.config.set_dtype_policy(before)
    single = models.as_float32(mixed)
    assert keras.config.dtype_policy().name == before.name, "the global policy is restored"
    assert {layer.dtype_policy.name for layer in single._flatten_layers()} == {"float32"}
    for a, b in zip(mixed.get_weights(), single.get_weights(), strict=True):
        assert np.array_equal(a, b)
    x = np.random.default_rng(0).random((1, 32, 32, 3)).astype("float32")
    gap = np.abs(np.asarray(mixed(x), np.float32) - np.asarray(single(x))).max()
    assert 0 < gap < 0.5, "bfloat16 rounds; float32 does not"
    assert models.as_float32(single) is single
    # the copy is built from its config (initial weights drawn, then replaced): the random
    # streams a notebook trains from afterwards are left where they were
    keras.utils.set_random_seed(7)
    draw = keras.initializers.GlorotUniform()((4,))  # one draw from the global stream
    keras.utils.set_random_seed(7)
    models.as_float32(mixed)
    assert np.array_equal(keras.initializers.GlorotUniform()((4,)), draw)


# --- paths ---------------------------------------------------------------------------------


def test_unused_path_never_names_an_existing_file(tmp_path, monkeypatch):
    target = tmp_path / "model.keras"
    assert paths.unused_path(target) == target
    target.write_text("mine")
    (tmp_path / "model-2.keras").write_text("mine too")
    assert paths.unused_path(target) == tmp_path / "model-3.keras"
    (tmp_path / "export").mkdir()
    assert paths.unused_path(tmp_path / "export") == tmp_path / "export-2"
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    assert paths.exports_dir() == tmp_path / "d" / "exports"


# --- the exercises of notebook 12 ----------------------------------------------------------


def _centre_crop(image, aspect):
    a, b = aspect
    height, width = image.shape[:2]
    h, w = min(height, width * a // b), min(width, height * b // a)
    top, left = (height - h) // 2, (width - w) // 2
    return image[top : top + h, left : left + w]


def test_centre_crop_checker_accepts_the_solution_and_names_typical_mistakes():
    from PIL import Image

    assert exercises.check_centre_crop(_centre_crop)

    def top_left(image, aspect):
        h, w = _centre_crop(image, aspect).shape[:2]
        return image[:h, :w]

    def turned(image, aspect):
        return _centre_crop(image, aspect[::-1])

    def resized(image, aspect):
        h, w = _centre_crop(image, aspect).shape[:2]
        return np.asarray(Image.fromarray(image).resize((w, h)))

    def rounded_up(image, aspect):
        a, b = aspect
        height, width = image.shape[:2]
        h, w = min(height, -(-width * a // b)), min(width, -(-height * b // a))
        top, left = (height - h) // 2, (width - w) // 2
        return image[top : top + h, left : left + w]

    corner = exercises.check_centre_crop(top_left)
    assert not corner and "top-left" in corner.hint
    wrong_way = exercises.check_centre_crop(turned)
    assert not wrong_way and "turned round" in wrong_way.hint
    squashed = exercises.check_centre_crop(resized)
    assert not squashed and "slicing" in squashed.hint
    assert not exercises.check_centre_crop(rounded_up)
    assert not exercises.check_centre_crop(lambda image, aspect: image)
    crashed = exercises.check_centre_crop(lambda image, aspect: 1 / 0)
    assert not crashed and "ZeroDivisionError" in crashed.message
    flat = exercises.check_centre_crop(lambda image, aspect: image[..., 0])
    assert not flat and "(h, w, 3)" in flat.message


def test_class_shares_checker_accepts_the_solution_and_names_typical_mistakes():
    def right(ids, num_classes, ignore_index):
        ids = ids.ravel()
        if ignore_index is not None:
            ids = ids[ids != ignore_index]
        counts = np.bincount(ids, minlength=num_classes)[:num_classes]
        return counts / counts.sum() if counts.sum() else np.zeros(num_classes)

    assert exercises.check_class_shares(right)
    assert exercises.check_class_shares(lambda ids, n, v: ops.class_shares(ids, n, v))

    def counts(ids, n, void):
        return right(ids, n, void) * np.sum(ids != void)

    def void_in_total(ids, n, void):
        kept = ids[ids != void] if void is not None else ids.ravel()
        return np.bincount(kept, minlength=n)[:n] / ids.size

    def nan_when_empty(ids, n, void):
        kept = ids[ids != void] if void is not None else ids.ravel()
        c = np.bincount(kept, minlength=n)[:n]
        return c / c.sum()

    def no_minlength(ids, n, void):
        kept = ids[ids != void] if void is not None else ids.ravel()
        return np.bincount(kept) / kept.size

    assert "pixel counts" in exercises.check_class_shares(counts).hint
    assert "void pixels too" in exercises.check_class_shares(void_in_total).hint
    with np.errstate(invalid="ignore"):
        assert "not NaN" in exercises.check_class_shares(nan_when_empty).hint
    short = exercises.check_class_shares(no_minlength)
    assert not short and "minlength" in short.hint


def test_the_checkers_of_notebook_12_speak_korean(monkeypatch):
    monkeypatch.setenv("COURSE_LANG", "ko")
    feedback = exercises.check_centre_crop(lambda image, aspect: image)
    assert "1080x1440" in feedback.message and "잘라" in feedback.message
    assert "아니라" in exercises.check_class_shares(lambda ids, n, v: np.ones(n)).message
