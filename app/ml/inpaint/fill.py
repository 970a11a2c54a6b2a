"""Filling holes: the fill methods and the crop strategy for images of any size.

A Filler fills one crop: `fill(crop (h, w, 3) uint8, hole (h, w) bool) -> (h, w, 3) uint8`, where
only pixels inside the hole matter. `inpaint_image` plans the crops (one padded crop around each
group of nearby holes; far-apart holes are filled separately), resizes each to the method's
working size, fills, scales the fill back up, and composites it with the chosen blend, so pixels
outside the mask keep their exact bytes whatever the image size.
"""

from __future__ import annotations

from collections.abc import Generator

import cv2
import numpy as np
import torch

from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import Job, Progress, Result, relay
from latentbrush.ml.guards import checked_layers, cpu_copy, oom_fallback
from latentbrush.ml.inpaint import masks, methods
from latentbrush.ml.inpaint.blend import BLENDS, composite
from latentbrush.ml.inpaint.content_aware import ContentAwareFiller
from latentbrush.ml.inpaint.exemplar import ExemplarFiller
from latentbrush.ml.inpaint.face_gate import face_finder
from latentbrush.ml.inpaint.filler import (
    Check,
    ClassicalFiller,
    Filler,
    FsrFiller,
    fill_crop,
    grow_to,
    is_grey,
    merge_boxes,
    outside_boxes,
    plan_crops,
    with_known,
)
from latentbrush.ml.inpaint.masks import DEEP_PX, DEEP_WARN, RIM_WARN, deep_share, rim_left
from latentbrush.ml.inpaint.report import face_held, not_mirrored, plain_summary, quilted, redrawn, structure_split
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.tensors import batch_to_tensor, to_images, to_renders, to_tensor, to_unit_tensor, unit_to_images


def telea_prior(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Telea fill of each image of a batch: x (N, 3, H, W) in [-1, 1], mask (N, 1, H, W) → same."""
    imgs = to_images(x)
    holes = (mask[:, 0] > 0.5).cpu().numpy().astype(np.uint8) * 255
    radius = max(3, int(round(max(x.shape[-2:]) / 100)))
    filled = np.stack([cv2.inpaint(np.ascontiguousarray(i), h, radius, cv2.INPAINT_TELEA)
                       for i, h in zip(imgs, holes, strict=True)])
    return batch_to_tensor(filled, x.device)


class CompletionFiller(Filler):
    """The project's completion network (globally and locally consistent completion)."""

    def __init__(self, net: torch.nn.Module, device, max_side: int = 128, title: str = "",
                 flip_average: bool = True) -> None:
        self.net, self.device, self.max_side, self.title = net, device, max_side, title
        self.multiple = getattr(net, "multiple", 4)
        self.flip_average = flip_average      # average with the prediction for the mirrored crop

    def on_cpu(self) -> CompletionFiller:
        return CompletionFiller(cpu_copy(self.net), torch.device("cpu"), self.max_side, self.title, self.flip_average)

    @torch.no_grad()
    def fill(self, crop, hole, check=None):
        x = to_tensor(crop, self.device)
        m = torch.from_numpy(hole.astype(np.float32))[None, None].to(self.device)
        if self.flip_average:
            x, m = torch.cat([x, x.flip(-1)]), torch.cat([m, m.flip(-1)])
        prior = telea_prior(x, m) if getattr(self.net, "residual", False) else None
        with checked_layers(self.net, check):
            out = self.net.complete(x, m, prior)
        if self.flip_average:
            out = (out[:1] + out[1:].flip(-1)) / 2
        return to_images(out)[0]


class LamaFiller(Filler):
    """A person's TorchScript LaMa: forward(image (1,3,H,W) in [0,1], mask (1,1,H,W) in {0,1})
    → (1,3,H,W) in [0,1]; sides padded to multiples of 8."""

    multiple = 8

    def __init__(self, net, device, max_side: int = 512, title: str = "") -> None:
        self.net, self.device, self.max_side, self.title = net, device, max_side, title

    def on_cpu(self) -> LamaFiller:
        return LamaFiller(cpu_copy(self.net), torch.device("cpu"), self.max_side, self.title)

    @torch.no_grad()
    def fill(self, crop, hole, check=None):
        img = to_unit_tensor(crop, self.device)
        m = torch.from_numpy(hole.astype(np.float32))[None, None].to(self.device)
        out = self.net(img, m)
        if not isinstance(out, torch.Tensor) or out.shape != img.shape:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(f"the LaMa model returned {got}; expected a tensor shaped {tuple(img.shape)}")
        return unit_to_images(out)[0]


FAST_PRIOR_STEPS = 30


class PriorFiller(Filler):
    """Generator prior: the face holding the hole is found and aligned to the generator's frame
    (the real-photo path of app/ml/latent/photo.py), its known part is projected into the latent
    space (hole excluded from the loss), a copy of the generator is tuned to the known pixels
    (pivotal tuning, hole excluded), and the tuned generator's pixels fill the hole."""

    def __init__(self, G, encoder, device, steps: int = 150, title: str = "Generator prior", models=None,
                 tuned: bool = True) -> None:
        self.G, self.encoder, self.device, self.steps, self.title = G, encoder, device, steps, title
        self.models, self.tuned = models, tuned
        self.max_side = None                # crops are warped to the frame here, at full resolution
        self._warp: tuple[tuple[int, int], np.ndarray] | None = None
        self.faces: list | None = None      # the photo's faces when found already (see prior_plan)

    def on_cpu(self) -> PriorFiller:
        enc = cpu_copy(self.encoder) if self.encoder is not None else None
        f = PriorFiller(cpu_copy(self.G), enc, torch.device("cpu"), self.steps, self.title, self.models,
                        self.tuned)
        f.faces = self.faces
        return f

    def regions(self, image, hole):
        from latentbrush.ml.latent.faces import NoFaceFound, square_region
        from latentbrush.ml.latent.photo import find_faces
        h, w = hole.shape
        faces = self.faces if self.faces is not None else find_faces(image, self.models)
        if faces:       # the face that holds most of the hole
            f = max(faces, key=lambda f: int(hole[f.region.y0:f.region.y1, f.region.x0:f.region.x1].sum()))
            self._warp = ((f.region.height, f.region.width), f.warp) if f.warp is not None else None
            return [f.region]
        if max(h, w) > 1.25 * min(h, w):
            raise NoFaceFound("the generator prior fills faces: no face found in this image; "
                              "use the completion network or Telea")
        self._warp = None
        return [square_region(w / 2, h / 2, min(h, w), w, h)]

    def fill(self, crop, hole, check=None):
        from latentbrush.core.jobs import drain
        return drain(self.fill_steps(crop, hole, check))[0]

    def fill_steps(self, crop, hole, check=None) -> Generator[tuple[float, str], None, np.ndarray]:
        """fill(), yielding (fraction done, what it is doing) as the projection and the tuning go."""
        from latentbrush.ml.latent import align
        from latentbrush.ml.latent.projection import project
        from latentbrush.ml.latent.tune import apply_delta, tune
        r = self.G.resolution
        h, w = hole.shape
        warp = self._warp[1] if self._warp is not None and self._warp[0] == (h, w) else align.box_warp(w, h)
        small = np.clip(np.rint(align.to_frame(crop, warp, r)), 0, 255).astype(np.uint8)
        hs = align.to_frame(hole.astype(np.float32), warp, r) > 0.01
        prefilled = cv2.inpaint(small, hs.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
        target = to_tensor(prefilled, self.device)
        weight = torch.from_numpy((~hs).astype(np.float32))[None, None].to(self.device)
        mode = "hybrid" if self.encoder is not None else "optimize"
        share = 0.5 if self.tuned else 1.0       # of the work: the projection, then the tuning
        gen = project(self.G, target, encoder=self.encoder, mode=mode, steps=self.steps, restarts=2,
                      weight=weight, preview_every=10, check=check)
        res = yield from relay(gen, lambda st: (share * st.step / max(st.total, 1), "fitting the face"))
        render = res.render
        if self.tuned:
            gen = tune(self.G, torch.from_numpy(res.z).to(self.device), target, weight=weight, preview_every=10,
                       check=check)
            t = yield from relay(gen, lambda st: (share + share * st.step / max(st.total, 1),
                                                  "tuning the generator to the face"))
            Gt = apply_delta(self.G, t.delta)
            with torch.no_grad():
                out = Gt(torch.from_numpy(res.z).to(self.device)[None]).clamp(-1, 1)
            render = to_renders(out)[0]
        # the Filler contract: same size as the crop; only hole pixels are used by the caller
        back = align.from_frame(np.asarray(render, np.float32), warp, (h, w))
        cover = align.frame_coverage(warp, (h, w))[..., None]
        # the face frame is turned with the face: hole pixels in the crop's corners it does not
        # reach get the classical fill, not the hole's old pixels
        rest = crop
        if ((cover[..., 0] < 1) & hole).any():
            rest = cv2.inpaint(np.ascontiguousarray(crop), hole.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
        return np.clip(np.rint(back * cover + rest * (1 - cover)), 0, 255).astype(np.uint8)


# -- crop strategy ------------------------------------------------------------------------------
def inpaint_image(image: np.ndarray, mask: np.ndarray, filler: Filler, *, blend: str = "own",
                  check: Check | None = None) -> Generator[Progress, None, tuple[np.ndarray, BBox]]:
    """image (H, W, 3) uint8, mask (H, W) uint8 (0 keep … 255 fill). Returns (result, changed box)."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, 3) uint8, got {image.shape} {image.dtype}")
    if mask.shape != image.shape[:2]:
        raise ValueError(f"the mask is {mask.shape[1]}×{mask.shape[0]} but the image is "
                         f"{image.shape[1]}×{image.shape[0]}: they must be the same size")
    if blend not in BLENDS:
        raise ValueError(f"unknown blend {blend!r}; expected one of {', '.join(BLENDS)}")
    hole = mask > 0
    if not hole.any():
        raise ValueError("the mask is empty: paint the area to fill first")
    if hole.all():
        raise ValueError("the mask covers the whole image: nothing is left around it to fill from "
                         "(leave the photo around the area unmasked)")
    out = image.copy()
    regions = filler.regions(image, hole)
    grow = getattr(filler, "grow_side", filler.max_side)    # the context the fill can use at no cost
    if grow and not isinstance(filler, PriorFiller):
        H, W = hole.shape
        regions = merge_boxes([grow_to(b, grow, W, H) for b in regions])
    # holes outside every region (the prior works on the face box only) get the classical fill
    left = outside_boxes(hole, regions)
    jobs = [(filler, box, hole) for box in regions] + [(ClassicalFiller(), box, left) for box in plan_crops(left)]
    changed: BBox | None = None
    for i, (f, box, holes) in enumerate(jobs, 1):
        box = with_known(box, hole)      # a crop inside a vast hole: grown to what is known
        sl = (slice(box.y0, box.y1), slice(box.x0, box.x1))
        crop_hole = holes[sl]
        if check is not None:
            check()
        if not crop_hole.any():
            continue
        n = len(jobs)
        # one area filled without steps of its own: how far it has got is unknown (a busy bar, not 0 %)
        stepped = n > 1 or hasattr(f, "fill_steps")
        yield Progress(100 * (i - 1) if stepped else 0, 100 * n if stepped else 0, f"filling area {i}/{n}")
        if check is not None:       # cancelled while the message was shown
            check()
        f.prepare_area(image, box, crop_hole, holes)
        # (a fill at the photo's own size where it has one: an eye from the other eye)
        whole = f.fill_whole(out[sl], crop_hole) if hasattr(f, "fill_whole") else None
        if whole is not None:
            filled = whole
        elif hasattr(f, "fill_steps"):      # seconds of work (prior, exemplar): its steps are shown as they go
            # (a first step of unknown length is a busy bar, not a bar at 0 % for minutes, helper 75)
            filled = yield from relay(f.fill_steps(out[sl], crop_hole, check), lambda st, i=i, n=n: Progress(
                100 * (i - 1) + int(100 * st[0]), 100 * n if n > 1 or st[0] > 0 else 0,
                f"filling area {i}/{n}: {st[1]}"))
            filled = np.where(crop_hole[..., None], filled, out[sl])
        else:
            filled = fill_crop(f, out[sl], crop_hole, check)
        if check is not None:       # (the seam of a whole-photo fill is seconds more)
            check()
        if is_grey(out[sl], crop_hole):      # a black-and-white photo gets a grey fill (the models draw colour)
            filled = np.repeat(filled.mean(axis=2, keepdims=True).round().astype(np.uint8), 3, axis=2)
        out[sl] = composite(filled, out[sl], np.where(crop_hole, mask[sl], 0).astype(np.uint8), blend)
        ys, xs = np.nonzero(crop_hole)
        hb = BBox(box.x0 + int(xs.min()), box.y0 + int(ys.min()),
                  box.x0 + int(xs.max()) + 1, box.y0 + int(ys.max()) + 1)
        changed = hb if changed is None else BBox(min(changed.x0, hb.x0), min(changed.y0, hb.y0),
                                                  max(changed.x1, hb.x1), max(changed.y1, hb.y1))
        yield Progress(100 * i, 100 * len(jobs), f"filled area {i}/{len(jobs)}", preview=out[sl].copy(),
                       preview_bbox=box)
    assert changed is not None
    return out, changed


# -- model lookup and the worker runner ---------------------------------------------------------
def make_filler(method_id: str | None, models: ModelManager) -> Filler:
    manifest = models.manifest
    mid = method_id or methods.default_method(manifest)
    if mid in methods.CLASSICAL:
        return ClassicalFiller(mid)
    if mid == methods.FSR:
        return FsrFiller()
    if mid == methods.CONTENT_AWARE:
        learned = methods.learned_structure(manifest)
        net = make_filler(learned, models) if learned else None
        if isinstance(net, CompletionFiller):
            net.flip_average = False    # beside the frequency-selective fill: no gain (measured), twice the time
        return ContentAwareFiller(net, prior=fast_prior(models), faces=face_finder(models))
    if mid == methods.EXEMPLAR:
        return ExemplarFiller(make_filler(methods.CONTENT_AWARE, models))
    if mid == methods.PRIOR:
        gen = manifest.default("generator")
        if gen is None:
            raise LookupError("the generator prior needs a generator model")
        enc = manifest.for_generator("encoder", gen.id)
        encoder = models.get(enc[0].id).net if enc and models.available(enc[0]) else None
        return PriorFiller(models.get(gen.id).net, encoder, models.device, models=models)
    spec = manifest.get(mid)
    if spec.kind != "inpainter":
        raise ValueError(f"model {mid!r} is a model of kind “{spec.kind}”, not an inpainting model")
    loaded = models.get(spec.id)
    # the manifest's `resolution` is the working size: crops larger than it are scaled down to it
    max_side = int(spec.resolution or (512 if spec.arch == "lama" else 128))
    if spec.arch == "lama":
        return LamaFiller(loaded.net, loaded.device, max_side, spec.title)
    return CompletionFiller(loaded.net, loaded.device, max_side, spec.title)


def fast_prior(models: ModelManager) -> PriorFiller | None:
    """The generator prior as the content-aware fill's face candidate: encoder start, 30 steps, no
    tuning (≈ 0.2–0.4 s at 64²); None without a generator and its encoder."""
    gen = models.manifest.default("generator")
    if gen is None or not models.available(gen):
        return None
    enc = [e for e in models.manifest.for_generator("encoder", gen.id) if models.available(e)]
    if not enc:
        return None
    return PriorFiller(models.get(gen.id).net, models.get(enc[0].id).net, models.device, steps=FAST_PRIOR_STEPS,
                       title="Generator prior (fast)", models=models, tuned=False)


def prior_plan(filler: PriorFiller, image: np.ndarray, hole: np.ndarray) -> tuple[str, str]:
    """Find the faces once (kept on the filler). Returns (why the prior cannot fill this hole, a note
    on what it leaves to the classical fill); "" when none: no face in a photo that is not a face
    crop, or no face around the hole; part of the hole outside the face."""
    from latentbrush.ml.latent.photo import find_faces
    filler.faces = faces = find_faces(image, filler.models)
    if not faces:
        h, w = hole.shape
        return ("No face in this photo" if max(h, w) > 1.25 * min(h, w) else ""), ""
    inside = [int(hole[f.region.y0:f.region.y1, f.region.x0:f.region.x1].sum()) for f in faces]
    if max(inside) == 0:
        return "No face around the hole", ""
    return "", ("part of the hole lies outside the face: Telea filled that part" if max(inside) < hole.sum()
                else "")


def run_inpaint(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """params: model (method id or None = best available), blend; inputs: image, mask."""
    image, mask = job.inputs["image"], job.inputs["mask"]
    mid = job.request.model or methods.default_method(models.manifest)
    blend = job.request.blend or methods.default_blend(mid, models.manifest)
    yield Progress(0, 0, "loading fill model")
    filler = make_filler(mid, models)
    if isinstance(filler, ContentAwareFiller | ExemplarFiller):     # their loops are compiled
        from latentbrush.ml.inpaint import coherence, kernels
        if not kernels.ready():
            yield Progress(0, 0, "preparing the fill (loading its compiled loops; a few seconds the first time "
                                 "after installing)")
            kernels.warm_up()
            coherence.warm_up()
    job.check()
    notes: list[str] = []
    info: dict = {}
    if isinstance(filler, PriorFiller):
        yield Progress(0, 0, "finding the faces")
        why, note = prior_plan(filler, image, job.inputs["mask"] > 0)
        info["faces"] = len(filler.faces or ())
        notes += [note] if note else []
        if why:     # the prior needs a face: the classical fill, and the person is told
            filler, mid = ClassicalFiller(methods.TELEA), methods.TELEA
            blend = job.request.blend or methods.default_blend(mid, models.manifest)
            notes.append(f"{why} — filled with Telea instead of the generator prior")
            info["fallback"] = why

    used: list = [filler, 0]

    def attempt(_tile: int, device: torch.device):
        f = filler if device == torch.device(filler.device) else filler.on_cpu()
        used[:] = [f, len(getattr(f, "log", ()))]          # the fills of this run: the log's entries from here
        return inpaint_image(image, mask, f, blend=blend, check=job.check)

    # crops are the fill's tiles and already as small as the model works: an out-of-GPU-memory
    # error goes straight to the CPU
    out, box = yield from oom_fallback(attempt, 0, torch.device(filler.device), min_tile=1, on_retry=notes.append)
    # what the run had to say besides the split and the hints (the prior's "part of the hole lies
    # outside the face", a retry on the CPU): the status bar and the panel say it too
    others = [] if info.get("fallback") else list(notes)
    log = getattr(used[0], "log", [])[used[1]:]
    split = structure_split(log, methods.learned_structure(models.manifest)) if log else ""
    if split and not info.get("fallback"):     # the content-aware fill: what it trusted here
        info["structure"] = split
        info["summary"] = plain_summary(log, grain=bool(getattr(used[0], "grain", getattr(used[0], "texture", 0))))
        notes.append(split)
    if others:
        info["also"] = others
    # (seconds on a 12-MP hole: said, not left under "filled area 1/1" at 100 %, helper 75)
    yield Progress(0, 0, "looking the fill over (its edge, depth and texture)")
    job.check()
    info["rim_left"] = rim = rim_left(image, mask)      # a mask painted just inside an object's border
    info["deep"], info["deep_px"] = deep_share(mask), DEEP_PX     # how much of the hole is far from anything kept
    # (where every area got the texture around it quilted in, its middle is that texture, no guess at a thing)
    guess = info["deep"] >= DEEP_WARN and not (log and quilted(log) == len(log))
    # an object-sized hole in grass, gravel, fabric: the fast fill leaves it smooth with fine grain, the
    # best-quality one redraws the texture (stop 43: on average no closer to the truth, so not the default)
    # (not where a face's features held the hole: no fill copies other patches into a face, and a helper read
    # the advice after a cleanly mirrored eye)
    info["textured"] = textured = (mid == methods.CONTENT_AWARE and not face_held(log) and not redrawn(log)
                                   and masks.hole_depth(mask > 0) >= masks.TEXTURE_DEPTH
                                   and masks.ring_texture(image, mask) >= masks.TEXTURE_BAND)
    hints = (["the mask's edge runs along a rim of another colour (an object's border left outside?): "
              "paint the mask a little wider"] if rim >= RIM_WARN else []) + (
        ["a large hole: much of it is far from the rest of the picture, and there any fill can only guess: "
         "look it over"] if guess else []) + (
        [f"the surroundings are textured: “{methods.TITLES[methods.EXEMPLAR].split(' (')[0]}” may redraw their "
         "texture more naturally (Ctrl+Z, choose it under Model, Fill)"]
        if textured else [])
    if hints:
        info["hint"] = "; ".join(hints)
        notes += hints
    # the status bar's line stays short (a helper found the long one cut off): the panel says the rest
    short = others + (["paint the mask a little wider (an object's border left outside?)"] if rim >= RIM_WARN
                      else []) + (["a large hole: look it over"] if guess else []) + (
        ["the face's other side could not be copied: look it over"] if not_mirrored(log) else []) + (
        ["textured: try best quality"] if textured else [])
    return Result(layer="base", bbox=box, pixels=np.ascontiguousarray(out[box.y0:box.y1, box.x0:box.x1]),
                  message=notes[0] if info.get("fallback") else
                  f"Filled with {filler.title or mid}" + (f" — {'; '.join(short)}" if short else ""),
                  info={"model": mid, "blend": blend, "notes": notes, **info})
