"""Running a translator on an image of any size: tiles with overlap, blended with linear ramps,
so memory is bounded by the tile size. Yields progress per tile; cancellable between tiles."""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
import torch

from app.core.bbox import BBox
from app.core.jobs import Job, Progress, Result
from app.ml.registry import ModelManager
from app.ml.tensors import to_images, to_tensor


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return starts


def ramp_window(h: int, w: int, overlap: int, edges: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """Weights (h, w) that fade in over `overlap` px on the sides that border another tile.
    edges = (top, bottom, left, right) — True where the tile has a neighbour."""
    def axis(n: int, lo: bool, hi: bool) -> np.ndarray:
        v = np.ones(n, np.float32)
        k = min(overlap, n // 2)
        if k > 0:
            r = (np.arange(k, dtype=np.float32) + 0.5) / k
            if lo:
                v[:k] = np.minimum(v[:k], r)
            if hi:
                v[n - k:] = np.minimum(v[n - k:], r[::-1])
        return v
    return axis(h, edges[0], edges[1])[:, None] * axis(w, edges[2], edges[3])[None, :]


def translate_image(net: torch.nn.Module, image: np.ndarray, *, device: torch.device | str = "cpu",
                    tile: int = 512, overlap: int = 32, multiple: int = 4,
                    job: Job | None = None) -> Generator[Progress, None, np.ndarray]:
    """image (H, W, 3) uint8 → translated (H, W, 3) uint8."""
    h, w = image.shape[:2]
    # pad (reflect) so every tile side is a multiple of the network's stride
    ph, pw = -h % multiple, -w % multiple
    padded = np.pad(image, ((0, ph), (0, pw), (0, 0)), mode="reflect") if (ph or pw) else image
    H, W = padded.shape[:2]
    tile = max(multiple, tile - tile % multiple)
    ys, xs = tile_starts(H, tile, overlap), tile_starts(W, tile, overlap)
    acc = np.zeros((H, W, 3), np.float32)
    wsum = np.zeros((H, W, 1), np.float32)
    total = len(ys) * len(xs)
    n = 0
    for y in ys:
        for x in xs:
            if job is not None:
                job.check()
            th, tw = min(tile, H - y), min(tile, W - x)
            crop = padded[y:y + th, x:x + tw]
            with torch.no_grad():
                out = to_images(net(to_tensor(crop, device)))[0].astype(np.float32)
            win = ramp_window(th, tw, overlap, (y > 0, y + th < H, x > 0, x + tw < W))[..., None]
            acc[y:y + th, x:x + tw] += out * win
            wsum[y:y + th, x:x + tw] += win
            n += 1
            yield Progress(n, total, f"tile {n}/{total}")
    result = np.clip(acc / np.maximum(wsum, 1e-6) + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(result[:h, :w])


def blend_strength(original: np.ndarray, translated: np.ndarray, strength: float) -> np.ndarray:
    if strength >= 1.0:
        return translated
    mix = original.astype(np.float32) * (1 - strength) + translated.astype(np.float32) * strength
    return np.clip(mix + 0.5, 0, 255).astype(np.uint8)


def run_translate(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """params: model (id), strength (0..1), tile; inputs: image (H, W, 3)."""
    spec = models.manifest.get(job.params["model"]) if job.params.get("model") else models.default("translator")
    if spec is None:
        raise LookupError("no translator model in the manifest")
    image = job.inputs["image"]
    yield Progress(0, 1, f"loading {spec.title}")
    loaded = models.get(spec.id)
    net = loaded.net
    multiple = getattr(net, "multiple", 4)
    out = yield from translate_image(net, image, device=loaded.device, tile=int(job.params.get("tile", 512)),
                                     overlap=int(job.params.get("overlap", 32)), multiple=multiple, job=job)
    out = blend_strength(image, out, float(job.params.get("strength", 1.0)))
    h, w = image.shape[:2]
    return Result(layer="base", bbox=BBox(0, 0, w, h), pixels=out, message=f"applied {spec.title}")
