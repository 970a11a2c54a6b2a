"""Which fill methods exist (torch-free, so the UI and CLI can list them).

Built-in: the classical OpenCV methods (any image, instant) and the generator prior (faces; needs
a generator and an encoder in the manifest). Learned: every `inpainter` entry of the manifest —
the project's completion network (arch "completion", safetensors) and a person's own LaMa
(arch "lama", TorchScript `.ts`, loaded only because its sha256 is pinned in the manifest).
"""

from __future__ import annotations

from dataclasses import dataclass

from latentbrush.ml.manifest import Manifest

TELEA, NAVIER_STOKES, PRIOR = "telea", "navier-stokes", "generator-prior"
CLASSICAL = {TELEA: "Telea (classical, instant)", NAVIER_STOKES: "Navier–Stokes (classical, instant)"}
# order of preference when the person does not choose (measured: resources/reports/inpaint-bench.json)
ARCH_RANK = {"lama": 0, "completion": 1}


@dataclass(frozen=True)
class FillMethod:
    id: str
    title: str
    learned: bool        # Poisson blending on by default for learned fills
    available: bool = True


def fill_methods(manifest: Manifest) -> list[FillMethod]:
    out = []
    learned = sorted(manifest.of_kind("inpainter"), key=lambda s: (ARCH_RANK.get(s.arch, 9), not s.default))
    for s in learned:
        out.append(FillMethod(s.id, s.title, True, manifest.path(s).is_file()))
    gen = manifest.default("generator")
    if gen is not None and manifest.for_generator("encoder", gen.id):
        out.append(FillMethod(PRIOR, "Generator prior (faces)", True, manifest.path(gen).is_file()))
    out += [FillMethod(k, v, False) for k, v in CLASSICAL.items()]
    return out


def default_method(manifest: Manifest) -> str:
    """The best method whose weights are here: LaMa, then the completion network, then Telea."""
    for m in fill_methods(manifest):
        if m.available and m.id != PRIOR:
            return m.id
    return TELEA


def default_blend(method_id: str, manifest: Manifest) -> str:
    for m in fill_methods(manifest):
        if m.id == method_id:
            return "poisson" if m.learned else "none"
    return "none"
