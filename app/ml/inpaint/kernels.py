"""Compiled kernels of the exemplar synthesis (numba): PatchMatch on whole patches and the patch vote.

Until stop 37 the synthesis ran in numpy (texture.py's vectorised PatchMatch on PCA-reduced patch
descriptors, a vote of 49 bincounts): 2–2.6 s for a 256² crop; with these the best-quality fill takes
0.3–0.6 s, and the default fill can afford the synthesis at 64–128 px (10–60 ms). Since stop 38 the
grain pass (texture.add_detail) matches on them too (descriptors only, `weights` per target: 45–55 →
≈ 15 ms at 256²).

- `patch_match`: for every target pixel (a patch touching the hole), the fully known source patch
  nearest in colour (the whole (2r+1)² × 3 patch, offsets off the image skipped) plus an extra
  per-pixel descriptor (`extra`: the structure guide, where the patch lies; optionally weighed per
  target, e.g. 0 where a descriptor component lies in the hole). Barnes et al. 2009:
  start from `init` (a coarser scale's field) or random sources, then in scan order — forward, then
  backward on the next round — take a neighbour's match shifted by one pixel where it is better, and
  search at random around the match at halving radii. A distance stops being summed once it passes
  the best so far (most candidates are rejected after a row or two of the patch).
- `vote`: every hole pixel becomes the weighted mean of the colours the matched patches covering it
  put on it (Wexler et al. 2007).

Compiled on first use (a few seconds, once; `cache=True` keeps the machine code beside the module or
in numba's user cache), `warm_up()` does it ahead of time.
"""

from __future__ import annotations

import sys

import numpy as np
from numba import njit as _njit

# the machine code is cached beside the module (or in numba's user cache); a frozen bundle has no
# source files to key a cache on, so there it is compiled once per run
_CACHE = not getattr(sys, "frozen", False)


def njit(**kw):
    return _njit(cache=_CACHE, **kw)


@njit(nogil=True)
def _dist(est, extra, wts, i, ty, tx, sy, sx, r, best):
    h, w = est.shape[0], est.shape[1]
    d = 0.0
    weighed = wts.shape[0] > 0
    for k in range(extra.shape[2]):
        e = extra[ty, tx, k] - extra[sy, sx, k]
        d += e * e * wts[i, k] if weighed else e * e
        if (k & 7) == 7 and d >= best:
            return d
    if d >= best:
        return d
    for dy in range(-r, r + 1):
        y = ty + dy
        if y < 0 or y >= h:
            continue
        for dx in range(-r, r + 1):
            x = tx + dx
            if x < 0 or x >= w:
                continue
            for c in range(3):
                e = est[y, x, c] - est[sy + dy, sx + dx, c]
                d += e * e
        if d >= best:
            return d
    return d


@njit(nogil=True)
def _rand(state, lo, hi):
    """A uniform integer in [lo, hi) from a xorshift64* state (a one-element uint64 array)."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return lo + np.int64((x * np.uint64(2685821657736338717)) >> np.uint64(34)) % (hi - lo)


@njit(nogil=True)
def _scan(est, extra, wts, ty, tx, sources, index, cy, cx, best, lo, hi, step, r, max_radius, state):
    """One pass over the targets lo … hi − 1 (forward for step 1, backward for −1): propagation from
    the previous neighbours' matches, then random search around the match at halving radii."""
    h, w = sources.shape
    for j in range(lo, hi):
        i = j if step == 1 else hi - 1 - (j - lo)
        y0, x0 = ty[i], tx[i]
        for q in range(2):          # the neighbour above / left (below / right going backwards)
            py = y0 - step if q == 0 else y0
            px = x0 if q == 0 else x0 - step
            if py < 0 or py >= h or px < 0 or px >= w:
                continue
            k = index[py, px]
            if k < lo or k >= hi:       # not a target, or another band's (being written: no race)
                continue
            sy, sx = cy[k] + (y0 - py), cx[k] + (x0 - px)
            if sy < 0 or sy >= h or sx < 0 or sx >= w or not sources[sy, sx]:
                continue
            if sy == cy[i] and sx == cx[i]:
                continue
            d = _dist(est, extra, wts, i, y0, x0, sy, sx, r, best[i])
            if d < best[i]:
                best[i], cy[i], cx[i] = d, sy, sx
        rad = max_radius
        while rad >= 1:
            sy = cy[i] + _rand(state, -rad, rad + 1)
            sx = cx[i] + _rand(state, -rad, rad + 1)
            if 0 <= sy < h and 0 <= sx < w and sources[sy, sx]:
                d = _dist(est, extra, wts, i, y0, x0, sy, sx, r, best[i])
                if d < best[i]:
                    best[i], cy[i], cx[i] = d, sy, sx
            rad //= 2


@njit(nogil=True)
def _start(est, extra, wts, ty, tx, sources, init_y, init_x, r, states, edges):
    """(cy, cx, best): each target's starting match (its init, else a random source) and its distance."""
    h, w = sources.shape
    n = ty.shape[0]
    src_y, src_x = np.nonzero(sources)
    cy = np.empty(n, np.int64)
    cx = np.empty(n, np.int64)
    best = np.empty(n, np.float64)
    for b in range(edges.shape[0] - 1):
        for i in range(edges[b], edges[b + 1]):
            y, x = init_y[i], init_x[i]
            if y < 0 or x < 0 or y >= h or x >= w or not sources[y, x]:
                k = _rand(states[b], 0, src_y.shape[0])
                y, x = src_y[k], src_x[k]
            cy[i], cx[i] = y, x
            best[i] = _dist(est, extra, wts, i, ty[i], tx[i], y, x, r, np.inf)
    return cy, cx, best


@njit(nogil=True)
def _index(ty, tx, h, w):
    index = np.full((h, w), -1, np.int64)
    for i in range(ty.shape[0]):
        index[ty[i], tx[i]] = i
    return index


@njit(nogil=True)
def _seam(est, extra, wts, ty, tx, sources, index, cy, cx, best, edges, r):
    """Across each boundary between bands (which the parallel scans do not propagate over): every
    target next to a target of the other band takes that one's match, shifted by a pixel, where it
    is better; the next scan carries it on through its band."""
    h, w = sources.shape
    for b in range(1, edges.shape[0] - 1):
        for i in range(edges[b - 1], edges[b + 1]):
            y0, x0 = ty[i], tx[i]
            mine = i >= edges[b]
            for q in range(4):
                py = y0 + (-1, 1, 0, 0)[q]
                px = x0 + (0, 0, -1, 1)[q]
                if py < 0 or py >= h or px < 0 or px >= w:
                    continue
                k = index[py, px]
                if k < edges[b - 1] or k >= edges[b + 1] or (k >= edges[b]) == mine:
                    continue            # not a target of the band on the other side
                sy, sx = cy[k] + (y0 - py), cx[k] + (x0 - px)
                if sy < 0 or sy >= h or sx < 0 or sx >= w or not sources[sy, sx]:
                    continue
                d = _dist(est, extra, wts, i, y0, x0, sy, sx, r, best[i])
                if d < best[i]:
                    best[i], cy[i], cx[i] = d, sy, sx


_POOL: list = []


def patch_match(est, extra, ty, tx, sources, init_y, init_x, iters, r, seed, max_radius=0, bands=2, weights=None):
    """(sy, sx, dist): the nearest source for each target (ty, tx, int64, in raster order). est (h, w, 3)
    float32, extra (h, w, k) float32, sources (h, w) bool (whole patch known and inside), init_y /
    init_x: a start per target, −1 for a random one; `max_radius` of the random search (0: the whole
    image). The targets are split into `bands` runs of rows scanned in parallel threads (the kernels
    release the GIL), each with its own random stream and propagating within itself only (a serial
    pass over the band boundaries after each round carries matches across them): the result depends
    only on the inputs, the seed and `bands`. Needs at least one source. `weights` (n, k) float32: how
    much each component of `extra` counts for each target (default: all 1)."""
    from concurrent.futures import ThreadPoolExecutor

    h, w = sources.shape
    n = len(ty)
    wts = np.zeros((0, extra.shape[2]), np.float32) if weights is None else np.ascontiguousarray(weights, np.float32)
    bands = max(1, min(bands, n))
    edges = np.array([n * b // bands for b in range(bands + 1)], np.int64)
    states = np.array([[(0x9E3779B97F4A7C15 * (seed * bands + b + 1)) % 2 ** 64 | 1] for b in range(bands)], np.uint64)
    index = _index(ty, tx, h, w)
    cy, cx, best = _start(est, extra, wts, ty, tx, sources, init_y, init_x, r, states, edges)
    radius = max_radius if max_radius > 0 else max(h, w)
    if bands > 1 and not _POOL:
        _POOL.append(ThreadPoolExecutor(2, thread_name_prefix="patchmatch"))
    for it in range(iters):
        step = 1 if it % 2 == 0 else -1
        args = [(est, extra, wts, ty, tx, sources, index, cy, cx, best, edges[b], edges[b + 1], step, r, radius,
                 states[b]) for b in range(bands)]
        if bands == 1:
            _scan(*args[0])
        else:
            for job in [_POOL[0].submit(_scan, *a) for a in args]:
                job.result()
            _seam(est, extra, wts, ty, tx, sources, index, cy, cx, best, edges, r)
    return cy, cx, best


@njit(nogil=True)
def vote(est, hole, ty, tx, sy, sx, weight, r):
    """est with each hole pixel the `weight`ed mean of the colours the patches (ty, tx) ← (sy, sx)
    put on it (pixels no patch covers keep theirs)."""
    h, w = hole.shape
    acc = np.zeros((h, w, 3))
    cnt = np.zeros((h, w))
    for i in range(ty.shape[0]):
        wt = weight[i]
        for dy in range(-r, r + 1):
            y = ty[i] + dy
            if y < 0 or y >= h:
                continue
            for dx in range(-r, r + 1):
                x = tx[i] + dx
                if x < 0 or x >= w or not hole[y, x]:
                    continue
                for c in range(3):
                    acc[y, x, c] += wt * est[sy[i] + dy, sx[i] + dx, c]
                cnt[y, x] += wt
    out = est.copy()
    for y in range(h):
        for x in range(w):
            if hole[y, x] and cnt[y, x] > 0:
                for c in range(3):
                    out[y, x, c] = acc[y, x, c] / cnt[y, x]
    return out


_READY: list = []


def ready() -> bool:
    """Whether this process has the kernels compiled (or loaded from the cache) already."""
    return bool(_READY)


def warm_up() -> None:
    """Compile (or load from the cache) the kernels on a tiny problem."""
    est = np.zeros((12, 12, 3), np.float32)
    extra = np.zeros((12, 12, 2), np.float32)
    hole = np.zeros((12, 12), bool)
    hole[5:7, 5:7] = True
    sources = np.zeros((12, 12), bool)
    sources[1:3, 1:11] = True
    ty, tx = np.nonzero(hole)
    ty, tx = ty.astype(np.int64), tx.astype(np.int64)
    none = np.full(len(ty), -1, np.int64)
    sy, sx, d = patch_match(est, extra, ty, tx, sources, none, none, 2, 1, 0)
    vote(est, hole, ty, tx, sy, sx, np.ones(len(ty)), 1)
    _READY.append(True)
