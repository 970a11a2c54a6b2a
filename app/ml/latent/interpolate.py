"""Interpolation between two latents: linear or spherical."""

from __future__ import annotations

import numpy as np

MODES = ("lerp", "slerp")


def lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return ((1 - t) * a + t * b).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Great-circle interpolation of direction, linear in norm (exact at t = 0 and t = 1)."""
    if t <= 0:
        return np.asarray(a, np.float32).copy()
    if t >= 1:
        return np.asarray(b, np.float32).copy()
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na < 1e-8 or nb < 1e-8:
        return lerp(a, b, t)
    ua, ub = a / na, b / nb
    omega = float(np.arccos(np.clip(np.dot(ua, ub), -1.0, 1.0)))
    if omega < 1e-4:
        return lerp(a, b, t)
    so = np.sin(omega)
    direction = (np.sin((1 - t) * omega) / so) * ua + (np.sin(t * omega) / so) * ub
    return (direction * ((1 - t) * na + t * nb)).astype(np.float32)


def path(a: np.ndarray, b: np.ndarray, n: int, mode: str = "slerp") -> np.ndarray:
    """(n, nz) latents from a to b inclusive."""
    if mode not in MODES:
        raise ValueError(f"unknown interpolation {mode!r}; expected lerp or slerp")
    if n < 2:
        raise ValueError("an interpolation needs at least 2 frames")
    if np.shape(a) != np.shape(b):
        raise ValueError(f"latents differ in shape: {np.shape(a)} vs {np.shape(b)}")
    f = slerp if mode == "slerp" else lerp
    return np.stack([f(np.asarray(a, np.float32), np.asarray(b, np.float32), i / (n - 1)) for i in range(n)])
