"""Attribute sliders: move the latent along named directions, apply back onto the photo.

Slider units are standard deviations along the direction: directions are unit vectors and
z ~ N(0, I), so z·d ~ N(0, 1) over the generator's samples; ±3 spans nearly all of them.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

import numpy as np

from app.core.jobs import Job, Progress, Result
from app.core.latent_state import LatentState
from app.ml.latent.applyback import region_weight
from app.ml.latent.runners import apply_latent, latent_models, render
from app.ml.registry import ModelManager

SLIDER_RANGE = 3.0


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
        if not -SLIDER_RANGE - 1e-6 <= v <= SLIDER_RANGE + 1e-6:
            raise ValueError(f"slider {name} = {v} is outside −{SLIDER_RANGE:g}…{SLIDER_RANGE:g}")
        z = z + v * np.asarray(directions[name], np.float32)
    return z


def run_attribute(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """params: state (LatentState), values {name: slider value}, origin (z the sliders move from;
    default the committed latent), custom {name: direction},
    region_only (limit to the mask layer), preview (show only, do not apply)."""
    state: LatentState = job.params["state"]
    lm = latent_models(models, state=state)
    dirs = directions_for(models, state.generator)
    dirs.update({k: np.asarray(v, np.float32) for k, v in (job.params.get("custom") or {}).items()})
    origin = job.params.get("origin")
    z = moved_latent(state.z_base if origin is None else origin, job.params.get("values", {}), dirs)
    rend = render(lm.G, z, lm.device)
    limit = None
    r = state.region
    if job.params.get("region_only") and "mask" in job.inputs:
        m = job.inputs["mask"][r.y0:r.y1, r.x0:r.x1]
        if m.any():
            limit = region_weight(m, grow=0.02 * r.width, feather=0.02 * r.width)
    pixels = apply_latent(state, rend, limit=limit)
    if job.params.get("preview"):
        yield Progress(1, 1, "", preview=pixels, preview_bbox=r)
        return Result(layer="", info={"preview": pixels, "bbox": r})
    yield Progress(1, 1, "")
    return Result(layer="base", bbox=r, pixels=pixels, message=job.label,
                  info={"latent_state": state.showing(z, pixels, rend)})
