"""issue 19: whether and at which scale the default fill's patch synthesis should work — paired comparisons on 256²
crops (held-out photos and the real portraits' frames), the same crops and masks for every variant.

Per crop: the fill's PSNR inside the hole minus the better of Telea / Navier–Stokes (Poisson seams for
the fill, as the editor). Per set and seed: each variant's mean gain, texture kept (median), and its
per-crop difference from synthesising at 64 px alone (mean ± standard error; since stop 40 also
the default's fill without synthesis, on coherence transport): a difference of a few
tenths of a dB is invisible in an unpaired mean of 16 crops, whose spread is ±0.3 dB."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from latentbrush.bench.common import Measurement, model_manager
from latentbrush.bench.inpaint_bench import fill_all, held_out_photos_256, hole_psnr, texture_kept

SEEDS = (101, 202)
# the first is the reference of the paired differences; None: no synthesis (the default since stop 40,
# where coherence transport became the structure of crops larger than 64 px)
VARIANTS = {"synthesis at 64 px": (64,), "synthesis at 64, then 128 px (stops 38–39)": (64, 128),
            "no synthesis (default since stop 40)": None}
REFERENCE = next(iter(VARIANTS))


def _sets(seed: int, n: int, portraits: list[np.ndarray]) -> dict[str, tuple[list, list]]:
    from latentbrush.ml.inpaint.masks import random_mask

    held = held_out_photos_256(n, np.random.default_rng(seed))
    large = [q for q in portraits if min(q.shape[:2]) >= 256]
    rng = np.random.default_rng(seed + 1)
    big = []
    for i in range(n if large else 0):
        p = large[i % len(large)]
        y, x = int(rng.integers(0, p.shape[0] - 255)), int(rng.integers(0, p.shape[1] - 255))
        big.append(np.ascontiguousarray(p[y:y + 256, x:x + 256]))
    masks = np.random.default_rng(seed + 2)
    out = {}
    for name, crops in (("held-out", held), ("portraits", big)):
        if crops is None or not len(crops):
            continue
        for kind in ("blob", "stroke"):
            cov = (0.08, 0.3) if kind == "blob" else (0.1, 0.4)
            out[f"{name} {kind}s"] = (list(crops), [(random_mask(256, 256, masks, kind=kind, coverage=cov) * 255)
                                                     .astype(np.uint8) for _ in crops])
    return out


def inpaint_scales(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    import json

    from latentbrush.bench.portraits import loaded
    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.fill import make_filler

    mm = model_manager()
    fill = make_filler(methods.CONTENT_AWARE, mm)
    classical = [make_filler(m, mm) for m in (methods.TELEA, methods.NAVIER_STOKES)]
    portraits = [img for p, img in loaded(Path(__file__).resolve().parents[2]) if p.name != "astronaut"]
    n = 6 if quick else 32
    rows: list[Measurement] = []
    table: dict = {}
    for seed in SEEDS[:1] if quick else SEEDS:
        for sname, (crops, masks) in _sets(seed, n, portraits).items():
            base = [max(hole_psnr(fill_all(c, im[None], m[None], "none")[0], im, m) for c in classical)
                    for im, m in zip(crops, masks, strict=True)]
            gains = {}
            for vname, sides in VARIANTS.items():
                fill.synthesis = sides is not None
                fill.synth_sides = sides or fill.synth_sides
                outs = [fill_all(fill, im[None], m[None], "own")[0] for im, m in zip(crops, masks, strict=True)]
                gains[vname] = np.array([hole_psnr(o, im, m) - b for o, im, m, b in zip(outs, crops, masks, base,
                                                                                          strict=True)])
                kept = float(np.median([texture_kept(o, im, m) for o, im, m in zip(outs, crops, masks, strict=True)]))
                d = gains[vname] - gains[REFERENCE]
                se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
                table.setdefault(f"seed {seed}", {}).setdefault(sname, {})[vname] = {
                    "gain": float(gains[vname].mean()), "texture_kept_median": kept,
                    "vs_64px": float(d.mean()), "vs_64px_se": se, "n": len(d)}
                rows.append((f"seed {seed}, {sname} ({len(d)}): {vname}, gain over the better of Telea/NS",
                             float(gains[vname].mean()), "dB"))
                if vname != REFERENCE:
                    rows.append((f"seed {seed}, {sname}: {vname} − {REFERENCE}, per crop (± {se:.2f} s.e.)",
                                 float(d.mean()), "dB"))
    if out is not None:
        (out / "inpaint_scales.json").write_text(json.dumps(table, indent=2))
    return rows
