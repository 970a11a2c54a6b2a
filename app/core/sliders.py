"""Custom sliders made in the app from examples ("with" / "without" an attribute), saved as
JSON in the user's data folder. Pure numpy: no Qt, no torch."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]{0,31}$")


class SliderError(ValueError):
    pass


def direction_from_examples(with_z: list[np.ndarray], without_z: list[np.ndarray]) -> np.ndarray:
    """The classic attribute vector: mean(with) − mean(without), as a unit vector."""
    if len(with_z) < 1 or len(without_z) < 1:
        raise SliderError("mark at least one image “with” and one “without” the attribute")
    d = np.mean(np.stack(with_z), 0) - np.mean(np.stack(without_z), 0)
    n = float(np.linalg.norm(d))
    if n < 1e-6:
        raise SliderError("the “with” and “without” examples are the same image")
    return (d / n).astype(np.float32)


class CustomSliders:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.items: dict[str, dict] = {}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text())
                for name, it in data.items():
                    d = np.asarray(it["direction"], np.float32)
                    if d.ndim == 1 and np.isfinite(d).all():
                        self.items[name] = {"generator": str(it["generator"]), "direction": d}
            except (OSError, ValueError, KeyError, TypeError):
                self.items = {}          # a damaged file loses the custom sliders, never the app

    def for_generator(self, generator: str) -> dict[str, np.ndarray]:
        return {n: it["direction"] for n, it in self.items.items() if it["generator"] == generator}

    def add(self, name: str, generator: str, direction: np.ndarray) -> None:
        name = name.strip()
        if not _NAME.match(name):
            raise SliderError("a slider name is 1–32 letters, digits, spaces, _ or -, starting with a letter")
        self.items[name] = {"generator": generator, "direction": np.asarray(direction, np.float32)}
        self.save()

    def remove(self, name: str) -> None:
        self.items.pop(name, None)
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {n: {"generator": it["generator"], "direction": [round(float(v), 6) for v in it["direction"]]}
                for n, it in self.items.items()}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sliders.", suffix=".part")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, self.path)
