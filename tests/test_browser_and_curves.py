"""Dataset browser and training-curve viewer: logic, widget response, static fallback."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.widgets import DatasetBrowser, TrainingCurves, browser_state, curves_state
from course_utils.widgets.dataset_browser import class_counts

NAMES = ["road", "car", "sky"]
PALETTE = [(128, 64, 128), (64, 0, 128), (128, 128, 128)]
VOID = 9


@pytest.fixture()
def splits():
    rng = np.random.default_rng(1)
    train_x = rng.random((3, 12, 16, 3)).astype("float32")
    train_y = np.zeros((3, 12, 16), int)
    train_y[:, :4] = 2
    train_y[:, 8:, 2:6] = 1
    train_y[0, 0, :3] = VOID
    val_x = rng.random((2, 12, 16, 3)).astype("float32")
    val_y = np.full((2, 12, 16), 2)
    return {"train": (train_x, train_y), "val": (val_x, val_y[..., None])}


def test_class_counts_leave_out_void_and_foreign_ids():
    masks = np.array([[0, 0, 1, 9], [2, 2, 2, -1]])
    np.testing.assert_array_equal(class_counts(masks, 3), [2, 1, 3])


def test_browser_state_counts_and_hides(splits):
    images, masks = splits["train"]
    counts = class_counts(masks, 3)
    st = browser_state(images[0], masks[0], counts, NAMES, PALETTE, VOID, alpha=1.0, shown=[1])
    assert st.void_pixels == 3 and st.image_counts.tolist() == [192 - 64 - 16, 16, 64 - 3]
    assert st.image_counts.sum() + st.void_pixels == 12 * 16
    np.testing.assert_allclose(st.overlay[0, 5], images[0, 0, 5], atol=1e-6)  # sky hidden
    np.testing.assert_allclose(st.overlay[9, 3], np.array(PALETTE[1]) / 255, atol=1e-6)
    legend = st.legend(NAMES, [1])
    assert legend[0].startswith("(hidden) road") and legend[1].startswith("car: 16 px here")
    assert f"{100 * counts[1] / counts.sum():.1f}% of train" in legend[1]


def test_browser_state_refuses_bad_masks(splits):
    images, masks = splits["train"]
    counts = class_counts(masks, 3)
    with pytest.raises(ValueError, match="does not fit"):
        browser_state(images[0], masks[0][:5], counts, NAMES, PALETTE, VOID)
    bad = masks[0].copy()
    bad[3, 3] = 7
    with pytest.raises(ValueError, match=r"ids \[7\]"):
        browser_state(images[0], bad, counts, NAMES, PALETTE, VOID)


def test_browser_logic_switches_split_and_validates(splits):
    browser = DatasetBrowser(splits, NAMES, PALETTE, VOID)
    assert browser.set(index=2).index == 2
    st = browser.set(split="val")  # val has 2 images: the index moves to its last one
    assert (st.split, st.index) == ("val", 1) and st.image_counts.tolist() == [0, 0, 192]
    assert browser.set(shown=["sky", 0]).split == "val" and browser.shown == [2, 0]
    for bad, message in [
        ({"split": "test"}, "split"),
        ({"index": 2}, "index"),
        ({"alpha": -0.1}, "alpha"),
        ({"zoom": 2}, "Unknown"),
    ]:
        with pytest.raises(ValueError, match=message):
            browser.set(**bad)
    with pytest.raises(ValueError, match="same, non-zero"):
        DatasetBrowser({"x": (splits["train"][0], splits["val"][1])}, NAMES)
    with pytest.raises(ValueError, match="at least one"):
        DatasetBrowser({}, NAMES)


def test_browser_widget_responds_and_has_a_fallback(splits, show_recorded):
    browser = DatasetBrowser(splits, NAMES, PALETTE, VOID)
    show_recorded(browser)  # as a notebook does: builds the live view, sends it and a PNG
    caption, png = browser._caption.value, browser._picture.value
    browser.controls["index"].value = 1
    assert "train image 1" in browser._caption.value and browser._caption.value != caption
    browser.controls["alpha"].value = 1.0
    assert browser._picture.value != png
    browser.controls["split"].value = "val"
    assert browser.controls["index"].max == 1 and "val image 1" in browser._caption.value
    browser.controls["shown"].value = ("car",)
    assert browser.shown == [1]


@pytest.fixture()
def histories():
    return {
        "fast": {
            "loss": [1.0, 0.7, 0.5],
            "miou": [0.2, 0.3, 0.4],
            "val_loss": [0.9, 0.8, 0.85],
            "val_miou": [0.25, 0.35, 0.33],
            "minutes": [0.5, 1.0, 1.5],
        },
        "slow": {
            "loss": [1.1, 0.6],
            "miou": [0.1, 0.3],
            "val_loss": [1.0, 0.7],
            "val_miou": [0.2, 0.38],
            "minutes": [0.75, 1.5],
        },
    }


def test_curves_state_picks_axes_and_best_values(histories):
    st = curves_state(histories, "miou", "minutes")
    assert len(st.curves) == 4
    fast_val = next(c for c in st.curves if c.run == "fast" and c.split == "validation")
    np.testing.assert_array_equal(fast_val.x, [0.5, 1.0, 1.5])
    assert st.best == {"fast": (0.35, 1.0), "slow": (0.38, 1.5)}
    assert curves_state(histories, "loss", "epoch").best["fast"] == (0.8, 2.0)  # lowest loss
    only = curves_state(histories, "miou", "epoch", runs=["slow"], splits=["validation"])
    assert [(c.run, c.split) for c in only.curves] == [("slow", "validation")]
    assert "slow 0.380 (epoch 2)" in only.describe()
    for kwargs, message in [
        ({"metric": "dice"}, "did not log"),
        ({"x_axis": "steps"}, "x_axis"),
        ({"runs": ["medium"]}, "Unknown run"),
        ({"splits": ["test"]}, "splits"),
    ]:
        with pytest.raises(ValueError, match=message):
            curves_state(histories, **{"metric": "miou", **kwargs})
    no_minutes = {"old": {"loss": [1.0], "val_loss": [0.9]}}
    with pytest.raises(ValueError, match="no 'minutes'"):
        curves_state(no_minutes, "loss", "minutes")


def test_curves_viewer_logic_and_widget(histories, show_recorded):
    viewer = TrainingCurves(histories)
    assert (viewer.metric, viewer.x_axis, viewer.metric_names) == (
        "miou",
        "minutes",
        ["loss", "miou"],
    )
    assert TrainingCurves({"old": {"loss": [1.0]}}).axes_available == ["epoch"]
    with pytest.raises(ValueError, match="metric"):
        viewer.set(metric="accuracy")
    with pytest.raises(ValueError, match="Unknown runs"):
        viewer.set(runs=["x"])
    with pytest.raises(ValueError, match="splits"):
        viewer.set(splits=["test"])
    show_recorded(viewer)  # as a notebook does: builds the live view, sends it and a PNG
    caption, png = viewer._caption.value, viewer._picture.value
    viewer.controls["metric"].value = "loss"
    assert "best validation loss" in viewer._caption.value and viewer._caption.value != caption
    viewer.controls["runs"].value = ("fast",)
    assert "slow" not in viewer._caption.value and viewer._picture.value != png
    viewer.controls["x_axis"].value = "epoch"
    assert "(epoch 2)" in viewer._caption.value
