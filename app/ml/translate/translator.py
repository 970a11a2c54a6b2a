"""Running a translator on an image of any size: tiles with overlap, blended with linear ramps,
so memory is bounded by the tile size. Yields progress per tile; cancellable between tiles.

Instance and group norm compute their statistics over whatever they are given, so a tile on its
own would be normalized differently from the whole image (visible seams, shifted colors). A first
pass over the image scaled to at most `stats_side` records every such layer's statistics; the tiles
then run with those global statistics (`GlobalNormStats`). When the image fits `stats_side` the
statistics are exact and the tiled result equals the untiled one up to the tile borders, which the
overlap blending hides.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Generator

import cv2
import numpy as np
import torch
from torch import nn

from latentbrush.core.bbox import BBox, nonzero_bbox
from latentbrush.core.jobs import Job, Progress, Result
from latentbrush.ml.guards import checked_layers, cpu_copy, oom_fallback
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.tensors import to_images, to_tensor
from latentbrush.ml.translate import scale
from latentbrush.ml.translate.sketch_face import run_sketch


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Starts of the fewest tiles of at most `tile` px (overlapping by ≥ `overlap`) covering length."""
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return starts


def even_tile(length: int, tile: int, overlap: int, multiple: int) -> int:
    """The smallest tile side (a multiple of `multiple`, ≤ tile) giving the same number of tiles as
    `tile`: 1024 px with 640-px tiles → two 528-px tiles instead of one full and one sliver."""
    if length <= tile:
        return length
    n = math.ceil((length - overlap) / (tile - overlap))
    side = math.ceil((length + (n - 1) * overlap) / n)
    return min(tile, -(-side // multiple) * multiple)


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


class GlobalNormStats:
    """Record the per-image statistics of every InstanceNorm/GroupNorm layer on one pass, then make
    those layers use them (instead of their input's own) while the context is active."""

    def __init__(self, net: nn.Module) -> None:
        self.layers = [m for m in net.modules() if isinstance(m, (nn.InstanceNorm2d, nn.GroupNorm))]
        self.stats: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def __bool__(self) -> bool:
        return bool(self.layers)

    @staticmethod
    def _groups(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
        g = m.num_groups if isinstance(m, nn.GroupNorm) else x.shape[1]
        return x.reshape(x.shape[0], g, -1)

    @contextlib.contextmanager
    def recording(self):
        def hook(m, inp):
            v = self._groups(m, inp[0].float())
            self.stats[id(m)] = (v.mean(2, keepdim=True), v.var(2, unbiased=False, keepdim=True))
        handles = [m.register_forward_pre_hook(hook) for m in self.layers]
        try:
            yield self
        finally:
            for h in handles:
                h.remove()

    @contextlib.contextmanager
    def applied(self):
        def hook(m, inp, out):
            x = inp[0]
            mean, var = self.stats[id(m)]
            v = self._groups(m, x)
            y = ((v - mean) / torch.sqrt(var + m.eps)).reshape(x.shape)
            if getattr(m, "weight", None) is not None and m.affine:
                y = y * m.weight[None, :, None, None] + m.bias[None, :, None, None]
            return y
        handles = [m.register_forward_hook(hook) for m in self.layers]
        try:
            yield self
        finally:
            for h in handles:
                h.remove()


# The networks pad with zeros: on a whole photo a pencil sketch came out with a dark frame line ~20 px in from
# the edges and a grid texture along them (helper 60, coffee). Mirrored out by this much first, every edge the
# person sees lies that far inside what the network draws.
MARGIN = 32


def _pad_to(img: np.ndarray, multiple: int) -> np.ndarray:
    h, w = img.shape[:2]
    ph, pw = -h % multiple, -w % multiple
    if not (ph or pw):
        return img
    mode = "reflect" if ph < h and pw < w else "edge"
    pad = ((0, ph), (0, pw)) + ((0, 0),) * (img.ndim - 2)
    return np.pad(img, pad, mode=mode)


def _to_input(img: np.ndarray, device) -> torch.Tensor:
    return to_tensor(img, device)        # (H, W) sketch → (1, 1, H, W); (H, W, 3) → (1, 3, H, W)


def fast_bf16(device: torch.device | str) -> bool:
    """bfloat16 autocast pays off on CPUs with native bf16 instructions (AVX-512 BF16 / AMX);
    measured on the vintage model: 1.7× faster, mean difference 0.18/255 from float32."""
    if torch.device(device).type != "cpu":
        return False
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


STATS_MIN = 64       # the image statistics pass keeps its short side at least this long (or its own)


def translate_image(net: torch.nn.Module, image: np.ndarray, *, device: torch.device | str = "cpu",
                    tile: int = 1024, overlap: int = 32, multiple: int = 4, stats_side: int = 768,
                    bf16: bool | None = None, margin: int = MARGIN,
                    job: Job | None = None) -> Generator[Progress, None, np.ndarray]:
    """image (H, W, 3) uint8 (or (H, W) for a 1-channel model) → translated (H, W, 3) uint8.
    bf16: None = automatic (bfloat16 autocast where the CPU runs it natively). The image is mirrored
    out by `margin` px on every side and the result cropped back (`MARGIN`)."""
    use_bf16 = fast_bf16(device) if bf16 is None else bf16
    if margin > 0:
        h0, w0 = image.shape[:2]
        mode = "reflect" if min(h0, w0) > margin else "symmetric"
        pad = ((margin, margin), (margin, margin)) + ((0, 0),) * (image.ndim - 2)
        out = yield from translate_image(net, np.pad(image, pad, mode=mode), device=device, tile=tile,
                                         overlap=overlap, multiple=multiple, stats_side=stats_side, bf16=bf16,
                                         margin=0, job=job)
        return np.ascontiguousarray(out[margin:margin + h0, margin:margin + w0])

    def run(t: torch.Tensor) -> torch.Tensor:
        # every layer checks for a cancel: one 1024² tile is seconds of work on a CPU
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16), \
                checked_layers(net, job.check if job is not None else None):
            return net(t).float()

    h, w = image.shape[:2]
    padded = _pad_to(image, multiple)
    H, W = padded.shape[:2]
    tile = max(multiple, tile - tile % multiple)
    th_, tw_ = even_tile(H, tile, overlap, multiple), even_tile(W, tile, overlap, multiple)
    ys, xs = tile_starts(H, th_, overlap), tile_starts(W, tw_, overlap)
    total = len(ys) * len(xs)
    norms = GlobalNormStats(net)
    use_global = bool(norms) and total > 1
    steps = total + (1 if use_global else 0)
    if use_global:
        # (never thinner than STATS_MIN px: a 20000 × 10 strip shrunk to 768 px long was 1 px high, and the
        # network's padding refused it: a traceback, a helper)
        s = min(1.0, max(stats_side / max(H, W), STATS_MIN / min(H, W)))
        small = padded if s >= 1 else _pad_to(cv2.resize(padded, (max(1, round(W * s)), max(1, round(H * s))),
                                                         interpolation=cv2.INTER_AREA), multiple)
        with norms.recording():
            run(_to_input(small, device))
        yield Progress(1, steps, "image statistics")
    acc = np.zeros((H, W, 3), np.float32)
    wsum = np.zeros((H, W, 1), np.float32)
    n = 0
    ctx = norms.applied() if use_global else contextlib.nullcontext()
    with ctx:
        for y in ys:
            for x in xs:
                if job is not None:
                    job.check()
                th, tw = min(th_, H - y), min(tw_, W - x)
                crop = padded[y:y + th, x:x + tw]
                out = to_images(run(_to_input(crop, device)))[0].astype(np.float32)
                win = ramp_window(th, tw, overlap, (y > 0, y + th < H, x > 0, x + tw < W))[..., None]
                acc[y:y + th, x:x + tw] += out * win
                wsum[y:y + th, x:x + tw] += win
                n += 1
                yield Progress(n + (1 if use_global else 0), steps, f"tile {n}/{total}")
    result = np.clip(acc / np.maximum(wsum, 1e-6) + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(result[:h, :w])


def blend_strength(original: np.ndarray, translated: np.ndarray, strength: float,
                   region: np.ndarray | None = None) -> np.ndarray:
    """original·(1 − a) + translated·a with a = strength (× region alpha 0…255 when given)."""
    if strength >= 1.0 and region is None:
        return translated
    a = np.full(original.shape[:2], float(strength), np.float32)
    if region is not None:
        a *= region.astype(np.float32) / 255.0
    a = a[..., None]
    mix = original.astype(np.float32) * (1 - a) + translated.astype(np.float32) * a
    out = np.clip(mix + 0.5, 0, 255).astype(np.uint8)
    if region is not None:
        out = np.where(region[..., None] > 0, out, original)     # untouched outside, byte for byte
    return out


def input_channels(net: nn.Module) -> int:
    for p in net.parameters():
        if p.dim() == 4:
            return int(p.shape[1])
    return 3


def _pasted(image: np.ndarray, part: np.ndarray, box: BBox) -> np.ndarray:
    out = np.array(image)
    out[box.y0:box.y1, box.x0:box.x1] = part
    return out


def run_translate(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """params: model (id), strength (0..1), tile, only_region (bool), bbox (optional region for
    1-channel sketch models); inputs: image (H, W, 3), mask (H, W) when only_region, scribble
    (H, W, 4) for sketch models."""
    spec = models.manifest.get(job.request.model) if job.request.model else models.default("translator")
    if spec is None:
        raise LookupError("no translator model in the manifest")
    image = job.inputs["image"]
    if min(image.shape[:2]) < 8:        # (the networks' innermost layers would have nothing left to normalise)
        raise ValueError(f"the image is too small to translate ({image.shape[1]}×{image.shape[0]}: "
                         "it needs at least 8×8 pixels)")
    # (said only when it loads: "loading" on every apply read as a reload, helper 58)
    yield Progress(0, 1, f"{'translating with' if spec.id in models.loaded_ids() else 'loading'} {spec.title}")
    loaded = models.get(spec.id)
    net = loaded.net
    if input_channels(net) == 1:
        return (yield from run_sketch(job, spec, loaded, models))
    region = None
    if job.request.only_region:
        region = job.inputs.get("mask")
        if region is None or not region.any():
            raise ValueError("“Only inside the mask” is on but no mask is painted: paint the area with the "
                             "mask brush (M) first")
    multiple = getattr(net, "multiple", 4)
    notes: list[str] = []
    h, w = image.shape[:2]
    whole, box = image, BBox(0, 0, w, h)
    if spec.params.get("scale") == "crop" and region is not None:
        # a drawing of a face in a selection (or the mask): its box is the face's frame (a helper's selection round
        # a pencil-sketched head gave a blank beige box: the whole photo had been read as one face)
        box = nonzero_bbox(region)
        image = image[box.y0:box.y1, box.x0:box.x1]
        h, w = image.shape[:2]
        if min(h, w) < 8:
            raise ValueError(f"the selection is too small to draw a face in ({w}×{h}: it needs at least 8×8 pixels)")
        notes.append("the selection as the face")
    work = image
    if spec.params.get("scale") == "face":          # trained on aligned face crops of side R
        yield Progress(0, 1, "finding the face")
        # the face's frame is drawn at `face_side` px (default: the model's resolution)
        res = int(spec.resolution or 64)
        factor, how = scale.face_scale(image, models, int(spec.params.get("face_side", res)),
                                       scene_side=scale.SCENE_SIDE * res)
        work = scale.rescaled(image, factor, multiple)
        notes.append(f"drawn at the face's scale, {factor:.2f}×" if how == "face" else f"{how}: whole image")
    elif spec.params.get("scale") == "crop":        # the image is the face's frame (a drawing of a face)
        work = scale.rescaled(image, scale.crop_scale(image, int(spec.resolution or 64)), multiple)

    def attempt(tile: int, device: torch.device):
        on = net if device == loaded.device else cpu_copy(net)
        return translate_image(on, work, device=device, tile=tile, overlap=int(job.request.overlap),
                               multiple=multiple, job=job)

    out = yield from oom_fallback(attempt, int(job.request.tile), loaded.device, on_retry=notes.append)
    out = scale.back_to(out, h, w)
    if spec.params.get("grey_output"):
        out = scale.to_grey(out, float(spec.params.get("ink_gain", 1.0)))
    if box != BBox(0, 0, *whole.shape[1::-1]):
        image, out = whole, _pasted(whole, out, box)
        h, w = image.shape[:2]
    full = blend_strength(image, out, 1.0, region)
    return Result(layer="base", bbox=BBox(0, 0, w, h), pixels=blend_strength(image, out, float(job.request.strength),
                                                                           region),
                  message=f"Applied {spec.title}" + (f" ({'; '.join(notes)})" if notes else ""),
                  info={"full_strength": full})     # the editor's Strength slider fades the result from this
