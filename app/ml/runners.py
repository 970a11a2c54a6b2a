"""Job kind → runner. A runner is `def run(job, models) -> Generator[Progress, None, Result]`: it
yields progress (and previews), calls job.check() between steps, and returns its Result."""

from __future__ import annotations

from collections.abc import Callable, Generator

from latentbrush.core.jobs import Job, Progress, Result
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


RUNNERS: dict[str, Runner] = {
    "generate": run_generate,
    "translate": run_translate,
    "fetch": run_fetch,
    "project": run_project,
    "find_faces": run_find_faces,
    "scribble": run_scribble,
    "latent_render": run_latent_render,
    "interpolate": run_interpolate,
    "warmup": run_warmup,
    "attribute": run_attribute,
    "inpaint": run_inpaint,
    "parts_map": run_parts_map,
    "parts_edit": run_parts_edit,
    "apply_vector": run_apply_vector,
}


def register_runner(kind: str, runner: Runner) -> None:
    RUNNERS[kind] = runner
