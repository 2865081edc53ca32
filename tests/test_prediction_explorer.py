"""Prediction explorer: per-image scores, class hiding, model switching, widget, fallback."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.widgets import PredictionExplorer, prediction_state

NAMES = ["road", "car", "sky"]
PALETTE = [(128, 64, 128), (64, 0, 128), (128, 128, 128)]


@pytest.fixture()
def data():
    rng = np.random.default_rng(0)
    images = rng.random((3, 16, 20, 3)).astype("float32")
    masks = np.zeros((3, 16, 20), int)
    masks[:, :8] = 2
    masks[:, 10:, 5:9] = 1
    masks[:, 0, 0] = 9  # void
    perfect = np.where(masks == 9, 0, masks)
    blind = np.where(perfect == 1, 0, perfect)  # never predicts car
    return images, masks, {"perfect": perfect, "blind": blind}


def test_state_scores_one_image(data):
    images, masks, preds = data
    st = prediction_state(images[0], masks[0], preds["blind"][0], NAMES, PALETTE, ignore_index=9)
    # road IoU = road / (road + car): the car pixels are called road; car IoU 0; sky 1
    car = (masks[0] == 1).sum()
    road = (masks[0] == 0).sum()
    assert st.image_miou == pytest.approx((road / (road + car) + 0 + 1) / 3)
    assert st.image_accuracy == pytest.approx(1 - car / (masks[0] != 9).sum())
    assert st.overlay.shape == (16, 20, 3) and st.errors.dtype == np.uint8
    with pytest.raises(ValueError, match="class ids, not scores"):
        prediction_state(images[0], masks[0], preds["blind"][0] + 5, NAMES, PALETTE, 9)


def test_hidden_classes_show_the_plain_image(data):
    images, masks, preds = data
    st = prediction_state(
        images[0], masks[0], preds["perfect"][0], NAMES, PALETTE, 9, alpha=1.0, shown=[1]
    )
    np.testing.assert_allclose(st.overlay[0, 5], images[0, 0, 5], atol=1e-6)  # sky hidden
    np.testing.assert_allclose(
        st.overlay[12, 6], np.array(PALETTE[1]) / 255, atol=1e-6
    )  # car shown


def test_explorer_logic_switches_models_and_validates(data):
    explorer = PredictionExplorer(*data, class_names=NAMES, palette=PALETTE, ignore_index=9)
    assert explorer.state().image_miou == pytest.approx(1.0)
    assert explorer.set(model="blind").image_miou < 0.9
    assert explorer.set(index=2, alpha=0.2, shown=["car"]).index == 2 and explorer.shown == [1]
    for bad, message in [
        ({"index": 3}, "index"),
        ({"model": "x"}, "model"),
        ({"alpha": 2}, "alpha"),
        ({"zoom": 1}, "Unknown"),
    ]:
        with pytest.raises(ValueError, match=message):
            explorer.set(**bad)
    with pytest.raises(ValueError, match="at least one"):
        PredictionExplorer(data[0], data[1], {}, NAMES)


def test_explorer_widget_responds_and_has_a_fallback(data, show_recorded):
    explorer = PredictionExplorer(*data, class_names=NAMES, palette=PALETTE, ignore_index=9)
    show_recorded(explorer)  # as a notebook does: builds the live view, sends it and a PNG
    before_caption, before_png = explorer._caption.value, explorer._picture.value
    explorer.controls["model"].value = "blind"
    assert "blind" in explorer._caption.value and explorer._caption.value != before_caption
    explorer.controls["alpha"].value = 0.9
    assert explorer._picture.value != before_png
    explorer.controls["shown"].value = ("sky",)
    assert explorer.shown == [2]
