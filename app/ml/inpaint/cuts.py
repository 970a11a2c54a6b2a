"""Where two quilted blocks meet: along the path of least difference through their overlap (stop 63).

Image quilting (Efros & Freeman 2001) lays square blocks of a texture so that each overlaps the ones laid before;
blended under a ramp, two blocks that differ in the overlap show both, half-strength (a ghost of two stones, a
blade that fades out). Cut instead along the path through the overlap where the two differ least, each side keeps
one block: the stones and blades stay whole, and the seam follows their outlines, where the eye does not look for
it. `seam` finds that path by dynamic programming (numba: a few microseconds a block); `block_mask` gives a block
its share: 1 where the new block shows, 0 where the one laid before stays, for the overlap on each side that was
laid before.
"""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.ml.inpaint.kernels import njit


@njit(nogil=True)
def seam(err: np.ndarray) -> np.ndarray:
    """For an (n, m) error strip (the squared difference of the old and new blocks, 0 where nothing was laid), the
    vertical path of least summed error moving at most one column a row: p[i], the path's column in row i. The
    cells left of it keep the old block, the path and the cells right of it take the new one."""
    n, m = err.shape
    cost = np.empty((n, m), np.float64)
    back = np.zeros((n, m), np.int64)
    for j in range(m):
        cost[0, j] = err[0, j]
    for i in range(1, n):
        for j in range(m):
            best = cost[i - 1, j]
            bj = j
            if j > 0 and cost[i - 1, j - 1] < best:
                best = cost[i - 1, j - 1]
                bj = j - 1
            if j < m - 1 and cost[i - 1, j + 1] < best:
                best = cost[i - 1, j + 1]
                bj = j + 1
            cost[i, j] = err[i, j] + best
            back[i, j] = bj
    p = np.empty(n, np.int64)
    j = 0
    for k in range(1, m):
        if cost[n - 1, k] < cost[n - 1, j]:
            j = k
    p[n - 1] = j
    for i in range(n - 1, 0, -1):
        j = back[i, j]
        p[i - 1] = j
    return p


def _side(err: np.ndarray, ov: int) -> np.ndarray:
    """The share of the new block along the left side of a block (1 right of the cut in the first `ov` columns)."""
    n, m = err.shape
    p = seam(np.ascontiguousarray(err[:, :ov], dtype=np.float64))
    return (np.arange(m)[None, :] >= p[:, None]).astype(np.float32)


def block_mask(old: np.ndarray, new: np.ndarray, laid: np.ndarray, ov: int, soft: float) -> np.ndarray:
    """The new block's share (b × b, 0–1): cut along the least-difference path in each side's `ov`-wide overlap
    that holds laid cells (`laid`: bool, b × b; `old`, `new`: the blocks' grey bands there), softened by a blur of
    `soft` px across the cut; 1 wherever nothing was laid."""
    b = laid.shape[0]
    err = np.where(laid, (old - new) ** 2, 0.0).astype(np.float32)
    share = np.ones((b, b), np.float32)
    for k in range(4):      # left, top, right, bottom: each turned to be the left side
        e, ld = np.rot90(err, k), np.rot90(laid, k)
        if ov >= 2 and ld[:, 0].mean() >= 0.5:      # (a side laid along at least half its length)
            share *= np.rot90(_side(e, ov), -k)
    if soft > 0.3:
        share = cv2.GaussianBlur(share, (0, 0), soft)
    return np.where(laid, share, 1.0).astype(np.float32)


def warm_up() -> None:
    """Compile (or load from the cache) the path search on a tiny strip."""
    seam(np.ones((4, 3), np.float64))
