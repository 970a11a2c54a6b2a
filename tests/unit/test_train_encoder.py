"""The encoder training script on tiny nets: runs, evaluates, exports fp16 safetensors that
load into the registry's architecture, resumes from its checkpoint, and runs under torchrun."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from helpers import run_torchrun
from safetensors import safe_open

from latentbrush.ml.nets.encoder import ConvEncoder
from latentbrush.ml.registry import load_weights_into
from latentbrush.ml.train import encoder as train_encoder

REPO = Path(__file__).resolve().parents[2]


def args(tiny_models, out, steps, extra=()):
    return ["--models", str(tiny_models), "--out", str(out), "--steps", str(steps), "--batch", "8",
            "--width", "4", "--eval-every", "10", "--eval-n", "16", "--threads", "1", "--device", "cpu",
            "--log-file", str(out.with_suffix(".jsonl")), *extra]


def test_training_lowers_the_loss_exports_and_resumes(tiny_models, tmp_path):
    out = tmp_path / "enc.safetensors"
    first = train_encoder.main(args(tiny_models, out, 40, ["--lr", "2e-3"]))
    log = [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()]
    evals = [r for r in log if r.get("eval")]
    assert {"l1", "l2", "ssim", "psnr"} <= set(evals[0])
    assert evals[-1]["l2"] < evals[0]["l2"]          # held-out reconstruction error went down
    with safe_open(str(out), "pt") as f:
        meta = json.loads(f.metadata()["latentbrush"])
        assert f.get_tensor("head.weight").dtype == torch.float16
    assert meta["arch"] == "conv" and meta["generator"] == "tiny-gen"
    net = ConvEncoder(nz=16, width=4)
    from safetensors.torch import load_file
    load_weights_into(net, load_file(str(out)), "trained encoder")
    # resume: continues from step 40 to 50 instead of starting over
    second = train_encoder.main(args(tiny_models, out, 50))
    assert first["step"] == 40 and second["step"] == 50


def test_training_runs_under_torchrun_ddp(tiny_models, tmp_path):
    out = tmp_path / "ddp.safetensors"
    r = run_torchrun("latentbrush.ml.train.encoder", args(tiny_models, out, 4))
    assert r.returncode == 0, r.stderr[-3000:]
    assert out.is_file()
