"""Instances (connected regions of a class) and their boxes, from a semantic mask."""

from __future__ import annotations

import numpy as np

from course_utils.data import instance_map, instances_from_mask


def test_instances_and_boxes_from_a_semantic_mask():
    mask = np.zeros((20, 30), np.uint8)
    mask[2:8, 3:10] = 8  # a car: 42 px
    mask[12:18, 20:28] = 8  # another car: 48 px
    mask[10:12, 0:2] = 8  # a speck: dropped
    mask[5:15, 14:16] = 9  # a pedestrian
    found = instances_from_mask(mask, [8, 9], min_pixels=10)
    assert [(i.class_id, i.pixels) for i in found] == [(8, 48), (8, 42), (9, 20)]
    assert found[0].box == (12, 20, 18, 28)
    numbers = instance_map(found, mask.shape)
    assert set(np.unique(numbers)) == {0, 1, 2, 3} and numbers[3, 4] == 2
