"""Attribute directions for the default generator, reproducible offline.

1. Sample N latents z ~ N(0, I), render them, score each with the detectors of
   app/ml/latent/attributes.py (Haar cascades, measured geometry and colour).
2. Per attribute, on 80 % of the samples: the classic direction = mean(z | top 30 %) −
   mean(z | bottom 30 %), and a linear-classifier normal (L2-regularised logistic regression on
   the same two classes). Each is scored on the held-out 20 % (AUC of z·d between the classes,
   and the correlation of z·d with the raw score); the better one is kept.
3. Decorrelation: pose (head_turn) and lighting are projected out of every other direction
   (Gram–Schmidt), so e.g. "smile" does not also turn or relight the face. The drift of pose and
   lighting when moving ±3 along a direction is measured before and after.
4. "Explore" directions: principal components of the generator's first-layer features
   (GANSpace-style), mapped back to z by least squares.

    python -m latentbrush.ml.train.directions --n 12000 --out models/directions-face64.safetensors
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from latentbrush.ml.latent.attributes import SCORERS
from latentbrush.ml.nets.directions import LatentDirections
from latentbrush.ml.tensors import to_images
from latentbrush.ml.train.common import export_fp16, load_generator
from latentbrush.paths import models_dir

NUISANCE = ("head_turn", "lighting")
SEED = 31_337


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability that a random positive projects above a random negative."""
    allv = np.concatenate([pos, neg])
    ranks = allv.argsort().argsort().astype(np.float64) + 1
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def classes(scores: np.ndarray, frac: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.quantile(scores, [frac, 1 - frac])
    if lo == hi:   # discrete scores: split at the median instead
        return scores > np.median(scores), scores <= np.median(scores)
    return scores >= hi, scores <= lo


def logistic_normal(z: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 300) -> np.ndarray:
    zt, yt = torch.from_numpy(z), torch.from_numpy(y.astype(np.float32))
    w = torch.zeros(z.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(zt @ w + b, yt) + l2 * w.pow(2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    return w.detach().numpy()


def unit(v: np.ndarray) -> np.ndarray:
    return (v / max(np.linalg.norm(v), 1e-12)).astype(np.float32)


def orthogonalize(d: np.ndarray, basis: list[np.ndarray]) -> np.ndarray:
    q: list[np.ndarray] = []
    for b in basis:                      # orthonormal basis of the nuisance directions
        v = b - sum((b @ u) * u for u in q)
        q.append(unit(v))
    return unit(d - sum((d @ u) * u for u in q))


def render_scores(G, z: np.ndarray, batch: int = 256) -> dict[str, np.ndarray]:
    imgs = []
    with torch.no_grad():
        for i in range(0, len(z), batch):
            imgs.append(to_images(G(torch.from_numpy(z[i:i + batch]))))
    imgs = np.concatenate(imgs)
    return {name: f(imgs) for name, f in SCORERS.items()}


def effect(G, z: np.ndarray, d: np.ndarray, amount: float = 3.0) -> dict[str, float]:
    """Mean score change of every attribute moving from −amount to +amount along d."""
    plus = render_scores(G, (z + amount * d).astype(np.float32))
    minus = render_scores(G, (z - amount * d).astype(np.float32))
    return {k: float((plus[k] - minus[k]).mean()) for k in plus}


def explore_directions(G, n: int, k: int, seed: int) -> np.ndarray:
    """Top-k principal components of the first block's features, regressed back onto z."""
    z = torch.randn(n, G.nz, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        h = G.main[:3](z[:, :, None, None]).flatten(1)
    h = h - h.mean(0)
    _, _, v = torch.pca_lowrank(h, q=k, center=False)
    coords = h @ v                                       # (n, k)
    w = torch.linalg.lstsq(z, coords).solution           # (nz, k): z → coords
    return np.stack([unit(w[:, i].numpy()) for i in range(k)])


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=12000)
    p.add_argument("--effect-n", type=int, default=300, help="held-out samples for the ±3 effect table")
    p.add_argument("--explore", type=int, default=6)
    p.add_argument("--models", default=str(models_dir()))
    p.add_argument("--generator", default=None)
    p.add_argument("--out", required=True)
    p.add_argument("--report", default=None, help="JSON report (default: OUT with .json)")
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    G, gen_id = load_generator(a.models, a.generator, torch.device("cpu"))
    t0 = time.time()
    rng = np.random.default_rng(SEED)
    z = rng.standard_normal((a.n, G.nz)).astype(np.float32)
    scores = render_scores(G, z)
    n_train = int(0.8 * a.n)
    report: dict = {"generator": gen_id, "n": a.n, "seconds_scoring": round(time.time() - t0, 1), "attributes": {}}
    raw: dict[str, np.ndarray] = {}
    for name, s in scores.items():
        pos, neg = classes(s[:n_train])
        md = unit(z[:n_train][pos].mean(0) - z[:n_train][neg].mean(0))
        sel = pos | neg
        lr = unit(logistic_normal(z[:n_train][sel], pos[sel]))
        hpos, hneg = classes(s[n_train:])
        rep = {}
        for method, d in (("mean_difference", md), ("logistic", lr)):
            proj = z[n_train:] @ d
            rep[method] = {"auc": auc(proj[hpos], proj[hneg]), "corr": float(np.corrcoef(proj, s[n_train:])[0, 1])}
        best = max(rep, key=lambda m: rep[m]["auc"])
        raw[name] = md if best == "mean_difference" else lr
        report["attributes"][name] = {**rep, "chosen": best}
    basis = [raw[n] for n in NUISANCE]
    final: dict[str, np.ndarray] = {}
    zeff = rng.standard_normal((a.effect_n, G.nz)).astype(np.float32)
    for name, d in raw.items():
        r = report["attributes"][name]
        if name in NUISANCE:
            final[name] = d
        else:
            final[name] = orthogonalize(d, basis)
            r["cos_to_nuisance_before"] = {k: float(d @ raw[k]) for k in NUISANCE}
            r["cos_to_nuisance_after"] = {k: float(final[name] @ raw[k]) for k in NUISANCE}
            r["effect_before"] = effect(G, zeff, d)
        r["effect"] = effect(G, zeff, final[name])
        proj = z[n_train:] @ final[name]
        hpos, hneg = classes(scores[name][n_train:])
        r["auc_final"] = auc(proj[hpos], proj[hneg])
        print(f"{name:11s} AUC md {r['mean_difference']['auc']:.3f} lr {r['logistic']['auc']:.3f} "
              f"final {r['auc_final']:.3f}  Δscore(±3) {r['effect'][name]:+.3f}", flush=True)
    explore = explore_directions(G, 5000, a.explore, SEED + 1)
    names = list(final) + [f"explore_{i + 1}" for i in range(a.explore)]
    kinds = ["attribute"] * len(final) + ["explore"] * a.explore
    net = LatentDirections(names, G.nz, kinds)
    net.directions.copy_(torch.from_numpy(np.concatenate([np.stack(list(final.values())), explore])))
    report["names"], report["kinds"] = names, kinds
    report["seconds"] = round(time.time() - t0, 1)
    # directions are unit vectors; fp16 keeps them to ~1e-3, plenty for a slider
    digest = export_fp16(net, a.out, {"generator": gen_id, "names": names, "kinds": kinds})
    Path(a.report or Path(a.out).with_suffix(".json")).write_text(json.dumps(report, indent=1))
    print(f"wrote {a.out} sha256={digest}")
    return report


if __name__ == "__main__":
    main()
