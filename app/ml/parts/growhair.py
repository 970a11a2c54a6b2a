"""Hair painted over a photo's skin, drawn from the photo's own hair.

The 64-px generator cannot draw a person's hair onto their forehead: redrawn by it, a helper's grown
hairline on a real portrait came out as grey, mottled hair that had hardly moved, and on another the
part map already called the forehead hair ("nothing to change"). Here the hair beside the paint is
stretched over it, along the rays from the face's centre: the hair from the hairline out to
`HAIR_DEPTH` × the band's width beyond it is spread over the band and over itself, continuous at both
ends (no seam), the paint's inner edge taking the hair a little past the hairline (`FRINGE`: the
hairline's own sparse fringe, stretched, read as skin with a few dark hairs); the hair's grain is then
copied over the stretch again from the hair beyond it (texture.py: stretched, the strands streak), and
the inner edge feathered. Tried first and dropped: redrawing the paint from the hair's patches (the
best-quality fill's synthesis, its sources limited to the hair): the vote averaged the strands into a
flat grey-brown band; the hair translated over the band, unstretched: a dark headband with a seam.

Which pixels are hair is read off the photo beside the paint, not off the 64-px part map (on a real
portrait its hair lay over the forehead, its temples' hair was skin): a person paints hair from the
hairline inwards, so the pixels just outside the paint (away from the face's centre) show the hair and
those just inside it the skin. Each pixel near the paint goes to the nearest (in Lab) of the median
colours of those two rings and of the map's background; the paint's pixels that read as skin are what
asks for hair, the near pixels outward of the paint that read as hair are what is stretched and copied.
"""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.ml.inpaint.texture import add_detail

RING = (2, 10)         # the rings read for the hair's and the skin's colours: this many px beside the paint
SOURCE_REACH = 0.25    # the hair read within this × the crop's side of the paint
MIN_SOURCES = 0.5      # growing needs at least this × the painted skin's pixels of hair beside it (≥ 100 px)
MIN_GAP = 15.0         # the hair's and the skin's median colours at least this far apart (ΔE), else no hair is seen
HAIR_DEPTH = 3.0       # the hair this many × the band's width beyond the paint is stretched over both …
FRINGE = 0.4           # … the paint's inner edge taking the hair this × the band's width past the hairline
HAIR_FRINGE = 6        # … with the pixels this near the hair (its fringe, the skin between strands)
SHIFT_SMOOTH = 1.0     # the band's width smoothed by a Gaussian of this × its largest width (no shear)
EDGE_FRINGE = 0.4      # the inner edge's fringe: this × the band's width, where the hair shows by its strands
DETAIL_SIGMA = 2.0     # the grain above this blur copied from the hair onto the stretch
FEATHER = 1.2          # the drawn hair's edge: a Gaussian of this many px


def sides(painted: np.ndarray, centre: tuple[float, float]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(outside, inside, dist, outward): the pixels `RING` px from the paint that lie outwards / inwards
    (away from / towards `centre` (x, y)) of the painted pixel nearest them, every pixel's distance from
    the paint, and every pixel that lies outwards of it."""
    h, w = painted.shape
    dist, labels = cv2.distanceTransformWithLabels((~painted).astype(np.uint8), cv2.DIST_L2, 5,
                                                   labelType=cv2.DIST_LABEL_PIXEL)
    py, px = np.nonzero(painted)
    # the label of each painted pixel (a zero pixel of the transform's input) → its position
    where_y = np.zeros(labels.max() + 1, np.float32)
    where_x = np.zeros(labels.max() + 1, np.float32)
    where_y[labels[py, px]], where_x[labels[py, px]] = py, px
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rho = np.hypot(xx - centre[0], yy - centre[1])
    rho_near = np.hypot(where_x[labels] - centre[0], where_y[labels] - centre[1])
    ring = (dist >= RING[0]) & (dist <= RING[1])
    outward = rho - rho_near > 0.5 * dist          # at least half of the way from the paint is outwards
    return ring & outward, ring & (rho_near - rho > 0.5 * dist), dist, outward


def classify(crop: np.ndarray, painted: np.ndarray, background: np.ndarray | None,
             centre: tuple[float, float]) -> tuple[np.ndarray, np.ndarray] | None:
    """(hair: the pixels near the paint that read as the hair beside it, grow: the painted ones that read
    as skin), or None where the rings do not show two colours."""
    outside, inside, dist, outward = sides(painted, centre)
    if outside.sum() < 20 or inside.sum() < 20:
        return None
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB).astype(np.float32)
    skin = np.median(lab[inside], axis=0)
    # the outer ring holds the hair and whatever skin the brush left below the hairline: its half least
    # like the skin gives the hair's colour
    far = np.linalg.norm(lab[outside] - skin, axis=-1)
    hair = np.median(lab[outside][far >= np.median(far)], axis=0)
    if np.linalg.norm(hair - skin) < MIN_GAP:
        return None
    refs = [hair, skin]
    if background is not None and background.sum() >= 50:
        refs.append(np.median(lab[background], axis=0))
    nearest = np.argmin(np.stack([np.linalg.norm(lab - r, axis=-1) for r in refs]), axis=0)
    near = dist < SOURCE_REACH * max(painted.shape)
    # (only outward of the paint: the brows, lashes and the face's shadows read as hair too)
    return (nearest == 0) & near & ~painted & outward, (nearest == 1) & painted


def plan(crop: np.ndarray, painted: np.ndarray, background: np.ndarray | None = None
         ) -> tuple[np.ndarray, np.ndarray] | None:
    """(the hair near the paint, the painted pixels that show skin) where hair can be grown from the
    photo's own: the paint shows skin with enough hair beside it; else None."""
    h, w = painted.shape
    seen = classify(crop, painted.astype(bool), background, (w / 2, h / 2))
    if seen is None or not seen[1].any() or seen[0].sum() < max(100, MIN_SOURCES * seen[1].sum()):
        return None
    return seen


def grow_hair(crop: np.ndarray, painted: np.ndarray, hair: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, float]:
    """(the crop with the hair beside `painted` (bool) stretched over it, the weight of the change (h, w)
    float32 in 0–1, the share of the paint that reads as hair now). `hair`: the hair near the paint
    (`plan`). A painted pixel whose ray meets skin before hair (the paint left a gap below the hairline
    there) takes stretched skin: a smooth pale band, which the share says (tried: leaving such pixels as
    they were, judged by the hair's share where the rays land; on a portrait whose grey hair reads as hair
    only where it is dark, a lone dark patch was grown in the band's middle)."""
    h, w = painted.shape
    painted = painted.astype(bool)
    # t: each pixel's signed distance from the paint's outer edge (< 0 on the paint)
    _, _, _, outward = sides(painted, (w / 2, h / 2))
    edge = painted & (cv2.dilate((~painted & outward).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    d_edge = cv2.distanceTransform((~edge).astype(np.uint8), cv2.DIST_L2, 5)
    band = float(max(d_edge[painted].max(), 1.0))
    k = 2 * int(np.ceil(band)) + 1
    width = cv2.dilate(np.where(painted, d_edge, 0).astype(np.float32), np.ones((k, k), np.uint8))
    held = (width > 0).astype(np.float32)         # smoothed where it is defined (a normalised convolution)
    width = cv2.GaussianBlur(width, (0, 0), SHIFT_SMOOTH * band) / np.maximum(
        cv2.GaussianBlur(held, (0, 0), SHIFT_SMOOTH * band), 1e-6)
    width = np.maximum(width, 1.0)
    # the hair's own depth there (twice its inscribed radius nearby): thin hair is not stretched past it
    depth = 2 * cv2.dilate(cv2.distanceTransform(hair.astype(np.uint8), cv2.DIST_L2, 5), np.ones((k, k), np.uint8))
    reach = np.maximum(np.minimum(HAIR_DEPTH * width, depth), 2.0)
    t = np.where(painted, -d_edge, d_edge)
    # (outwards of the paint only the hair and its fringe move: not the skin below a temple's hairline beside
    # the band's end, nor the background; the hair alone, without its fringe, left seams)
    solid = cv2.morphologyEx(hair.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))   # (no stray pixels)
    fringed = cv2.dilate(solid, np.ones((2 * HAIR_FRINGE + 1,) * 2, np.uint8)) > 0
    zone = painted | (outward & fringed & (t < reach))
    fringe = np.minimum(FRINGE * width, 0.5 * reach)
    shift = np.where(zone, fringe + (t + width) * (reach - fringe) / (reach + width) - t, 0.0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ux, uy = xx - w / 2, yy - h / 2
    norm = np.maximum(np.hypot(ux, uy), 1e-3)
    drawn = cv2.remap(crop, (xx + ux / norm * shift).astype(np.float32), (yy + uy / norm * shift).astype(np.float32),
                      cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    drawn = add_detail(crop, zone, drawn, sigma=DETAIL_SIGMA, allowed=hair & ~zone, full_res_px=10 ** 9)
    alpha = np.maximum(np.clip(cv2.GaussianBlur(painted.astype(np.float32), (0, 0), FEATHER) * 2.0, 0.0, 1.0), zone)
    # the new hairline: near the paint's inner edge the stretched hair shows only where it reads as hair (its
    # strands), the skin between them stays, so the edge follows the strands, not the brush
    lab0, lab_d = (cv2.cvtColor(im, cv2.COLOR_RGB2LAB).astype(np.float32) for im in (crop, drawn))
    d_hair = np.linalg.norm(lab_d - np.median(lab0[hair], axis=0), axis=-1)
    d_skin = np.linalg.norm(lab_d - np.median(lab0[painted], axis=0), axis=-1)
    strands = np.clip(0.5 + (d_skin - d_hair) / max(float(np.median((d_skin + d_hair)[painted])), 1.0), 0.0, 1.0)
    inner = np.clip((width + t) / np.maximum(EDGE_FRINGE * width, 1.0), 0.0, 1.0)     # 0 at the inner edge
    alpha = np.where(painted, alpha * np.maximum(inner, strands), alpha).astype(np.float32)
    out = np.clip(np.rint(alpha[..., None] * drawn + (1 - alpha[..., None]) * crop), 0, 255).astype(np.uint8)
    # how much of the paint now reads as the hair (nearer its median colour than the painted skin's): where
    # the rays met skin first, it took stretched skin, and the report says so
    lab0, lab = (cv2.cvtColor(im, cv2.COLOR_RGB2LAB).astype(np.float32) for im in (crop, out))
    to_hair = np.linalg.norm(lab[painted] - np.median(lab0[hair], axis=0), axis=1)
    to_skin = np.linalg.norm(lab[painted] - np.median(lab0[painted], axis=0), axis=1)
    return out, alpha.astype(np.float32), float((to_hair < to_skin).mean())
