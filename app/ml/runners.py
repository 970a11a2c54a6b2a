"""Job kind → runner. A runner is `def run(job, models) -> Generator[Progress, None, Result]`: it
yields progress (and previews), calls job.check() between steps, and returns its Result."""

from __future__ import annotations

from collections.abc import Callable, Generator

from latentbrush.core.jobs import Job, Progress, Result
from latentbrush.core.requests import (
    ApplyVectorRequest,
    AttributeRequest,
    FetchRequest,
    FindFacesRequest,
    GenerateRequest,
    InpaintRequest,
    InterpolateRequest,
    LatentRenderRequest,
    PartsEditRequest,
    PartsMapRequest,
    ProjectRequest,
    ScribbleRequest,
    TranslateRequest,
    WarmupRequest,
)
from latentbrush.ml.fetch import fetch_all
from latentbrush.ml.inpaint.fill import run_inpaint
from latentbrush.ml.latent.photo import run_find_faces
from latentbrush.ml.latent.runners import run_interpolate, run_latent_render, run_project, run_scribble, run_warmup
from latentbrush.ml.latent.sample import run_generate
from latentbrush.ml.latent.sliders import run_attribute
from latentbrush.ml.parts.runners import run_apply_vector, run_parts_edit, run_parts_map
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.translate.translator import run_translate

Runner = Callable[[Job, ModelManager], Generator[Progress, None, Result]]


def run_fetch(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    ids = job.request.ids
    specs = [models.manifest.get(i) for i in ids] if ids else None
    yield from fetch_all(models.manifest, specs, cancel=job.cancel_event)
    return Result(layer="", message="models installed")


# each typed request (core/requests.py) is bound to its runner by its kind
RUNNERS: dict[str, Runner] = {
    GenerateRequest.kind: run_generate,
    TranslateRequest.kind: run_translate,
    FetchRequest.kind: run_fetch,
    ProjectRequest.kind: run_project,
    FindFacesRequest.kind: run_find_faces,
    ScribbleRequest.kind: run_scribble,
    LatentRenderRequest.kind: run_latent_render,
    InterpolateRequest.kind: run_interpolate,
    WarmupRequest.kind: run_warmup,
    AttributeRequest.kind: run_attribute,
    InpaintRequest.kind: run_inpaint,
    PartsMapRequest.kind: run_parts_map,
    PartsEditRequest.kind: run_parts_edit,
    ApplyVectorRequest.kind: run_apply_vector,
}

