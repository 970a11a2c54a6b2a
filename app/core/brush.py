"""Brush rasterisation. A stroke is a chain of capsules (segments with round caps); its coverage is
the per-pixel maximum over the chain, composited once onto the pixels the stroke started from, so
overlapping dabs inside one stroke never build up opacity and strokes stay smooth at any zoom
(coordinates are float image coordinates)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from latentbrush.core.bbox import BBox
from latentbrush.core.patches import PixelPatch

Mode = Literal["paint", "erase"]
TILE = 64


@dataclass(frozen=True)
class BrushSpec:
    size: float = 24.0          # diameter in image pixels
    hardness: float = 0.8       # 0 = soft falloff from the centre, 1 = hard edge (1 px antialias)
    opacity: float = 1.0        # 0..1, of the whole stroke

    def __post_init__(self) -> None:
        if not (0.5 <= self.size <= 5000):
            raise ValueError(f"brush size must be 0.5..5000 px, got {self.size}")
        if not (0.0 <= self.hardness <= 1.0):
            raise ValueError(f"brush hardness must be 0..1, got {self.hardness}")
        if not (0.0 <= self.opacity <= 1.0):
            raise ValueError(f"brush opacity must be 0..1, got {self.opacity}")

    @property
    def radius(self) -> float:
        return self.size / 2.0


def capsule_bbox(p0: tuple[float, float], p1: tuple[float, float], radius: float) -> BBox:
    return BBox.around((p0[0], p1[0]), (p0[1], p1[1]), radius + 1.0)


def capsule_coverage(
    p0: tuple[float, float], p1: tuple[float, float], spec: BrushSpec, bbox: BBox
) -> np.ndarray:
    """Coverage in [0, 1] of the capsule p0–p1 over bbox, float32 (bbox.height, bbox.width).

    Pixel centres are at integer + 0.5.
    """
    ys = np.arange(bbox.y0, bbox.y1, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(bbox.x0, bbox.x1, dtype=np.float32)[None, :] + 0.5
    ax, ay = p0
    dx, dy = p1[0] - ax, p1[1] - ay
    seg2 = dx * dx + dy * dy
    if seg2 < 1e-12:
        t = np.zeros((1, 1), np.float32)
    else:
        t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / seg2, 0.0, 1.0)
    dist = np.hypot(xs - (ax + t * dx), ys - (ay + t * dy))
    r = spec.radius
    inner = r * spec.hardness
    # linear ramp from `inner` (full) to r + 0.5 (zero), at least one pixel wide: antialiased
    ramp = max(r + 0.5 - inner, 1.0)
    cov = np.clip((r + 0.5 - dist) / ramp, 0.0, 1.0)
    if spec.hardness < 1.0:
        cov = cov * cov * (3.0 - 2.0 * cov)  # smoothstep: soft brushes without a visible ring
    return cov.astype(np.float32, copy=False)


def blend(
    layer_kind: str, orig: np.ndarray, cov: np.ndarray, mode: Mode, value: tuple[int, ...] | int
) -> np.ndarray:
    """Composite coverage `cov` (already multiplied by opacity) onto `orig` pixels."""
    if layer_kind == "rgba":
        o = orig.astype(np.float32)
        a0 = o[..., 3] / 255.0
        if mode == "erase":
            out = o.copy()
            out[..., 3] = a0 * (1.0 - cov) * 255.0
        else:
            color = np.asarray(value[:3], np.float32)
            a = cov + a0 * (1.0 - cov)
            safe = np.where(a > 1e-6, a, 1.0)
            rgb = (color * cov[..., None] + o[..., :3] * (a0 * (1.0 - cov))[..., None]) / safe[..., None]
            out = np.concatenate([rgb, (a * 255.0)[..., None]], axis=2)
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)
    if layer_kind == "alpha":
        o = orig.astype(np.float32)
        out = o * (1.0 - cov) if mode == "erase" else o + (255.0 - o) * cov
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)
    if layer_kind == "label":
        hit = cov >= 0.5
        out = orig.copy()
        out[hit] = 0 if mode == "erase" else int(value)  # type: ignore[arg-type]
        return out
    raise ValueError(f"unknown layer kind {layer_kind!r}")


LAYER_KIND = {"scribble": "rgba", "mask": "alpha", "parts": "label"}


class Stroke:
    """One press-move-release gesture on one layer.

    It remembers, tile by tile, the pixels the stroke started from and the coverage so far; each
    segment yields a PixelPatch for the pixels it changed (to be applied by an undo command).
    """

    def __init__(
        self, layer: np.ndarray, layer_name: str, spec: BrushSpec, mode: Mode,
        value: tuple[int, ...] | int = (0, 0, 0, 255),
    ) -> None:
        if layer_name not in LAYER_KIND:
            raise ValueError(f"layer {layer_name!r} cannot be painted; paint layers: {sorted(LAYER_KIND)}")
        self.layer = layer
        self.layer_name = layer_name
        self.kind = LAYER_KIND[layer_name]
        self.spec = spec
        self.mode = mode
        self.value = value
        h, w = layer.shape[:2]
        self._h, self._w = h, w
        # np.empty / np.zeros of a large size map pages lazily: untouched tiles cost no memory
        self._orig = np.empty_like(layer)
        self._coverage = np.zeros((h, w), np.float32)
        self._captured = np.zeros((math.ceil(h / TILE), math.ceil(w / TILE)), bool)
        self._last: tuple[float, float] | None = None
        self.bbox = BBox(0, 0, 0, 0)

    def _capture(self, bbox: BBox) -> None:
        ty0, ty1 = bbox.y0 // TILE, (bbox.y1 - 1) // TILE + 1
        tx0, tx1 = bbox.x0 // TILE, (bbox.x1 - 1) // TILE + 1
        todo = np.argwhere(~self._captured[ty0:ty1, tx0:tx1])
        for ty, tx in todo:
            sl = (slice((ty0 + ty) * TILE, (ty0 + ty + 1) * TILE),
                  slice((tx0 + tx) * TILE, (tx0 + tx + 1) * TILE))
            self._orig[sl] = self.layer[sl]
        self._captured[ty0:ty1, tx0:tx1] = True

    def segment(self, p0: tuple[float, float], p1: tuple[float, float]) -> PixelPatch | None:
        """Rasterise p0→p1 (image coordinates); None when it lies outside the layer."""
        bbox = capsule_bbox(p0, p1, self.spec.radius).clip(self._w, self._h)
        if bbox.is_empty():
            return None
        self._capture(bbox)
        cov = np.maximum(self._coverage[bbox.slices], capsule_coverage(p0, p1, self.spec, bbox))
        self._coverage[bbox.slices] = cov
        after = blend(self.kind, self._orig[bbox.slices], cov * self.spec.opacity, self.mode, self.value)
        before = self.layer[bbox.slices].copy()
        if np.array_equal(before, after):
            return None
        self.bbox = self.bbox.union(bbox)
        return PixelPatch(self.layer_name, bbox, before, after)

    def move_to(self, p: tuple[float, float]) -> PixelPatch | None:
        """Extend the stroke to p: the first call paints a single dab."""
        p0 = self._last if self._last is not None else p
        self._last = p
        return self.segment(p0, p)
