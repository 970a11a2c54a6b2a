"""Fault guards: cancel inside a forward pass; GPU out-of-memory → smaller tiles → CPU.

There is no GPU here: the out-of-memory errors are mocked (an attempt that raises
torch.cuda.OutOfMemoryError for a "cuda" device). What these tests show is the policy — which
attempt runs after which error — and that the result handed back is the one computed by the
attempt that did not fail, on the CPU. They do not show that a real GPU run frees memory or fits."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from latentbrush.core.jobs import Cancelled, Job, Progress, drain
from latentbrush.ml.guards import checked_layers, oom_fallback
from latentbrush.ml.nets.resnet_gen import ResnetGenerator
from latentbrush.ml.translate import translator


def oom():
    return torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


X = torch.arange(12.0).reshape(3, 4)
WANT = X * 2 + 1


def mocked_gpu(fits):
    """An attempt whose "cuda" runs raise OutOfMemoryError unless fits(tile); it computes X·2 + 1
    on the device it is given when that is the CPU, and returns (result, tile)."""
    def attempt(tile, device):
        yield Progress(0, 1, "working")
        if device.type == "cuda":
            if not fits(tile):
                raise oom()
            return torch.full_like(X, float("nan")), tile      # a "GPU" run; never the CPU's numbers
        return (X.to(device) * 2 + 1), tile
    return attempt


def test_mocked_oom_halves_the_tile_and_returns_the_run_that_fitted():
    notes = []
    (out, tile), steps = drain(oom_fallback(mocked_gpu(lambda t: t <= 256), 1024, torch.device("cuda"),
                                            on_retry=notes.append))
    assert tile == 256 and out.isnan().all()         # the mocked GPU run at 256 px, no CPU run
    assert notes == ["out of GPU memory: retrying with 512-px tiles", "out of GPU memory: retrying with 256-px tiles"]
    assert [p.message for p in steps if "GPU" in p.message] == notes


def test_mocked_oom_at_the_smallest_tile_gives_the_cpu_result():
    (out, tile), steps = drain(oom_fallback(mocked_gpu(lambda t: False), 512, torch.device("cuda"), min_tile=256))
    assert out.device.type == "cpu" and torch.equal(out, WANT) and tile == 256
    assert steps[-2].message == "out of GPU memory: finishing on the CPU"


def test_other_errors_and_cpu_oom_are_raised():
    def boom(tile, device):
        yield Progress(0, 1)
        raise ValueError("bad input")
    with pytest.raises(ValueError):
        drain(oom_fallback(boom, 512, torch.device("cuda")))

    def cpu_oom(tile, device):
        yield Progress(0, 1)
        raise oom()
    with pytest.raises(torch.cuda.OutOfMemoryError):
        drain(oom_fallback(cpu_oom, 512, torch.device("cpu")))


def test_translate_job_survives_a_mocked_gpu_oom(tiny_models, monkeypatch, rng):
    """The translation runner with a translate_image that runs out of GPU memory above 256-px
    tiles: the job retries with smaller tiles and finishes."""
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    real = translator.translate_image

    def fake(net, image, *, device, tile, **kw):
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
    want, _ = drain(real(models.get("tiny-trans").net, img, device="cpu", tile=256))
    assert np.array_equal(res.pixels, want)             # the output of the 256-px run, nothing else
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


def test_inpaint_job_gives_the_cpu_fill_after_a_mocked_gpu_oom(monkeypatch, rng):
    """A filler on a (mocked) GPU that always runs out of memory: the job's pixels are exactly
    what the CPU filler computes for the same input."""
    from latentbrush.ml.inpaint import fill

    class CpuTelea(fill.ClassicalFiller):
        device = torch.device("cpu")

    class GpuTelea(fill.ClassicalFiller):
        device = torch.device("cuda")

        def fill(self, crop, hole, check=None):
            raise oom()

        def on_cpu(self):
            return CpuTelea()

    monkeypatch.setattr(fill, "make_filler", lambda mid, models: GpuTelea())
    img = rng.integers(0, 255, (80, 100, 3), dtype=np.uint8)
    mask = np.zeros((80, 100), np.uint8)
    mask[30:50, 40:60] = 255
    job = Job("inpaint", params={"model": "telea", "blend": "none"}, inputs={"image": img, "mask": mask})
    res, _ = drain(fill.run_inpaint(job, None))
    want, box = drain(fill.inpaint_image(img, mask, CpuTelea(), blend="none"))[0]
    assert (res.bbox.x0, res.bbox.y0, res.bbox.x1, res.bbox.y1) == (box.x0, box.y0, box.x1, box.y1)
    assert np.array_equal(res.pixels, want[box.y0:box.y1, box.x0:box.x1])
    assert not np.array_equal(res.pixels, img[box.y0:box.y1, box.x0:box.x1])    # the hole was filled
    assert "finishing on the CPU" in res.message
