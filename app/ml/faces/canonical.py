"""Where the default generator (face-dcgan64) puts the five landmarks, as fractions of its frame
(x right, y down, 0..1; left = smaller x; x · 64 is the continuous pixel coordinate in the 64²
frame, pixel i spanning [i, i + 1)): measured by app/ml/train/face_landmarks.py over confident,
frontal-ish samples and stored in canonical.json next to this module.

    CANONICAL_LANDMARKS   (5, 2) float64: left eye, right eye, nose, left / right mouth corner
    CANONICAL_SPREAD      (5, 2) float64: their standard deviation over the samples
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

CANONICAL_JSON = Path(__file__).with_name("canonical.json")


def load_canonical(path: Path = CANONICAL_JSON) -> dict:
    """The measurement report: mean / std (5×2 lists), detection rates, criteria."""
    data = json.loads(path.read_text(encoding="utf-8"))
    mean = np.asarray(data["mean"], dtype=np.float64)
    if mean.shape != (5, 2) or not np.all((mean > 0) & (mean < 1)):
        raise ValueError(f"{path.name}: 'mean' must be 5 (x, y) fractions of the frame")
    return data


_DATA = load_canonical()
CANONICAL_LANDMARKS: np.ndarray = np.asarray(_DATA["mean"], dtype=np.float64)
CANONICAL_SPREAD: np.ndarray = np.asarray(_DATA["std"], dtype=np.float64)
CANONICAL_LANDMARKS.setflags(write=False)
CANONICAL_SPREAD.setflags(write=False)
GENERATOR_ID: str = str(_DATA.get("generator", "face-dcgan64"))
