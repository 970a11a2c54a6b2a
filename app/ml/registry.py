"""kind + arch → network class; ModelManager loads lazily (sha256 first), caches and releases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from latentbrush.ml import checkpoints
from latentbrush.ml.devices import pick_device
from latentbrush.ml.errors import CheckpointMismatch, ManifestError, MissingWeights, ModelError, UnknownArchitecture
from latentbrush.ml.manifest import Manifest, ModelSpec, check_params
from latentbrush.ml.nets.completion import CompletionNet
from latentbrush.ml.nets.dcgan import DCGANGenerator
from latentbrush.ml.nets.directions import LatentDirections
from latentbrush.ml.nets.encoder import ConvEncoder, FCEncoder
from latentbrush.ml.nets.mtcnn import MTCNN
from latentbrush.ml.nets.parts import PartSegmenter
from latentbrush.ml.nets.pixelparts import PixelPartNet
from latentbrush.ml.nets.resnet_gen import ResnetGenerator
from latentbrush.ml.nets.unet import UnetGenerator
from latentbrush.ml.translate.detect import build_translator

Builder = Callable[..., nn.Module]
REGISTRY: dict[tuple[str, str], Builder] = {}


def register(kind: str, arch: str) -> Callable[[Builder], Builder]:
    def deco(builder: Builder) -> Builder:
        REGISTRY[(kind, arch)] = builder
        return builder
    return deco


register("generator", "dcgan")(DCGANGenerator)
register("translator", "resnet")(ResnetGenerator)
register("translator", "unet")(UnetGenerator)
register("encoder", "conv")(ConvEncoder)
register("encoder", "fc")(FCEncoder)
register("directions", "linear")(LatentDirections)
register("inpainter", "completion")(CompletionNet)
register("parts", "kmeans")(PartSegmenter)
register("part-reader", "unet")(PixelPartNet)
register("face-detector", "mtcnn")(MTCNN)


def build(kind: str, arch: str, params: dict[str, Any]) -> nn.Module:
    try:
        builder = REGISTRY[(kind, arch)]
    except KeyError:
        known = sorted(a for k, a in REGISTRY if k == kind)
        raise UnknownArchitecture(
            f"unknown architecture {arch!r} for a {kind}; expected one of: "
            f"{', '.join(known) or '(none registered for this kind)'}") from None
    params = check_params(params, f"{kind}/{arch}")
    try:
        return builder(**params)
    except (TypeError, ValueError, RuntimeError, OverflowError) as e:
        # a wrong name or type, a negative or zero size (torch: "negative dimension")
        raise ManifestError(f"{kind}/{arch}: bad parameters {params}: {e}") from e


def load_weights_into(net: nn.Module, state: dict[str, torch.Tensor], what: str) -> None:
    own = net.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {', '.join(unexpected[:3])})")
        if wrong:
            k = wrong[0]
            parts.append(f"{len(wrong)} of the wrong shape (e.g. {k}: file {tuple(state[k].shape)}, "
                         f"expected {tuple(own[k].shape)})")
        raise CheckpointMismatch(f"{what}: weights do not fit the architecture: " + "; ".join(parts))
    net.load_state_dict(state, strict=True)


@dataclass
class LoadedModel:
    spec: ModelSpec
    net: nn.Module
    device: torch.device


class ModelManager:
    """Thread-safe: the worker thread loads, the GUI thread may list and release."""

    def __init__(self, manifest: Manifest, device: torch.device | str | None = None) -> None:
        self.manifest = manifest
        self.device = torch.device(device) if device is not None else pick_device()
        self._cache: dict[str, LoadedModel] = {}
        self._lock = threading.RLock()

    @property
    def models_dir(self) -> Path:
        return self.manifest.models_dir

    def available(self, spec: ModelSpec) -> bool:
        return self.manifest.path(spec).is_file()

    def get(self, model_id: str) -> LoadedModel:
        with self._lock:
            if model_id in self._cache:
                return self._cache[model_id]
            spec = self.manifest.get(model_id)
            loaded = self._load(spec)
            self._cache[model_id] = loaded
            return loaded

    def _load(self, spec: ModelSpec) -> LoadedModel:
        path = self.manifest.path(spec)
        if not path.is_file():
            hint = "run: latentbrush models fetch" if spec.fetchable else "the file is not in models/"
            raise MissingWeights(f"model {spec.id!r}: {spec.file} is missing ({hint})")
        if spec.is_torchscript:
            net = checkpoints.load_torchscript(path, spec.sha256)
        else:
            state = checkpoints.load_state_dict(path, spec.sha256)
            what = f"model {spec.id!r} ({spec.file})"
            if spec.kind == "translator":
                # any CycleGAN / pix2pix checkpoint: the architecture is read off the weights
                net, state, _ = build_translator(spec.arch, dict(spec.params), state,
                                                 checkpoints.read_metadata(path), what)
            else:
                net = build(spec.kind, spec.arch, dict(spec.params))
            load_weights_into(net, state, what)
        net.eval()
        for prm in net.parameters():      # (ScriptModules have no requires_grad_())
            prm.requires_grad_(False)
        try:
            net.to(self.device)
        except RuntimeError as e:
            raise ModelError(f"model {spec.id!r}: cannot move to {self.device}: {e}") from e
        return LoadedModel(spec, net, self.device)

    def default(self, kind: str) -> ModelSpec | None:
        return self.manifest.default(kind)

    def loaded_ids(self) -> list[str]:
        with self._lock:
            return list(self._cache)

    def release(self, model_id: str | None = None) -> None:
        with self._lock:
            if model_id is None:
                self._cache.clear()
            else:
                self._cache.pop(model_id, None)
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
