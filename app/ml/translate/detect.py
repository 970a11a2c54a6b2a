"""Architecture auto-detection for image-to-image generators from their state-dict keys and shapes.

Recognised layouts (those of the common CycleGAN / pix2pix `latest_net_G.pth` checkpoints):
- ResNet (CycleGAN): `model.1.weight` is the 7×7 stem (ngf, input_nc), residual blocks at
  `model.N.block.M` or `model.N.conv_block.M` (both accepted), `n_down` stride-2 convolutions
  before the blocks; dropout shows as the second block convolution at index 6 instead of 5.
- U-Net (pix2pix): `model.model.0.weight` is the outer down-convolution (ngf, input_nc, 4, 4);
  every level has one 4×4 down- and one 4×4 up-convolution, so num_downs = their count / 2.
Norm: running statistics → batch (or, with biased convolutions, an old instance-norm checkpoint
whose stale statistics are dropped); an affine weight without statistics → affine instance norm
when convolutions have biases, group norm when they do not; no norm parameters → instance norm
without affine. GroupNorm's group count is not in the weights: taken from the file's metadata
when present (this project's exports), else 32. `module.` prefixes (DataParallel) are removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

from latentbrush.ml.errors import CheckpointMismatch


@dataclass(frozen=True)
class Detected:
    arch: str                       # "resnet" | "unet"
    params: dict
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        p = self.params
        if self.arch == "resnet":
            core = f"ResNet generator: {p['n_blocks']} residual blocks, {p['n_down']} downsamplings"
        else:
            core = f"U-Net generator: {p['num_downs']} levels"
        extra = ", dropout" if p.get("use_dropout") else ""
        return (f"{core}, ngf {p['ngf']}, {p['input_nc']}→{p['output_nc']} channels, "
                f"{p['norm'].replace('_', ' ')} norm{extra}")


def strip_prefix(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    if state and all(k.startswith("module.") for k in state):
        return {k[len("module."):]: v for k, v in state.items()}
    return dict(state)


def _norm_kind(state: dict, prefix: str, conv_has_bias: bool) -> tuple[str, bool]:
    """(norm, drop_running_stats) for the norm layer whose parameters start with prefix."""
    has_stats = f"{prefix}.running_mean" in state
    has_weight = f"{prefix}.weight" in state
    if has_stats and not conv_has_bias:
        return "batch", False
    if has_stats:                          # InstanceNorm saved by old PyTorch versions
        return ("instance_affine" if has_weight else "instance"), True
    if has_weight:
        return ("instance_affine" if conv_has_bias else "group"), False
    return "instance", False


def detect(state: dict[str, torch.Tensor], metadata: dict | None = None) -> Detected:
    state = strip_prefix(state)
    if "model.model.0.weight" in state:
        return _detect_unet(state, metadata or {})
    if "model.1.weight" in state:
        return _detect_resnet(state, metadata or {})
    sample = ", ".join(sorted(state)[:4])
    raise CheckpointMismatch(
        "not a recognised image-to-image generator: expected the keys of a CycleGAN ResNet generator "
        f"(model.1.weight, model.N.conv_block…) or a pix2pix U-Net (model.model.0.weight …); found {sample} …")


def _detect_resnet(state: dict, meta: dict) -> Detected:
    stem = state["model.1.weight"]
    if stem.dim() != 4 or stem.shape[-1] != 7:
        raise CheckpointMismatch(f"model.1.weight has shape {tuple(stem.shape)}; a ResNet generator's stem is "
                                 "a 7×7 convolution")
    ngf, input_nc = int(stem.shape[0]), int(stem.shape[1])
    block_re = re.compile(r"^model\.(\d+)\.(conv_block|block)\.(\d+)\.weight$")
    blocks: dict[int, set[int]] = {}
    for k in state:
        m = block_re.match(k)
        if m:
            blocks.setdefault(int(m.group(1)), set()).add(int(m.group(3)))
    if not blocks:
        raise CheckpointMismatch("ResNet generator without residual blocks (no model.N.conv_block… keys)")
    first = min(blocks)
    idx = sorted(blocks)
    if idx != list(range(first, first + len(idx))):
        raise CheckpointMismatch(f"residual blocks are not consecutive: found model.{idx[0]}…model.{idx[-1]} "
                                 f"with gaps ({len(idx)} blocks)")
    convs = {i for i in blocks[first] if state[f"model.{first}.{_bkey(state, first)}.{i}.weight"].dim() == 4}
    dropout = 6 in convs
    down = [i for i in range(2, first) if f"model.{i}.weight" in state and state[f"model.{i}.weight"].dim() == 4]
    out_w = [int(m.group(1)) for k in state for m in [re.match(r"^model\.(\d+)\.weight$", k)] if m]
    last = state[f"model.{max(out_w)}.weight"]
    conv_bias = "model.1.bias" in state
    norm, drop_stats = _norm_kind(state, "model.2", conv_bias)
    params = {"input_nc": input_nc, "output_nc": int(last.shape[0]), "ngf": ngf, "n_blocks": len(blocks),
              "norm": norm, "use_dropout": dropout, "n_down": len(down), "bias": conv_bias}
    notes = []
    if drop_stats:
        notes.append("instance-norm running statistics from an old PyTorch version are ignored")
    if norm == "group":
        params["groups"] = int(meta.get("groups", 32))
    if norm == "instance":
        notes.append("no norm parameters: instance norm without affine assumed")
    return Detected("resnet", params, notes)


def _bkey(state: dict, n: int) -> str:
    return "conv_block" if any(k.startswith(f"model.{n}.conv_block.") for k in state) else "block"


def _detect_unet(state: dict, meta: dict) -> Detected:
    w0 = state["model.model.0.weight"]
    ngf, input_nc = int(w0.shape[0]), int(w0.shape[1])
    up = state.get("model.model.3.weight")
    if up is None:
        raise CheckpointMismatch("U-Net checkpoint without its outer up-convolution (model.model.3.weight)")
    k4 = [k for k, v in state.items() if k.endswith(".weight") and v.dim() == 4 and v.shape[-1] == 4]
    if len(k4) % 2:
        raise CheckpointMismatch(f"U-Net checkpoint has {len(k4)} 4×4 convolutions; expected an even number "
                                 "(one down and one up per level) — keys are missing")
    num_downs = len(k4) // 2
    conv_bias = "model.model.1.model.1.bias" in state
    norm, drop_stats = _norm_kind(state, "model.model.1.model.2", conv_bias)
    params = {"input_nc": input_nc, "output_nc": int(up.shape[1]), "ngf": ngf, "num_downs": num_downs,
              "norm": norm, "bias": conv_bias}
    notes = ["dropout layers hold no weights: inference runs without them"]
    if drop_stats:
        notes.append("instance-norm running statistics from an old PyTorch version are ignored")
    if norm == "group":
        params["groups"] = int(meta.get("groups", 32))
    return Detected("unet", params, notes)


def normalize_keys(state: dict[str, torch.Tensor], detected: Detected) -> dict[str, torch.Tensor]:
    """Rename to this project's layout (`conv_block` → `block`) and drop stale statistics."""
    out = {}
    for k, v in strip_prefix(state).items():
        k2 = re.sub(r"^(model\.\d+)\.conv_block\.", r"\1.block.", k)
        if detected.params["norm"] != "batch" and k2.endswith(("running_mean", "running_var", "num_batches_tracked")):
            continue
        out[k2] = v
    return out


def compare(detected: Detected, expected: dict) -> None:
    """Raise when the manifest's params contradict what the weights say."""
    diffs = [f"{k}: weights say {detected.params[k]!r}, manifest says {v!r}"
             for k, v in expected.items() if k in detected.params and detected.params[k] != v]
    if diffs:
        raise CheckpointMismatch("the checkpoint does not match its manifest entry — found "
                                 f"{detected.describe()}; " + "; ".join(diffs))


def build_translator(arch: str, params: dict, state: dict[str, torch.Tensor], metadata: dict | None = None,
                     what: str = "translator") -> tuple[torch.nn.Module, dict[str, torch.Tensor], Detected]:
    """Network + renamed state for a translator entry. arch "auto" takes what the weights say;
    "resnet"/"unet" must agree with them, and so must any params the manifest gives."""
    from latentbrush.ml.nets.resnet_gen import ResnetGenerator
    from latentbrush.ml.nets.unet import UnetGenerator

    found = detect(state, metadata)
    if arch not in ("auto", found.arch):
        raise CheckpointMismatch(f"{what}: the manifest says arch {arch!r} but the weights are a "
                                 f"{found.describe()}; set arch = \"{found.arch}\" (or \"auto\")")
    compare(found, dict(params))
    cls = ResnetGenerator if found.arch == "resnet" else UnetGenerator
    return cls(**found.params), normalize_keys(state, found), found
