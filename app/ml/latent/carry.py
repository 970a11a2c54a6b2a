"""Carry a slider's change of hair colour past the edge of the face region.

The generator sees only the face's frame, so *Hair dark* changed the hair inside it and stopped at
its edge: a dark crown over light sides, a line across a tall hairdo (helpers 62 and 64). Here the
stuff the slider changed along the frame's edge is followed outwards:

1. seeds: pixels of the fully weighted frame, within 15 % of its edge, that the edit changed;
   still pixels (changed little) there are the other side;
2. a graph-cut segmentation (GrabCut, at most 256 px) of a box three times the region's size, started
   from those seeds, marks what is like the seeds and joined to them (the rest of the hair), nothing
   across an edge of another colour;
3. the seeds' change, as a ratio per channel and lightness band (a light strand darkens by the
   same ratio as a dark one), is applied there, feathered, fading out at the box's border, and in the
   region's own tapered border band, where the apply-back had faded the edit.

Pixels the weight leaves at 0 keep their bytes. Torch- and Qt-free.
"""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.core.bbox import BBox

GROW = 1.0          # the box around the region: grown by this × the region's size on each side
WORK = 256          # the segmentation's working size (px)
RING = 0.15         # seeds lie within this share of the region's size from the frame's edge
MIN_SEEDS = 20      # fewer changed seed pixels (at the working size): nothing to carry
OFFSET = 12.0       # the ratio is taken on (value + OFFSET): black stays near black, noise-free


def around_box(region: BBox, width: int, height: int) -> BBox:
    g = int(round(GROW * max(region.width, region.height)))
    return BBox(region.x0 - g, region.y0 - g, region.x1 + g, region.y1 + g).clip(width, height)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def carry(around: np.ndarray, inner: BBox, reference: np.ndarray, edited: np.ndarray,
          taper: np.ndarray, *, grey: bool = False, keep_out: list[BBox] = (),
          seed_area: np.ndarray | None = None) -> np.ndarray | None:
    """around (H, W, 3) uint8: the photo's box round the region before the edit; inner: the region
    within it; reference / edited (h, w, 3) uint8: the region before / after the slider edit;
    taper (h, w) in [0, 1]: the apply-back's weight of the frame (1 inside, 0 outside it); keep_out: boxes
    (in the box's pixels) nothing is carried into (other faces: two neighbours' hair edited one after the
    other was darkened twice, a review found); seed_area (h, w) bool: where in the region the seeds may lie (the
    hair's slider: the frame's upper half; its direction also darkened a man's neck, carried down to his collar).
    Returns the box's pixels with the edit and its carried change, or None when the change does
    not reach the frame's edge (nothing to carry)."""
    h, w = reference.shape[:2]
    H, W = around.shape[:2]
    if taper.shape != (h, w) or edited.shape != reference.shape or (inner.height, inner.width) != (h, w):
        raise ValueError("carry: the region, its pixels and its weight differ in size")
    S = max(h, w)
    ref = reference.astype(np.float32)
    change = edited.astype(np.float32) - ref
    mag = cv2.GaussianBlur(np.abs(change).max(axis=2), (0, 0), 0.01 * S + 0.5)
    full = (taper > 0.97).astype(np.uint8)
    k = max(3, int(RING * S)) | 1
    ring = (full > 0) & (cv2.erode(full, np.ones((k, k), np.uint8)) == 0)
    if not ring.any():
        return None
    thr = max(8.0, 0.4 * float(np.percentile(mag[ring], 90)))
    seeds = ring & (mag > thr) & (True if seed_area is None else seed_area)
    still = (full > 0) & (mag < 0.3 * thr)

    sc = min(1.0, WORK / max(H, W))
    sw, sh = max(1, round(W * sc)), max(1, round(H * sc))

    def small(a: np.ndarray) -> np.ndarray:      # a region-sized mask → the box at the working size
        big = np.zeros((H, W), np.uint8)
        big[inner.y0:inner.y1, inner.x0:inner.x1] = a
        return cv2.resize(big, (sw, sh), interpolation=cv2.INTER_NEAREST) > 0

    seed_s, still_s = small(seeds), small(still)
    if seed_s.sum() < MIN_SEEDS:
        return None
    labels = np.full((sh, sw), cv2.GC_PR_BGD, np.uint8)
    labels[still_s] = cv2.GC_BGD
    labels[seed_s] = cv2.GC_FGD
    photo_s = cv2.resize(around, (sw, sh), interpolation=cv2.INTER_AREA)
    cv2.setRNGSeed(0)                           # GrabCut's colour models start from k-means: the same every time
    cv2.grabCut(np.ascontiguousarray(photo_s[..., ::-1]), labels, None, np.zeros((1, 65)), np.zeros((1, 65)),
                4, cv2.GC_INIT_WITH_MASK)
    like = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
    _, comp = cv2.connectedComponents(like, connectivity=8)
    joined = np.unique(comp[seed_s & (like > 0)])
    seg = np.isin(comp, joined[joined > 0]).astype(np.float32)
    seg = cv2.resize(seg, (W, H), interpolation=cv2.INTER_LINEAR)

    # the seeds' change as a log ratio per channel, by lightness (8 bands, shrunk to the overall mean)
    ratio = np.log((edited.astype(np.float32) + OFFSET) / (ref + OFFSET))
    if grey:
        ratio[:] = ratio.mean(axis=2, keepdims=True)
    light = cv2.cvtColor(reference, cv2.COLOR_RGB2LAB)[..., 0].astype(np.float32)
    bands = np.linspace(0, 256, 9)
    count = np.histogram(light[seeds], bands)[0].astype(np.float32)
    sums = np.stack([np.histogram(light[seeds], bands, weights=ratio[seeds][:, c])[0] for c in range(3)], -1)
    overall = ratio[seeds].mean(axis=0)
    per_band = (sums + 5 * overall) / (count[:, None] + 5)
    centres = 0.5 * (bands[1:] + bands[:-1])
    box_light = cv2.cvtColor(around, cv2.COLOR_RGB2LAB)[..., 0].astype(np.float32)
    log_ratio = np.stack([np.interp(box_light, centres, per_band[:, c]) for c in range(3)], -1)

    # where: the segment, feathered, fading to 0 from half the grown margin on, outside the frame's full weight
    g = max(1.0, GROW * S)
    yy, xx = np.mgrid[0:H, 0:W]
    dx = np.maximum(np.maximum(inner.x0 - xx, xx - (inner.x1 - 1)), 0)
    dy = np.maximum(np.maximum(inner.y0 - yy, yy - (inner.y1 - 1)), 0)
    fade = _smoothstep((1.0 - np.maximum(dx, dy) / g) / 0.5)
    frame = np.zeros((H, W), np.float32)
    frame[inner.y0:inner.y1, inner.x0:inner.x1] = taper
    for k in keep_out:
        seg[max(k.y0, 0):max(k.y1, 0), max(k.x0, 0):max(k.x1, 0)] = 0.0
    weight = cv2.GaussianBlur(seg, (0, 0), max(1.0, 0.008 * S)) * fade * (1.0 - frame)
    weight[weight < 1.0 / 512] = 0.0

    box = around.astype(np.float32)
    out = box + ((box + OFFSET) * np.exp(log_ratio) - OFFSET - box) * weight[..., None]
    out[inner.y0:inner.y1, inner.x0:inner.x1] += change
    out = np.rint(np.clip(out, 0, 255)).astype(np.uint8)
    untouched = weight == 0                     # (exact already: the box's own bytes, the edit's in the region)
    untouched[inner.y0:inner.y1, inner.x0:inner.x1] = False
    out[untouched] = around[untouched]
    return out
