"""sha256 of files: no torch here, so the GUI can verify weights without importing it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from latentbrush.ml.errors import ChecksumMismatch, MissingWeights


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def verify(path: str | Path, sha256: str) -> None:
    path = Path(path)
    if not path.is_file():
        raise MissingWeights(f"weights file {path} is missing (run: latentbrush models fetch)")
    actual = sha256_file(path)
    if actual != sha256.lower():
        raise ChecksumMismatch(
            f"{path.name}: sha256 is {actual[:16]}…, the manifest pins {sha256[:16]}…; "
            "the file is damaged or was replaced, so it is not loaded")


def model_states(manifest, *, deep: bool = False) -> list[tuple[object, str]]:
    """(spec, state) per manifest entry: ok | missing | corrupt (corrupt only checked if deep),
    plus (path, "untrusted") for weight files in models/ that no entry names."""
    out: list[tuple[object, str]] = []
    for spec in manifest:
        path = manifest.path(spec)
        if not path.is_file():
            out.append((spec, "missing"))
        elif deep and sha256_file(path) != spec.sha256:
            out.append((spec, "corrupt"))
        else:
            out.append((spec, "ok" if deep else "present"))
    out.extend((p, "untrusted") for p in manifest.untrusted_files())
    return out
