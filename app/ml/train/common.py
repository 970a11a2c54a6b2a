"""Shared training plumbing: DDP set-up, generator loading, checkpoints, fp16 export."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors.torch import save_file
from torch import nn

from latentbrush.ml.hashing import sha256_file
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.registry import ModelManager


@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def wrap(self, net: nn.Module) -> nn.Module:
        if self.world == 1:
            return net
        ids = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(net, device_ids=ids)

    def mean(self, value: float) -> float:
        if self.world == 1:
            return value
        t = torch.tensor([value], device=self.device)
        dist.all_reduce(t)
        return float(t) / self.world

    def close(self) -> None:
        if self.world > 1:
            dist.barrier()          # rank 0 may still be evaluating/exporting: leave together
            dist.destroy_process_group()


def setup(device: str | None = None, threads: int | None = None) -> Dist:
    """Single process, or DDP when launched by torchrun (WORLD_SIZE > 1)."""
    if threads:
        torch.set_num_threads(threads)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            torch.cuda.set_device(local)
            dev = torch.device("cuda", local)
            dist.init_process_group("nccl")
        else:
            dev = torch.device("cpu")
            dist.init_process_group("gloo")
        return Dist(rank, world, dev)
    dev = torch.device(device) if device else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return Dist(0, 1, dev)


def run_script(main) -> None:
    """A training script's entry point. Under torchrun, once main() has returned (everything written
    atomically, the process group destroyed) the process leaves with os._exit: the interpreter's own
    teardown can otherwise destroy gloo's worker threads while they still run, and a finished run then
    ends in SIGABRT ("terminate called without an active exception") on one rank, failing the launch."""
    main()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def load_generator(models_dir: str | Path, model_id: str | None, device: torch.device) -> tuple[nn.Module, str]:
    manifest = Manifest.load(models_dir)
    spec = manifest.get(model_id) if model_id else manifest.default("generator")
    if spec is None:
        raise SystemExit("no generator in the manifest")
    G = ModelManager(manifest, device=device).get(spec.id).net
    return G.eval().requires_grad_(False), spec.id


def load_parts(models_dir: str | Path, generator_id: str, device: torch.device) -> nn.Module:
    """The part segmenter made for the generator `generator_id` (the manifest's, sha256-checked)."""
    manifest = Manifest.load(models_dir)
    specs = [s for s in manifest.for_generator("parts", generator_id)]
    if not specs:
        raise SystemExit(f"no part segmenter for {generator_id} in the manifest")
    return ModelManager(manifest, device=device).get(specs[0].id).net.eval().requires_grad_(False)


def load_direction(models_dir: str | Path, generator_id: str, name: str) -> torch.Tensor:
    """The generator's named latent direction (nz,), unit length (the manifest's direction sets, sha256-checked)."""
    from latentbrush.ml.latent.sliders import directions_for

    found = directions_for(ModelManager(Manifest.load(models_dir), device="cpu"), generator_id)
    if name not in found:
        raise SystemExit(f"no {name!r} direction for {generator_id} in the manifest")
    return torch.from_numpy(found[name])


def cosine_lr(base: float, frac: float, floor: float = 0.02) -> float:
    frac = min(max(frac, 0.0), 1.0)
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac)))


EVAL_SCALE = "scores on the 0-255 image scale (PSNR peak 255, L1 as a fraction of 255)"


def export_fp16(net: nn.Module, path: str | Path, meta: dict) -> str:
    """Write the state dict as fp16 safetensors (float tensors; integer buffers kept) with one
    sorted-JSON metadata key, atomically; return its sha256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: (v.detach().half() if v.is_floating_point() else v.detach()).contiguous().cpu().clone()
             for k, v in sorted(unwrap(net).state_dict().items())}
    tmp = path.with_name(path.name + ".part")
    save_file(state, str(tmp), metadata={"latentbrush": json.dumps(meta, sort_keys=True)})
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return sha256_file(path)


def unwrap(net: nn.Module) -> nn.Module:
    return net.module if isinstance(net, nn.parallel.DistributedDataParallel) else net


def save_checkpoint(path: str | Path, **state) -> None:
    """Tensors, numbers and lists only, so it loads back with weights_only=True."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


class Logger:
    """JSON lines to a file (rank 0 only) plus a short line on stdout."""

    def __init__(self, path: str | Path | None, enabled: bool = True) -> None:
        self.enabled = enabled
        self.path = Path(path) if path else None
        self.t0 = time.time()
        if self.path and enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def __call__(self, **rec) -> None:
        if not self.enabled:
            return
        rec = {"t": round(time.time() - self.t0, 1), **rec}
        if self.path:
            with open(self.path, "a") as f:
                f.write(json.dumps(rec) + "\n")
        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in rec.items()), flush=True)


def add_run_args(p, *, generator: bool = True) -> None:
    """The arguments every training script shares: output, checkpoint, log, device, seed
    (and, for scripts that sample the face generator, which generator)."""
    if generator:
        from latentbrush.paths import models_dir

        p.add_argument("--generator", default=None, help="manifest id (default generator if omitted)")
        p.add_argument("--models", default=str(models_dir()))
    p.add_argument("--ckpt", default=None, help="resumable checkpoint (default: OUT with .ckpt.pt)")
    p.add_argument("--log-file", default=None, help="JSON-lines log")
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)


def checkpoint_path(a) -> Path:
    return Path(a.ckpt or Path(a.out).with_suffix(".ckpt.pt"))


def resume(ckpt: Path, parts: dict) -> tuple[int, float]:
    """Load every module/optimizer of `parts` (checkpoint key → object) from ckpt if it exists;
    returns (step, seconds spent so far)."""
    if not ckpt.is_file():
        return 0, 0.0
    st = load_checkpoint(ckpt)
    for key, obj in parts.items():
        obj.load_state_dict(st[key])
    return int(st["step"]), float(st.get("spent", 0.0))


def save_run(ckpt: Path, parts: dict, step: int, spent: float) -> None:
    save_checkpoint(ckpt, **{k: v.state_dict() for k, v in parts.items()}, step=step, spent=spent)


def run_fraction(step: int, steps: int, elapsed: float, minutes: float) -> float | None:
    """How far the run is (0…1, by steps or wall time, whichever is further); None once the
    wall-time budget is spent."""
    if minutes and elapsed > minutes * 60:
        return None
    return max(step / steps, elapsed / (minutes * 60) if minutes else 0.0)


def export_evaluated(net: nn.Module, out: str | Path, meta: dict, step: int, ev: dict) -> str:
    return export_fp16(net, out, {**meta, "step": step, **{k: round(v, 5) for k, v in ev.items()}})
