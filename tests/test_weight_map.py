"""U-Net's border weight map (eq. 2 of the paper): values by hand, symmetry, agreement with
a brute-force computation over the whole image, and errors for masks it cannot take."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from course_utils import data

W0, SIGMA = 10.0, 5.0


def _two_squares() -> np.ndarray:
    """Two 20x14 cells (1) on membrane (0), two pixels apart, symmetric left-right and
    up-down: columns 5-18 and 21-34, rows 10-29 of a 40x40 mask."""
    mask = np.zeros((40, 40), np.uint8)
    mask[10:30, 5:19] = 1
    mask[10:30, 21:35] = 1
    return mask


def _balanced(mask: np.ndarray) -> tuple[float, float]:
    n = mask.size
    return n / (2 * np.sum(mask == 0)), n / (2 * np.sum(mask == 1))


def test_two_cells_two_pixels_apart_by_hand():
    mask = _two_squares()
    w = data.border_weight_map(mask)
    assert w.shape == (40, 40) and w.dtype == np.float32
    w_background, w_cell = _balanced(mask)
    # inside the gap: 1 pixel to one cell, 2 to the other: d1 + d2 = 3
    gap = w[10:30, 19:21]
    np.testing.assert_allclose(
        gap, w_background + W0 * math.exp(-(3**2) / (2 * SIGMA**2)), rtol=1e-6
    )
    assert (gap > w_background + 0.8 * W0).all() and (gap <= w_background + W0).all()
    # far from both cells the border term vanishes; cell pixels keep their class weight
    assert w[0, 0] == pytest.approx(w_background, abs=1e-4)
    assert w[39, 39] == pytest.approx(w_background, abs=1e-4)
    np.testing.assert_allclose(w[mask == 1], w_cell, rtol=1e-6)
    # 3 pixels above the gap's left column: sqrt(9 + 1) to one cell, sqrt(9 + 4) to the other
    d1_plus_d2 = math.sqrt(10) + math.sqrt(13)
    expected = w_background + W0 * math.exp(-(d1_plus_d2**2) / (2 * SIGMA**2))
    assert w[7, 19] == pytest.approx(expected, rel=1e-6)
    # the mask is symmetric, and so are its weights
    np.testing.assert_allclose(w, w[:, ::-1], rtol=1e-6)
    np.testing.assert_allclose(w, w[::-1, :], rtol=1e-6)


def test_class_weights_balance_the_two_classes_or_are_given():
    mask = _two_squares()
    no_border = data.border_weight_map(mask, w0=0.0)
    w_background, w_cell = _balanced(mask)
    assert no_border.mean() == pytest.approx(1.0, rel=1e-6)
    assert no_border[mask == 0].sum() == pytest.approx(no_border[mask == 1].sum(), rel=1e-6)
    np.testing.assert_allclose(np.unique(no_border), sorted([w_background, w_cell]), rtol=1e-6)
    fixed = data.border_weight_map(mask, class_weights=(1.0, 1.0))
    np.testing.assert_allclose(fixed[mask == 1], 1.0)
    assert fixed[15, 19] == pytest.approx(1.0 + W0 * math.exp(-9 / 50), rel=1e-6)


def test_instances_and_binary_masks_give_the_same_map_and_one_cell_has_no_border():
    mask = _two_squares()
    instances, count = ndimage.label(mask)
    assert count == 2
    np.testing.assert_array_equal(
        data.border_weight_map(instances, labelled=True), data.border_weight_map(mask[..., None])
    )
    # instances that share no gap with another get no border weight
    one = mask.copy()
    one[:, 20:] = 0
    np.testing.assert_array_equal(data.border_weight_map(one), data.border_weight_map(one, w0=0))
    # labelled instances may touch: two ids of one connected region are two cells
    touching = np.zeros((20, 20), np.int32)
    touching[5:15, 2:10], touching[5:15, 10:18] = 1, 2
    w = data.border_weight_map(touching, labelled=True)
    assert w[4, 9] > w[0, 0] + 0.5 * W0  # the membrane right above the contact


def test_cells_touching_at_a_corner_stay_apart():
    """4-connectivity: a diagonal membrane one pixel thin separates two cells."""
    mask = (np.add.outer(np.arange(24), np.arange(24)) != 23).astype(np.uint8)
    assert ndimage.label(mask)[1] == 2
    w = data.border_weight_map(mask, class_weights=(1.0, 1.0))
    diagonal = w[np.arange(24), 23 - np.arange(24)]
    np.testing.assert_allclose(diagonal, 1.0 + W0 * math.exp(-(2**2) / (2 * SIGMA**2)), rtol=1e-6)


def _brute_force(mask: np.ndarray, w0: float, sigma: float) -> np.ndarray:
    """Eq. 2 from one whole-image distance transform per cell (no windows)."""
    cells, count = ndimage.label(mask)
    distances = np.sort(
        np.stack([ndimage.distance_transform_edt(cells != i) for i in range(1, count + 1)]), axis=0
    )
    background = cells == 0
    n = mask.size
    w_c = np.where(background, n / (2 * background.sum()), n / (2 * (~background).sum()))
    border = w0 * np.exp(-((distances[0] + distances[1]) ** 2) / (2 * sigma**2))
    return w_c + np.where(background, border, 0.0)


@pytest.mark.parametrize("sigma", [2.0, 5.0])
def test_windowed_distances_match_the_whole_image_computation(sigma):
    rng = np.random.default_rng(0)
    seeds = np.zeros((64, 80), np.int32)
    points = rng.integers(0, (64, 80), size=(14, 2))
    seeds[points[:, 0], points[:, 1]] = np.arange(1, 15)
    _, (rows, cols) = ndimage.distance_transform_edt(seeds == 0, return_indices=True)
    regions = seeds[rows, cols]
    edges = np.zeros(regions.shape, bool)
    edges[1:] |= regions[1:] != regions[:-1]
    edges[:, 1:] |= regions[:, 1:] != regions[:, :-1]
    mask = (~edges).astype(np.uint8)  # Voronoi cells, membranes one or two pixels wide
    assert ndimage.label(mask)[1] >= 10
    expected = _brute_force(mask, W0, sigma)
    np.testing.assert_allclose(data.border_weight_map(mask, sigma=sigma), expected, atol=1e-5)


@pytest.mark.parametrize(
    "mask, kwargs, message",
    [
        (np.zeros((2, 8, 8), np.uint8), {}, r"one \(H, W\) or \(H, W, 1\) mask"),
        (np.full((8, 8), 255, np.uint8), {}, "map 255 to 1 first"),
        (np.zeros((8, 8), np.float32), {}, "integers or booleans"),
        (np.full((8, 8), -1), {"labelled": True}, "0 \\(background\\) or positive"),
        (np.zeros((8, 8), np.uint8), {"sigma": 0.0}, "sigma must be a positive"),
        (np.zeros((8, 8), np.uint8), {"w0": -1.0}, "w0 must be 0 or more"),
        (np.zeros((8, 8), np.uint8), {"class_weights": (1.0,)}, "two positive numbers"),
    ],
)
def test_bad_input_says_what_is_wrong(mask, kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.border_weight_map(mask, **kwargs)


def test_a_dataset_gets_each_masks_map_as_per_pixel_weights_keras_trains_with():
    """``with_border_weights``: the third element of every batch is the map of that
    batch's own (augmented) masks, in order, and ``fit`` takes it as sample weights."""
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(0)
    masks = np.stack([_two_squares(), np.ones((40, 40), np.uint8), _two_squares().T])
    masks = masks[..., None].astype(np.int32)
    images = rng.random((3, 40, 40, 1)).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices((images, masks)).batch(2)
    batches = list(data.with_border_weights(dataset, w0=W0, sigma=SIGMA))
    assert [len(b) for b in batches] == [3, 3]
    weights = np.concatenate([b[2].numpy() for b in batches])
    assert weights.shape == (3, 40, 40) and weights.dtype == np.float32
    for mask, w in zip(masks, weights, strict=True):
        np.testing.assert_allclose(w, data.border_weight_map(mask, w0=W0, sigma=SIGMA))
    assert weights[0].max() > 5 and np.allclose(weights[1], 1.0)  # no gap in a lone cell

    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((40, 40, 1)), keras.layers.Conv2D(2, 3, padding="same")])
    net.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = net.fit(data.with_border_weights(dataset), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_with_border_weights_refuses_a_bad_sigma_at_once():
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((np.zeros((1, 4, 4, 1)), np.zeros((1, 4, 4, 1))))
    with pytest.raises(ValueError, match="sigma must be a positive number"):
        data.with_border_weights(dataset, sigma=0)
