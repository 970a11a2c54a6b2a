"""A fill of nearly the whole photo keeps the photo's colours (stop 62): a helper filling all of a 48-MP photo but
a 100-px border got it ~15 % green and in black blocks. The frequency-selective fill, shrunk to its budget, had
counted every small pixel the hole touched as hole, so the thin border vanished and the fit hung on a few corner
pixels (`filler.shrink_known`); and deep inside a hole that swallows the crop its Fourier blocks drift into
colours the photo lacks, so there it fades into the membrane through the edge (`biharmonic.fade_to_membrane`)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from latentbrush.core.jobs import drain
from latentbrush.ml.inpaint.biharmonic import fade_to_membrane
from latentbrush.ml.inpaint.content_aware import ContentAwareFiller
from latentbrush.ml.inpaint.fill import inpaint_image
from latentbrush.ml.inpaint.filler import FsrFiller, fill_crop, shrink_known

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "astronaut.jpg"


def astronaut(w: int, h: int) -> np.ndarray:
    img = np.asarray(Image.open(SAMPLE).convert("RGB"))
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)


def green_share(px: np.ndarray) -> float:
    px = px.reshape(-1, 3).astype(int)
    return float(((px[:, 1] > px[:, 0] + 12) & (px[:, 1] > px[:, 2] + 12)).mean())


def test_all_but_a_thin_border_is_filled_in_the_borders_colours():
    img = astronaut(1000, 750)
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[13:-13, 13:-13] = 255
    (out, _), _ = drain(inpaint_image(img, mask, ContentAwareFiller(None)))
    hole = mask > 0
    assert np.array_equal(out[~hole], img[~hole])
    edge = img[~hole].reshape(-1, 3).astype(float)
    assert green_share(img[~hole]) < 0.01           # the photo's edge has no green …
    assert green_share(out[hole]) < 0.02            # … and the fill has none either (was 15 %)
    # the fill's mean colour is the edge's (was 18 levels off in red and blue)
    assert np.abs(out[hole].reshape(-1, 3).mean(0) - edge.mean(0)).max() < 10


def test_a_shrunk_crop_keeps_a_thin_border_and_never_the_holes_pixels():
    img = np.full((200, 200, 3), 200, np.uint8)
    img[8:-8, 8:-8] = (0, 255, 0)           # what the hole holds: the object being removed
    hole = np.zeros((200, 200), bool)
    hole[8:-8, 8:-8] = True
    small, small_hole = shrink_known(img, hole, (32, 32))
    assert not small_hole.all() and small_hole.mean() < 0.95       # a border survives (1.3 px at 32²)
    assert np.array_equal(np.unique(small[~small_hole].reshape(-1, 3), axis=0), [[200, 200, 200]])
    filled = fill_crop(FsrFiller(max_side=None, hole_budget=256), img, hole)
    assert np.abs(filled[hole].astype(int) - 200).max() <= 12      # a flat border gives a flat fill


def test_deep_inside_the_fill_fades_into_the_membrane_and_near_the_edge_is_kept():
    h, w = 120, 160
    crop = np.zeros((h, w, 3), np.uint8)
    crop[:, : w // 2] = (180, 40, 40)
    crop[:, w // 2:] = (40, 40, 180)
    hole = np.zeros((h, w), bool)
    hole[4:-4, 4:-4] = True
    wild = np.where(hole[..., None], np.uint8(0), crop)
    wild[hole] = (0, 200, 0)                # a fit gone green
    out = fade_to_membrane(wild, crop, hole, reach=0.05)
    depth = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5)
    assert np.array_equal(out[depth <= 3], wild[depth <= 3])       # within half the reach: as the fit made it
    deep = depth > 9
    assert green_share(out[deep]) == 0.0
    assert out[deep][:, 1].max() < 60                                # the edge's colours: red left, blue right
    assert np.array_equal(out[~hole], crop[~hole])
    shallow = np.zeros((h, w), bool)
    shallow[50:54, 20:140] = True           # a hole nowhere deeper than the reach: untouched
    assert fade_to_membrane(wild, crop, shallow) is wild


def test_the_frequency_selective_fill_alone_keeps_a_thin_border_and_an_object_hole():
    """Helper 76: standalone, shrunk to 128 px, a 13-px border vanished and the fill was pure green (0, 135, 0);
    and the deep-hole fade must leave an object-sized hole (its crop mostly known) as the fit made it."""
    img = astronaut(2000, 1500)
    hole = np.zeros(img.shape[:2], bool)
    hole[13:-13, 13:-13] = True
    out = fill_crop(FsrFiller(), img, hole)
    assert green_share(out[hole]) < 0.02
    assert np.abs(out[hole].reshape(-1, 3).mean(0) - img[~hole].reshape(-1, 3).mean(0)).max() < 25
    crop = astronaut(160, 160)
    square = np.zeros((160, 160), bool)
    square[40:120, 40:120] = True           # an 80-px hole in a 160-px crop: 25 %, 40 px deep
    f = FsrFiller()
    raw = f._fill(crop, square)             # (the fit itself, no fade)
    assert np.array_equal(f.fill(crop, square), raw)
