"""Custom sliders made in the app from examples ("with" / "without" an attribute), saved as
JSON in the user's data folder. Pure numpy: no Qt, no torch."""

from __future__ import annotations

import json
import logging
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


MAX_FILE_BYTES = 16 << 20
MAX_NZ = 4096
log = logging.getLogger(__name__)


def _entry(it: object) -> dict | None:
    """One saved slider, or None when it is not {"generator": str, "direction": [numbers]}."""
    if not isinstance(it, dict) or not isinstance(it.get("generator"), str):
        return None
    v = it.get("direction")
    if not (isinstance(v, list) and 0 < len(v) <= MAX_NZ
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)):
        return None
    d = np.asarray(v, np.float32)
    return {"generator": it["generator"], "direction": d} if np.isfinite(d).all() else None


class CustomSliders:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.items: dict[str, dict] = {}
        self.problem: str | None = None      # why (some of) the file could not be read
        if self.path.exists():
            try:
                if not self.path.is_file() or self.path.stat().st_size > MAX_FILE_BYTES:
                    raise SliderError("not a file, or too large for a sliders file")
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if not isinstance(data, dict):
                    raise SliderError("not a sliders file")
            except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
                # never lose the app, and never overwrite the damaged file (save() sets it aside)
                self.problem = f"{self.path.name}: {e}"
                log.warning("custom sliders not loaded: %s", self.problem)
                return
            bad = []
            for name, it in data.items():
                entry = _entry(it) if _NAME.match(name) else None
                if entry is None:
                    bad.append(name[:40])
                else:
                    self.items[name] = entry
            if bad:
                self.problem = f"{self.path.name}: skipped damaged sliders {', '.join(bad[:5])}"
                log.warning("%s", self.problem)

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
        """Write atomically; a file that could not be read is kept as *.damaged, not overwritten.
        Failures raise SliderError (a message for the person)."""
        data = {n: {"generator": it["generator"], "direction": [round(float(v), 6) for v in it["direction"]]}
                for n, it in self.items.items()}
        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.problem is not None and self.path.is_file():
                os.replace(self.path, self.path.with_name(self.path.name + ".damaged"))
                self.problem = None
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sliders.", suffix=".part")
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=1)
            os.replace(tmp, self.path)
        except OSError as e:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise SliderError(f"could not save the sliders to {self.path}: {e.strerror or e}") from e
