"""Axis-aligned pixel rectangles, half-open: x0 <= x < x1, y0 <= y < y1."""

from __future__ import annotations

import math
from typing import NamedTuple


class BBox(NamedTuple):
    x0: int
    y0: int
    x1: int
    y1: int

    @classmethod
    def full(cls, width: int, height: int) -> BBox:
        return cls(0, 0, width, height)

    @classmethod
    def around(cls, xs: tuple[float, ...], ys: tuple[float, ...], pad: float) -> BBox:
        """The integer box containing every point of the given coordinates widened by pad."""
        return cls(
            math.floor(min(xs) - pad),
            math.floor(min(ys) - pad),
            math.ceil(max(xs) + pad) + 1,
            math.ceil(max(ys) + pad) + 1,
        )

    @property
    def width(self) -> int:
        return max(0, self.x1 - self.x0)

    @property
    def height(self) -> int:
        return max(0, self.y1 - self.y0)

    @property
    def area(self) -> int:
        return self.width * self.height

    def is_empty(self) -> bool:
        return self.width == 0 or self.height == 0

    def clip(self, width: int, height: int) -> BBox:
        return BBox(
            min(max(self.x0, 0), width),
            min(max(self.y0, 0), height),
            min(max(self.x1, 0), width),
            min(max(self.y1, 0), height),
        )

    def union(self, other: BBox) -> BBox:
        if self.is_empty():
            return other
        if other.is_empty():
            return self
        return BBox(
            min(self.x0, other.x0), min(self.y0, other.y0),
            max(self.x1, other.x1), max(self.y1, other.y1),
        )

    def intersect(self, other: BBox) -> BBox:
        box = BBox(
            max(self.x0, other.x0), max(self.y0, other.y0),
            min(self.x1, other.x1), min(self.y1, other.y1),
        )
        return box if not box.is_empty() else BBox(0, 0, 0, 0)

    def pad(self, n: int) -> BBox:
        return BBox(self.x0 - n, self.y0 - n, self.x1 + n, self.y1 + n)

    def offset(self, dx: int, dy: int) -> BBox:
        return BBox(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)

    @property
    def slices(self) -> tuple[slice, slice]:
        """Row and column slices for indexing an (H, W, ...) array."""
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def relative_to(self, outer: BBox) -> tuple[slice, slice]:
        """Slices of this box inside an array that covers `outer`."""
        return (
            slice(self.y0 - outer.y0, self.y1 - outer.y0),
            slice(self.x0 - outer.x0, self.x1 - outer.x0),
        )


EMPTY = BBox(0, 0, 0, 0)


def nonzero_bbox(array) -> BBox:
    """The smallest box holding every non-zero pixel of an (H, W[, C]) array, EMPTY if none."""
    import numpy as np

    plane = array if array.ndim == 2 else np.any(array != 0, axis=2)
    rows = np.flatnonzero(np.any(plane, axis=1))
    if rows.size == 0:
        return EMPTY
    cols = np.flatnonzero(np.any(plane, axis=0))
    return BBox(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
