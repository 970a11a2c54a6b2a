"""Sketch → face pairs made from the generator's samples: the pix2pix training batches
(app/ml/train/pix2pix.py) and the held-out sets that training and the `sketch` benchmark score on.

Styles of sketch: "edges" (Canny edge maps, soft grey lines — the first translator's training
data), "drawings" (a person's line drawing: smoothed mid-grey contours, 2–4 px lines at 256²,
app/ml/translate/drawings.py, seen at the translator's 64²) and "cartoons" (a face drawn from memory:
an oval, almond eyes, an L for the nose, a smile; app/ml/translate/cartoons.py, made from the face's part
map); "mixed" draws each from edges or drawings, "people" from drawings, cartoons or edges
(PEOPLE_MIX).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from latentbrush.ml.tensors import batch_to_tensor, to_images
from latentbrush.ml.translate.cartoons import cartoon_drawing
from latentbrush.ml.translate.drawings import line_drawing
from latentbrush.ml.translate.sketch import edge_sketch

EVAL_SEED = 4_000_037      # the held-out faces (torch.Generator seed); training draws from other seeds
STYLES = ("edges", "drawings", "mixed", "cartoons", "people")
PEOPLE_MIX = (0.8, 0.15)   # "people": the shares of drawings and cartoons (the rest edges). The held-out drawings'
#                            refined gain over the average face: 0.45 / 0.4 +2.95 dB, 0.6 / 0.3 +3.14 (+3.19 with
#                            the band term), 0.8 / 0.15 +3.35 with it (+3.36 before fine-tuning; the shipped one)
NEEDS_PARTS = ("cartoons", "people")     # the styles made from the face's part map
DRAW_SIZE = 256            # drawings are made at this size (the canvas a person draws on), then shrunk


def drawing_at(drawing: np.ndarray, size: int) -> np.ndarray:
    """A drawing (255 paper, 0 line) at the translator's size: area averaging, lines darkened back
    (the editor reads the canvas strokes the same way)."""
    ink = cv2.resize(255 - drawing, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    return (255 - np.clip(ink * 1.6, 0, 255)).astype(np.uint8)


def sketch_of(face: np.ndarray, style: str, rng: np.random.Generator | None,
              parts: tuple[np.ndarray, tuple[str, ...]] | None = None,
              mix: tuple[float, float] = PEOPLE_MIX, smile: float | None = None) -> np.ndarray:
    """One face (R, R, 3) uint8 → its sketch (R, R) uint8 in the given style (rng None: the
    canonical held-out version, no augmentation). `parts`: the face's part map and the part names (for
    cartoons); `mix`: the shares of drawings and cartoons in "people"; `smile`: how much the face smiles
    (σ along the generator's smile direction; cartoons bend the mouth by it)."""
    if style == "mixed":
        style = "drawings" if rng is None or rng.random() < 0.5 else "edges"
    if style == "people":
        r = 0.0 if rng is None else rng.random()
        style = "drawings" if r < mix[0] else "cartoons" if r < mix[0] + mix[1] else "edges"
    if style == "cartoons":
        if parts is None:
            raise ValueError("cartoons are drawn from the face's part map: pass `parts`")
        width = 3 if rng is None else int(rng.integers(2, 6))
        drawn = cartoon_drawing(parts[0], parts[1], DRAW_SIZE, thickness=width, rng=rng, smile=smile)
        return drawing_at(drawn, face.shape[0])
    if style == "drawings":
        width = 3 if rng is None else int(rng.integers(2, 5))
        return drawing_at(line_drawing(face, DRAW_SIZE, thickness=width, rng=rng), face.shape[0])
    thick = 1 if rng is None else int(rng.integers(0, 3))
    s = edge_sketch(face, thickness=thick).astype(np.float32)
    if rng is not None and rng.random() < 0.5:       # drop a random patch of lines
        h, w = s.shape
        y0, x0 = int(rng.integers(0, h - 16)), int(rng.integers(0, w - 16))
        s[y0:y0 + int(rng.integers(6, 16)), x0:x0 + int(rng.integers(6, 16))] = 255
    return s.astype(np.uint8)


def faces_and_sketches(G, n: int, gen: torch.Generator, rng: np.random.Generator | None, device,
                       style: str = "edges", seg=None, mix: tuple[float, float] = PEOPLE_MIX,
                       smile: torch.Tensor | None = None):
    """(sketches (n, 1, R, R) in [-1, 1], faces (n, 3, R, R) in [-1, 1]); rng None = no augmentation.
    `seg`: the generator's part segmenter (app/ml/nets/parts.py), for the styles in NEEDS_PARTS;
    `smile`: the generator's smile direction (nz,), unit length: cartoons draw each face's smile."""
    if style not in STYLES:
        raise ValueError(f"unknown sketch style {style!r} ({', '.join(STYLES)})")
    if style in NEEDS_PARTS and seg is None:
        raise ValueError(f"{style} are drawn from the face's part map: pass the part segmenter")
    z = torch.randn(n, G.nz, generator=gen).to(device)
    with torch.no_grad():
        x = G(z).clamp(-1, 1)
    labels = seg.labels(G, z, x.shape[-1]).cpu().numpy() if style in NEEDS_PARTS else [None] * n
    names = tuple(seg.names) if seg is not None else ()
    smiles = (z.reshape(n, -1) @ smile.to(z).reshape(-1)).tolist() if smile is not None else [None] * n
    sk = [sketch_of(f, style, rng, (lab, names) if lab is not None else None, mix, sm).astype(np.float32)
          for f, lab, sm in zip(to_images(x), labels, smiles, strict=True)]
    return batch_to_tensor(np.stack(sk), device), x
