"""Eyes painted shut: each eye's opening filled with the skin around it and the closed lids' line drawn.

Skin painted over an eye asks for it closed. The generator cannot draw that: its 64-px faces all have
open eyes, and the optimiser turns the eyes into dark, lid-less patches (README, `bench parts`); on a
photo its motion left them open. A warp has nothing to close them with (a lid slid down over the eye
brought the brows down; squeezed into a line, the eye drew a jagged black stroke). So the eye's opening is
filled by the inpainting (the content-aware fill, `app/ml/inpaint`): an ellipse about the face detector's
eye centre, sized by the distance between the eyes (the part map's eye piece, which takes in lids and
brows, does not give it), its top and bottom read off the photo (`lid_reach`: past the lashes, short
of a low brow), with the eye's white and corners that stick out of it (`eye_rest`). The fill's colour
cast is moved to the skin's (`skin_tint`), and the line where the lids meet is drawn across it: a soft
arc bowing down, a little below the eye's centre, in the fill's colour darkened to the lashes'
lightness, fading out at the corners (`lids_line`). Nothing beyond `reach_area` changes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import cv2
import numpy as np

from latentbrush.core.jobs import Progress

OPENING = (0.28, 0.13)  # the eye's opening: half-width and half-height, × the distance between the eye centres
DROP = 0.01             # its centre this far (× the distance) below the detector's eye centre
TOP = (0.09, 0.17)      # … its top and bottom read off the photo (`lid_reach`): the nearest rows above and below
BOTTOM = (0.08, 0.14)   # the eye lit like the skin around it, within these (× the distance; the lashes are
                        # inside, the brows outside: a fixed 0.15 brought Obama's low brows down into the lid)
STRIP = 0.12            # the rows' lightness is read within this (× the distance) of the eye's centre line
UNDER = (0.2, 0.3)      # the skin under the eye: this far below its centre (× the distance) …
WHITE = 20              # … and rows lighter than it by more than this (grey levels) are the eye's white
SEARCH = (0.38, 0.15, 0.18)  # `eye_rest`: the eye's white, lashes and corners looked for this far (half-width, up,
DARK = 0.6              # down; × the distance), darker than this × the skin under the eye: lashes and corners,
SIDE = 0.06             # not above this (× the distance) over the centre (the brows); the pieces grown by EXTRA
EXTRA = 0.015
SHUT_REACH = 0.8        # the skin painted over an eye painted shut: the strokes over its opening, this near (× the
                        # distance) its centre
COVERED = 0.4           # an eye whose opening is painted over with skin at least this much is painted shut (the
                        # 64-px map's eyes lie off the detector's: the scripted edit covers 0.16–1 of openings)
MAP_REACH = 0.5         # … or the part map's eyes within this (× the distance) of its centre painted away: at
MIN_GONE = 0.75         # least this share of them painted skin
LASH_DROP = (0.02, 0.035)  # the lids' line: this far below the opening's centre at its ends, plus this at its
                        # middle (× the distance: a closed eye's line bows down)
LASH_WIDTH = 0.012      # its spread across (Gaussian σ at its middle, × the distance), at least LASH_MIN px
LASH_MIN = 0.7
LASH_ALPHA = 0.8        # how much of the way to that shade it is drawn, at most
LASH_DARK = 8           # the percentile of the opening's grey levels whose lightness it takes (the lashes) …
LASH_SHADE = (0.35, 0.7)  # … as a factor on the fill's colour, within these
TINT_RING = 0.12        # the fill's chroma is moved to the skin's in a ring this wide (× the distance) …
TINT_FADE = 0.04        # … fading in over this from the hole's edge
LASH_SPAN = 0.95        # of the opening's width: where the line ends (fading over the last quarter)
LOWER_MIN = 0.15        # an eye whose opening is painted over with skin at least this much, above its centre, has
LOWER_SHUT = 0.5        # its upper lid lowered to the paint's lower edge; shut where that edge reaches this × the
#                         opening's half-height below the centre (and COVERED)
LID_BOW = 0.015         # a lowered lid's edge bows down this much (× the distance) at its middle


def _frame(shape: tuple[int, int], eyes: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(u, v, d): each pixel's coordinates along the eyes' line and down across it (px), from the opening's
    centre of the eye at `e`; d = the distance between the eye centres."""
    a, b = np.asarray(eyes, np.float64)
    d = max(float(np.linalg.norm(b - a)), 1.0)
    ax = (b - a) / d
    ay = np.array([-ax[1], ax[0]]) if ax[0] >= 0 else np.array([ax[1], -ax[0]])     # pointing down the face
    c = np.asarray(e, np.float64) + ay * DROP * d
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    u = (xs - c[0]) * ax[0] + (ys - c[1]) * ax[1]
    v = (xs - c[0]) * ay[0] + (ys - c[1]) * ay[1]
    return u, v, d


def _ellipse(u: np.ndarray, v: np.ndarray, d: float, reach: tuple[float, float]) -> np.ndarray:
    h = np.where(v < 0, reach[0], reach[1]) * d
    return (u / (OPENING[0] * d)) ** 2 + (v / h) ** 2 <= 1.0


def openings(shape: tuple[int, int], eyes: np.ndarray, which: tuple[int, ...] = (0, 1),
             reach: dict[int, tuple[float, float]] | None = None) -> np.ndarray:
    """(h, w) bool: the openings of the eyes `which` (indices into `eyes`, the detector's two eye centres
    (2, 2) x, y); `reach`: each eye's (top, bottom) × the eye distance (default OPENING's half-height)."""
    out = np.zeros(shape, bool)
    for i in which:
        u, v, d = _frame(shape, eyes, eyes[i])
        out |= _ellipse(u, v, d, (reach or {}).get(i, (OPENING[1], OPENING[1])))
    return out


def reach_area(shape: tuple[int, int], eyes: np.ndarray, which: tuple[int, ...] = (0, 1)) -> np.ndarray:
    """(h, w) bool: the most that closing the eyes `which` may change — their tallest openings and the
    ellipses `eye_rest` looks in."""
    out = openings(shape, eyes, which, {i: (TOP[1], BOTTOM[1]) for i in which})
    for i in which:
        u, v, d = _frame(shape, eyes, eyes[i])
        out |= (u / (SEARCH[0] * d)) ** 2 + (v / (np.where(v < 0, SEARCH[1], SEARCH[2]) * d)) ** 2 <= 1.0
    return out


def lid_reach(image: np.ndarray, eyes: np.ndarray, i: int) -> tuple[float, float]:
    """(top, bottom) of eye i's opening (× the eye distance): the nearest rows above and below the eye
    (within TOP, BOTTOM) as light as the lightest there less a fifth of the range (the skin between the
    lashes and the brow, and below the lower lashes), so the fill starts from skin. Rows lighter than the
    skin under the eye by over WHITE are the eye's white (an eye looking up shows it below the iris: a
    helper saw a strip of it left under the lids' line), inside the opening."""
    u, v, d = _frame(image.shape[:2], eyes, eyes[i])
    grey = image.astype(np.float64).mean(2) if image.ndim == 3 else image.astype(np.float64)
    rows = np.rint(v).astype(np.int64)
    strip = np.abs(u) <= STRIP * d
    under = strip & (v >= UNDER[0] * d) & (v <= UNDER[1] * d)
    skin = float(np.median(grey[under])) + WHITE if under.any() else np.inf
    out = []
    for lo, hi, sign in ((*TOP, -1), (*BOTTOM, 1)):
        ks = [sign * k for k in range(int(np.ceil(lo * d)), int(np.floor(hi * d)) + 1)]
        light = [float(np.median(grey[strip & (rows == k)])) if (strip & (rows == k)).any() else np.nan for k in ks]
        fit = [g if g <= skin else np.nan for g in light]        # (nan: no pixels, or the eye's white)
        if np.all(np.isnan(fit)):
            out.append(hi if ks and not np.all(np.isnan(light)) else OPENING[1])
            continue
        top, low = np.nanmax(fit), np.nanmin(fit)
        k = next(k for k, g in zip(ks, fit, strict=True) if g >= low + 0.8 * (top - low))
        out.append(abs(k) / d)
    return out[0], out[1]


def eye_rest(image: np.ndarray, eyes: np.ndarray, i: int, hole: np.ndarray) -> np.ndarray:
    """(h, w) bool: what is left of eye i around its opening `hole` — the eye's white (lighter than the
    skin under the eye by over WHITE) anywhere in the SEARCH ellipse, and its lashes and corners (under
    DARK × that skin's grey) beside and below the opening, not above it (the brows) — each piece touching
    the opening, grown by EXTRA × the eye distance. An ellipse misses an eye's corners and, on an eye
    looking up, its white below the iris (helpers saw both left beside the lids' line)."""
    u, v, d = _frame(image.shape[:2], eyes, eyes[i])
    grey = image.astype(np.float64).mean(2) if image.ndim == 3 else image.astype(np.float64)
    under = (np.abs(u) <= STRIP * d) & (v >= UNDER[0] * d) & (v <= UNDER[1] * d)
    if not under.any() or not hole.any():
        return np.zeros(hole.shape, bool)
    skin = float(np.median(grey[under]))
    h = np.where(v < 0, SEARCH[1], SEARCH[2]) * d
    search = (u / (SEARCH[0] * d)) ** 2 + (v / h) ** 2 <= 1.0
    rest = search & ~hole & ((grey > skin + WHITE) | ((grey < DARK * skin) & (v > -SIDE * d)))
    _, comp = cv2.connectedComponents(rest.astype(np.uint8))
    ids = np.unique(comp[cv2.dilate(hole.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0])
    k = max(3, int(round(2 * EXTRA * d)) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    grown = cv2.dilate(np.isin(comp, ids[ids > 0]).astype(np.uint8), disc)
    return (grown > 0) & search


def _near(shape: tuple[int, int], eyes: np.ndarray, which: tuple[int, ...], reach: float) -> np.ndarray:
    d = float(np.linalg.norm(np.subtract(eyes[1], eyes[0])))
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]]
    out = np.zeros(shape, bool)
    for i in which:
        out |= np.hypot(xs - eyes[i][0], ys - eyes[i][1]) < reach * d
    return out


def painted_edge(painted_skin: np.ndarray, eyes: np.ndarray, i: int) -> float | None:
    """Where the skin painted over eye i's opening ends (× the eye distance below the opening's centre:
    the median over the opening's middle columns of the lowest painted row), if the paint covers at least
    LOWER_MIN of the opening and sits above its centre (a lid coming down); else None."""
    u, v, d = _frame(painted_skin.shape, eyes, eyes[i])
    hole = _ellipse(u, v, d, (OPENING[1], OPENING[1]))
    cover = painted_skin & hole
    if not hole.any() or cover.sum() < LOWER_MIN * hole.sum() or v[cover].mean() >= 0:
        return None
    core = cover & (np.abs(u) <= 0.6 * OPENING[0] * d)
    if not core.any():
        return None
    cols = np.rint(u[core]).astype(np.int64)
    rows = v[core]
    return float(np.median([rows[cols == c].max() for c in np.unique(cols)]) / d)


def painted_shut(painted_skin: np.ndarray, eyes: np.ndarray | None, map_eyes: np.ndarray | None = None
                 ) -> tuple[int, ...]:
    """The eyes (indices into the detector's `eyes`; none without them) painted shut: their opening at
    least COVERED painted over with skin (`painted_skin` (h, w) bool) down past LOWER_SHUT of its lower
    half (painted over its upper part only, its lid is lowered instead: `painted_lowered`), or the part
    map's eyes near them (`map_eyes` (h, w) bool, within MAP_REACH × the eye distance) painted away
    (MIN_GONE of them skin)."""
    if eyes is None:
        return ()
    shut = []
    for i in range(2):
        hole = openings(painted_skin.shape, eyes, (i,))
        mine = None if map_eyes is None else map_eyes & _near(painted_skin.shape, eyes, (i,), MAP_REACH)
        edge = painted_edge(painted_skin, eyes, i)
        if (hole.any() and painted_skin[hole].mean() >= COVERED and (edge is None or edge >= LOWER_SHUT * OPENING[1])) \
                or (mine is not None and mine.sum() >= 9 and painted_skin[mine].mean() >= MIN_GONE):
            shut.append(i)
    return tuple(shut)


def painted_lowered(painted_skin: np.ndarray, eyes: np.ndarray | None, shut: tuple[int, ...]) -> dict[int, float]:
    """The eyes not `shut` whose upper lid is painted lower: {index: the paint's edge (`painted_edge`)}."""
    if eyes is None:
        return {}
    out = {}
    for i in range(2):
        edge = None if i in shut else painted_edge(painted_skin, eyes, i)
        if edge is not None:
            out[i] = edge
    return out


def shut_paint(painted_skin: np.ndarray, eyes: np.ndarray, which: tuple[int, ...],
               map_eyes: np.ndarray | None = None) -> np.ndarray:
    """(h, w) bool: the skin paint that closes the eyes `which` — each stroke (connected piece) over one of
    their openings or over the part map's eyes, within SHUT_REACH × the eye distance of its centre."""
    n, comp = cv2.connectedComponents(painted_skin.astype(np.uint8))
    over = openings(painted_skin.shape, eyes, which) | (False if map_eyes is None else map_eyes)
    ids = np.unique(comp[over & painted_skin])
    return np.isin(comp, ids[ids > 0]) & _near(painted_skin.shape, eyes, which, SHUT_REACH)


def _which_words(which, eyes) -> str:
    left = int(np.argmin([e[0] for e in eyes]))                 # the eye on the image's left
    return "both eyes" if len(which) == 2 else \
        ("the eye on the left of the photo" if which[0] == left else "the eye on the right of the photo")


def shut_report(which: tuple[int, ...], eyes: np.ndarray, lowered: dict[int, float] | None = None) -> str:
    """What a closing did, in words."""
    parts = []
    if which:
        parts.append(f"Closed {_which_words(which, eyes)}: the opening filled with the skin around it and the lids' "
                     "line drawn across it, in the photo's own colours.")
    if lowered:
        parts.append(f"Lowered the upper lid of {_which_words(tuple(lowered), eyes)} to where the skin was painted: "
                     "the lid drawn from the skin around the eye, the lashes' line along its new edge.")
    return " ".join(parts) + (" (The generator's check cannot see closed eyes: its 64-px faces all have them open.)"
                              if which else "")


def content_aware(models) -> Callable[[np.ndarray, np.ndarray], Generator[Progress, None, np.ndarray]]:
    """The inpainting that fills an opening: the content-aware fill (app/ml/inpaint)."""
    from latentbrush.ml.inpaint.fill import inpaint_image, make_filler
    from latentbrush.ml.inpaint.methods import CONTENT_AWARE

    filler = make_filler(CONTENT_AWARE, models)

    def fill(image: np.ndarray, mask: np.ndarray) -> Generator[Progress, None, np.ndarray]:
        out, _ = yield from inpaint_image(image, mask, filler)
        return out
    return fill


def lid_edge(u: np.ndarray, d: float, level: float) -> np.ndarray:
    """A lowered lid's edge (px below the opening's centre) across the eye: `level` × d, bowing down by
    LID_BOW × d at the middle."""
    t = np.clip(u / (OPENING[0] * d), -1.0, 1.0)
    return (level + LID_BOW * (1.0 - t * t)) * d


def lids_line(filled: np.ndarray, original: np.ndarray, eyes: np.ndarray, which: tuple[int, ...],
              hole: np.ndarray, levels: dict[int, float] | None = None) -> np.ndarray:
    """`filled` (h, w, 3) uint8 with the closed lids' line drawn across each eye `which`, inside `hole`:
    the fill's own colour there darkened to the lightness of that eye's darkest pixels in `original` (its
    lashes; their own colour drew a blue-grey or black "pen stroke", helpers found). `levels`: eyes whose
    upper lid is lowered to there (`lid_edge`): the line is drawn along that edge, over the eye below it
    too (the lashes' shadow)."""
    out = filled.astype(np.float64)
    levels = levels or {}
    for i in which:
        u, v, d = _frame(hole.shape, eyes, eyes[i])
        inside = hole & (np.abs(u) <= OPENING[0] * d) & (np.abs(v) <= TOP[1] * d)
        if i in levels:
            inside = (np.abs(u) <= OPENING[0] * d) & (np.abs(v - lid_edge(u, d, levels[i])) <= 3 * LASH_WIDTH * d + 2) \
                & (hole | openings(hole.shape, eyes, (i,)))
        if not inside.any():
            continue
        dark = np.percentile(original[inside].astype(np.float64).mean(1), LASH_DARK)
        shade = np.clip(dark / max(float(out[inside].mean()), 1.0), *LASH_SHADE)
        t = np.clip(u / (LASH_SPAN * OPENING[0] * d), -1.0, 1.0)
        line = lid_edge(u, d, levels[i]) if i in levels else (LASH_DROP[0] + LASH_DROP[1] * (1.0 - t * t)) * d
        # a soft line (a helper found a sharp, even one "drawn on" next to a soft photo): a Gaussian across,
        # thinner towards the corners, where it also fades out
        sigma = max(LASH_MIN, LASH_WIDTH * d) * (0.6 + 0.4 * (1.0 - t * t))
        alpha = np.exp(-0.5 * ((v - line) / sigma) ** 2)
        alpha *= np.clip(4.0 * (1.0 - np.abs(t)), 0.0, 1.0) * (np.abs(t) < 1.0) * inside * LASH_ALPHA
        out *= 1.0 - alpha[..., None] * (1.0 - shade)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def skin_tint(filled: np.ndarray, original: np.ndarray, hole: np.ndarray, d: float) -> np.ndarray:
    """`filled` with its chroma (CIELAB a, b) inside `hole` moved to the skin's around it (the median of the
    ring TINT_RING × d wide, its darkest third — lashes, brows — left out), fading in from the hole's edge
    over TINT_FADE × d: the fill took an olive or yellow cast from the lashes and brows (a helper)."""
    k = max(3, int(round(TINT_RING * d)) | 1)
    ring = (cv2.dilate(hole.astype(np.uint8), np.ones((k, k), np.uint8)) > 0) & ~hole
    if not ring.any() or not hole.any():
        return filled
    lab0 = cv2.cvtColor(original, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab = cv2.cvtColor(filled, cv2.COLOR_RGB2LAB).astype(np.float32)
    skin = ring & (lab0[..., 0] >= np.percentile(lab0[ring][:, 0], 33))
    shift = np.median(lab0[skin][:, 1:], axis=0) - np.median(lab[hole][:, 1:], axis=0)
    depth = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    lab[..., 1:] += np.clip(depth / max(TINT_FADE * d, 1.0), 0.0, 1.0)[..., None] * shift
    out = cv2.cvtColor(np.clip(np.rint(lab), 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
    return np.where(hole[..., None], out, filled)


def close_eyes(image: np.ndarray, eyes: np.ndarray, which: tuple[int, ...], limit: np.ndarray,
               fill: Callable[[np.ndarray, np.ndarray], Generator[Progress, None, np.ndarray]],
               lowered: dict[int, float] | None = None) -> Generator[Progress, None, tuple[np.ndarray, np.ndarray]]:
    """The eyes `which` of `image` (h, w, 3) uint8 closed, and the upper lids of the eyes `lowered`
    ({index: level}) lowered to `lid_edge` at that level, within `limit` (h, w) > 0 (the edit may change
    nothing beyond it). `fill(image, mask)` fills a (h, w) uint8 mask (the inpainting). Returns (the
    image, the changed area (h, w) bool). A lowered lid is the upper part of the eye closed: the whole
    opening is filled (so the lid is skin, not the iris below carried up), and only what lies above the
    edge is kept, with the lashes' line along it."""
    lowered = lowered or {}
    hole, lid = np.zeros(image.shape[:2], bool), np.zeros(image.shape[:2], bool)
    for i in (*which, *lowered):
        one = openings(image.shape[:2], eyes, (i,), {i: lid_reach(image, eyes, i)})
        whole = one | eye_rest(image, eyes, i, one)
        hole |= whole
        if i in lowered:
            u, v, d = _frame(image.shape[:2], eyes, eyes[i])
            lid |= whole & (v < lid_edge(u, d, lowered[i]))
        else:
            lid |= whole
    hole &= limit > 0
    lid &= limit > 0
    if not hole.any():
        return image.copy(), lid
    filled = yield from fill(image, hole.astype(np.uint8) * 255)
    filled = skin_tint(filled, image, hole, float(np.linalg.norm(np.subtract(eyes[1], eyes[0]))))
    out = np.where(lid[..., None], filled, image)
    out = lids_line(out, image, eyes, (*which, *lowered), lid, lowered)
    changed = np.any(out != image, axis=2) & (limit > 0)
    return np.where(changed[..., None], out, image), changed
