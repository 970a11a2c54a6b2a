"""QImages over the document's numpy layers. Base and scribble wrap the layer arrays themselves
(no copy: the canvas always shows the live pixels); mask and parts are colored overlays kept in
step rectangle by rectangle."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from latentbrush.core.bbox import BBox, nonzero_bbox
from latentbrush.core.document import Document

PART_COLORS = np.array([
    (0, 0, 0), (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 190),
    (0, 128, 128), (170, 110, 40), (128, 0, 0), (0, 0, 128), (128, 128, 128),
], np.uint8)


def palette(colors) -> np.ndarray:
    """Part colors (index 0 = part 1) → a lookup table indexed by label (entry 0 unused)."""
    return np.array([(0, 0, 0)] + [tuple(int(v) for v in c) for c in colors], np.uint8)


def wrap(arr: np.ndarray, fmt: QImage.Format) -> QImage:
    """A QImage sharing arr's memory; the caller keeps arr alive as long as the image."""
    h, w = arr.shape[:2]
    return QImage(arr.data, w, h, arr.strides[0], fmt)


def qimage_copy(arr: np.ndarray) -> QImage:
    """An independent QImage of an (H, W, 3|4) uint8 array (for previews)."""
    arr = np.ascontiguousarray(arr)
    fmt = QImage.Format.Format_RGB888 if arr.shape[2] == 3 else QImage.Format.Format_RGBA8888
    return wrap(arr, fmt).copy()


class Overlays:
    def __init__(self, doc: Document, mask_rgb=(255, 40, 70), mask_opacity: float = 0.5,
                 parts_opacity: float = 0.7, map_opacity: float = 0.3, part_colors=None) -> None:
        self.doc = doc
        self.mask_rgb = np.array(mask_rgb, np.float32)
        self.mask_opacity = mask_opacity
        self.parts_opacity = parts_opacity
        self.map_opacity = map_opacity
        self.part_colors = PART_COLORS if part_colors is None else palette(part_colors)
        h, w = doc.height, doc.width
        self.base = wrap(doc.layer("base"), QImage.Format.Format_RGB888)
        self.original = wrap(doc.original, QImage.Format.Format_RGB888)
        self.scribble = wrap(doc.layer("scribble"), QImage.Format.Format_RGBA8888)
        # premultiplied ARGB32 = bytes B, G, R, A on little-endian machines
        self._mask = np.zeros((h, w, 4), np.uint8)
        self._parts = np.zeros((h, w, 4), np.uint8)
        self.mask = wrap(self._mask, QImage.Format.Format_ARGB32_Premultiplied)
        self.parts = wrap(self._parts, QImage.Format.Format_ARGB32_Premultiplied)
        # the detected part map of the edit region (not a document layer: a view of the latent)
        self._partmap = np.zeros((h, w, 4), np.uint8)
        self.partmap = wrap(self._partmap, QImage.Format.Format_ARGB32_Premultiplied)
        self.has_part_map = False
        # (an empty layer's overlay is already blank: drawing it on a 24-MP photo took 3 s of the 7 s a helper's
        # window froze on opening one; only where the layer holds something, e.g. a project's mask)
        for name in ("mask", "parts"):
            box = nonzero_bbox(doc.layer(name))
            if not box.is_empty():
                self.refresh(name, box)

    def refresh(self, layer: str, bbox: BBox) -> None:
        sl = bbox.slices
        if layer == "mask":
            a = self.doc.layer("mask")[sl].astype(np.float32) * self.mask_opacity
            out = self._mask[sl]
            out[..., 3] = a.astype(np.uint8)
            for c, v in zip((2, 1, 0), self.mask_rgb, strict=True):
                out[..., c] = (a * (v / 255.0)).astype(np.uint8)
        elif layer == "parts":
            self._labels_into(self._parts[sl], self.doc.layer("parts")[sl], self.parts_opacity)

    def _labels_into(self, out: np.ndarray, labels: np.ndarray, opacity: float) -> None:
        rgb = self.part_colors[labels % len(self.part_colors)].astype(np.float32)
        a = np.where(labels > 0, 255.0 * opacity, 0.0).astype(np.float32)
        out[..., 3] = a.astype(np.uint8)
        for c, ch in zip((2, 1, 0), range(3), strict=True):
            out[..., c] = (rgb[..., ch] * a / 255.0).astype(np.uint8)

    def set_part_colors(self, colors) -> None:
        self.part_colors = palette(colors)
        self.refresh("parts", self.doc.bounds)

    def set_part_map(self, labels: np.ndarray | None) -> None:
        """labels (H, W) uint8 part index + 1 (0 = none), or None to clear."""
        if labels is None:
            self._partmap[:] = 0
            self.has_part_map = False
            return
        if labels.shape != self._partmap.shape[:2]:
            raise ValueError(f"part map {labels.shape} does not match the image {self._partmap.shape[:2]}")
        self._labels_into(self._partmap, labels, self.map_opacity)
        self.has_part_map = bool(labels.any())

    def set_mask_opacity(self, v: float) -> None:
        self.mask_opacity = v
        self.refresh("mask", self.doc.bounds)
