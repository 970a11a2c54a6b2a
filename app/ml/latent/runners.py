"""Worker-side jobs for latent editing: project, scribble, render a latent, interpolate.

Job protocol (see app/ml/runners.py): a generator that yields Progress and returns a Result.
Latent jobs put the new LatentState in Result.info["latent_state"]; the GUI makes the pixels and
the state change one undo step.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch import nn

from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import Job, Progress, Result, relay
from latentbrush.core.latent_state import LatentState, Tuning
from latentbrush.core.requests import PROJECT_BUDGET_S, PROJECT_STEPS, TUNE, TUNE_BUDGET_S, TUNE_LOCALITY
from latentbrush.ml.latent import applyback, interpolate, photo, tune
from latentbrush.ml.latent.faces import squarify
from latentbrush.ml.latent.projection import project
from latentbrush.ml.latent.scribble import optimize_scribble
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.tensors import resize, signed_from_bytes, to_renders


@dataclass
class LatentModels:
    G: nn.Module
    E: nn.Module | None
    generator_id: str
    device: torch.device
    tuning: Tuning | None = None     # G is the generator tuned to a photo (this delta)


def latent_models(models: ModelManager, generator_id: str | None = None,
                  state: LatentState | None = None) -> LatentModels:
    """The generator (and its encoder) by id, or the default one. With a state whose generator
    was tuned to the photo, G is that tuned copy (cached)."""
    if state is not None:
        generator_id = state.generator
    spec = models.manifest.get(generator_id) if generator_id else models.default("generator")
    if spec is None:
        raise LookupError("no generator in the manifest")
    G = models.get(spec.id).net
    enc_specs = [s for s in models.manifest.for_generator("encoder", spec.id) if models.available(s)]
    E = models.get(enc_specs[0].id).net if enc_specs else None
    lm = LatentModels(G, E, spec.id, models.device)
    return for_state(lm, state) if state is not None else lm


def for_state(lm: LatentModels, state: LatentState) -> LatentModels:
    """lm with G tuned to the state's photo when the state carries a tuning."""
    tuning = state.tuning
    if tuning is None or lm.tuning is not None and lm.tuning.key == tuning.key:
        return lm
    base = lm.G if lm.tuning is None else None
    if base is None:
        raise ValueError("for_state needs the untuned generator")
    return LatentModels(photo.TUNED.get(base, tuning), lm.E, lm.generator_id, lm.device, tuning)


def to_unit(img: np.ndarray, device: torch.device) -> torch.Tensor:
    """(h, w, c) float/uint8 0..255 → (1, c, h, w) in [-1, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32)).to(device)
    return signed_from_bytes(t.permute(2, 0, 1)[None])


def render(G: nn.Module, z: np.ndarray | torch.Tensor, device: torch.device) -> np.ndarray:
    """(nz,) → (R, R, 3) float32 0..255, unquantised."""
    with torch.no_grad():
        zt = torch.as_tensor(np.array(z, np.float32), device=device)[None]
        return to_renders(G(zt))[0]


def resolve_region(image: np.ndarray, region, models: ModelManager | None = None,
                   face: int = 0, found: photo.FoundFace | None = None) -> tuple[BBox, np.ndarray | None]:
    """The edit region and its alignment warp: a face found already (`found`, e.g. by a caller that
    listed the faces), "auto"/None → the chosen face (aligned when the landmark detector is
    installed), a box (x0, y0, x1, y1) → the square around it (no warp)."""
    h, w = image.shape[:2]
    if found is not None:
        return found.region, found.warp
    if region is None or region == "auto":
        found = photo.pick_face(image, models, int(face))
        return found.region, found.warp
    box = BBox(*(int(v) for v in region)).clip(w, h)
    if box.width < 8 or box.height < 8:
        raise ValueError(f"the area to edit is too small: it needs at least 8×8 pixels of the image (the image is "
                         f"{w}×{h}, the area {box.width}×{box.height} of it)" if w >= 8 and h >= 8 else
                         f"the image is too small for this edit ({w}×{h}: it needs at least 8×8 pixels)")
    return squarify(box, w, h), None


def project_state(job: Job, lm: LatentModels, image: np.ndarray, region: BBox, *,
                  warp: np.ndarray | None = None, mode: str | None = None, steps: int = PROJECT_STEPS,
                  time_budget: float | None = PROJECT_BUDGET_S, tuned: bool = TUNE,
                  tune_budget: float | None = TUNE_BUDGET_S,
                  tune_steps: int = tune.TUNE_STEPS,
                  tune_locality: float = TUNE_LOCALITY) -> Generator[Progress, None, LatentState]:
    """Project the region (warped into the generator's frame) and, when `tuned`, tune a copy of
    the generator to it. The progress carries no preview: the fit is diagnostic (after it the photo shows as it
    was), and while it converged the canvas showed a stranger's face in a hard-edged tilted square (a helper
    found it alarming)."""
    crop = np.ascontiguousarray(image[region.y0:region.y1, region.x0:region.x1])
    R = lm.G.resolution
    target = to_unit(photo.to_frame(crop, warp, R), lm.device)
    mode = mode or ("hybrid" if lm.E is not None else "optimize")
    gen = project(lm.G, target, encoder=lm.E, mode=mode, steps=steps, time_budget=time_budget,
                  restarts=1 if lm.E is not None else 4, preview_every=5, check=job.check)
    total = steps + (tune_steps if tuned else 0)
    t0 = time.perf_counter()
    budget = None if time_budget is None or (tuned and tune_budget is None) else (
        time_budget + (tune_budget if tuned else 0.0))

    def at(step: int) -> int:
        """Progress on the bar: by time when the stages have time budgets (they end by time, not steps)."""
        if budget is None:
            return step
        return min(total - 1, max(step, int(total * (time.perf_counter() - t0) / budget)))

    def progress(st) -> Progress | None:
        if not torch.isfinite(st.image).all():
            return None
        return Progress(at(st.step), total, "matching the face with the generator's faces", loss=st.loss)

    res = yield from relay(gen, progress)
    if not np.isfinite(res.render).all():
        raise FloatingPointError("the projection produced invalid values (NaN/Inf); try another region")
    state = LatentState(region=region, generator=lm.generator_id, z_base=res.z, base_render=res.render,
                        reference=crop, z=res.z, fit_psnr=res.psnr, warp=warp)
    if not tuned:
        return state
    fitted = yield from tuned_state(job, lm, crop, region, warp, res.z, steps=tune_steps, budget=tune_budget,
                                    locality=tune_locality, at=lambda step: at(steps + step), total=total)
    return state if fitted is None else fitted      # (None: the tuning failed numerically; the projection stays)


def tuned_state(job: Job, lm: LatentModels, crop: np.ndarray, region: BBox, warp: np.ndarray | None,
                z: np.ndarray, *, steps: int = tune.TUNE_STEPS, budget: float | None = TUNE_BUDGET_S,
                locality: float = TUNE_LOCALITY, at=None, total: int | None = None,
                what: str = "fitting the generator to the photo") -> Generator[Progress, None, LatentState | None]:
    """A copy of the shipped generator `lm.G` tuned to the region's pixels `crop` with `z` as the pivot: the state
    at z, committed, with that fit (None when the tuning failed numerically). Also after a part edit that moved the
    photo's own pixels (parts/runners.py): its latent had followed the paint, and the generator fitted to the old
    photo drew a stranger there (19 dB against the photo; helper 64's "Edit region" thumbnail), from which every
    later slider or scribble was measured."""
    R = lm.G.resolution
    frame = photo.to_frame(crop, warp, R)
    tgen = tune.tune(lm.G, torch.from_numpy(np.array(z)).to(lm.device), to_unit(frame, lm.device), steps=steps,
                     time_budget=budget, w_local=locality, preview_every=5, check=job.check)

    def tprogress(st) -> Progress:
        return Progress(st.step if at is None else at(st.step), total or steps, f"{what} ({st.psnr:.1f} dB)",
                        loss=st.loss)

    tres = yield from relay(tgen, tprogress)
    tuning = Tuning(tres.delta, psnr_before=tres.psnr_before, psnr=tres.psnr)
    base = render(photo.TUNED.get(lm.G, tuning), z, lm.device)
    if not np.isfinite(base).all():
        return None
    fit = float(-10 * np.log10(max(np.mean(((base - frame) / 255.0) ** 2), 1e-10)))
    return LatentState(region=region, generator=lm.generator_id, z_base=z, base_render=base,
                       reference=crop, z=z, fit_psnr=fit, warp=warp, tuning=tuning)


def run_project(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """params: region (x0, y0, x1, y1) | "auto" | None, face (index, largest first), mode, steps,
    time_budget, tune (fit the generator to the photo), tune_budget; inputs: image."""
    image = job.inputs["image"]
    lm = latent_models(models, job.request.generator)
    faces: list[photo.FoundFace] = []
    if job.request.found is not None:
        region, warp = resolve_region(image, None, found=job.request.found)
    elif job.request.region in (None, "auto"):
        yield Progress(0, 1, "finding the faces")
        faces = photo.find_faces(image, models)
        found = photo.choose(faces, int(job.request.face))
        region, warp = found.region, found.warp
    else:
        region, warp = resolve_region(image, job.request.region, models)
    state = yield from project_state(job, lm, image, region, warp=warp, mode=job.request.mode,
                                     steps=int(job.request.steps),
                                     time_budget=job.request.time_budget,
                                     tuned=bool(job.request.tune),
                                     tune_budget=job.request.tune_budget,
                                     tune_locality=float(job.request.tune_locality))
    thumb = np.rint(state.base_render).astype(np.uint8)
    key = "latent_state" if job.request.apply else "projected"
    how = (f"; generator fitted to the photo: {state.tuning.psnr_before:.1f} → {state.fit_psnr:.1f} dB"
           if state.tuning is not None else f": {state.fit_psnr:.1f} dB")
    info = {key: state, "render": thumb, "faces": tuple(tuple(f.box) for f in faces)}
    if len(faces) > 1:
        how += f" (face {int(job.request.face) + 1} of {len(faces)})"
    return Result(layer="", message=f"Projected the edit region{how}", info=info)


def strokes_at(scribble: np.ndarray, R: int, warp: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """RGBA crop (h, w, 4) → colors (R, R, 3) float 0..255 and coverage (R, R) in [0, 1] in the
    generator's frame, area-averaged so thin strokes keep partial weight and colors are not
    darkened at the edges."""
    a = scribble[..., 3].astype(np.float32) / 255.0
    rgb = scribble[..., :3].astype(np.float32) * a[..., None]
    if warp is not None:
        a_s = photo.align.to_frame(np.ascontiguousarray(a), warp, R)
        rgb_s = photo.align.to_frame(np.ascontiguousarray(rgb), warp, R)
        a_s = np.where(a_s > 1e-4, a_s, 0)
    else:
        a_s = cv2.resize(a, (R, R), interpolation=cv2.INTER_AREA)
        rgb_s = cv2.resize(rgb, (R, R), interpolation=cv2.INTER_AREA)
    color = rgb_s / np.maximum(a_s[..., None], 1e-6)
    return np.clip(color, 0, 255), np.clip(a_s, 0, 1)


def scribble_limit(alpha: np.ndarray, side: int) -> np.ndarray:
    return applyback.region_weight(alpha, grow=0.06 * side, feather=0.03 * side)


def apply_latent(state: LatentState, render_new: np.ndarray, *, strength: float = 1.0,
                 limit: np.ndarray | None = None) -> np.ndarray:
    edit = state.base_render + strength * (render_new - state.base_render)
    return applyback.apply_back(state.reference, state.base_render, edit, limit=limit, warp=state.warp)


def current_state(job: Job, lm: LatentModels, image: np.ndarray,
                  models: ModelManager | None = None) -> Generator[Progress, None, LatentState]:
    """The job's latent state if it still matches the canvas, else a fresh projection
    (params project_steps / project_budget; a budget of None makes it deterministic)."""
    state: LatentState | None = job.request.state
    if state is not None:
        r = state.region
        if state.generator == lm.generator_id and state.matches(image[r.y0:r.y1, r.x0:r.x1]):
            return state
        region, warp = r, state.warp
    else:
        region, warp = resolve_region(image, job.request.region, models, job.request.face,
                                      job.request.found)
    return (yield from project_state(job, lm, image, region, warp=warp,
                                     steps=int(job.request.project_steps),
                                     time_budget=job.request.project_budget,
                                     tuned=bool(job.request.tune),
                                     tune_budget=job.request.tune_budget))


def run_scribble(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """inputs: image, scribble (full layers); params: state (LatentState | None), candidates,
    iters, time_budget, strength, region_only, keep (candidates returned)."""
    image, scribble = job.inputs["image"], job.inputs["scribble"]
    lm = latent_models(models, job.request.generator)
    state = yield from current_state(job, lm, image, models)
    lm = for_state(lm, state)
    r, R = state.region, lm.G.resolution
    crop_s = scribble[r.y0:r.y1, r.x0:r.x1]
    if not crop_s[..., 3].any():
        raise ValueError("no strokes inside the edit region: paint with the color brush over the face")
    color, cover = strokes_at(crop_s, R, state.warp)
    if not (cover > 0.02).any():
        raise ValueError("the strokes lie outside the face the generator sees: paint over the face")
    ref_small = photo.to_frame(state.reference, state.warp, R)
    # the photo shows reference, the generator shows base_render: ask the generator for the
    # stroke color plus its own residual, so that after apply-back the photo shows the stroke color
    target = np.clip(color + state.base_render - ref_small, 0, 255)
    S, M = to_unit(target, lm.device), torch.from_numpy(cover).to(lm.device)[None, None]
    strength = float(job.request.strength)
    limit = scribble_limit(crop_s[..., 3], r.width) if job.request.region_only else None
    gen = optimize_scribble(lm.G, torch.from_numpy(np.array(state.z_base)).to(lm.device), S, M,
                            candidates=int(job.request.candidates), iters=int(job.request.iters),
                            time_budget=job.request.time_budget, seed=int(job.request.seed),
                            check=job.check)

    def progress(st) -> Progress:
        rend = to_renders(st.image)[0]
        return Progress(st.step, st.total, f"following the strokes (loss {st.loss:.4f})", loss=st.loss,
                        preview=apply_latent(state, rend, strength=strength, limit=limit), preview_bbox=r)

    res = yield from relay(gen, progress)
    if not np.isfinite(res.renders).all():
        raise FloatingPointError("the generator produced invalid values (NaN/Inf); the image was not changed")
    keep = min(int(job.request.keep), len(res.z))
    cands = [apply_latent(state, res.renders[i], strength=strength, limit=limit) for i in range(keep)]
    new_state = state.showing(res.z[0], cands[0], res.renders[0], candidates=tuple(res.z[:keep]))
    thumbs = [thumbnail(c, R) for c in cands]
    return Result(layer="base", bbox=r, pixels=cands[0],
                  message=(f"scribble edit: {res.steps} steps × {len(res.z)} candidates in {res.seconds:.2f} s"
                           + (" — stopped early on a numerical problem (NaN); kept the last good result"
                              if res.nonfinite else "")),
                  info={"latent_state": new_state, "candidates": tuple(cands), "thumbs": tuple(thumbs),
                        "renders": tuple(res.renders[:keep]),
                        "masked_loss": tuple(float(v) for v in res.masked_loss[:keep])})


def thumbnail(pixels: np.ndarray, side: int) -> np.ndarray:
    """A candidate as the person will see it (the region's composited pixels, side²), not the
    generator's render: far from the projection the generator tuned to a photo draws someone else (a
    helper saw a pale man with a moustache for Obama's candidates after a part edit)."""
    return cv2.resize(np.ascontiguousarray(pixels), (side, side), interpolation=cv2.INTER_AREA)


def run_latent_render(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """Show latent params["z"] in the state's region (candidate pick, interpolation frame)."""
    state: LatentState = job.request.state
    lm = latent_models(models, state=state)
    yield Progress(0, 1, "rendering")
    rend = render(lm.G, job.request.z, lm.device)
    limit = None
    if job.request.region_only and "scribble" in job.inputs:
        r = state.region
        limit = scribble_limit(job.inputs["scribble"][r.y0:r.y1, r.x0:r.x1, 3], r.width)
    pixels = apply_latent(state, rend, strength=float(job.request.strength), limit=limit)
    return Result(layer="base", bbox=state.region, pixels=pixels, message=job.label,
                  info={"latent_state": state.showing(job.request.z, pixels, rend)})


def interpolation_frames(G: nn.Module, device: torch.device, za: np.ndarray, zb: np.ndarray, n: int, mode: str,
                         state: LatentState | None = None, size: int = 256, limit: np.ndarray | None = None,
                         check=None) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray]]:
    """Frames from za to zb: applied back onto the state's photo region when a state is given,
    else the generator's renders resized to size×size. Also returns the latents and renders."""
    frames, renders = [], []
    zs = interpolate.path(za, zb, n, mode)
    for z in zs:
        if check is not None:
            check()
        rend = render(G, z, device)
        renders.append(rend)
        if state is not None:
            frames.append(apply_latent(state, rend, limit=limit))
        else:
            frames.append(resize(np.rint(rend).astype(np.uint8), size, size))
    return frames, zs, renders


def run_interpolate(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """params: za, zb, frames, mode, state (optional), generator."""
    state = job.request.state
    lm = latent_models(models, job.request.generator, state=state)
    n = int(job.request.frames)
    yield Progress(0, n, "interpolating")
    limit = None
    if state is not None and job.request.region_only and "scribble" in job.inputs:
        r = state.region
        alpha = job.inputs["scribble"][r.y0:r.y1, r.x0:r.x1, 3]
        limit = scribble_limit(alpha, r.width) if alpha.any() else None
    frames, zs, renders = interpolation_frames(
        lm.G, lm.device, np.asarray(job.request.za, np.float32), np.asarray(job.request.zb, np.float32),
        n, job.request.mode, state, limit=limit, check=job.check)
    return Result(layer="", message=f"{n} interpolation frames",
                  info={"frames": tuple(frames), "latents": zs, "renders": tuple(renders)})


def run_warmup(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """Load the default generator and its encoder and run one forward+backward, so the first
    stroke or projection of a session does not pay for loading and first-call set-up."""
    yield Progress(0, 1, "loading the generator")
    lm = latent_models(models)
    z = torch.zeros(2, lm.G.nz, device=lm.device, requires_grad=True)
    lm.G(z).pow(2).mean().backward()
    if lm.E is not None:
        with torch.no_grad():
            lm.E(torch.zeros(1, 3, lm.G.resolution, lm.G.resolution, device=lm.device))
    return Result(layer="", message="")
