"""Which fill methods exist (torch-free, so the UI and CLI can list them).

Built-in: the classical OpenCV methods (any image, instant), the frequency-selective reconstruction
(OpenCV-contrib xphoto), the content-aware fill (the default: coherence transport on photos, weighed
with the learned fill and the frequency-selective one on faces and small crops, with texture copied
from the photo; app/ml/inpaint/content_aware.py) and the generator prior (faces; needs a generator
and an encoder in the manifest).
Learned: every `inpainter` entry of the manifest —
the project's completion network (arch "completion", safetensors) and a person's own LaMa
(arch "lama", TorchScript `.ts`, loaded only because its sha256 is pinned in the manifest).
"""

from __future__ import annotations

from dataclasses import dataclass

from latentbrush.ml.manifest import Manifest

TELEA, NAVIER_STOKES, PRIOR = "telea", "navier-stokes", "generator-prior"
FSR, CONTENT_AWARE, EXEMPLAR = "frequency-selective", "content-aware", "exemplar"
# (not "instant": a 200-k-px hole in a 12-MP photo takes seconds, helper 75)
CLASSICAL = {TELEA: "Telea (classical, fastest)", NAVIER_STOKES: "Navier–Stokes (classical, fastest)"}
TITLES = {CONTENT_AWARE: "Content-aware (default)",
          EXEMPLAR: "Content-aware, best quality (texture synthesis, slower)",
          FSR: "Frequency-selective (classical)", PRIOR: "Generator prior (faces)", **CLASSICAL}
# order of preference when the person does not choose (measured: resources/reports/inpaint-bench.json)
ARCH_RANK = {"lama": 0, "completion": 1}


@dataclass(frozen=True)
class FillMethod:
    id: str
    title: str
    learned: bool        # a learned fill (its default seam: `default_blend`)
    available: bool = True


def fsr_available() -> bool:
    """Whether this OpenCV build has the contrib xphoto module (opencv-contrib-python-headless)."""
    import cv2
    return hasattr(cv2, "xphoto")


def fill_methods(manifest: Manifest) -> list[FillMethod]:
    """In order of preference (measured: resources/reports/inpaint-bench.json): a person's LaMa, the
    content-aware fill, its slower best-quality form (exemplar synthesis), the project's completion
    network, the generator prior, the classical fills."""
    learned = sorted(manifest.of_kind("inpainter"), key=lambda s: (ARCH_RANK.get(s.arch, 9), not s.default))
    nets = [FillMethod(s.id, s.title, True, manifest.path(s).is_file()) for s in learned]
    out = [m for m, s in zip(nets, learned, strict=True) if s.arch == "lama"]
    out.append(FillMethod(CONTENT_AWARE, TITLES[CONTENT_AWARE], True, fsr_available()))
    out.append(FillMethod(EXEMPLAR, TITLES[EXEMPLAR], True, fsr_available()))
    out += [m for m, s in zip(nets, learned, strict=True) if s.arch != "lama"]
    gen = manifest.default("generator")
    if gen is not None and manifest.for_generator("encoder", gen.id):
        out.append(FillMethod(PRIOR, TITLES[PRIOR], True, manifest.path(gen).is_file()))
    out.append(FillMethod(FSR, TITLES[FSR], False, fsr_available()))
    out += [FillMethod(k, v, False) for k, v in CLASSICAL.items()]
    return out


def learned_structure(manifest: Manifest) -> str | None:
    """The project's completion network the content-aware fill weighs against the frequency-selective
    one (None when its weights are not here)."""
    for s in sorted(manifest.of_kind("inpainter"), key=lambda s: not s.default):
        if s.arch == "completion" and manifest.path(s).is_file():
            return s.id
    return None


def default_method(manifest: Manifest) -> str:
    """The best method that can run here: LaMa, then the content-aware fill, then the completion
    network, then Telea (never a slow one: the prior, the exemplar synthesis)."""
    for m in fill_methods(manifest):
        if m.available and m.id not in (PRIOR, EXEMPLAR):
            return m.id
    return TELEA


def default_blend(method_id: str, manifest: Manifest) -> str:
    """The seam a method's fill gets unless the person chooses one: "own" for the content-aware fills and the
    generator prior (they run the photo's lines and grain, or the fitted face, up to the hole's edge; a Poisson
    seam there lost up to 0.24 dB on the photo crops and 0.7 dB on the prior's faces, stop 61; the mirrored eye's
    own surroundings are still blended), Poisson for the networks (their fill meets the photo with a step:
    +0.25 to +0.78 dB, `latentbrush bench inpaint_seams`), none for the classical fills."""
    if method_id in (CONTENT_AWARE, EXEMPLAR, PRIOR):
        return "own"
    for m in fill_methods(manifest):
        if m.id == method_id:
            return "poisson" if m.learned else "none"
    return "none"
