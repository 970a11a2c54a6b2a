"""issue 19: large holes in textured photos (a helper, stop 41: grass, fur and gravel came out of every
fill as a flat grey disc with fine grain). A disc is removed from four scikit-image photos — grass,
gravel, brick, the cat's eye (all in the completion network's training photos: this is a look at the
texture, not a held-out score) — through the editor's path, and for each fill the *stones' band*
(grey levels between a 1.5-px and a 6-px blur: blades, stones, fur strands, mortar; not the 1-px grain)
is measured inside the hole (less a 4-px rim) against the same band in the ring 4–20 px around it:
1 = as much mid-scale texture as around the hole, near 0 = a flat disc. Since stop 63 also the gradient across the
hole's edge against the ring's (a hard outline scores 2 and more) and how far the fill's mean colour inside is from
the truth's. The photo's own value (the
truth inside the disc) is given for comparison; PSNR inside the hole as well. Methods: the default,
the best-quality fill, the best-quality fill as it was until stop 41 (its settings for crops up to
64 px applied to every crop), Telea. Writes inpaint_textures.jpg (rows: photos; columns: the photo
with the disc outlined, each method)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from latentbrush.bench.common import Measurement, model_manager
from latentbrush.bench.inpaint_bench import hole_psnr

CASES = {    # photo: (centre x, y), radius
    "grass": ((256, 256), 70), "gravel": ((256, 256), 60), "brick": ((256, 256), 60), "chelsea": ((330, 150), 45),
}


def band(img: np.ndarray) -> np.ndarray:
    import cv2
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return cv2.GaussianBlur(g, (0, 0), 1.5) - cv2.GaussianBlur(g, (0, 0), 6.0)


def texture_ratio(img: np.ndarray, hole: np.ndarray) -> float:
    """The stones' band's spread inside the hole (less a 4-px rim) / in the ring 4–20 px around it."""
    import cv2
    h8 = hole.astype(np.uint8)
    inner = cv2.erode(h8, np.ones((9, 9), np.uint8)) > 0
    ring = (cv2.dilate(h8, np.ones((41, 41), np.uint8)) > 0) & ~(cv2.dilate(h8, np.ones((9, 9), np.uint8)) > 0)
    b = band(img)
    return float(b[inner].std() / max(float(b[ring].std()), 1e-6))


def edge_sharpness(img: np.ndarray, hole: np.ndarray) -> float:
    """The mean gradient across the hole's edge (the pixels 1 px either side) / that in the ring 4–20 px around it:
    about 1 for the photo itself, 2 and more where a fill meets the photo in a hard outline (stop 63)."""
    import cv2
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    grad = np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
    h8 = hole.astype(np.uint8)
    edge = (cv2.dilate(h8, np.ones((3, 3), np.uint8)) > 0) & ~(cv2.erode(h8, np.ones((3, 3), np.uint8)) > 0)
    ring = (cv2.dilate(h8, np.ones((41, 41), np.uint8)) > 0) & ~(cv2.dilate(h8, np.ones((9, 9), np.uint8)) > 0)
    return float(grad[edge].mean() / max(float(grad[ring].mean()), 1e-6))


def light_offset(img: np.ndarray, truth: np.ndarray, hole: np.ndarray) -> float:
    """How far the fill's mean colour inside the hole (less a 4-px rim) is from the truth's there: the largest
    channel's difference, in levels (a disc lighter or darker than the photo, stop 63)."""
    import cv2
    inner = cv2.erode(hole.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    return float(np.abs(img[inner].astype(np.float64).mean(0) - truth[inner].astype(np.float64).mean(0)).max())


def inpaint_textures(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    import json

    import cv2
    from skimage import data

    from latentbrush.core.jobs import drain
    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.fill import inpaint_image, make_filler

    mm = model_manager()
    until41 = make_filler(methods.EXEMPLAR, mm)
    until41.large_side = 1 << 30        # every crop gets the settings of crops ≤ 64 px: guide 8, near 4, no field start
    fills = [("content-aware (default)", make_filler(methods.CONTENT_AWARE, mm), "own"),
             ("best quality", make_filler(methods.EXEMPLAR, mm), "own"),
             ("best quality until stop 41", until41, "own"),
             ("telea", make_filler(methods.TELEA, mm), "none")]
    rows: list[Measurement] = []
    table: dict = {}
    tiles = []
    for name, ((cx, cy), r) in list(CASES.items())[:2 if quick else None]:
        img = getattr(data, name)()
        img = np.ascontiguousarray(np.repeat(img[..., None], 3, 2) if img.ndim == 2 else img[..., :3])
        hole = np.zeros(img.shape[:2], np.uint8)
        cv2.circle(hole, (cx, cy), r, 255, -1)
        y0, y1, x0, x1 = max(cy - 2 * r, 0), cy + 2 * r, max(cx - 2 * r, 0), cx + 2 * r
        shown = img.copy()
        shown[cv2.morphologyEx(hole, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0] = (255, 0, 0)
        row = [shown[y0:y1, x0:x1]]
        table[name] = {"photo": {"texture": texture_ratio(img, hole > 0), "edge": edge_sharpness(img, hole > 0)}}
        rows.append((f"{name}: the photo itself, stones' band inside / around the hole",
                     table[name]["photo"]["texture"], "ratio"))
        rows.append((f"{name}: the photo itself, gradient across the hole's edge / around it",
                     table[name]["photo"]["edge"], "ratio"))
        for label, filler, blend in fills:
            holed = img.copy()
            holed[hole > 0] = 255
            (res, _), _ = drain(inpaint_image(holed, hole, filler, blend=blend))
            table[name][label] = {"texture": texture_ratio(res, hole > 0), "psnr": hole_psnr(res, img, hole),
                                  "edge": edge_sharpness(res, hole > 0), "light": light_offset(res, img, hole > 0)}
            rows.append((f"{name}: {label}, gradient across the hole's edge / around it", table[name][label]["edge"],
                         "ratio"))
            rows.append((f"{name}: {label}, mean colour inside the hole off the truth's", table[name][label]["light"],
                         "levels"))
            rows.append((f"{name}: {label}, stones' band inside / around the hole", table[name][label]["texture"],
                         "ratio"))
            rows.append((f"{name}: {label}, PSNR inside the hole", table[name][label]["psnr"], "dB"))
            row.append(res[y0:y1, x0:x1])
        tiles.append([cv2.resize(t, (240, 240), interpolation=cv2.INTER_AREA) for t in row])
    if out is not None:
        (out / "inpaint_textures.json").write_text(json.dumps(table, indent=1))
        pad = lambda t: cv2.copyMakeBorder(t, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=(255, 255, 255))  # noqa: E731
        grid = np.concatenate([np.concatenate([pad(t) for t in row], 1) for row in tiles], 0)
        cv2.imwrite(str(out / "inpaint_textures.jpg"), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, 90])
    return rows
