"""Worker-side jobs for semantic part editing: the part map of the edit region, a painted label
edit (clipped to the painted area), and applying a saved editing vector.

Label maps handed to the GUI are full-image uint8 arrays holding part index + 1 (0 = outside the
edit region), the same convention as the document's parts layer.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, replace

import numpy as np
import torch

from latentbrush.core.jobs import Job, Progress, Result, relay
from latentbrush.core.latent_state import LatentState
from latentbrush.core.verdicts import parts_verdict, reshape_verdict
from latentbrush.ml.latent import photo
from latentbrush.ml.latent.flowedit import apply_moved
from latentbrush.ml.latent.runners import (
    LatentModels,
    apply_latent,
    current_state,
    for_state,
    latent_models,
    render,
    thumbnail,
    tuned_state,
)
from latentbrush.ml.latent.tune import TUNE_STEPS
from latentbrush.ml.nets.parts import PartSegmenter
from latentbrush.ml.parts.clip import clip_weight, clipped_composite
from latentbrush.ml.parts.closeeyes import (
    close_eyes,
    content_aware,
    openings,
    painted_lowered,
    painted_shut,
    shut_paint,
    shut_report,
)
from latentbrush.ml.parts.colours import blotches, keep_colours, tone_shift
from latentbrush.ml.parts.edit import PartsResult, edit_area, label_map, optimize_parts
from latentbrush.ml.parts.growhair import grow_hair
from latentbrush.ml.parts.growhair import plan as hair_plan
from latentbrush.ml.parts.labels import drop_slivers, layer_to_target
from latentbrush.ml.parts.photoedit import frame_fade, full_label_map, moves_pixels, shape_field
from latentbrush.ml.parts.resegment import STEPS as RESEGMENT_STEPS
from latentbrush.ml.parts.resegment import carried, part_reader, read_parts, resegment
from latentbrush.ml.parts.shapewarp import reshape_report, resized, warped
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.tensors import to_renders

REACH = 0.125          # the painted parts' pixels this near the paint (fraction of the frame) are redrawn too
# on a photo (the generator tuned to it), where the label stays, the low band of the redrawn area
# stays (app/ml/parts/edit.py: w_tone): the tuned generator's redraw darkens what it redraws (the mouth
# edit on 7 portraits: −11 to −41 levels in the clipped area; with the term −3 to −14)
PHOTO_TONE = 4.0
HAIR_TOOK = 0.5       # hair grown on a photo: below this share of the paint reading as hair, the report says so
RANK_STEPS = 40        # projection steps of the check that orders the candidates (the reported one: 60)
# a candidate's rank: the check's share less blotch_penalty (2) × its share of colour blotches (colours.py);
# on 6 held-out faces × 4 edits it halved the blotches at the same check figures (README, issue #7)


@dataclass
class PartsModels:
    lm: LatentModels
    seg: PartSegmenter
    parts_id: str


def parts_models(models: ModelManager, parts_id: str | None = None, generator_id: str | None = None) -> PartsModels:
    if parts_id:
        spec = models.manifest.get(parts_id)
    else:
        gen = generator_id or (models.default("generator").id if models.default("generator") else None)
        specs = [s for s in models.manifest.for_generator("parts", gen) if models.available(s)] if gen else []
        spec = specs[0] if specs else None
    if spec is None:
        raise LookupError("no part segmentation model for this generator in models/ (kind = \"parts\")")
    if spec.kind != "parts":
        raise ValueError(f"model {spec.id!r} is a model of kind “{spec.kind}”, not a part segmentation")
    lm = latent_models(models, spec.generator or generator_id)
    return PartsModels(lm, models.get(spec.id).net, spec.id)


def shown_label_map(before: np.ndarray, after: np.ndarray, weight: np.ndarray, state: LatentState,
                    shape: tuple[int, int]) -> np.ndarray:
    """The part map of what the canvas shows after a clipped edit: the new labels where the
    edit was composited (weight ≥ ½), the old ones elsewhere."""
    old, new = full_label_map(before, state, shape), full_label_map(after, state, shape)
    r = state.region
    inside = np.zeros(shape, bool)
    inside[r.y0:r.y1, r.x0:r.x1] = weight >= 0.5
    return np.where(inside, new, old)


def rank_by_look(cands: list[np.ndarray], look: Callable[[np.ndarray], float], check: Callable[[], None],
                 step: int) -> Generator[Progress, None, np.ndarray]:
    """Candidate indices, best first, by `look` (higher is better; the optimiser's order breaks ties):
    the edit's own part map shares its gradient path, so the candidates are ordered by how their
    composited images read to a fresh projection."""
    scores = []
    for i, img in enumerate(cands):
        yield Progress(step, step, f"checking candidate {i + 1} of {len(cands)} as it looks")
        scores.append(look(img))
        check()
    return np.array(sorted(range(len(cands)), key=lambda i: (-np.nan_to_num(scores[i], nan=-1.0), i)))


def run_parts_map(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """inputs: image; params: state, region, parts_model (id). Result info: parts_map, names,
    colors, state (the state used; new if it had to project)."""
    image = job.inputs["image"]
    pm = parts_models(models, job.request.parts_model, job.request.generator)
    yield Progress(0, 2, "finding the face parts")
    state = yield from current_state(job, pm.lm, image, models)
    pm = replace(pm, lm=for_state(pm.lm, state))
    labels = label_map(pm.seg, pm.lm.G, state.z, pm.lm.device)
    job.check()
    full = full_label_map(labels, state, image.shape[:2])
    share = np.bincount(labels.ravel(), minlength=pm.seg.n_parts) / labels.size
    info = {"parts_map": full, "names": list(pm.seg.names), "colors": list(pm.seg.colors),
            "share": {n: float(s) for n, s in zip(pm.seg.names, share, strict=True)}}
    if job.request.state is not state:
        info["projected"] = state
    return Result(layer="", message="part map: " + ", ".join(f"{n} {s:.0%}" for n, s in info["share"].items() if s > 0),
                  info=info)


def run_parts_edit(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """inputs: image, parts (the painted label layer, index + 1); params: state, region, parts_model,
    candidates, iters, time_budget, blend, seed, keep, only_changed (labels equal to the current
    part map count as unpainted), keep_tone (the tone term; default: on photos only), blotch_penalty,
    keep_colours (app/ml/parts/colours.py)."""
    image, layer = job.inputs["image"], job.inputs["parts"]
    pm = parts_models(models, job.request.parts_model, job.request.generator)
    state = yield from current_state(job, pm.lm, image, models)
    pm = replace(pm, lm=for_state(pm.lm, state))
    r, R = state.region, pm.lm.G.resolution
    crop = layer[r.y0:r.y1, r.x0:r.x1]
    dev = pm.lm.device
    current = label_map(pm.seg, pm.lm.G, state.z_base, dev)
    if job.request.only_changed:
        # a whole edited map (CLI): only the labels that differ from the current map are edits
        now = full_label_map(current, state, image.shape[:2])
        crop = np.where(crop == now[r.y0:r.y1, r.x0:r.x1], 0, crop).astype(np.uint8)
        crop = drop_slivers(crop, r.width / R)
    if not crop.any():
        raise ValueError("the label map is the same as the current part map: nothing to change"
                         if job.request.only_changed else
                         "no part labels inside the edit region: paint over the face with the parts brush")
    target = layer_to_target(crop, R, pm.seg.n_parts, warp=state.warp)
    if not (target >= 0).any():
        raise ValueError("the painted labels are too thin to reach the generator's 64×64 grid; paint a wider stroke")
    blend = job.request.blend
    area = edit_area(target, current, int(round(REACH * R)))
    extra = photo.labels_from_frame((area & (target < 0)).astype(np.uint8), state) > 0
    fade = frame_fade(state, R)           # (no straight edge where the generator's frame ends)
    weight = clip_weight((crop > 0) | extra, r.width) * fade
    keep_tone = job.request.keep_tone if job.request.keep_tone is not None else state.tuning is not None
    touched = (target >= 0) & (target != current)
    names = pm.seg.names
    # hair painted over a photo's skin: the photo's own hair beside it stretched over it (growhair.py), where
    # the paint shows skin with hair beside it (read off the photo: the 64-px map's hair may lie anywhere)
    hair = None
    if state.fit_psnr is not None and job.request.grow_hair and "hair" in names:
        hair_paint = crop == names.index("hair") + 1
        bg = (full_label_map(current, state, image.shape[:2])[r.y0:r.y1, r.x0:r.x1] == names.index("background") + 1
              if "background" in names else None)
        seen_hair = hair_plan(state.reference, hair_paint, bg) if hair_paint.any() else None
        hair = None if seen_hair is None else (hair_paint, seen_hair[0])
    if not touched.any() and hair is None:    # not a failure: said in the status bar and the panel, no dialog
        hairs = state.fit_psnr is not None and "hair" in names and (crop == names.index("hair") + 1).any()
        return Result(layer="", message="Nothing to change: the painted labels are what the part map already says "
                      "there. Paint a part where it is not, e.g. mouth past the lips' corners to widen them."
                      + (" Hair is drawn from the photo's own only where the paint starts at the hairline."
                         if hairs else ""), info={"nothing": True})
    moves = moves_pixels(state, [names[int(i)] for i in np.unique(np.concatenate([target[touched], current[touched]]))],
                         [names[int(i)] for i in np.unique(target[touched])])
    motion = clip_weight(crop > 0, r.width) * fade if moves else None     # where the photo's pixels may move
    # a feature painted into a new shape: the photo's pixels warped onto it (shapewarp.py); else the
    # generator's change of shape moves them
    skin = (crop == names.index("skin") + 1) if "skin" in names else np.zeros(crop.shape, bool)
    # the detector's landmarks (crop px): the eyes' centres lm[:2], the mouth's corners lm[3:]
    lm = photo.crop_landmarks(state.reference, models) if moves or (job.request.close_eyes and skin.any()) else None
    map_eyes = (full_label_map(current, state, image.shape[:2])[r.y0:r.y1, r.x0:r.x1] == names.index("eyes") + 1) \
        if "eyes" in names and lm is not None else None
    shut = painted_shut(skin, lm[:2], map_eyes) if lm is not None and job.request.close_eyes else ()
    # skin painted over an eye's upper part only: its upper lid lowered to the paint's edge (closeeyes.py)
    low = painted_lowered(skin, lm[:2], shut) if lm is not None and job.request.close_eyes else {}
    weight_rest = weight
    if shut or low:     # the paint over an eye painted shut is not a shape to warp (nor a part for the generator)
        eyes_paint = shut_paint(skin, lm[:2], (*shut, *low), map_eyes)
        crop = np.where(eyes_paint, 0, crop).astype(np.uint8)
        keep_out = 1.0 - clip_weight(eyes_paint, r.width)       # the generator's redraw of the rest stays out
        weight_rest = weight * keep_out
        motion = None if motion is None else motion * keep_out
    if hair is not None:        # (nor is hair grown from the photo's own)
        crop = np.where(hair[0], 0, crop).astype(np.uint8)
        keep_out = 1.0 - clip_weight(hair[0], r.width)
        weight_rest = weight_rest * keep_out
        motion = None if motion is None else motion * keep_out
    # the latent follows the rest of the paint only: skin over an eye is a shape the generator cannot draw
    # (its 64-px faces all have open eyes), and chasing it pulled the whole face: after a helper's eyes were
    # closed, the next edit's part map had lost half of the mouth and the mouth could not be widened
    rest = layer_to_target(crop, R, pm.seg.n_parts, warp=state.warp) if shut or low or hair is not None else target
    follow = rest if (rest >= 0).any() else np.where(target >= 0, current, -1)     # (eyes alone: stay put)
    field = shape_field(current, crop, state, names, weight, corners=None if lm is None else lm[3:]) \
        if moves and crop.any() else None
    own = bool(shut or low) or hair is not None   # the photo's own pixels closing eyes or growing hair
    only_own = own and (not crop.any() or (field is not None and not field.parts))
    field = None if only_own else field          # (the rest fits the photo: nothing but the eyes / hair to change)
    shaped = warped(state.reference, field) if field is not None else state.reference.copy() if only_own else None
    extra = TUNE_STEPS if shaped is not None and state.tuning is not None and not only_own else 0     # (fitted again)

    def composited(rend: np.ndarray) -> np.ndarray:
        return shaped if shaped is not None else clipped_composite(state, rend, weight_rest, blend, motion)

    def progress(st) -> Progress:
        rend = to_renders(st.image)[0]
        what = ("moving the photo's own features onto the paint" if shaped is not None
                else f"following the labels ({st.agreement:.0%} of the changed pixels in the edit's own part map)")
        return Progress(st.step, st.total + extra, what, loss=st.loss, preview=composited(rend), preview_bbox=r)

    if only_own:        # the photo's own pixels carry the whole edit: the latent stays where it is (a test: 0.37 ×
        # its norm moved when it followed the labels as they were, for nothing the generator draws)
        res = PartsResult(z=np.asarray(state.z_base, np.float32)[None], agreement=np.ones(1), loss=np.zeros(1),
                          renders=np.asarray(state.base_render, np.float32)[None], labels=current[None],
                          before=current, steps=0, seconds=0.0, history=[])
    else:
        res = yield from relay(optimize_parts(
            pm.lm.G, pm.seg, torch.from_numpy(np.array(state.z_base)).to(dev), torch.from_numpy(follow).to(dev),
            area=torch.from_numpy(area).to(dev), w_tone=PHOTO_TONE if keep_tone else 0.0,
            candidates=1 if shaped is not None or own else int(job.request.candidates), iters=int(job.request.iters),
            time_budget=job.request.time_budget, seed=int(job.request.seed), check=job.check), progress)
    if not np.isfinite(res.renders).all():
        raise FloatingPointError("the generator produced invalid values (NaN/Inf); the image was not changed")
    # (warped to the paint every candidate's pixels would be the same: one latent, kept in step for later edits)
    cands = [composited(res.renders[i]) for i in range(len(res.z))]
    if shut or low:
        yield Progress(res.steps, res.steps + extra, "closing the eyes" if shut else "lowering the lid")
        # the whole eye, not just where the brush went (a helper's stroke short of the iris left it showing)
        cands[0], closed = yield from close_eyes(cands[0], lm[:2], shut, np.ones(weight.shape), content_aware(models),
                                                 low)
        weight = np.maximum(weight, closed)          # (the edited area, as reported)
    if hair is not None:
        yield Progress(res.steps, res.steps + extra, "drawing the hair from the photo's own")
        cands[0], grown, took = grow_hair(cands[0], *hair)
        weight = np.maximum(weight, grown)
    plain = latent_models(models, pm.lm.generator_id)          # the generator not fitted to this photo
    changed = (target >= 0) & (target != res.before)
    involved = sorted({int(v) for v in np.concatenate([target[changed], res.before[changed]])})
    allowed = np.isin(res.before, involved)        # where the colours a redrawn pixel may take come from
    before_frame = photo.to_frame(state.reference, state.warp, R)
    redrawn = photo.to_frame(weight.astype(np.float32), state.warp, R)

    def looks(img: np.ndarray, steps: int) -> float:
        """How the composited image reads: projected again into the plain generator, segmented."""
        return carried(resegment(plain.G, plain.E, pm.seg, photo.to_frame(img, state.warp, R), dev, steps=steps),
                       target, res.before)

    def stains(img: np.ndarray) -> float:
        return blotches(photo.to_frame(img, state.warp, R), before_frame, redrawn, allowed)

    penalty = float(job.request.blotch_penalty)
    order = np.zeros(1, int)
    if len(cands) > 1:
        order = yield from rank_by_look(cands, lambda img: looks(img, RANK_STEPS) - penalty * stains(img),
                                        job.check, res.steps)
    keep = min(int(job.request.keep), len(res.z))
    order = order[:keep]
    recolour = job.request.keep_colours and not moves and not own      # (a photo's own pixels, moved or filled)
    cands = [keep_colours(cands[i], state.reference, weight, state.warp, allowed, R) if recolour
             else cands[i] for i in order]
    z, rend, agree = res.z[order], res.renders[order], res.agreement[order]
    new_state = state.showing(z[0], cands[0], rend[0], candidates=tuple(z))
    if only_own:        # the latent did not move, so the state would not count as edited and a later edit would
        new_state = new_state.committed(cands[0])      # start from the old photo (a helper's grown hair was lost)
    elif extra:         # own pixels moved, the latent followed: fitted again (one progress bar: after the steps)
        new_state = (yield from tuned_state(job, plain, cands[0], r, state.warp, z[0], budget=job.request.tune_budget,
                                            what="fitting the generator to the result", at=lambda s: res.steps + s,
                                            total=res.steps + extra)) or new_state
    thumbs = [thumbnail(c, R) for c in cands]
    yield Progress(res.steps + extra, res.steps + extra, "checking the result as it looks")
    seen, stained = looks(cands[0], RESEGMENT_STEPS), stains(cands[0])
    reader = part_reader(models, pm.lm.generator_id)        # (its pixels read as they are, no projection)
    read = float("nan") if reader is None else carried(read_parts(reader, photo.to_frame(cands[0], state.warp, R),
                                                                  dev), target, res.before)
    # where the edit redrew but the labels stay: a darker face there is a smear, not the part
    steady = photo.labels_from_frame((area & ~changed).astype(np.uint8), state) > 0
    tone = tone_shift(cands[0], state.reference, weight * steady)
    verdict = (reshape_verdict(field.factors, field.held) if field is not None else None if own
               else parts_verdict(seen, stained, tone))
    # the part map shown: the photo's own parts (moved with its pixels), the eyes painted shut as painted
    shown_map = full_label_map(current, state, image.shape[:2]) if field is not None or only_own else \
        shown_label_map(res.before, res.labels[order[0]], weight, state, image.shape[:2])
    if field is not None:
        shown_map[r.y0:r.y1, r.x0:r.x1] = warped(shown_map[r.y0:r.y1, r.x0:r.x1], field, labels=True)
    if shut or low:
        shown_map[r.y0:r.y1, r.x0:r.x1][eyes_paint] = names.index("skin") + 1
    if hair is not None:
        shown_map[r.y0:r.y1, r.x0:r.x1][hair[0]] = names.index("hair") + 1
    reshaped = None if field is None else reshape_report(field, names, seen)
    if shut or low:
        reshaped = shut_report(shut, lm[:2], low) + (f" {reshaped}" if reshaped else "")
    elif moves and field is None and hair is None:      # a photo's feature that has no shape to move onto the paint
        reshaped = ("The painted shape has no part of the photo to stretch onto it (an eye painted over, a part "
                    "painted where there is none, or paint within the lips the face finder sees): the photo's pixels "
                    "were moved as the generator redraws the face, which changes little. The generator's check reads "
                    f"{seen:.0%} of the changed pixels as the painted part.")
    if hair is not None:
        reshaped = ("Hair drawn over the painted skin from the photo's own hair beside it (stretched from the "
                    "hairline; the generator's 64-px faces cannot draw this person's hair)." if took >= HAIR_TOOK else
                    f"Only {took:.0%} of the paint took the photo's hair: where skin lies between the paint and the "
                    "hair, the skin was stretched instead. Paint from the hairline down.") \
            + (f" {reshaped}" if reshaped else "")
    if lm is not None and not (shut or low) and job.request.close_eyes and (skin & openings(skin.shape, lm[:2])).any():
        reshaped = ("The skin painted on the eye covers too little of it to close it: paint skin over most of its "
                    "opening." + (" Nothing else to change: the photo is unchanged." if field is not None and
                                  not field.parts else f" {reshaped}" if reshaped else ""))
    figures = (f"{seen:.0%} of the changed pixels show the painted part when the result is segmented again"
               + (f" ({read:.0%} read from its pixels)" if read == read else "") + ", colour blotches"
               f" {stained:.0%} of the redrawn area, {tone:+.0f} grey levels where the parts stay "
               f"({agree[0]:.0%} in the edit's own part map; ") if field is None and not own else ""
    return Result(layer="base", bbox=r, pixels=cands[0],
                  message=((f"{verdict} " if verdict else "") + (f"{reshaped} " if reshaped else "")
                           + (f"Parts edit: {figures}{res.steps} steps × {len(res.z)} "
                              f"candidate{'s' if len(res.z) > 1 else ''}, {res.seconds:.1f} s{')' if figures else ''}"
                              + (" — stopped early on a numerical problem (NaN); kept the last good result"
                                 if res.nonfinite else "") if res.steps else "")).rstrip(),
                  info={"latent_state": new_state, "candidates": tuple(cands), "thumbs": tuple(thumbs),
                        "renders": tuple(rend), "agreement": tuple(float(a) for a in agree),
                        "seen": seen, "read": read, "blotches": stained, "tone": tone, "verdict": verdict,
                        "clip": weight, "reshaped": reshaped, "reshape": field,
                        "masked_loss": tuple(float(1 - a) for a in agree),
                        # a warp: the next parts edit starts from what it shows (model.start_state)
                        "made_by": "parts_warp" if field is not None or own else "parts_edit",
                        "unchanged": field is not None and not field.parts and not own,     # the paint fits the photo
                        "parts_map": shown_map,
                        "vector": None if only_own else {     # (a fill is no latent change to reuse)
                            "delta": (z[0] - np.asarray(state.z_base)).astype(np.float32),
                            "generator": pm.lm.generator_id, "parts": [pm.seg.names[i] for i in involved]}})


def vector_region(seg: PartSegmenter, before: np.ndarray, after: np.ndarray, parts: list[str],
                  state: LatentState) -> np.ndarray | None:
    """Where a vector's parts are, before or after it is applied, grown and feathered over the
    region; None when the vector names no parts (apply wherever the image changes)."""
    idx = [seg.names.index(p) for p in parts if p in seg.names]
    if not idx:
        return None
    m = np.isin(before, idx) | np.isin(after, idx)
    big = photo.labels_from_frame(m.astype(np.uint8), state) > 0
    return clip_weight(big, state.region.width)


def run_apply_vector(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """inputs: image; params: state, region, delta (nz,), strength, parts (names the edit touched),
    generator, clip (limit to those parts)."""
    image = job.inputs["image"]
    delta = np.asarray(job.request.delta, np.float32)
    pm = parts_models(models, job.request.parts_model, job.request.generator)
    state = yield from current_state(job, pm.lm, image, models)
    pm = replace(pm, lm=for_state(pm.lm, state))
    if delta.shape != np.asarray(state.z_base).shape:
        raise ValueError(f"this vector has {delta.size} values but the generator's latent has {state.z_base.size}; "
                         "it was saved for another generator")
    yield Progress(0, 1, "applying the editing vector")
    strength = float(job.request.strength)
    z = np.asarray(state.z_base, np.float32) + strength * delta
    rend = render(pm.lm.G, z, pm.lm.device)
    limit = None
    before = label_map(pm.seg, pm.lm.G, state.z_base, pm.lm.device)
    after = label_map(pm.seg, pm.lm.G, z, pm.lm.device)
    if job.request.clip:
        limit = vector_region(pm.seg, before, after, list(job.request.vector_parts), state)
    field = None
    moves = moves_pixels(state, job.request.vector_parts)
    if moves:                                              # as a part edit of these parts on a photo
        # the photo's features warped as the vector reshapes the generator's (its part map after, as if
        # painted), else moved along the generator's change
        r = state.region
        field = shape_field(before, full_label_map(after, state, (r.y1, r.x1))[r.y0:r.y1, r.x0:r.x1], state,
                            list(pm.seg.names), np.ones((r.height, r.width), np.float32) if limit is None else limit,
                            only=job.request.vector_parts)
    if field is not None:
        pixels = warped(state.reference, field)
    elif moves:
        pixels = apply_moved(state.reference, state.base_render, rend, warp=state.warp, limit=limit)
    else:
        pixels = apply_latent(state, rend, limit=limit)
    moved = "" if field is None else (
        f" (the photo's own {' and '.join(pm.seg.names[i] for i in field.parts)} moved onto the shape the vector "
        f"gives {'it' if len(field.parts) == 1 else 'them'}, {resized(field)})" if field.parts else
        " (the vector hardly changes the shape of the photo's features: the photo is unchanged)")
    return Result(layer="base", bbox=state.region, pixels=pixels,
                  message=f"applied “{job.request.name}” × {strength:+.2f}{moved}",
                  info={"latent_state": state.showing(z, pixels, rend)})
