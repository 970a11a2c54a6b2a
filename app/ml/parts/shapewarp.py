"""A part edit on a photo carried out as a warp of the photo's own pixels to the painted shape.

On a photo, the 64-px generator cannot draw this person's bigger mouth: added, its change is a dark,
grey-green smear; carried as motion (flowedit.py) its change of shape moves the lips by a pixel or two,
a mouth grown by a third of its width in paint came out 1–3 % wider (stop 45, `bench parts_photo`).
The paint itself says what shape the person wants. Here each feature painted larger, smaller or
elsewhere is moved onto that shape: per connected piece of the part (one eye, the mouth), an affine
map between the painted shape and the current one says where each pixel of the new shape takes its
colour from — eyes, nose and brows scaled as a whole by their ellipses of inertia, keeping their
proportions; the mouth's extents along the lips' corners' line (read at the lips) and across it taken
onto the painted ones, its current shape first taken to end at the face detector's corners (since
stop 47: the 64-px map's mouth is a blob from the nostrils to the chin) — fading to no
motion over a margin around the piece (a liquify's falloff: at least the piece's radius and 2.5× the
motion at its edge, widened until the map squeezes nothing to under half its area; sideways motion
dies out twice as fast above and below the piece as beside it; along the lips, it is kept to the
lips' band, away from the nose). At most 1.6× along any axis, and
nothing moves within 8 % of the region's edge or beyond the caller's limit (the editor's keeps
the motion inside the face's outline: `photoedit.face_fade`). Nothing is drawn that
the photo does not have, and beyond the margin the photo keeps its bytes.

A piece painted away (under a quarter of it left) or painted where the part is not (a mouth on the
cheek) has no shape to move: `shape_warp` returns None there and the caller keeps the generator's
motion (eyes painted over with skin are closed before that: closeeyes.py); paint that changes the
pieces too little (it fits the photo's own parts) gives a warp that moves nothing. (Closing an eye as
a lid closes — the skin above slid down by the eye's height — was tried and dropped: the part map's
eyes on a photo take in the lids and the brows, so the brows came down over open eyes; in stop 48,
placed by the detector's eye centres, the warp squeezed the eye into a jagged black line and thickened
the brows: closeeyes.py fills the opening instead.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import cv2
import numpy as np

MIN_KEEP = 0.25        # a piece left with under this share of its pixels is painted away, not reshaped
MAX_SCALE = 1.6        # the map stretches or shrinks a piece by at most this factor along any axis (a mouth
                       # painted twice its size, stretched 2×, was a funhouse mirror to a helper)
FADE = 1.0             # the falloff margin, times the piece's radius (√(area / π))
MIN_FADE = 3.0         # pixels
MIN_JACOBIAN = 0.5     # the warp may compress space to half its area at most (a quarter showed as a seam)
BORDER = 0.08          # of the crop's shorter side: the margin at its edge over which motion dies out
MIN_MOTION = 1.0       # px: a piece the paint would move by less (a sliver of the nose painted over) is left
MIN_CHANGE = 0.03      # … or one the paint changes by no more than this share of its pixels (a helper's skin
                       # over an eye touched the nose's piece: "nose moved … 1.0×")
LIPS_BAND = (0.15, 0.38)  # × the lips' corners' distance from their line: all of the motion along the lips
                          # within the first, none beyond the second (the map's mouth reaches the nostrils,
                          # 0.35–0.45 × above the corners' line: a helper saw the nose base widened with the
                          # lips, stop 47; an open mouth's outer lip edges stretch a little less)
LIPS_LINE = 0.1          # … and within this, the mouth's extent along the lips is read (`piece_map`; the corners
                         # sit on the line, the lips about ± 0.15 × their distance about it)
HELD_LOW = 0.6         # … and under this share of it, the report says one side was held back
HELD_PX = 3.0          # an end the paint moves by at least this many px counts for `Reshape.held`
ACROSS = 2             # motion along one axis fades this many times faster across it (`_distances`)


def _moments(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.nonzero(mask)
    pts = np.stack([xs, ys], 1).astype(np.float64)
    mu = pts.mean(0)
    cov = np.cov(pts, rowvar=False, bias=True) + np.eye(2) / 12.0       # + a pixel's own spread
    return mu, cov


def _sqrtm(cov: np.ndarray, power: float) -> np.ndarray:
    vals, vecs = np.linalg.eigh(cov)
    return (vecs * np.maximum(vals, 1e-6) ** power) @ vecs.T


def piece_map(now: np.ndarray, wanted: np.ndarray, similar: bool = False, axis: np.ndarray | None = None,
              on_line: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boolean masks of one piece now and as painted → (M 2×2, μ_now, μ_wanted): a pixel x of the
    painted shape takes its colour from μ_now + M (x − μ_wanted); M's singular values kept within
    [1 / MAX_SCALE, MAX_SCALE]. `similar`: the piece keeps its proportions (one scale, the area's;
    centred on the centroids). Else the piece's extent along `axis` (a unit vector, default the x axis:
    the line through the lips' corners) and across it are each taken onto the painted extent: lips
    painted wider by a thin band at each corner end at the band's ends (the ellipses of inertia, used
    until stop 47, stretched them by about two thirds of that on 7 portraits: the band adds little to
    the second moments of a round mouth), and paint past one corner moves that corner alone. `on_line`:
    where the extent along the axis is read (the lips' band: the 64-px map's mouth is a tall blob, and
    skin painted over the lips' corners left its rows above and below them as wide as before)."""
    if similar:
        mu_a, cov_a = _moments(now)
        mu_b, cov_b = _moments(wanted)
        m = np.eye(2) * (np.linalg.det(cov_a) / np.linalg.det(cov_b)) ** 0.25
        return m, mu_a, mu_b
    u = np.array([1.0, 0.0]) if axis is None else np.asarray(axis, np.float64) / np.linalg.norm(axis)
    rot = np.stack([u, [-u[1], u[0]]], 1)               # columns: along, across

    def ends(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ys, xs = np.nonzero(mask)
        q = np.stack([xs, ys], 1).astype(np.float64) @ rot
        return q.min(axis=0), q.max(axis=0)              # its ends, as seen (no trimmed percentiles)

    def extent(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = ends(mask)
        if on_line is not None and (mask & on_line).any():
            lo[0], hi[0] = (e[0] for e in ends(mask & on_line))
        return (lo + hi) / 2, np.maximum(hi - lo, 1.0)
    (c_a, len_a), (c_b, len_b) = extent(now), extent(wanted)
    m = rot @ np.diag(np.clip(len_a / len_b, 1 / MAX_SCALE, MAX_SCALE)) @ rot.T
    return m, rot @ c_a, rot @ c_b


def inertia_map(now: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As piece_map, by the ellipses of inertia: M = √Σ_now · √Σ_wanted⁻¹ (the mouth's map until stop 47;
    `bench parts_photo` compares it)."""
    mu_a, cov_a = _moments(now)
    mu_b, cov_b = _moments(wanted)
    u, s, vt = np.linalg.svd(_sqrtm(cov_a, 0.5) @ _sqrtm(cov_b, -0.5))
    return (u * np.clip(s, 1 / MAX_SCALE, MAX_SCALE)) @ vt, mu_a, mu_b


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _distances(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distances from `mask` for the sideways and the up-down motion: the sideways motion dies out
    ACROSS times faster above and below the piece than beside it, the up-down motion faster beside it —
    a mouth stretched sideways does not widen the nose above it (with one round falloff it did, on
    3 of 7 portraits), and the shear that costs cannot fold the map."""
    free = (~mask).astype(np.uint8)
    k = ACROSS
    tall = cv2.distanceTransform(np.repeat(free, k, axis=0), cv2.DIST_L2, 5)[::k]
    wide = cv2.distanceTransform(np.repeat(free, k, axis=1), cv2.DIST_L2, 5)[:, ::k]
    return tall.astype(np.float64), wide.astype(np.float64)


def _jacobian(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """The area ratio of x ↦ x + D(x) at each pixel (< 0: the map folds there)."""
    dxx, dxy = np.gradient(dx, axis=1), np.gradient(dx, axis=0)
    dyx, dyy = np.gradient(dy, axis=1), np.gradient(dy, axis=0)
    return (1 + dxx) * (1 + dyy) - dxy * dyx


def _min_jacobian(dx: np.ndarray, dy: np.ndarray) -> float:
    """The smallest area ratio of x ↦ x + D(x) (< 0: the map folds)."""
    return float(_jacobian(dx, dy).min())


class Reshape(NamedTuple):
    disp: np.ndarray       # (h, w, 2) float32: the pixel at x takes the photo's colour at x + D(x)
    weight: np.ndarray     # (h, w) float32 0..1: how far x is moved (0 far from the pieces: the photo's bytes)
    stretch: float         # the largest factor any piece was grown or shrunk by along an axis (≥ 1)
    parts: tuple[int, ...]  # the parts reshaped (none: the paint already fits the photo's own parts)
    factors: tuple[float, float] = (1.0, 1.0)   # the smallest and largest resize along an axis (< 1: shrunk)
    held: float = 1.0      # the least share of its painted motion any piece's end got (< 1: the face's outline or
                           # the edit's limit held it back)


def shape_warp(before: np.ndarray, after: np.ndarray, parts: Iterable[int],
               limit: np.ndarray | None = None, similar: Iterable[int] = (),
               lips: np.ndarray | None = None) -> Reshape | None:
    """before, after: (h, w) integer part maps of the region crop (the current map; the map as
    painted), parts: the part indices to move; limit (h, w) 0..1: how far the edit may move pixels at
    all (the edited area, feathered, and the face's outline: `photoedit.face_fade`; default everywhere).
    Where the falloff cannot be widened without leaving the limit, the piece's motion is scaled down
    where the map would fold (near the squeeze only: a mouth corner near a narrow cheek moves less, the
    other corner as painted). `similar`: parts
    whose pieces are scaled as a whole, keeping their proportions (an eye painted in a box became a
    long almond). `lips`: the face detector's mouth corners ((2, 2) x, y), whose line is the face's
    left-right axis (`piece_map`) and the lips' middle: the other pieces' motion along it fades out
    above and below the lips (`LIPS_BAND`). None when a piece
    cannot be reshaped (painted away, or painted where the part is not); a Reshape that moves nothing
    (no parts) when the paint changes the pieces too little to move them (it fits the photo's parts)."""
    if before.shape != after.shape or before.ndim != 2:
        raise ValueError(f"part maps must be two (h, w) arrays of one shape, got {before.shape} and {after.shape}")
    h, w = before.shape
    if limit is not None and limit.shape != (h, w):
        raise ValueError(f"the limit {limit.shape} must match the part maps {(h, w)}")
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    disp = np.zeros((h, w, 2), np.float64)
    weight = np.zeros((h, w), np.float64)
    edge = np.minimum(np.minimum(xs, w - 1 - xs), np.minimum(ys, h - 1 - ys))
    border = _smoothstep(edge / max(2.0, BORDER * min(h, w))) * (1.0 if limit is None else np.clip(limit, 0.0, 1.0))
    similar = set(similar)
    axis = band = on_line = None
    if lips is not None:
        a, b = np.asarray(lips, np.float64)
        d = max(float(np.linalg.norm(b - a)), 1.0)
        axis = (b - a) / d
        off = np.abs((xs - (a[0] + b[0]) / 2) * axis[1] - (ys - (a[1] + b[1]) / 2) * axis[0]) / d
        band = _smoothstep((LIPS_BAND[1] - off) / (LIPS_BAND[1] - LIPS_BAND[0]))
        on_line = off <= LIPS_LINE
    stretch, done, spans, aims, settled, refused = 0.0, [], [], [], False, False
    parts = list(parts)
    for p in parts:
        a, b = before == p, after == p
        if not (a ^ b).any():
            settled = True
            continue
        n, comp = cv2.connectedComponents(cv2.dilate((a | b).astype(np.uint8), np.ones((3, 3), np.uint8)))
        for c in range(1, n):
            piece = comp == c
            pa, pb = a & piece, b & piece
            if pa.sum() < 4 or pb.sum() < MIN_KEEP * pa.sum():
                refused = True                  # painted where the part is not, or painted away
                continue
            if p in similar and (pa ^ pb).sum() <= MIN_CHANGE * (pa | pb).sum():
                settled = True
                continue
            m, mu_a, mu_b = piece_map(pa, pb, p in similar, axis, None if p in similar else on_line)
            keep = 1.0 if band is None or p in similar else band
            src_x = mu_a[0] + m[0, 0] * (xs - mu_b[0]) + m[0, 1] * (ys - mu_b[1])
            src_y = mu_a[1] + m[1, 0] * (xs - mu_b[0]) + m[1, 1] * (ys - mu_b[1])
            reach = float(np.hypot(src_x - xs, src_y - ys)[pa | pb].max())
            s = np.linalg.svd(m, compute_uv=False)
            # too little to move: under a pixel anywhere, or (the mouth, whose paint is often a thin band
            # at a corner of a large piece: its extent, not its area, says how much it changes) resized by
            # under MIN_CHANGE and moved by under a pixel
            if reach < MIN_MOTION or (np.abs(1.0 / s - 1.0).max() < MIN_CHANGE
                                      and float(np.hypot(*(mu_a - mu_b))) < MIN_MOTION):
                settled = True
                continue
            spans.append(_spans(pa, axis if axis is not None and p not in similar else np.array([1.0, 0.0]),
                                None if p in similar else on_line))
            # where the paint takes each end (the piece's map, inverted): what the landing is held against
            aims.append([mu_b + np.linalg.solve(m, (q - mu_a).T).T for q in spans[-1]])
            stretch = max(stretch, float(s.max()), 1.0 / float(s.min()))
            dist_x, dist_y = _distances(pa | pb)
            # the motion at the piece's edge must die out over the falloff: at most ~0.6 px per px
            fade = max(MIN_FADE, FADE * np.sqrt((pa | pb).sum() / np.pi), 2.5 * reach)
            best = None
            for _ in range(4):       # wider while it helps (too wide, the affine motion far out grows)
                wx, wy = _smoothstep(1.0 - dist_x / fade) * border, _smoothstep(1.0 - dist_y / fade) * border
                dx, dy, wt = wx * (src_x - xs), wy * (src_y - ys), np.maximum(wx, wy)
                jac = _min_jacobian(disp[..., 0] + dx, disp[..., 1] + dy)
                if best is None or jac > best[0]:
                    best = (jac, wt, dx, dy)
                if jac >= MIN_JACOBIAN:
                    break
                fade *= 1.4
            _, wt, dx, dy = best
            if axis is not None:          # the motion along the lips, kept to the lips' band (not the nose)
                along = (1.0 - keep) * (dx * axis[0] + dy * axis[1])
                dx, dy = dx - along * axis[0], dy - along * axis[1]
            for _ in range(16):    # still folding (a tight limit: the face's outline near): move less there
                squeezed = _jacobian(disp[..., 0] + dx, disp[..., 1] + dy) < MIN_JACOBIAN
                if not squeezed.any():
                    break
                near = cv2.GaussianBlur(cv2.dilate(squeezed.astype(np.float32), None, iterations=2), (0, 0), fade / 3)
                less = 1.0 - 0.2 * np.clip(near / max(float(near.max()), 1e-6), 0.0, 1.0)
                dx, dy = less * dx, less * dy
            disp[..., 0] += dx
            disp[..., 1] += dy
            weight = np.maximum(weight, wt)
            done += [p] if p not in done else []
    if stretch == 0.0:           # nothing moved: the paint already fits the photo's parts, or none can be moved
        fits = (settled or not parts) and not refused
        return Reshape(disp.astype(np.float32), weight.astype(np.float32), 1.0, ()) if fits else None
    field = Reshape(disp.astype(np.float32), weight.astype(np.float32), stretch, tuple(done))
    # as the photo shows it: each piece's span along and across, landed (the squeeze guard holds a shrink
    # back: a helper saw 0.85× where the paint's 0.70× was reported)
    seen = [float(np.linalg.norm(e[1] - e[0]) / max(np.linalg.norm(q[1] - q[0]), 1e-6))
            for q in (pair for sp in spans for pair in sp) for e in [landing(field, q)]]
    # … and each end's motion along its span (across the lips, the nose-ward motion is kept off on purpose)
    got = [float((e - q) @ w / ((a - q) @ w))
           for sp, ai in zip(spans, aims, strict=True) for q2, a2 in zip(sp, ai, strict=True)
           for w in [(q2[1] - q2[0]) / max(float(np.linalg.norm(q2[1] - q2[0])), 1e-6)]
           for q, a, e in zip(q2, a2, landing(field, q2), strict=True) if abs(float((a - q) @ w)) >= HELD_PX]
    return field._replace(factors=(min(seen), max(seen)), held=min(1.0, min(got)) if got else 1.0)


def _spans(mask: np.ndarray, u: np.ndarray, on_line: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The piece's end points along the unit vector u (read at the lips' line where given) and across it,
    through its centroid: two (2, 2) point pairs."""
    ys, xs = np.nonzero(mask)
    pts = np.stack([xs, ys], 1).astype(np.float64)
    mu, v = pts.mean(0), np.array([-u[1], u[0]])
    pairs = []
    for w, sel in ((u, mask[ys, xs] if on_line is None or not (mask & on_line).any() else on_line[ys, xs]),
                   (v, np.ones(len(xs), bool))):
        t = (pts[sel] - mu) @ w
        pairs.append(np.stack([mu + t.min() * w, mu + t.max() * w]))
    return pairs[0], pairs[1]


def reach_corners(now: np.ndarray, wanted: np.ndarray, painted: np.ndarray, part: int, corners: np.ndarray,
                  keep: Iterable[int] = ()) -> tuple[np.ndarray, np.ndarray]:
    """The current part map `now` and the map as painted (`wanted`; `painted`: where the paint is) with
    the mouth (`part`) taken to end at the face detector's corners (`grown_to_corners`); the stretched
    ends the paint cut off from the mouth (skin painted over the map's corners) go with the paint."""
    grown = grown_to_corners(now, part, corners, keep)
    wanted = np.where(painted, wanted, grown)
    n, comp, stats, _ = cv2.connectedComponentsWithStats((wanted == part).astype(np.uint8), connectivity=4)
    main = comp == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])) if n > 1 else wanted == part
    return grown, np.where((wanted == part) & ~main & (now != part), now, wanted)


def grown_to_corners(part_map: np.ndarray, part: int, corners: np.ndarray, keep: Iterable[int] = ()) -> np.ndarray:
    """`part_map` (h, w) with the largest piece of `part` (the mouth) stretched along the line between
    the face detector's mouth corners (`corners`, (2, 2) x, y in the map's pixels) until each end
    reaches its corner (each side by at most MAX_SCALE; never shortened; labels in `keep`, the other
    features, not overwritten). The 64-px map's mouth is a rounded blob that on some photos stops
    short of the lips' corners (Grace Hopper: 0.77 of the corners' distance, one end well short;
    on six other photos 0.91–1.03): paint placed by the real lips would ask for more than meant.
    Unchanged where the corners do not sit at the piece's ends (the detector found another mouth)."""
    a, b = np.asarray(corners, np.float64)
    d = float(np.linalg.norm(b - a))
    n, comp, stats, _ = cv2.connectedComponentsWithStats((part_map == part).astype(np.uint8), connectivity=4)
    if n < 2 or d < 2:
        return part_map
    piece = comp == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    u, mid = (b - a) / d, (a + b) / 2
    h, w = part_map.shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    t = (xs - mid[0]) * u[0] + (ys - mid[1]) * u[1]               # along the corners' line, 0 between them
    across = np.abs((xs - mid[0]) * u[1] - (ys - mid[1]) * u[0])
    lo, hi, c = float(t[piece].min()), float(t[piece].max()), float(t[piece].mean())
    if not (lo < c < hi) or abs(c) > d / 4 or float(across[piece].min()) > d / 4 or hi - lo < d / 4:
        return part_map
    # the output's ends A, B (the corners, or as far as MAX_SCALE lets each side reach) take the piece's
    # ends lo, hi; piecewise linear about the piece's centre c
    A = min(lo, max(-d / 2, c - MAX_SCALE * (c - lo)))
    B = max(hi, min(d / 2, c + MAX_SCALE * (hi - c)))
    if A > lo - 1 and B < hi + 1:
        return part_map
    src = np.where(t < c, c + (t - c) * (c - lo) / (c - A), c + (t - c) * (hi - c) / (B - c))
    sx, sy = (xs + (src - t) * u[0]).astype(np.float32), (ys + (src - t) * u[1]).astype(np.float32)
    grown = cv2.remap(piece.astype(np.uint8), sx, sy, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT) > 0
    grown &= ~np.isin(part_map, list(keep)) | piece
    return np.where(grown, part, part_map).astype(part_map.dtype)


def landing(field: Reshape, points: np.ndarray, rounds: int = 50) -> np.ndarray:
    """Where the photo's pixels at `points` ((n, 2) x, y) end up after `warped`: the x with
    x + D(x) = point (fixed-point iteration on the bilinear field; the map does not fold)."""
    pts = np.asarray(points, np.float32).reshape(-1, 1, 2)
    x = pts.copy()
    for _ in range(rounds):
        d = cv2.remap(field.disp, x[..., 0], x[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        x = pts - d
    return x.reshape(-1, 2).astype(np.float64)


def warped(photo: np.ndarray, field: Reshape, labels: bool = False) -> np.ndarray:
    """photo (h, w, 3) uint8 crop resampled along `shape_warp`'s field; the photo's exact bytes where
    the weight is 0. `labels`: photo is a part map (h, w), resampled by nearest neighbour."""
    disp, weight = field.disp, field.weight
    if photo.shape[:2] != disp.shape[:2] or photo.shape[:2] != weight.shape:
        raise ValueError(f"photo {photo.shape[:2]} and warp field {disp.shape[:2]} differ in size")
    h, w = weight.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    moved = cv2.remap(photo, gx + disp[..., 0], gy + disp[..., 1], cv2.INTER_NEAREST if labels else cv2.INTER_CUBIC,
                      borderMode=cv2.BORDER_REFLECT)
    out = photo.copy()
    inside = weight > 0
    out[inside] = moved[inside]
    return out


def resized(field: Reshape) -> str:
    """How a warp resized the pieces, in words ("grown by up to 1.25×", "shrunk to 0.80×", …)."""
    lo, hi = field.factors
    # (the cap named only where the photo shows it: capped, then held back by the face's outline, a helper
    # read "grown by up to 1.23×, the most a warp resizes" as a cap of 1.23)
    most = ", the most a warp resizes" if max(hi, 1 / max(lo, 1e-6)) >= MAX_SCALE - 0.05 else ""
    if lo >= 0.98:                # (within 2 %: the landing of a span is read to a fraction of a pixel)
        text = f"grown by up to {hi:.2f}×{most}"
    elif hi <= 1.02:
        text = f"shrunk to {lo:.2f}×{most}"
    else:
        text = f"resized between {lo:.2f}× and {hi:.2f}× along its axes{most}"
    if field.held < HELD_LOW:
        # (a helper read "held one side back to 0 % of the painted change" as jargon)
        let = "none" if field.held < 0.005 else f"only {field.held:.0%}"
        text += (f"; on one side the face's outline let {let} of the painted change through, so the cheek "
                 "there is squeezed and the feature may sit off-centre")
    return text


SLIGHT = 1.06       # a warp resizing nothing by more than this (either way) is told as a slight change


def reshape_report(field: Reshape, names: list[str], seen: float) -> str:
    """What a warp onto the painted shape did, in words, with the generator's check beside it (it reads
    the person's own reshaped mouth poorly: 36 % on the bench's portraits, where the smear it replaced
    read 49 %)."""
    if not field.parts:
        return ("The paint fits the photo's own features as they are (a mouth is taken to reach the lips' "
                "corners the face finder sees): nothing was reshaped, and the photo is unchanged.")
    lo, hi = field.factors
    parts = ' and '.join(names[i] for i in field.parts)
    if max(hi, 1 / max(lo, 1e-6)) < SLIGHT:     # (a helper's band painted below the lips grew the mouth 1.02×,
        return (f"The photo's own {parts} changed very little ({resized(field)}): the warp could follow only a "
                "little of the paint, so there may be nothing to see. Paint the new shape joined to the part, "
                f"or a larger change. No colour drawn in. (An automatic check reads {seen:.0%} of the changed "
                "pixels as the painted part; it reads photos poorly: judge by eye.)")     # and was told it worked)
    return (f"The photo's own {parts} moved onto the painted shape "
            f"({resized(field)}), no colour drawn in. (An automatic check, made for the generator's own 64-px "
            f"faces, reads {seen:.0%} of the changed pixels as the painted part; it reads photos poorly: judge "
            "by eye.)")
