from __future__ import annotations

import numpy as np
import pytest

from course_utils import viz
from course_utils.data import info


def test_default_palette_is_the_voc_colour_map():
    pal = viz.default_palette(256)
    assert pal.shape == (256, 3) and pal.dtype == np.uint8
    assert pal[:4].tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]]
    assert pal[15].tolist() == [192, 128, 128]  # VOC 'person'
    assert len({tuple(c) for c in pal}) == 256
    np.testing.assert_array_equal(pal[:21], np.array(info("voc2012").colors))


def test_colorize_uses_camvid_colours_and_blacks_out_void():
    camvid = info("camvid")
    mask = np.array([[0, 3], [8, 11]])
    rgb = viz.colorize(mask, camvid.colors, ignore_index=camvid.ignore_index)
    assert rgb[0, 0].tolist() == [128, 128, 128]  # Sky
    assert rgb[0, 1].tolist() == [128, 64, 128]  # Road
    assert rgb[1, 0].tolist() == [64, 0, 128]  # Car
    assert rgb[1, 1].tolist() == [0, 0, 0]  # void


def test_overlay_blends_and_keeps_void_pixels():
    image = np.full((2, 2, 3), 255, np.uint8)
    mask = np.array([[1, 1], [1, 9]])
    out = viz.overlay(image, mask, alpha=0.5, palette=[(0, 0, 0), (255, 0, 0)], ignore_index=9)
    np.testing.assert_allclose(out[0, 0], [1.0, 0.5, 0.5])
    np.testing.assert_allclose(out[1, 1], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(
        viz.overlay(image, mask, alpha=0.0, palette=[(0, 0, 0), (255, 0, 0)]), 1.0
    )
    with pytest.raises(ValueError, match="alpha"):
        viz.overlay(image, mask, alpha=1.5)


def test_error_map_right_wrong_ignored():
    out = viz.error_map(np.array([[1, 2, 255]]), np.array([[1, 0, 0]]), ignore_index=255)
    assert [tuple(c) for c in out[0]] == [
        viz.ERROR_COLORS["right"], viz.ERROR_COLORS["wrong"], viz.ERROR_COLORS["ignored"]
    ]  # fmt: skip


# Machado, Oliveira and Fernandes (2009), severity 1.0, applied to sRGB values (an
# approximation good enough to tell colour pairs apart).
_DICHROMACY = {
    "protanopia": np.array(
        [[0.152, 1.053, -0.205], [0.115, 0.786, 0.099], [-0.004, -0.048, 1.052]]
    ),
    "deuteranopia": np.array(
        [[0.367, 0.861, -0.228], [0.280, 0.673, 0.047], [-0.012, 0.043, 0.969]]
    ),
}


def _seen_apart(a, b, kind):
    m = _DICHROMACY[kind]
    return float(np.abs(m @ np.asarray(a, float) - m @ np.asarray(b, float)).max())


def test_error_colours_stay_apart_for_colour_blind_readers():
    right, wrong = viz.ERROR_COLORS["right"], viz.ERROR_COLORS["wrong"]
    for kind in _DICHROMACY:
        assert _seen_apart(right, wrong, kind) > 80, kind
    # the check can fail: the old green/red pair is about one colour to a deuteranope
    assert _seen_apart((60, 170, 75), (220, 40, 40), "deuteranopia") < 80


def test_prediction_grid_has_an_error_key_with_void():
    import matplotlib

    matplotlib.use("Agg")
    masks = np.array([[[0, 1], [255, 1]]])
    fig = viz.show_predictions(np.zeros((1, 2, 2, 3)), masks, masks, class_names=["a", "b"],
                               ignore_index=255)  # fmt: skip
    keys = {legend.get_title().get_text(): [t.get_text() for t in legend.get_texts()]
            for legend in fig.legends}  # fmt: skip
    assert keys["error map"] == ["right", "wrong", "void (not scored)"]
    assert keys["classes"] == ["a", "b"]


def test_colors_to_ids_round_trip():
    camvid = info("camvid")
    mask = np.random.default_rng(0).integers(0, 11, (6, 7))
    np.testing.assert_array_equal(
        viz.colors_to_ids(viz.colorize(mask, camvid.colors), camvid.colors), mask
    )


def test_figures_build_with_expected_panels():
    images = np.random.default_rng(0).random((3, 8, 8, 3))
    masks = np.zeros((3, 8, 8, 1), int)
    preds = np.random.default_rng(1).random((3, 8, 8, 4))
    fig = viz.show_predictions(images, masks, preds, class_names=list("abcd"), ignore_index=None)
    assert len(fig.axes) == 3 * 4 and fig.legends
    assert len(viz.show_predictions(images, masks).axes) == 3 * 2
    fig = viz.plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "miou": [0.1, 0.2]})
    assert [ax.get_title() for ax in fig.axes] == ["loss", "miou"]
    assert len(fig.axes[0].lines) == 2
    fig = viz.plot_confusion(np.eye(3) * 5, ["a", "b", "c"])
    assert fig.axes[0].get_xlabel() == "predicted"
    fig = viz.show_feature_maps(np.zeros((1, 4, 4, 20)), max_maps=10)
    assert sum(1 for ax in fig.axes if ax.images) == 10
    with pytest.raises(ValueError, match="empty"):
        viz.plot_history({})


def test_overlay_accepts_rgba_and_error_map_accepts_scores():
    rgba = np.full((2, 2, 4), 255, np.uint8)
    assert viz.overlay(rgba, np.zeros((2, 2), int), 0.5).shape == (2, 2, 3)
    scores = np.zeros((1, 2, 3))
    scores[0, 0, 1] = 1.0
    out = viz.error_map(np.array([[1, 0]]), scores)
    assert [tuple(c) for c in out[0]] == [viz.ERROR_COLORS["right"], viz.ERROR_COLORS["right"]]


def test_one_voc_colour_map_for_the_catalog_and_viz():
    from course_utils import palettes
    from course_utils.data import catalog

    assert catalog.voc_colors is palettes.voc_colors, "the catalog uses the shared colour map"
    np.testing.assert_array_equal(viz.default_palette(300), np.array(palettes.voc_colors(300)))
    assert palettes.voc_colors(21) == info("voc2012").colors
    assert viz.default_palette(0).shape == (0, 3)
    with pytest.raises(ValueError, match="number of colours"):
        palettes.voc_colors(-1)


def test_curve_colours_stay_apart_for_colour_blind_readers():
    colours = [np.array([int(h[i : i + 2], 16) for i in (1, 3, 5)]) for h in viz.CURVE_COLORS]
    for kind in _DICHROMACY:
        for i in range(5):  # the first five: a comparison of five models
            for j in range(i):
                assert _seen_apart(colours[i], colours[j], kind) > 50, (kind, i, j)
    # the check can fail: matplotlib's default blue and purple are one colour to a protanope
    assert _seen_apart((31, 119, 180), (148, 103, 189), "protanopia") < 50


def test_setup_makes_the_curve_colours_the_cycle():
    import matplotlib as mpl

    viz.use_curve_colors()
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == list(viz.CURVE_COLORS)


def test_a_notebook_stores_a_photo_figure_as_jpeg_and_a_plot_as_png():
    """``setup()`` sets the shell's figure formatters (``_pictures.use_compact_figures``):
    one picture per figure, JPEG for a photograph (noise stands in), PNG for a plot, none
    for an empty figure; outside IPython nothing is set."""
    import matplotlib.pyplot as plt
    from IPython.core.formatters import DisplayFormatter

    from course_utils import _pictures

    class Shell:
        display_formatter = DisplayFormatter()

    assert _pictures.use_compact_figures(Shell())
    photo, ax = plt.subplots(figsize=(5, 4))
    ax.imshow(np.random.default_rng(0).random((300, 360, 3)))
    plot, ax = plt.subplots(figsize=(5, 4))
    ax.plot([0, 1, 2], [1, 0, 1])
    empty = plt.figure()
    shown = {name: Shell.display_formatter.format(fig)[0] for name, fig in
             {"photo": photo, "plot": plot, "empty": empty}.items()}  # fmt: skip
    pictures = {
        name: sorted(k for k in data if k.startswith("image/")) for name, data in shown.items()
    }
    assert pictures == {"photo": ["image/jpeg"], "plot": ["image/png"], "empty": []}, pictures
    for fig in (photo, plot, empty):
        plt.close(fig)
    assert not _pictures.use_compact_figures(object()), "no shell, nothing set"
