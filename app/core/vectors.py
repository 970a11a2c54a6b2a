"""Saved editing vectors: the latent change of a part edit, named, re-applied to other images.

One JSON file per vector in DATA_DIR/vectors/ (human-readable, no pickle):
    {"format": "latentbrush-vector", "version": 1, "name": "bigger smile",
     "generator": "face-dcgan64", "parts": ["mouth", "skin"], "delta": [100 floats]}
`parts` are the parts the edit changed; applying the vector is clipped to them.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = "latentbrush-vector"
MAX_BYTES = 1 << 20


class VectorError(ValueError):
    pass


@dataclass(frozen=True)
class EditVector:
    name: str
    generator: str
    delta: np.ndarray
    parts: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "version": 1, "name": self.name, "generator": self.generator,
                           "parts": list(self.parts), "delta": [round(float(v), 6) for v in self.delta]})


def slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s[:60] or "vector"


def parse(text: str, where: str = "vector") -> EditVector:
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise VectorError(f"{where}: not a vector file ({e})") from e
    except RecursionError:
        raise VectorError(f"{where}: not a vector file (nested too deeply)") from None
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise VectorError(f"{where}: not a Latentbrush vector file")
    delta = d.get("delta")
    if not isinstance(delta, list) or not delta or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in delta):
        raise VectorError(f"{where}: the vector has no numbers")
    arr = np.asarray(delta, np.float32)
    if not all(math.isfinite(v) for v in arr.tolist()):
        raise VectorError(f"{where}: the vector holds NaN or infinite values")
    name = str(d.get("name") or "").strip()
    if not name:
        raise VectorError(f"{where}: the vector has no name")
    parts = d.get("parts") or []
    if not isinstance(parts, list):
        raise VectorError(f"{where}: 'parts' must be a list")
    return EditVector(name, str(d.get("generator", "")), arr, tuple(str(p) for p in parts))


class VectorStore:
    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)

    def path(self, name: str) -> Path:
        return self.dir / f"{slug(name)}.json"

    def save(self, vec: EditVector) -> Path:
        if not vec.name.strip():
            raise VectorError("give the vector a name")
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self.path(vec.name)
        fd, tmp = tempfile.mkstemp(prefix=".vec.", suffix=".part", dir=self.dir)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(vec.to_json())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def load_all(self) -> tuple[list[EditVector], list[str]]:
        """All readable vectors (sorted by name) and a message per file that could not be read."""
        out, bad = [], []
        if not self.dir.is_dir():
            return out, bad
        for p in sorted(self.dir.glob("*.json")):
            try:
                if p.stat().st_size > MAX_BYTES:
                    raise VectorError(f"{p.name}: too large for a vector file")
                out.append(parse(p.read_text(encoding="utf-8"), p.name))
            except (OSError, UnicodeDecodeError, VectorError) as e:
                bad.append(str(e))
        return sorted(out, key=lambda v: v.name.lower()), bad

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)
