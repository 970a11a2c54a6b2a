"""Test helpers: tiny random-weight models with a manifest that pins their hashes."""

from __future__ import annotations

import functools
from pathlib import Path

import torch
from safetensors.torch import save_file

from latentbrush.ml.hashing import sha256_file
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.nets.completion import CompletionNet
from latentbrush.ml.nets.dcgan import DCGANGenerator
from latentbrush.ml.nets.directions import LatentDirections
from latentbrush.ml.nets.encoder import ConvEncoder
from latentbrush.ml.nets.resnet_gen import ResnetGenerator
from latentbrush.ml.nets.unet import UnetGenerator
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.train.common import export_fp16


def save_net(net: torch.nn.Module, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return sha256_file(path)


def calibrated_generator(nz: int = 16, ngf: int = 8, seed: int = 0) -> DCGANGenerator:
    """A random DCGAN whose BatchNorm statistics were measured on its own activations, so its
    images vary with z the way a trained generator's do (fresh BN stats make it nearly constant)."""
    torch.manual_seed(seed)
    g = DCGANGenerator(nz=nz, ngf=ngf)
    for m in g.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None
    g.train()
    with torch.no_grad():
        for _ in range(5):
            g(torch.randn(64, nz))
    return g.eval().requires_grad_(False)


def make_models_dir(d: Path) -> Path:
    g = calibrated_generator()
    t = ResnetGenerator(ngf=8, n_blocks=2, norm="instance_affine")
    e = ConvEncoder(nz=16, width=4)
    dirs = LatentDirections(["smile", "lighting", "explore_1"], 16, ["attribute", "attribute", "explore"])
    dirs.directions.copy_(torch.nn.functional.normalize(torch.randn(3, 16), dim=1))
    hg = save_net(g, d / "gen.safetensors")
    ht = save_net(t, d / "trans.safetensors")
    he = save_net(e, d / "enc.safetensors")
    hd = save_net(dirs, d / "dirs.safetensors")
    torch.manual_seed(0)
    hf = save_net(CompletionNet(width=8).eval(), d / "fill.safetensors")
    seg = tiny_parts(g)
    hp = save_net(seg, d / "parts.safetensors")
    names = ", ".join(f'"{n}"' for n in seg.names)
    colors = ", ".join(f"[{r}, {gg}, {b}]" for r, gg, b in seg.colors)
    (d / "manifest.toml").write_text(f"""
[[model]]
id = "tiny-gen"
kind = "generator"
arch = "dcgan"
file = "gen.safetensors"
sha256 = "{hg}"
resolution = 64
default = true
params = {{ nz = 16, ngf = 8 }}

[[model]]
id = "tiny-trans"
kind = "translator"
arch = "resnet"
file = "trans.safetensors"
sha256 = "{ht}"
default = true
params = {{ ngf = 8, n_blocks = 2, norm = "instance_affine" }}

[[model]]
id = "tiny-enc"
kind = "encoder"
arch = "conv"
generator = "tiny-gen"
file = "enc.safetensors"
sha256 = "{he}"
default = true
params = {{ nz = 16, width = 4 }}

[[model]]
id = "tiny-dirs"
kind = "directions"
arch = "linear"
generator = "tiny-gen"
file = "dirs.safetensors"
sha256 = "{hd}"
default = true
params = {{ nz = 16, names = ["smile", "lighting", "explore_1"], kinds = ["attribute", "attribute", "explore"] }}

[[model]]
id = "tiny-fill"
kind = "inpainter"
arch = "completion"
file = "fill.safetensors"
sha256 = "{hf}"
resolution = 64
default = true
params = {{ width = 8 }}

[[model]]
id = "tiny-parts"
kind = "parts"
arch = "kmeans"
generator = "tiny-gen"
file = "parts.safetensors"
sha256 = "{hp}"
resolution = 64
default = true
params = {{ names = [{names}], colors = [{colors}], layers = [5, 8], channels = [{seg.channels[0]}, {seg.channels[1]}], k = {seg.k}, coord_weight = {seg.coord_weight}, tau = {seg.tau} }}
""")
    return d


def tiny_parts(g: DCGANGenerator, seed: int = 0):
    """Part segmentation fitted (by the real script's code) to the tiny generator; fitted once
    per test process (the generator is the same every time)."""
    return _tiny_parts(seed) if _same_as_calibrated(g) else _fit_tiny(g, seed)


def _fit_tiny(g, seed):
    from latentbrush.ml.train.parts import fit_parts

    seg, _, _ = fit_parts(g, n=48, k=10, seed=seed, per_image=48, iters=10, log=lambda *_: None)
    return seg


@functools.lru_cache(maxsize=2)
def _tiny_parts(seed: int):
    return _fit_tiny(calibrated_generator(), seed)


def _same_as_calibrated(g) -> bool:
    ref = calibrated_generator().state_dict()
    return all(torch.equal(v, ref[k]) for k, v in g.state_dict().items())


class LamaStandIn(torch.nn.Module):
    """Same interface as a TorchScript LaMa (image [0,1], mask {0,1} → image [0,1]): fills the
    hole with the mean color of the known pixels."""

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        known = 1 - mask
        mean = (image * known).sum((2, 3), keepdim=True) / known.sum((2, 3), keepdim=True).clamp_min(1)
        return image * known + mean * mask


def save_lama_standin(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.jit.script(LamaStandIn()).save(str(path))
    return sha256_file(path)


def run_torchrun(module: str, args: list[str], nproc: int = 2, timeout: int = 300):
    """Run a training module under torchrun (DDP, gloo on the CPU) with a free port."""
    import os
    import socket
    import subprocess
    import sys

    env = dict(os.environ, OMP_NUM_THREADS="1")
    with socket.socket() as s:          # a free port, so parallel runs do not collide
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}", f"--master_port={port}",
           "-m", module, *args]
    return subprocess.run(cmd, cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True,
                          timeout=timeout)


def sketch_models(tiny_models, generator: str | None = None) -> ModelManager:
    """The tiny models plus a tiny sketch translator "sketch" (refined through `generator` if named)."""
    torch.manual_seed(0)
    path = tiny_models / "sketch.safetensors"
    export_fp16(UnetGenerator(1, 3, 6, 4, "group", groups=4), path, {"arch": "unet"})
    gen = f'generator = "{generator}"\n' if generator else ""
    with open(tiny_models / "manifest.toml", "a") as f:
        f.write(f'\n[[model]]\nid = "sketch"\nname = "Sketch"\nkind = "translator"\narch = "auto"\n'
                f'{gen}file = "{path.name}"\nsha256 = "{sha256_file(path)}"\n'
                'resolution = 64\nparams = { input_nc = 1 }\n')
    return ModelManager(Manifest.load(tiny_models), device="cpu")
