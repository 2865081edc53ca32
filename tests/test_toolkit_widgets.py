"""Receptive-field and up-sampling explorers: logic, live widget and static fallback."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.widgets import (
    METHODS,
    ReceptiveFieldExplorer,
    UpsamplingExplorer,
    receptive_field_state,
    upsampling_state,
)


def test_receptive_field_state_grows_and_shows_gridding():
    plain = receptive_field_state(3, 1, 1, 3)
    assert plain.fields == [3, 5, 7] and plain.jumps == [1, 1, 1] and plain.holes == 0
    assert plain.paths.shape == (7, 7) and plain.paths[3, 3] == plain.paths.max()
    dilated = receptive_field_state(3, 1, 2, 3)
    assert dilated.field == 13 and dilated.holes == pytest.approx(1 - (7 / 13) ** 2)
    strided = receptive_field_state(3, 2, 1, 4)
    assert strided.fields == [3, 7, 15, 31] and strided.jumps == [2, 4, 8, 16]
    assert "31 x 31" in strided.describe()
    with pytest.raises(ValueError, match="depth"):
        receptive_field_state(depth=0)


def test_receptive_field_explorer_logic_and_validation():
    explorer = ReceptiveFieldExplorer()
    assert explorer.set(depth=5).field == 11
    assert explorer.set(dilation=2).field == 21
    with pytest.raises(ValueError, match="kernel"):
        explorer.set(kernel=2.5)
    assert explorer.kernel == 3  # a refused change leaves the explorer as it was
    with pytest.raises(ValueError, match="Unknown setting"):
        explorer.set(rate=2)


def test_receptive_field_widget_responds_and_has_a_fallback(show_recorded):
    explorer = ReceptiveFieldExplorer(image=np.zeros((60, 80, 3)))
    show_recorded(explorer)  # as a notebook does: builds the live view, sends it and a PNG
    before_caption, before_png = explorer._caption.value, explorer._picture.value
    explorer.controls["dilation"].value = 3
    assert "19 x 19" in explorer._caption.value and explorer._caption.value != before_caption
    assert explorer._picture.value != before_png and explorer._picture.value[:4] == b"\x89PNG"


@pytest.fixture(scope="module")
def picture():
    rng = np.random.default_rng(0)
    image = np.zeros((33, 41, 3))
    image[8:20, 10:30] = 1.0
    return image + rng.random(image.shape) * 0.1


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("factor", [2, 4])
def test_every_method_restores_the_original_shape(picture, method, factor):
    st = upsampling_state(picture, method, factor)
    assert st.original.shape == (32, 40)  # 33 x 41, cropped to a multiple of the factor
    assert st.output.shape == st.original.shape
    assert st.pooled.shape == (32 // factor, 40 // factor)
    assert 0 <= st.error < 1


def test_methods_differ_the_way_the_notebook_says(picture):
    errors = {m: upsampling_state(picture, m, 2).error for m in METHODS}
    assert errors["unpooling"] > errors["nearest"]  # three zeros in each block
    max_unpooled = upsampling_state(picture, "max unpooling", 2)
    # every kept value sits exactly where the maximum was
    kept = max_unpooled.output != 0
    np.testing.assert_allclose(max_unpooled.output[kept], max_unpooled.original[kept])
    flat = np.full((16, 16), 0.5)
    uneven = upsampling_state(flat, "transposed conv (uniform kernel)", 2, kernel_size=3).output
    even = upsampling_state(flat, "transposed conv (uniform kernel)", 2, kernel_size=4).output
    assert np.ptp(uneven[2:-2, 2:-2]) > 0.3  # checkerboard
    assert np.ptp(even[2:-2, 2:-2]) < 1e-6
    with pytest.raises(ValueError, match="at least 4"):
        upsampling_state(flat, "transposed conv (uniform kernel)", 4, kernel_size=3)
    with pytest.raises(ValueError, match="method must be one of"):
        upsampling_state(flat, "cubic")


def test_upsampling_explorer_responds_and_has_a_fallback(picture, show_recorded):
    explorer = UpsamplingExplorer(picture)
    show_recorded(explorer)  # as a notebook does: builds the live view, sends it and a PNG
    first = explorer._caption.value
    explorer.controls["method"].value = "max unpooling"
    assert "max unpooling" in explorer._caption.value and explorer._caption.value != first
    explorer.controls["kernel_size"].value = 2
    explorer.controls["factor"].value = 4  # kernel 2 < factor 4: the slider follows
    assert explorer.controls["kernel_size"].value == 4 and explorer.kernel_size == 4
    assert "x4" in explorer._caption.value
    with pytest.raises(ValueError, match="Unknown setting"):
        explorer.set(size=3)


def test_a_static_fallback_is_jpeg_for_a_photo_and_png_for_a_plot():
    """``figure_fallback``: photographs (noise stands in: no PNG compresses it) are stored
    as JPEG, several times smaller; a line plot stays a PNG."""
    import io

    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    from course_utils._pictures import JPEG_SHARE
    from course_utils.widgets.display import figure_fallback, figure_png

    rng = np.random.default_rng(0)
    photo, ax = plt.subplots(figsize=(6, 4))
    ax.imshow(rng.random((120, 180, 3)))
    mime, data = figure_fallback(photo)
    assert mime == "image/jpeg" and Image.open(io.BytesIO(data)).format == "JPEG"
    again, ax = plt.subplots(figsize=(6, 4))
    ax.imshow(rng.random((120, 180, 3)))
    assert len(data) <= JPEG_SHARE * len(figure_png(again))

    plot, ax = plt.subplots(figsize=(6, 4))
    ax.plot([0, 1, 2], [0, 1, 0])
    mime, data = figure_fallback(plot)
    assert mime == "image/png" and Image.open(io.BytesIO(data)).format == "PNG"
    assert not {photo.number, again.number, plot.number} & set(plt.get_fignums()), "closed"
