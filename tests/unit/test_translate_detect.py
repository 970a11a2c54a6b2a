"""Translator architecture auto-detection: checkpoints of every supported variant, made here in
the common latest_net_G.pth layout, load without being told their options; bad ones fail clearly."""

from __future__ import annotations

import pytest
import torch

from latentbrush.ml.errors import CheckpointMismatch
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.nets.resnet_gen import ResnetGenerator
from latentbrush.ml.nets.unet import UnetGenerator
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.translate.detect import build_translator, detect


def reference_layout(state: dict) -> dict:
    """Our ResNet blocks are `block`; the reference checkpoints call them `conv_block`."""
    return {k.replace(".block.", ".conv_block."): v for k, v in state.items()}


RESNETS = [
    dict(ngf=8, n_blocks=6, norm="instance"),
    dict(ngf=8, n_blocks=9, norm="instance_affine"),
    dict(ngf=16, n_blocks=3, norm="batch"),
    dict(ngf=8, n_blocks=2, norm="group", groups=4),
    dict(ngf=8, n_blocks=4, norm="instance", use_dropout=True),
    dict(ngf=8, n_blocks=2, norm="batch", input_nc=1, output_nc=3, n_down=3),
]
UNETS = [
    dict(input_nc=3, output_nc=3, num_downs=5, ngf=8, norm="batch"),
    dict(input_nc=1, output_nc=3, num_downs=6, ngf=8, norm="group", groups=4),
    dict(input_nc=3, output_nc=3, num_downs=7, ngf=4, norm="instance"),
    dict(input_nc=3, output_nc=1, num_downs=8, ngf=4, norm="instance_affine"),
]


def same_output(a, b, side):
    x = torch.randn(1, a_in(a), side, side)
    a.eval(), b.eval()
    with torch.no_grad():
        return torch.allclose(a(x), b(x), atol=1e-5)


def a_in(net):
    first = next(v for k, v in net.state_dict().items() if k.endswith("weight") and v.dim() == 4)
    return first.shape[1]


@pytest.mark.parametrize("opts", RESNETS, ids=lambda o: f"resnet-{o['norm']}-{o['n_blocks']}")
@pytest.mark.parametrize("layout", ["ours", "reference", "dataparallel"])
def test_resnet_variants_are_detected_and_reproduce_the_network(opts, layout):
    torch.manual_seed(0)
    ref = ResnetGenerator(**opts)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(torch.randn_like(p) * 0.1)        # affine norms away from their defaults
    state = ref.state_dict()
    if layout != "ours":
        state = reference_layout(state)
    if layout == "dataparallel":
        state = {"module." + k: v for k, v in state.items()}
    meta = {"groups": opts["groups"]} if "groups" in opts else None
    net, fixed, found = build_translator("auto", {}, state, meta)
    for k in ("ngf", "n_blocks", "norm"):
        assert found.params[k] == opts[k]
    assert found.params["use_dropout"] == opts.get("use_dropout", False)
    assert found.params["n_down"] == opts.get("n_down", 2)
    net.load_state_dict(fixed, strict=True)
    assert same_output(ref, net, 32)


@pytest.mark.parametrize("opts", UNETS, ids=lambda o: f"unet-{o['norm']}-{o['num_downs']}")
def test_unet_variants_are_detected_and_reproduce_the_network(opts):
    torch.manual_seed(0)
    ref = UnetGenerator(**opts)
    meta = {"groups": opts["groups"]} if "groups" in opts else None
    net, fixed, found = build_translator("auto", {}, ref.state_dict(), meta)
    for k in ("input_nc", "output_nc", "num_downs", "ngf", "norm"):
        assert found.params[k] == opts[k], k
    net.load_state_dict(fixed, strict=True)
    assert same_output(ref, net, 2 ** opts["num_downs"])


def test_old_instance_norm_statistics_are_dropped():
    ref = ResnetGenerator(ngf=8, n_blocks=2, norm="instance")
    state = dict(ref.state_dict())
    state["model.2.running_mean"] = torch.zeros(8)      # as saved by PyTorch < 0.4
    state["model.2.running_var"] = torch.ones(8)
    net, fixed, found = build_translator("auto", {}, reference_layout(state))
    assert found.params["norm"] == "instance" and any("old PyTorch" in n for n in found.notes)
    net.load_state_dict(fixed, strict=True)


def test_missing_keys_give_a_clear_error():
    state = dict(UnetGenerator(3, 3, 6, 8, "batch").state_dict())
    del state["model.model.1.model.3.model.1.weight"]        # one down-convolution gone
    with pytest.raises(CheckpointMismatch, match="missing"):
        build_translator("auto", {}, state)
    r = dict(ResnetGenerator(ngf=8, n_blocks=4).state_dict())
    del r["model.11.block.1.weight"]                          # a middle block's first conv
    net, fixed, _ = build_translator("auto", {}, r)
    from latentbrush.ml.registry import load_weights_into
    with pytest.raises(CheckpointMismatch, match="1 missing.*model.11.block.1.weight"):
        load_weights_into(net, fixed, "test")


def test_not_a_generator_and_manifest_contradictions():
    with pytest.raises(CheckpointMismatch, match="not a recognised"):
        detect({"fc.weight": torch.zeros(2, 2)})
    state = ResnetGenerator(ngf=8, n_blocks=6).state_dict()
    with pytest.raises(CheckpointMismatch, match="n_blocks: weights say 6, manifest says 9"):
        build_translator("auto", {"n_blocks": 9}, state)
    with pytest.raises(CheckpointMismatch, match="arch 'unet'.*ResNet generator"):
        build_translator("unet", {}, state)


def test_a_reference_checkpoint_file_loads_through_the_manifest_with_arch_auto(tmp_path):
    """A latest_net_G.pth (pickle of tensors) pinned with arch = "auto" and no params."""
    torch.manual_seed(1)
    ref = UnetGenerator(3, 3, 6, 8, "batch")
    path = tmp_path / "latest_net_G.pth"
    torch.save(ref.state_dict(), path)
    from latentbrush.ml.hashing import sha256_file
    (tmp_path / "manifest.toml").write_text(f"""
[[model]]
id = "facades"
kind = "translator"
arch = "auto"
file = "latest_net_G.pth"
sha256 = "{sha256_file(path)}"
""")
    net = ModelManager(Manifest.load(tmp_path), device="cpu").get("facades").net
    assert isinstance(net, UnetGenerator) and net.num_downs == 6
    assert same_output(ref.eval(), net, 64)
