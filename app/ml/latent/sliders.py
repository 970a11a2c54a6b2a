"""Attribute sliders: move the latent along named directions, apply back onto the photo.

Slider units are standard deviations along the direction: directions are unit vectors and
z ~ N(0, I), so z·d ~ N(0, 1) over the generator's samples; ±3 spans nearly all of them.

On a photo, the sliders that change shape (MOTION_SLIDERS) are carried as motion
(app/ml/latent/flowedit.py): the *shipped* generator's own edit at the pivot, G(z + v·d) vs G(z),
becomes a displacement field, and the photo's own pixels are moved along it. The generator tuned
to the photo is not used for them: its shape directions act weakly near the pivot and, on
three-quarter faces, partly revert to the generator's own face, which the additive apply-back
paints as a doubled mouth or eyes (`latentbrush bench realphoto`). Shading sliders use the tuned
generator's additive change, added on top. Explore and custom directions (`free_moves`) are carried as
the tuned generator's own motion, with what the motion does not explain added on top.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Mapping
from dataclasses import replace

import cv2
import numpy as np
import torch

from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import Job, Progress, Result, frozen_array
from latentbrush.core.latent_state import LatentState
from latentbrush.ml.latent import align, photo
from latentbrush.ml.latent.applyback import apply_back, border_taper, is_grey, region_weight, warped_weight
from latentbrush.ml.latent.carry import around_box, carry
from latentbrush.ml.latent.flowedit import apply_moved, lower_face
from latentbrush.ml.latent.runners import apply_latent, for_state, latent_models, render
from latentbrush.ml.registry import ModelManager

SLIDER_RANGE = 3.0
# sliders whose change is mostly of shape (features move): on a photo they are carried as motion,
# with the flow's averaging window (frame pixels): a head turn moves the whole face coherently and
# takes a smoother flow (fewer local tears on three-quarter faces); a smile moves the mouth corners.
# The named others (lighting, hair, background, warmth) change shading and colour, which the tuned generator's
# additive delta carries cleanly; explore and custom directions do both (`free_moves`).
MOTION_SLIDERS = {"smile": 11, "mouth_open": 11, "head_turn": 15}
LOWER_FACE = {"smile", "mouth_open"}        # their motion is kept to the lower face (flowedit.lower_face)
# shading sliders whose change runs on past the face's frame (the rest of the hair, the ears and neck):
# on a photo it is carried there (carry.py). Not "background": carried, it spread onto a white cap's crown.
CARRIED = {"hair_dark", "lighting", "warmth"}
# sliders about the backdrop: on a photo their change is kept to the part map's background (the generator's
# background direction also greyed a person's hair and paled the ears, helper 64)
BACKDROP = {"background"}
FREE_WINDOW = 15        # explore and custom directions on a photo (`free_moves`): the flow's window (frame px) …
FREE_MOTION = 6.0       # … and its longest vector: explore 1 at ±3 turns the head by more than a smile's 3 px


def directions_for(models: ModelManager, generator_id: str) -> dict[str, np.ndarray]:
    """Every named direction for a generator: the manifest's direction sets (attribute and
    explore) by name, unit vectors (nz,) float32."""
    out: dict[str, np.ndarray] = {}
    for spec in models.manifest.for_generator("directions", generator_id):
        if not models.available(spec):
            continue
        net = models.get(spec.id).net
        for name, d in zip(net.names, net.directions.float().cpu().numpy(), strict=True):
            out[name] = d / max(float(np.linalg.norm(d)), 1e-12)
    return out


def direction_kinds(models: ModelManager, generator_id: str) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for spec in models.manifest.for_generator("directions", generator_id):
        if models.available(spec):
            net = models.get(spec.id).net
            kinds.update(zip(net.names, net.kinds, strict=True))
    return kinds


def moved_latent(z_base: np.ndarray, values: Mapping[str, float], directions: Mapping[str, np.ndarray]) -> np.ndarray:
    z = np.array(z_base, np.float32)
    for name, v in values.items():
        if name not in directions:
            raise KeyError(f"unknown slider {name!r}; known: {', '.join(sorted(directions))}")
        v = float(v)
        d = np.asarray(directions[name], np.float32)
        if d.shape != z.shape:      # (a damaged or foreign sliders file: "operands could not be broadcast", a helper)
            raise ValueError(f"the slider {name!r} was not made for this generator ({d.size} numbers where it "
                             f"takes {z.size}): remove it (✕ beside it in the Sliders panel)")
        if not -SLIDER_RANGE - 1e-6 <= v <= SLIDER_RANGE + 1e-6:
            raise ValueError(f"slider {name} = {v} is outside −{SLIDER_RANGE:g}…{SLIDER_RANGE:g}")
        z = z + v * d
    return z


class _OriginRender:
    """The shipped generator's render of the latent a slider drag starts from: the same for every
    step of the drag, rendered once."""

    def __init__(self) -> None:
        self._G = None                      # held, so that its id cannot be reused by another module
        self._key: bytes | None = None
        self._render: np.ndarray | None = None
        self._lock = threading.Lock()

    def get(self, G, z: np.ndarray, device) -> np.ndarray:
        key = np.asarray(z, np.float32).tobytes()
        with self._lock:
            if G is self._G and key == self._key and self._render is not None:
                return self._render
        out = frozen_array(render(G, z, device))
        with self._lock:
            self._G, self._key, self._render = G, key, out
        return out


ORIGINS = _OriginRender()


def run_attribute(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """params: state (LatentState), values {name: slider value}, origin (z the sliders move from;
    default the committed latent), custom {name: direction},
    region_only (limit to the mask layer), preview (show only, do not apply). inputs: mask (for region_only),
    image (the document: a photo's shading change is carried past the region, `carried_past`)."""
    state: LatentState = job.request.state
    lm0 = latent_models(models, state.generator)
    lm = for_state(lm0, state)
    dirs = directions_for(models, state.generator)
    custom = {k: np.asarray(v, np.float32) for k, v in (job.request.custom or {}).items()}
    dirs.update(custom)
    origin = state.z_base if job.request.origin is None else np.asarray(job.request.origin, np.float32)
    values = {k: float(v) for k, v in job.request.values.items()}
    z = moved_latent(origin, values, dirs)
    limit = None
    r = state.region
    if job.request.region_only and "mask" in job.inputs:
        m = job.inputs["mask"][r.y0:r.y1, r.x0:r.x1]
        if m.any():
            limit = region_weight(m, grow=0.02 * r.width, feather=0.02 * r.width)
    moving = {k: v for k, v in values.items() if k in MOTION_SLIDERS and k not in custom and v != 0}
    free = free_moves(models, state, values, custom)
    shaded = backdrop_kept(models, lm, state, origin, {k: v for k, v in values.items() if k not in custom}, dirs)
    rend = None
    if state.fit_psnr is None or not (moving or free):   # a generated face (the render is the picture), or shading
        rend = shaded(z)
        pixels = apply_latent(state, rend, limit=limit)
    else:           # a photo: the generator's change of shape moves the photo's own pixels (flowedit.py)
        start, pixels = state.base_render, np.asarray(state.reference)
        if free:    # explore and your own directions: motion and shading at once, from the tuned generator
            # (its plain render: `shaded` takes the backdrop sliders' share back out of the latent it is given)
            person = person_weight(models, lm, state)
            where = person if limit is None else limit if person is None else limit * person
            pivot = start if np.array_equal(origin, state.z_base) else render(lm.G, origin, lm.device)
            pixels = apply_moved(pixels, pivot, render(lm.G, moved_latent(origin, free, dirs), lm.device),
                                 warp=state.warp, limit=where, shading=1.0, window=FREE_WINDOW, max_motion=FREE_MOTION,
                                 tame=not any(k in custom and not explore_like(custom[k], models, state) for k in free))
        z_rest = moved_latent(origin, {k: v for k, v in values.items() if k not in moving and k not in free}, dirs)
        rest = None if np.array_equal(z_rest, state.z_base) else shaded(z_rest) - start
        if moving:
            edit = render(lm0.G, moved_latent(origin, moving, dirs), lm.device)
            pixels = apply_moved(pixels, ORIGINS.get(lm0.G, origin, lm.device), edit, warp=state.warp, limit=limit,
                                 added=rest, window=max(MOTION_SLIDERS[k] for k in moving),
                                 locus=lower_face(edit.shape[0]) if set(moving) <= LOWER_FACE else None)
        elif rest is not None:      # (shading sliders moved together with explore ones: added on top)
            pixels = apply_back(pixels, start, start + rest, limit=limit, warp=state.warp)
    if job.request.preview:
        yield Progress(1, 1, "", preview=pixels, preview_bbox=r)
        return Result(layer="", info={"preview": pixels, "bbox": r})
    yield Progress(1, 1, "")
    rend = shaded(z) if rend is None else rend
    moved = [f"{k.replace('_', ' ')} {v:+.1f}" for k, v in values.items() if v != 0]
    message = "Sliders: " + ", ".join(moved) if moved else "Sliders back at 0"
    if job.request.region_only and limit is None and moved:     # (said nothing, and changed the whole face: a helper)
        message += " — no mask is painted over the face, so the whole face changed (paint with the mask brush first)"
    box, out, around = r, pixels, {}
    photo_in = state.fit_psnr is not None and job.inputs.get("image") is not None
    if photo_in and (limit is None or state.around is not None):
        # (limited to the mask: nothing carried, and a carry made before is taken back around the region: left, it
        # framed the masked edit with the old darkening, helper 68)
        named = {k: v for k, v in values.items() if k not in custom}     # (your own "lighting" is not the carried one)
        carried = carried_past(state, named if limit is None else {}, pixels, job.inputs["image"], rend.shape[0],
                               models)
        if carried is not None:
            box, out, around = carried
            pixels = out[r.y0 - box.y0:r.y1 - box.y0, r.x0 - box.x0:r.x1 - box.x0]
    shown = replace(state.showing(z, pixels, rend), sliders=tuple((k, v) for k, v in values.items() if v != 0),
                    **around)
    return Result(layer="base", bbox=box, pixels=out, message=message, info={"latent_state": shown})


def explore_like(d: np.ndarray, models: ModelManager, state: LatentState) -> bool:
    """Whether a custom direction is one of the explore directions (kept with Keep…: tamed as they are; one made
    from marked examples is not, as a beard's dark is what it is for)."""
    kinds = direction_kinds(models, state.generator)
    d = np.asarray(d, np.float32) / max(float(np.linalg.norm(d)), 1e-12)
    return any(abs(float(d @ e)) > 0.999 for k, e in directions_for(models, state.generator).items()
               if kinds.get(k) == "explore" and e.shape == d.shape)


def free_moves(models: ModelManager, state: LatentState, values: Mapping[str, float],
               custom: Mapping[str, np.ndarray]) -> dict[str, float]:
    """On a photo, the moved sliders whose change is of no one kind: the explore directions (principal
    directions: a turn of the head, a longer face and a change of light at once) and the person's own. Added
    as a change of pixels, each moved feature showed twice (explore 1 at ±1.5: a second jaw and a second pair
    of glasses: a stop-59 sweep); they are carried as motion with the change motion does not explain added on top
    (flowedit.py: the residual at full weight, smoothed. In a stop-60 comparison on three portraits, moving
    only where the motion explained the change brought the doubled glasses back; keeping the residual sharp
    where the flow was still changed nothing one could see: on a face the flow is seldom still). Empty for a
    generated face (the render is the picture)."""
    if state.fit_psnr is None:
        return {}
    kinds = direction_kinds(models, state.generator)
    return {k: float(v) for k, v in values.items() if v != 0 and (k in custom or kinds.get(k) == "explore")}


class _Backgrounds:
    """The part map's background at the latent a slider drag starts from: the same for every step of the drag
    (it was segmented again at each, twice with an explore and a shading slider moved together)."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._held: tuple = ()          # (G, seg): held, so that their ids cannot be reused
        self._map: np.ndarray | None = None
        self._lock = threading.Lock()

    def get(self, seg, G, z: np.ndarray, device) -> np.ndarray:
        key = (id(seg), id(G), np.asarray(z, np.float32).tobytes())
        with self._lock:
            if key == self._key and self._map is not None:
                return self._map
        zt = torch.from_numpy(np.array(z, np.float32))[None].to(device)
        out = frozen_array((seg.labels(G, zt, G.resolution)[0].cpu().numpy()
                            == list(seg.names).index("background")).astype(np.float32))
        with self._lock:
            self._key, self._held, self._map = key, (seg, G), out
        return out


BACKGROUNDS = _Backgrounds()


def _background(models: ModelManager, lm, state: LatentState, origin: np.ndarray) -> np.ndarray | None:
    """(R, R) float32, 1 where the part map at `origin` (the generator's render there) is background; None without
    a part segmentation with a background part."""
    seg = part_segmenter(models, state.generator)
    return None if seg is None else BACKGROUNDS.get(seg, lm.G, origin, lm.device)


def _person(back: np.ndarray) -> np.ndarray:
    """(R, R) in [0, 1]: the part map's person (its background eroded by a generator pixel, feathered by one)."""
    return 1.0 - cv2.GaussianBlur(cv2.erode(back, np.ones((3, 3), np.uint8)), (0, 0), 1.0)


def person_weight(models: ModelManager, lm, state: LatentState) -> np.ndarray | None:
    """(h, w) in [0, 1] over the region: the person of the part map at the state's latent, carried from the frame
    onto the region; None without a part segmentation. Explore sliders moved the backdrop beside a turning head:
    streaks and a pale band (stop 60's sweep)."""
    back = _background(models, lm, state, state.z_base)
    if back is None:
        return None
    h, w = state.region.height, state.region.width
    warp = state.warp if state.warp is not None else align.box_warp(w, h)
    return np.clip(align.from_frame(_person(back), warp, (h, w)), 0.0, 1.0).astype(np.float32)


def backdrop_kept(models: ModelManager, lm, state: LatentState, origin: np.ndarray, values: Mapping[str, float],
                  dirs: Mapping[str, np.ndarray]):
    """zz → the (tuned) generator's render of zz, where on a photo the backdrop sliders' share of the change is
    kept to the background of the face's part map (feathered by a generator pixel), and the person's shading
    sliders' (`CARRIED`) share to the person; elsewhere the render as it is. Warmth +3 had turned the curtains
    behind a head teal inside the region and left them blue outside it, Lighting a pale band in the backdrop that
    ended in a straight edge (stop 60's sweep); past the region the carry (carry.py) takes the person's change
    on, not the backdrop's."""
    moved = {k: v for k, v in values.items() if k in BACKDROP and v != 0 and k in dirs}
    personal = any(values.get(k, 0.0) != 0 and k in dirs for k in CARRIED)
    back0 = _background(models, lm, state, origin) if (moved or personal) and state.fit_psnr is not None else None
    if back0 is None:
        return lambda zz: render(lm.G, zz, lm.device)
    # (2 generator pixels clear of the person: at 1 the map's edge let +3 paint a white blotch on the astronaut's
    # hair, helper 67)
    back = None
    if moved:
        back = cv2.erode(back0, np.ones((5, 5), np.uint8)) * _like_backdrop(
            photo.to_frame(state.reference, state.warp, back0.shape[0]), back0)
        back = cv2.GaussianBlur(back, (0, 0), 1.0)[..., None]
    shift = sum((float(v) * np.asarray(dirs[k], np.float32) for k, v in moved.items()), np.zeros_like(origin))
    person = _person(back0)[..., None] if personal else None
    start = None if not personal else state.base_render if np.array_equal(origin, state.z_base) else \
        render(lm.G, origin, lm.device)

    def shaded(zz: np.ndarray) -> np.ndarray:
        zz = np.asarray(zz, np.float32)
        full = render(lm.G, zz, lm.device)
        rest = render(lm.G, zz - shift, lm.device) if moved else full
        out = rest if person is None else start + person * (rest - start)
        return out + back * (full - rest) if moved else out
    return shaded


def _other_faces(image: np.ndarray, region: BBox, box: BBox, models: ModelManager | None) -> list[BBox]:
    """The regions of the photo's other faces (grown by a quarter, for their hair), in the box's pixels."""
    if models is None:
        return []
    out = []
    for f in photo.find_faces(np.asarray(image), models):
        o = f.region
        if o.intersect(region).area > 0.3 * min(o.area, region.area):
            continue                    # (this face)
        g = max(o.width, o.height) // 4
        out.append(BBox(o.x0 - g - box.x0, o.y0 - g - box.y0, o.x1 + g - box.x0, o.y1 + g - box.y0))
    return out


def _like_backdrop(frame: np.ndarray, back: np.ndarray) -> np.ndarray:
    """(R, R) in [0, 1]: how like the backdrop each frame pixel's colour is — the colours of the map's background
    along the frame's border, 4 clusters in CIELAB: in full within 8 ΔE, none past 16. The 64-px map took the
    astronaut's hair at her temple for backdrop, where Background +3 painted a white blotch (helper 68)."""
    R = back.shape[0]
    lab = cv2.cvtColor(np.clip(frame, 0, 255).astype(np.uint8), cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    border = np.ones((R, R), bool)
    border[R // 8:R - R // 8, R // 8:R - R // 8] = False
    samples = lab[((back > 0.5) & border).reshape(-1)]
    if len(samples) < 30:
        return np.ones((R, R), np.float32)
    k = min(4, len(samples) // 8)
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    cv2.setRNGSeed(0)
    _, _, centres = cv2.kmeans(samples, k, None, crit, 3, cv2.KMEANS_PP_CENTERS)
    d = np.sqrt(((lab[:, None, :] - centres[None]) ** 2).sum(-1)).min(1).reshape(R, R)
    return np.clip((16.0 - d) / 8.0, 0.0, 1.0).astype(np.float32)


def part_segmenter(models: ModelManager, generator: str):
    """The part segmentation made for this generator, if the models folder has one with a background part."""
    specs = [s for s in models.manifest.for_generator("parts", generator) if models.available(s)]
    seg = models.get(specs[0].id).net if specs else None
    return seg if seg is not None and "background" in list(seg.names) else None


def carried_past(state: LatentState, values: Mapping[str, float], pixels: np.ndarray, image: np.ndarray,
                 R: int, models: ModelManager | None = None) -> tuple[BBox, np.ndarray, dict] | None:
    """A photo's slider edit with its shading change carried past the region (carry.py): (the box, its pixels,
    the state's `around` fields), or None for the region alone. The box starts from its pixels before the
    first carried edit (kept in the state), so moving a slider again or back to 0 never carries twice; where
    the box was painted on since, it is left as it is."""
    r = state.region
    box = state.around or around_box(r, image.shape[1], image.shape[0])
    if box == r:
        return None
    now = np.asarray(image[box.y0:box.y1, box.x0:box.x1])
    if state.around_ref is not None and not state.matches_around(now):
        return None                     # (painted on since: the editor commits first, latent_ui / session)
    inner = BBox(r.x0 - box.x0, r.y0 - box.y0, r.x1 - box.x0, r.y1 - box.y0)
    before = state.around_ref           # (the same pixels for every move: kept once, not copied per undo step)
    if before is None:
        before = np.array(now)
        before[inner.y0:inner.y1, inner.x0:inner.x1] = state.reference
    out = None
    if any(values.get(k, 0.0) != 0 for k in CARRIED):
        h, w = r.height, r.width
        taper = (warped_weight(None, state.warp, (h, w), R=R, limit=None, feather=0.0, taper=0.08)
                 if state.warp is not None else border_taper(h, w, 0.08))
        upper = None
        if {k for k in CARRIED if values.get(k, 0.0) != 0} == {"hair_dark"}:     # hair: from the frame's upper half
            W = state.warp_matrix
            ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
            upper = W[1, 0] * xs + W[1, 1] * ys + W[1, 2] < 0.5
        out = carry(before, inner, state.reference, pixels, taper, grey=is_grey(state.reference),
                    keep_out=_other_faces(image, r, box, models), seed_area=upper)
    if out is None:
        if state.around_ref is None:
            return None                 # nothing carried, now or before: the region alone
        out = before.copy()             # the box back to its own pixels around the region's edit
        out[inner.y0:inner.y1, inner.x0:inner.x1] = pixels
    return box, out, {"around": box, "around_ref": before,
                      "around_shown": state.ring_digest(out, box)}
