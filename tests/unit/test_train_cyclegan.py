"""CycleGAN training on two tiny folders: the modified cycle consistency (seed 004, eqs. 8–10) and
the vanilla one run, schedules move the right way, the result loads as a translator."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import torch
from helpers import run_torchrun
from PIL import Image

from latentbrush.ml.hashing import sha256_file
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.nets.unet import PatchDiscriminator
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.train import cyclegan as cg


@pytest.fixture
def folders(tmp_path, rng):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for i in range(4):
        img = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
        Image.fromarray(img).save(a / f"{i}.png")
        Image.fromarray(255 - img[..., ::-1]).save(b / f"{i}.jpg")     # "domain B": inverted, swapped
    return a, b


def args(folders, tmp_path, *extra):
    a, b = folders
    return ["--a", str(a), "--b", str(b), "--size", "32", "--ngf", "4", "--n-blocks", "1", "--ndf", "4",
            "--epochs", "3", "--epoch-steps", "2", "--out", str(tmp_path / "a2b.safetensors"),
            "--export-ba", str(tmp_path / "b2a.safetensors"), "--log-file", str(tmp_path / "log.jsonl"),
            "--threads", "1", *extra]


def test_schedules_alpha_rises_lambda_decays_but_stays_positive():
    a = argparse.Namespace(cycle="modified", alpha_start=0.1, alpha_end=0.9, lambda_start=10.0, lambda_end=2.0)
    vals = [cg.schedule(e, 10, a) for e in range(10)]
    alphas, lams = zip(*vals, strict=True)
    assert alphas[0] == pytest.approx(0.1) and alphas[-1] == pytest.approx(0.9)
    assert all(x < y for x, y in zip(alphas, alphas[1:], strict=False))
    assert lams[0] == pytest.approx(10) and lams[-1] == pytest.approx(2) and min(lams) > 0
    assert cg.schedule(5, 10, argparse.Namespace(cycle="vanilla", lambda_start=10.0)) == (0.0, 10.0)


def test_modified_cycle_term_is_weighted_by_d_and_sends_no_gradient_to_d():
    torch.manual_seed(0)
    D = PatchDiscriminator(3, 4, 3, "instance")
    x = torch.randn(2, 3, 32, 32)
    rec = (x + 0.3 * torch.randn_like(x)).requires_grad_(True)
    D.requires_grad_(False)
    loss = cg.cycle_loss(rec, x, D, alpha=0.5, modified=True)
    loss.backward()
    assert rec.grad is not None and rec.grad.abs().sum() > 0
    assert all(p.grad is None for p in D.parameters())
    # the weight is D's score of the real image: a D that calls everything fake zeroes the term
    with torch.no_grad():
        D.model[-1].weight.zero_()
        D.model[-1].bias.fill_(-1.0)
    assert cg.cycle_loss(rec, x, D, alpha=0.5, modified=True).detach().item() == 0.0
    pixel = cg.cycle_loss(rec, x, D, alpha=0.5, modified=False).detach().item()
    assert pixel == pytest.approx((rec - x).abs().mean().item(), rel=1e-5)


@pytest.mark.parametrize("cycle", ["modified", "vanilla"])
def test_training_runs_logs_and_exports_a_loadable_translator(folders, tmp_path, cycle):
    last = cg.main(args(folders, tmp_path, "--cycle", cycle))
    assert last["step"] == 6 and np.isfinite([last["adv"], last["cycle"], last["loss_d"]]).all()
    recs = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert recs[-1]["done"] == 1
    if cycle == "modified":
        steps = [r for r in recs if "alpha" in r]
        assert steps[-1]["alpha"] > 0.1 and steps[-1]["lambda"] < 10
    for name in ("a2b", "b2a"):
        f = tmp_path / f"{name}.safetensors"
        (tmp_path / "manifest.toml").write_text(
            f'[[model]]\nid = "t"\nkind = "translator"\narch = "auto"\nfile = "{f.name}"\nsha256 = "{sha256_file(f)}"\n')
        net = ModelManager(Manifest.load(tmp_path), device="cpu").get("t").net
        assert net(torch.zeros(1, 3, 32, 32)).shape == (1, 3, 32, 32)
    # resuming continues from the checkpoint
    last2 = cg.main(args(folders, tmp_path, "--cycle", cycle, "--epochs", "4"))
    assert last2["step"] == 8


def test_bad_schedules_are_refused(folders, tmp_path):
    with pytest.raises(SystemExit, match="alpha"):
        cg.main(args(folders, tmp_path, "--alpha-end", "1.0"))
    with pytest.raises(SystemExit, match="lambda-end"):
        cg.main(args(folders, tmp_path, "--lambda-end", "0"))


def test_cyclegan_runs_under_torchrun_ddp(folders, tmp_path):
    r = run_torchrun("latentbrush.ml.train.cyclegan", args(folders, tmp_path, "--epochs", "2"))
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "a2b.safetensors").is_file()


def test_a_script_under_torchrun_leaves_without_the_interpreters_teardown_once_main_returned(monkeypatch):
    """gloo's worker threads could be destroyed during the interpreter's teardown (SIGABRT on a
    finished run, seen once in CI): under torchrun a script leaves with os._exit(0) after main()
    returns; an exception in main() still propagates (non-zero exit); alone, it returns normally."""
    import os

    from latentbrush.ml.train.common import run_script

    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)
    ran: list[int] = []
    monkeypatch.setenv("WORLD_SIZE", "1")
    run_script(lambda: ran.append(1))
    assert ran == [1] and exits == []
    monkeypatch.setenv("WORLD_SIZE", "2")
    run_script(lambda: ran.append(2))
    assert ran == [1, 2] and exits == [0]

    def fails():
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError, match="out of memory"):
        run_script(fails)
    assert exits == [0]
