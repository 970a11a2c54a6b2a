"""inpaint_memory: the memory and time of filling large holes in a 48-MP photo, as `latentbrush inpaint` does it.

Each case runs the command in a fresh process (the models loaded, the photo opened, the fill, the PNG
written) and reads that process's peak resident memory. The photo is the astronaut sample scaled to
8000 × 6000 with a fine grain added (a phone's or a camera's full-resolution photo); the masks: a 1500-px
disc, a 5000 × 4000-px rectangle, and all but a 100-px border; and the rectangle again in a photo of a
texture (gravel), where the fill's finer band is quilted from the photo (stop 62). A helper's full-photo fill
had peaked near 11 GB (stop 60): on a 16-GB laptop the editor would be killed mid-fill.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from latentbrush.bench.common import Measurement

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "astronaut.jpg"
SIZE = (8000, 6000)

_CHILD = r"""
import resource, sys, time, json
from latentbrush.main import main
t = time.perf_counter()
rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "seconds": time.perf_counter() - t,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9}))
"""


def _photo(path: Path) -> None:
    import cv2
    from PIL import Image

    img = np.asarray(Image.open(SAMPLE).convert("RGB"))
    big = cv2.resize(img, SIZE, interpolation=cv2.INTER_CUBIC).astype(np.int16)
    big += np.random.default_rng(0).integers(-6, 7, big.shape, dtype=np.int16)
    Image.fromarray(np.clip(big, 0, 255).astype(np.uint8)).save(path, quality=92)


def _texture(path: Path) -> None:
    """A stationary texture over the whole photo (gravel seen from above: features a few px to ~40 px across),
    where a large fill is quilted from the photo's own finer band (quilt.py)."""
    import cv2
    from PIL import Image

    w, h = SIZE
    rng = np.random.default_rng(1)
    g = cv2.GaussianBlur(rng.standard_normal((h, w), dtype=np.float32), (0, 0), 6)
    g = np.tanh(3 * g / g.std()) * 45
    g += cv2.GaussianBlur(rng.standard_normal((h, w), dtype=np.float32), (0, 0), 1.5) * 12
    rgb = np.clip(np.stack([120 + g, 110 + 0.9 * g, 80 + 0.7 * g], -1), 0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(path, quality=92)


def _masks() -> dict[str, np.ndarray]:
    import cv2

    w, h = SIZE
    disc = np.zeros((h, w), np.uint8)
    cv2.circle(disc, (w // 2, h // 2), 750, 255, -1)
    rect = np.zeros((h, w), np.uint8)
    rect[1000:5000, 1500:6500] = 255
    most = np.zeros((h, w), np.uint8)
    most[100:-100, 100:-100] = 255
    return {"a 1500-px disc": disc, "a 5000x4000 rectangle": rect, "all but a 100-px border": most}


def inpaint_memory(quick: bool = False) -> list[Measurement]:
    from PIL import Image

    rows: list[Measurement] = []
    with tempfile.TemporaryDirectory() as tmp:
        photo, texture = Path(tmp) / "photo.jpg", Path(tmp) / "texture.jpg"
        _photo(photo)
        masks = _masks()
        cases = [(photo, name, mask) for name, mask in masks.items()][: 1 if quick else None]
        if not quick:
            _texture(texture)
            cases.append((texture, "a 5000x4000 rectangle in a textured photo", masks["a 5000x4000 rectangle"]))
        for path, name, mask in cases:
            mpath = Path(tmp) / "mask.png"
            Image.fromarray(mask).save(mpath)
            r = subprocess.run([sys.executable, "-c", _CHILD, "inpaint", str(path), "--mask", str(mpath),
                                "-o", str(Path(tmp) / "out.png"), "--overwrite"],
                               capture_output=True, text=True, timeout=1800)
            last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
            if r.returncode != 0 or not last.startswith("{") or json.loads(last)["rc"] != 0:
                raise RuntimeError(f"inpaint failed on {name}: {r.stderr[-2000:]}")
            res = json.loads(last)
            rows.append((f"8000x6000 photo, {name}: peak memory", res["peak_gb"], "GB"))
            rows.append((f"8000x6000 photo, {name}: time (load, fill, write)", res["seconds"], "s"))
    return rows
