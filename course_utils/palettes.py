"""Colour maps shared by the dataset catalog and :mod:`course_utils.viz`.

Pure Python with no imports, so that ``data`` and ``viz`` (independent leaves of the
package) can both use it without depending on each other.
"""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=8)
def voc_colors(n: int = 256) -> tuple[tuple[int, int, int], ...]:
    """The PASCAL VOC colour map: one RGB triple (0..255) for each class id ``0..n-1``.

    The bits of each id are spread over the three channels from the most significant
    bit down (bit 0 to red, bit 1 to green, bit 2 to blue, and so on), which gives
    id 0 black, 1 dark red, 2 dark green, 15 (VOC's *person*) pink, and a distinct
    colour for each of the first 256 ids.

    Args:
        n: how many ids to colour.

    Raises:
        ValueError: for a negative ``n``.
    """
    if n < 0:
        raise ValueError(f"n={n}: a palette needs a number of colours >= 0.")
    colors = []
    for label in range(n):
        r = g = b = 0
        c = label
        for shift in range(7, -1, -1):
            r |= ((c >> 0) & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        colors.append((r, g, b))
    return tuple(colors)
