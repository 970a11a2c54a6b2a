"""Fault guards: cancel inside a forward pass; GPU out-of-memory → smaller tiles → CPU."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from app.core.jobs import Cancelled, Job, Progress, drain
from app.ml.guards import checked_layers, oom_fallback
from app.ml.nets.resnet_gen import ResnetGenerator
from app.ml.translate import translator


def oom():
    return torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def fake_attempts(fail_if):
    calls = []

    def attempt(tile, device):
        calls.append((tile, device.type))
        yield Progress(0, 1, "working")
        if fail_if(tile, device):
            raise oom()
        return f"done {tile} {device.type}"
    return attempt, calls


def test_oom_halves_the_tile_until_it_fits():
    attempt, calls = fake_attempts(lambda tile, dev: tile > 256)
    notes = []
    out, steps = drain(oom_fallback(attempt, 1024, torch.device("cuda"), on_retry=notes.append))
    assert out == "done 256 cuda" and calls == [(1024, "cuda"), (512, "cuda"), (256, "cuda")]
    assert notes == ["out of GPU memory: retrying with 512-px tiles", "out of GPU memory: retrying with 256-px tiles"]
    assert any("retrying" in p.message for p in steps)


def test_oom_at_the_smallest_tile_finishes_on_the_cpu():
    attempt, calls = fake_attempts(lambda tile, dev: dev.type == "cuda")
    out, _ = drain(oom_fallback(attempt, 512, torch.device("cuda"), min_tile=256))
    assert out == "done 256 cpu" and calls[-1] == (256, "cpu") and calls[-2] == (256, "cuda")


def test_other_errors_and_cpu_oom_are_raised():
    def boom(tile, device):
        yield Progress(0, 1)
        raise ValueError("bad input")
    with pytest.raises(ValueError):
        drain(oom_fallback(boom, 512, torch.device("cuda")))
    attempt, calls = fake_attempts(lambda tile, dev: True)
    with pytest.raises(torch.cuda.OutOfMemoryError):
        drain(oom_fallback(attempt, 512, torch.device("cpu")))
    assert calls == [(512, "cpu")]


def test_translate_job_survives_a_mocked_gpu_oom(tiny_models, monkeypatch, rng):
    """The translation runner with a translate_image that runs out of GPU memory above 256-px
    tiles: the job retries with smaller tiles and finishes."""
    from app.ml.manifest import Manifest
    from app.ml.registry import ModelManager

    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    real = translator.translate_image
    seen = []

    def fake(net, image, *, device, tile, **kw):
        seen.append(tile)
        if tile > 256:
            yield Progress(0, 1, "tile")
            raise oom()
        return (yield from real(net, image, device="cpu", tile=tile, **kw))

    monkeypatch.setattr(translator, "translate_image", fake)
    models.get("tiny-trans")
    models._cache["tiny-trans"].device = torch.device("cuda")       # pretend the model sits on a GPU
    img = rng.integers(0, 255, (300, 300, 3), dtype=np.uint8)
    res, _ = drain(translator.run_translate(Job("translate", params={"model": "tiny-trans"}, inputs={"image": img}),
                                            models))
    assert seen == [1024, 512, 256] and res.pixels.shape == img.shape
    assert "256-px tiles" in res.message


def test_cancel_lands_inside_one_forward_pass():
    net = ResnetGenerator(ngf=16, n_blocks=6, norm="instance_affine").eval()
    job = Job("translate")
    x = torch.randn(1, 3, 512, 512)
    threading.Timer(0.05, job.cancel).start()
    with pytest.raises(Cancelled), torch.no_grad(), checked_layers(net, job.check):
        for _ in range(100):                     # no check of its own: only the layer hooks can stop it
            net(x)
    net(torch.randn(1, 3, 16, 16))               # the hooks are gone afterwards


def test_inpaint_job_finishes_on_the_cpu_after_a_mocked_gpu_oom(monkeypatch, rng):
    from app.ml.inpaint import fill

    class GpuFiller(fill.ClassicalFiller):
        device = torch.device("cuda")
        moved = False

        def fill(self, crop, hole, check=None):
            raise oom()

        def on_cpu(self):
            GpuFiller.moved = True
            return fill.ClassicalFiller()

    monkeypatch.setattr(fill, "make_filler", lambda mid, models: GpuFiller())
    img = rng.integers(0, 255, (80, 100, 3), dtype=np.uint8)
    mask = np.zeros((80, 100), np.uint8)
    mask[30:50, 40:60] = 255
    job = Job("inpaint", params={"model": "telea", "blend": "none"}, inputs={"image": img, "mask": mask})
    res, _ = drain(fill.run_inpaint(job, None))
    assert GpuFiller.moved and "finishing on the CPU" in res.message
    assert res.pixels.shape[2] == 3
