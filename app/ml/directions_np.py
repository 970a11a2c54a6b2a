"""Reading a directions file without torch (the UI needs the vectors for custom sliders):
sha256 first, then safetensors' numpy loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from latentbrush.ml.hashing import verify


def read_directions(path: Path, sha256: str, names: list[str]) -> dict[str, np.ndarray]:
    verify(path, sha256)
    arr = load_file(str(path))["directions"].astype(np.float32)
    if arr.shape[0] != len(names):
        raise ValueError(f"{path.name}: {arr.shape[0]} directions but the manifest names {len(names)}")
    return {n: d / max(float(np.linalg.norm(d)), 1e-12) for n, d in zip(names, arr, strict=True)}
