"""Test helpers: tiny random-weight models with a manifest that pins their hashes."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file

from app.ml.hashing import sha256_file
from app.ml.nets.dcgan import DCGANGenerator
from app.ml.nets.resnet_gen import ResnetGenerator


def save_net(net: torch.nn.Module, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return sha256_file(path)


def make_models_dir(d: Path) -> Path:
    torch.manual_seed(0)
    g = DCGANGenerator(nz=16, ngf=8)
    t = ResnetGenerator(ngf=8, n_blocks=2, norm="instance_affine")
    hg = save_net(g, d / "gen.safetensors")
    ht = save_net(t, d / "trans.safetensors")
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
""")
    return d
