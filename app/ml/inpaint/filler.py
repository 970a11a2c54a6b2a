"""The fill contract shared by every method (torch-free): a Filler fills one crop, `fill_crop` runs
it at its working size; the classical fills (Telea, Navier–Stokes) and the frequency-selective
reconstruction (OpenCV-contrib xphoto)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from latentbrush.core.bbox import BBox
from latentbrush.ml.inpaint import methods
from latentbrush.ml.inpaint.biharmonic import biharmonic, fade_to_membrane

Check = Callable[[], None]


class Filler:
    max_side: int | None = None      # working size: crops larger than this are scaled down
    multiple: int = 1                # working sides must be multiples of this
    title: str = ""
    device = "cpu"

    def on_cpu(self) -> Filler:
        """The same filler running on the CPU (for the out-of-GPU-memory fallback)."""
        return self

    def fill(self, crop: np.ndarray, hole: np.ndarray, check: Check | None = None) -> np.ndarray:
        raise NotImplementedError

    def regions(self, image: np.ndarray, hole: np.ndarray) -> list[BBox]:
        return plan_crops(hole)

    def prepare_area(self, image: np.ndarray, box: BBox, hole: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Called before each area's fill with the whole photo, the area's box in it, the area's hole and
        every hole in the photo (`mask`): a fill that looks beyond its crop (the default fill's face check,
        its mirrored eye) reads them here."""


CLASSICAL_SIDE = 2048   # Telea / Navier–Stokes work on crops of at most this side (a smooth fill: scaled up)
CLASSICAL_RADIUS = 16   # … with a neighbourhood of at most this radius


class ClassicalFiller(Filler):
    """Telea's fast marching or Navier–Stokes diffusion (OpenCV), at the crop's own size up to `CLASSICAL_SIDE`.
    Each is one OpenCV call that no cancel reaches, and its cost grows with the hole's pixels × radius²: a helper's
    8000 × 6000 photo, filled whole at its own size with a radius of 80 px, ran for over 13 minutes and ignored
    Ctrl+C and SIGTERM."""

    max_side = CLASSICAL_SIDE
    grow_side = None        # (its crops are not grown to the working size: a tight crop costs less)

    def __init__(self, method: str = methods.TELEA) -> None:
        self.flag = cv2.INPAINT_TELEA if method == methods.TELEA else cv2.INPAINT_NS
        self.title = methods.CLASSICAL[method]

    def fill(self, crop, hole, check=None):
        radius = min(CLASSICAL_RADIUS, max(3, int(round(max(crop.shape[:2]) / 100))))
        return cv2.inpaint(np.ascontiguousarray(crop), hole.astype(np.uint8) * 255, radius, self.flag)


MAGNIFIED = 3.0          # a texture-copying fill made this many times smaller or more …
MAGNIFIED_SOFTEN = 0.8   # … is blurred by this many of its pixels before it is scaled up
FSR_WIDE = 0.6           # a hole over this share of its crop (all of a photo but its edges, not an object) …
FSR_DEEP = 24            # … and deeper than this (px at the frequency-selective fill's size) …
FSR_KEEP = 8             # … keeps its fit this far from the known pixels, faded into the membrane by 3 × as far
FSR_PAD = 32         # px mirrored past the right and bottom edges for the frequency-selective fill (its blocks)


class FsrFiller(Filler):
    """Frequency-selective reconstruction (Genser et al. 2018; OpenCV-contrib's xphoto, fast mode):
    each block around the hole is modelled as a sparse sum of Fourier basis functions fitted to its
    known pixels. Keeps edges and smooth gradients a diffusion blurs; costs ≈ 0.15 ms per hole pixel,
    so crops are scaled to at most `max_side` and, with `hole_budget`, further down to where the hole
    has at most that many pixels, but never below `min_side` (a 64² crop's own pixels are its
    detail: filling it at 0.8 × its size costs ≈ 1 dB inside the hole on the held-out photos) nor
    below where a thin hole's pixels lie a median `thin_px` px from its edge (brush strokes on a 256²
    photo: at 64² −2.0 dB against the better classical fill, at 128² +0.7 dB)."""

    def __init__(self, max_side: int | None = 128, hole_budget: int | None = None, min_side: int = 64,
                 thin_px: float = 2.0) -> None:
        self.max_side, self.hole_budget, self.min_side, self.thin_px = max_side, hole_budget, min_side, thin_px
        self.title = methods.TITLES[methods.FSR]

    def scale(self, hole: np.ndarray) -> float:
        """The scale this fill works at for this hole (1: the crop's own size)."""
        hole = hole.astype(bool)
        n = int(hole.sum())
        h, w = hole.shape
        if n == hole.size:          # nothing known: nothing a smaller size would keep either
            return 1.0
        s = 1.0 if not self.hole_budget or n <= self.hole_budget else (self.hole_budget / n) ** 0.5
        if s < 1:
            depth = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)[hole]
            s = max(s, min(1.0, self.thin_px / max(float(np.median(depth)), 1e-3)))
        return max(s, min(1.0, self.min_side / max(h, w)))

    def fill(self, crop, hole, check=None):
        h, w = hole.shape
        s = self.scale(hole)
        if s < 1:
            size = (max(8, round(w * s)), max(8, round(h * s)))
            small, hs = shrink_known(crop, hole, size)
            if not hs.all():        # (a few known pixels, lost at the smaller size: filled at full size)
                return cv2.resize(self._fill(small, hs, check), (w, h), interpolation=cv2.INTER_CUBIC)
        return self._fill(crop, hole, check)

    def _fill(self, crop, hole, check=None):
        if not methods.fsr_available():
            raise RuntimeError("this OpenCV has no xphoto module: install opencv-contrib-python-headless "
                               "(pip install -e .) for the frequency-selective fill")
        # the reconstruction works in whole blocks: the pixels past the last block on the right and at the bottom
        # were left at zero in its colour space, pure green (a helper's stroke down the right edge). So the crop
        # and its hole are mirrored out by FSR_PAD there first, and cut back after.
        h, w = hole.shape
        big = cv2.copyMakeBorder(np.ascontiguousarray(crop), 0, FSR_PAD, 0, FSR_PAD, cv2.BORDER_REFLECT_101)
        gap = cv2.copyMakeBorder(hole.astype(np.uint8), 0, FSR_PAD, 0, FSR_PAD, cv2.BORDER_REFLECT_101)
        out = np.zeros_like(big)
        cv2.xphoto.inpaint(big, (gap == 0).astype(np.uint8) * 255, out, cv2.xphoto.INPAINT_FSR_FAST)
        out = out[:h, :w]
        if hole.mean() >= FSR_WIDE and hole_depth_max(hole) > FSR_DEEP:
            # deep in a wide hole its blocks drift into colours the photo lacks (a dark-green blob in the
            # middle of an 83 % hole, helper 75): beyond FSR_KEEP px it fades into the membrane
            out = fade_to_membrane(out, crop, hole, reach=2.0 * FSR_KEEP / min(h, w), check=check)
        return out


def shrink_known(crop: np.ndarray, hole: np.ndarray, size: tuple[int, int], *, known_share: float = 0.5
                 ) -> tuple[np.ndarray, np.ndarray]:
    """`crop` scaled to `size` from its known pixels alone, and the hole there: the small pixels less than
    `known_share` known. Until stop 62 any small pixel the hole touched was hole: a thin known border (a fill of all
    but a photo's edge) vanished at the small size, the frequency-selective fill was fitted to the few corner
    pixels left and the photo turned green and black; and a pixel's colour never mixes in what the hole holds
    (the object being removed)."""
    known = (~hole.astype(bool)).astype(np.float32)
    k = cv2.resize(known, size, interpolation=cv2.INTER_AREA)
    part = cv2.resize(crop.astype(np.float32) * known[..., None], size, interpolation=cv2.INTER_AREA)
    small = np.clip(np.rint(part / np.maximum(k, 1e-6)[..., None]), 0, 255).astype(np.uint8)
    return small, k < known_share


def hole_depth_max(hole: np.ndarray) -> float:
    """The distance from the hole's deepest pixel to the nearest known one (px)."""
    return float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5).max()) if hole.any() else 0.0


def working_size(w: int, h: int, max_side: int | None, multiple: int) -> tuple[int, int]:
    s = 1.0 if not max_side else min(1.0, max_side / max(w, h))
    def snap(v: float) -> int:
        return max(multiple, int(round(v / multiple)) * multiple)
    return snap(w * s), snap(h * s)


def fill_crop(filler: Filler, crop: np.ndarray, hole: np.ndarray, check: Check | None = None) -> np.ndarray:
    """Fill one crop at the filler's working size; return the crop with the hole replaced."""
    h, w = hole.shape
    ww, wh = working_size(w, h, filler.max_side, filler.multiple)
    if (not filler.max_side or max(w, h) <= filler.max_side) and (ww, wh) != (w, h):
        # fits: pad to the multiple instead of resampling (a resize would blur the fill)
        ph, pw = -h % filler.multiple, -w % filler.multiple
        big = cv2.copyMakeBorder(np.ascontiguousarray(crop), 0, ph, 0, pw, cv2.BORDER_REFLECT)
        hb = np.pad(hole, ((0, ph), (0, pw)))
        out = filler.fill(big, hb, check)[:h, :w]
    elif (ww, wh) != (w, h):
        small, hs = shrink_hole(crop, hole, (ww, wh))
        for share in (0.5, 1e-6):       # a border thinner than a small pixel: the small pixels partly known
            if hs.all() and not hole.all():     # (else the fill had nothing known: pure green, helper 76)
                small, hs = shrink_known(crop, hole, (ww, wh), known_share=share)
        made = filler.fill(small, hs, check)
        # (`quilts_texture`: whether that fill allows texture mode: not on a face's features, say)
        out = scale_back(made, hs, crop, hole, grain=getattr(filler, "fine_grain", False),
                         texture=getattr(filler, "quilts_texture", False), check=check,
                         log=getattr(filler, "log", None))
    else:
        out = filler.fill(crop, hole, check)
    return np.where(hole[..., None], out, crop)


def shrink_hole(crop: np.ndarray, hole: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The crop scaled to `size` (w, h) and its hole there: any small pixel the hole touches (the small hole must
    cover every hole pixel of the full crop)."""
    h, w = hole.shape
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if size[0] < w else cv2.INTER_CUBIC)
    hs = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
    return small, hs | (cv2.resize(hole.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0)


def scale_back(out: np.ndarray, hs: np.ndarray, crop: np.ndarray, hole: np.ndarray, *, grain: bool,
               texture: bool | str = False, check: Check | None = None, log: list | None = None) -> np.ndarray:
    """A fill made small (`out`, its hole `hs`) scaled back up to the crop; with `grain` (the fills that copy the
    photo's texture) the finer band the small fill cannot hold put back: the texture's own, quilted from around
    the hole (quilt.py; `texture`: in texture mode where the hole is deep enough, "any way": even where its edges
    run one way), or the photo's grain as noise
    (texture.fine_grain). `log`: the filler's; its last entry marked "quilted" where texture mode quilted here."""
    h, w = hole.shape
    scale = w / out.shape[1]
    if grain and scale >= MAGNIFIED:
        # its finest texture, a checkerboard of working pixels, read magnified as blocky speckle (stop 61)
        out = np.where(hs[..., None], cv2.GaussianBlur(out, (0, 0), MAGNIFIED_SOFTEN), out)
    out = np.where(hole[..., None], cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC), crop)
    if not grain:
        return out
    from latentbrush.ml.inpaint.quilt import quilt_verdict
    from latentbrush.ml.inpaint.texture import fine_grain

    quilted, verdict = quilt_verdict(crop, hole, out, scale, texture=bool(texture), check=check,
                                     any_way=texture == "any way")
    if verdict.startswith("quilted") and log:        # (what the report says; helper 77: quilted here, said "grain")
        log[-1] = (*log[-1][:2], "quilted")
    return quilted if quilted is not None else fine_grain(crop, hole, out, scale, check=check)


# -- crop strategy ------------------------------------------------------------------------------
def plan_crops(hole: np.ndarray, *, pad_frac: float = 0.5, min_pad: int = 16) -> list[BBox]:
    """One padded, roughly square box per group of holes; boxes that overlap are merged."""
    h, w = hole.shape
    n, _, stats, _ = cv2.connectedComponentsWithStats(hole.astype(np.uint8), connectivity=8)
    boxes = []
    for i in range(1, n):
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        pad = max(min_pad, int(pad_frac * max(bw, bh)))
        side = max(bw, bh) + 2 * pad
        cx, cy = x + bw / 2, y + bh / 2
        x0, x1 = int(max(0, cx - side / 2)), int(min(w, cx + side / 2 + 0.5))
        y0, y1 = int(max(0, cy - side / 2)), int(min(h, cy + side / 2 + 0.5))
        boxes.append(BBox(x0, y0, x1, y1))
    boxes = merge_boxes(boxes)
    return sorted(boxes, key=lambda b: (b.y0, b.x0))


def merge_boxes(boxes: list[BBox]) -> list[BBox]:
    """Union overlapping boxes until none overlap."""
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1:
                    boxes[i] = BBox(min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1))
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return sorted(boxes, key=lambda b: (b.y0, b.x0))


def grow_to(box: BBox, side: int, width: int, height: int) -> BBox:
    """The box grown (about its centre, kept inside the image) to at least side × side: the model
    runs at that size anyway, so the extra context costs nothing."""
    w, h = max(box.width, min(side, width)), max(box.height, min(side, height))
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    x0 = int(round(min(max(cx - w / 2, 0), width - w)))
    y0 = int(round(min(max(cy - h / 2, 0), height - h)))
    return BBox(x0, y0, x0 + w, y0 + h)


def is_grey(crop: np.ndarray, hole: np.ndarray) -> bool:
    """Whether the known pixels of an RGB crop are grey (R = G = B, within 2 levels)."""
    known = crop[~hole.astype(bool)].astype(np.int16)
    return len(known) > 0 and int(np.abs(known - known[:, :1]).max()) <= 2


def outside_boxes(hole: np.ndarray, regions: list[BBox]) -> np.ndarray:
    """The hole pixels that lie in none of the boxes."""
    inside = np.zeros_like(hole)
    for b in regions:
        inside[b.y0:b.y1, b.x0:b.x1] = True
    return hole & ~inside


def with_known(box: BBox, hole: np.ndarray) -> BBox:
    """The box, or where the hole covers all of it (a crop inside a vast hole: nothing to fill from), the
    box grown about its centre until it holds known pixels (its side doubled each time)."""
    H, W = hole.shape
    grow = max(box.width, box.height, 8)
    while hole[box.y0:box.y1, box.x0:box.x1].all() and (box.width < W or box.height < H):
        grow *= 2
        box = grow_to(box, grow, W, H)
    return box


class BiharmonicFiller(Filler):
    """The biharmonic fill of the crop's hole (biharmonic.py), as uint8."""

    title = "Biharmonic"

    def fill(self, crop: np.ndarray, hole: np.ndarray, check: Check | None = None) -> np.ndarray:
        out = biharmonic(crop, hole, check=check)
        return np.where(hole.astype(bool)[..., None], np.clip(np.rint(out), 0, 255), crop).astype(np.uint8)
