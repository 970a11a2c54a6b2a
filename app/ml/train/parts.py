"""Unsupervised part segmentation for the default generator: spherical k-means over its
intermediate features, clusters named by face-layout templates.

1. Sample N latents; per-channel mean/std of the chosen layers' activations.
2. Descriptors (app/ml/nets/parts.py) on a 32×32 grid for every sample; a random subset of pixels per
   sample is clustered by spherical k-means (k-means++ seeding and Lloyd iterations, all from
   one seeded torch.Generator, so a fixed seed gives the same clusters).
3. Naming: on held-out samples each cluster's mean occupancy map (where it appears) is compared
   (cosine) with soft templates of a face framed the way the generator frames faces (eyes,
   nose, mouth, skin, hair, background, neck); a cluster that covers both the eye and the mouth
   templates (the generator's eyes and mouth share features) is split at the height that
   separates them. `--names 3=hair,7=skin` overrides the proposal for individual clusters.
4. Writes the weights (+ metadata), a JSON report (cluster sizes, names, scores, held-out
   stability) and a contact sheet of samples with their part maps.

    python -m latentbrush.ml.train.parts --out models/parts-face64.safetensors
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from latentbrush.ml.nets.parts import PartSegmenter
from latentbrush.ml.train.common import add_run_args, export_fp16, load_generator

PART_COLORS = {
    "background": (90, 110, 160), "hair": (120, 70, 30), "skin": (240, 190, 150), "eyes": (40, 200, 255),
    "nose": (255, 150, 0), "mouth": (220, 30, 60), "neck": (140, 210, 90),
}
PARTS = tuple(PART_COLORS)
FIT_SIZE = 32


def _gauss(u, v, cx, cy, sx, sy):
    return np.exp(-0.5 * (((u - cx) / sx) ** 2 + ((v - cy) / sy) ** 2))


def templates(size: int = FIT_SIZE) -> dict[str, np.ndarray]:
    """Soft (size, size) maps of where each part sits in the generator's framing (face box
    0.75 of the frame, centred at (0.50, 0.555) — measured in app/ml/latent/faces.py)."""
    ax = (np.arange(size) + 0.5) / size
    v, u = np.meshgrid(ax, ax, indexing="ij")
    eyes = _gauss(u, v, 0.33, 0.45, 0.06, 0.045) + _gauss(u, v, 0.67, 0.45, 0.06, 0.045)
    nose = _gauss(u, v, 0.5, 0.6, 0.05, 0.07)
    mouth = _gauss(u, v, 0.5, 0.75, 0.1, 0.04)
    face = (((u - 0.5) / 0.30) ** 2 + ((v - 0.57) / 0.36) ** 2 < 1).astype(float)
    skin = np.clip(face - eyes - nose - mouth, 0, 1)
    hair = np.clip((((u - 0.5) / 0.40) ** 2 + ((v - 0.22) / 0.22) ** 2 < 1).astype(float) - face, 0, 1)
    side = ((np.abs(u - 0.5) > 0.40) & (v < 0.85)).astype(float)
    background = np.clip(side + ((v < 0.08) & (np.abs(u - 0.5) > 0.25)), 0, 1)
    neck = ((v > 0.88) & (np.abs(u - 0.5) < 0.32)).astype(float)
    return {"background": background, "hair": hair, "skin": skin, "eyes": eyes, "nose": nose,
            "mouth": mouth, "neck": neck}


def activation_stats(seg: PartSegmenter, G, zs: torch.Tensor, batch: int = 100) -> None:
    """Per-channel mean/std of each chosen layer over all samples and pixels (float64 sums)."""
    sums = [torch.zeros(c, dtype=torch.float64) for c in seg.channels]
    sq = [torch.zeros(c, dtype=torch.float64) for c in seg.channels]
    count = [0] * len(seg.channels)
    with torch.no_grad():
        for b in range(0, len(zs), batch):
            _, acts = seg.activations(G, zs[b:b + batch])
            for i, a in enumerate(acts):
                a = a.double().cpu()
                sums[i] += a.sum((0, 2, 3))
                sq[i] += a.pow(2).sum((0, 2, 3))
                count[i] += a.shape[0] * a.shape[2] * a.shape[3]
    for i, c in enumerate(seg.channels):
        mu = sums[i] / count[i]
        sd = (sq[i] / count[i] - mu ** 2).clamp_min(0).sqrt() + 1e-3
        getattr(seg, f"mean{i}").copy_(mu.float().view(1, c, 1, 1))
        getattr(seg, f"std{i}").copy_(sd.float().view(1, c, 1, 1))


def descriptor_sample(seg: PartSegmenter, G, zs: torch.Tensor, per_image: int, gen: torch.Generator,
                      batch: int = 100) -> torch.Tensor:
    out = []
    with torch.no_grad():
        for b in range(0, len(zs), batch):
            _, acts = seg.activations(G, zs[b:b + batch])
            d = seg.descriptors(acts).cpu()
            n, D = d.shape[:2]
            flat = d.permute(0, 2, 3, 1).reshape(n, -1, D)
            idx = torch.stack([torch.randperm(flat.shape[1], generator=gen)[:per_image] for _ in range(n)])
            out.append(torch.gather(flat, 1, idx[..., None].expand(n, per_image, D)).reshape(-1, D))
    return torch.cat(out)


def spherical_kmeans(x: torch.Tensor, k: int, gen: torch.Generator, iters: int = 40) -> torch.Tensor:
    """Unit vectors x (M, D) → k unit centroids; k-means++ seeding on cosine distance."""
    m = x.shape[0]
    first = int(torch.randint(m, (1,), generator=gen))
    cents = [x[first]]
    dist = (1 - x @ x[first]).clamp_min(0)
    for _ in range(1, k):
        p = dist.double() ** 2
        i = int(torch.multinomial(p / p.sum(), 1, generator=gen))
        cents.append(x[i])
        dist = torch.minimum(dist, (1 - x @ x[i]).clamp_min(0))
    c = torch.stack(cents)
    for _ in range(iters):
        a = (x @ c.T).argmax(1)
        sums = torch.zeros_like(c).index_add_(0, a, x)
        counts = torch.bincount(a, minlength=k)
        empty = counts == 0
        c = torch.where(empty[:, None], c, F.normalize(sums, dim=1))
    return c


def occupancy(seg: PartSegmenter, G, zs: torch.Tensor, batch: int = 100) -> np.ndarray:
    """(k, FIT_SIZE, FIT_SIZE): how often each cluster is the hard assignment at each pixel."""
    occ = torch.zeros(seg.k, FIT_SIZE, FIT_SIZE)
    with torch.no_grad():
        for b in range(0, len(zs), batch):
            _, acts = seg.activations(G, zs[b:b + batch])
            a = seg.cluster_logits(seg.descriptors(acts), FIT_SIZE).argmax(1).cpu()
            occ += F.one_hot(a, seg.k).sum(0).permute(2, 0, 1).float()
    return (occ / len(zs)).numpy()


def name_clusters(occ: np.ndarray, overrides: dict[int, str] | None = None) -> tuple[list[dict], dict]:
    """Per cluster: part name, optional (split height, lower part), template scores."""
    tm = templates(occ.shape[-1])
    names = list(tm)
    T = np.stack([tm[n].ravel() / (np.linalg.norm(tm[n]) + 1e-9) for n in names])
    v_axis = (np.arange(occ.shape[-1]) + 0.5) / occ.shape[-1]
    out = []
    for k, m in enumerate(occ):
        flat = m.ravel()
        scores = T @ (flat / (np.linalg.norm(flat) + 1e-9))
        share_e = float((m * tm["eyes"]).sum() / (m.sum() + 1e-9))
        share_m = float((m * tm["mouth"]).sum() / (m.sum() + 1e-9))
        rec = {"cluster": k, "size": float(m.mean()),
               "scores": {n: round(float(s), 3) for n, s in zip(names, scores, strict=True)}}
        ie, im = names.index("eyes"), names.index("mouth")
        if share_e > 0.08 and share_m > 0.08 and max(scores[ie], scores[im]) == scores.max():
            # eyes and mouth in one cluster: split at the emptiest row between them
            prof = m.sum(1)
            lo, hi = int(0.47 * len(prof)), int(0.72 * len(prof))
            row = lo + int(np.argmin(prof[lo:hi + 1]))
            rec.update(part="eyes", split_y=float(v_axis[row]), lower="mouth")
        else:
            rec["part"] = names[int(np.argmax(scores))]
        out.append(rec)
    # every part gets at least one cluster: a part nobody chose takes its best-scoring cluster
    # from a part that has several
    for name in names:
        if any(r["part"] == name or r.get("lower") == name for r in out):
            continue
        donors = [r for r in out if "lower" not in r and sum(q["part"] == r["part"] for q in out) > 1
                  and not (overrides and r["cluster"] in overrides)]
        if donors:
            best = max(donors, key=lambda r: r["scores"][name])
            best.update(part=name, reassigned=True)
    for rec in out:
        k = rec["cluster"]
        if overrides and k in overrides:
            rec["part"] = overrides[k]
            rec.pop("split_y", None)
            rec.pop("lower", None)
            rec["overridden"] = True
    return out, tm


def fit_parts(G, *, n: int = 2000, k: int = 20, seed: int = 0, per_image: int = 160, iters: int = 40,
              coord_weight: float = 0.15, tau: float = 20.0, layers=(5, 8), overrides: dict | None = None,
              log=print) -> tuple[PartSegmenter, list[dict], torch.Tensor]:
    """Fit the segmenter; returns it, the naming records and the held-out latents used for naming."""
    dev = next(G.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    zs = torch.randn(n, G.nz, generator=gen).to(dev)
    held = torch.randn(max(200, n // 5), G.nz, generator=gen).to(dev)
    with torch.no_grad():
        _, acts = PartSegmenter(layers=layers, channels=[1] * len(layers)).activations(G, zs[:1])
    channels = [a.shape[1] for a in acts]
    seg = PartSegmenter(PARTS, [PART_COLORS[p] for p in PARTS], layers=layers, channels=channels, k=k,
                        coord_weight=coord_weight, tau=tau, resolution=G.resolution).to(dev)
    t0 = time.perf_counter()
    activation_stats(seg, G, zs)
    x = descriptor_sample(seg, G, zs, per_image, gen).to(dev)
    log(f"{len(x)} descriptors of {x.shape[1]} dims ({time.perf_counter() - t0:.1f} s)")
    seg.centroids.copy_(spherical_kmeans(x, k, gen, iters))
    recs, _ = name_clusters(occupancy(seg, G, held), overrides)
    for r in recs:
        seg.part_of[r["cluster"]] = PARTS.index(r["part"])
        if "split_y" in r:
            seg.split_y[r["cluster"]] = r["split_y"]
            seg.split_part[r["cluster"]] = PARTS.index(r["lower"])
    log(f"clustered in {time.perf_counter() - t0:.1f} s: "
        + ", ".join(f"{r['cluster']}→{r['part']}" + (f"/{r['lower']}" if 'lower' in r else "") for r in recs))
    return seg, recs, held


def agreement(a: torch.Tensor, b: torch.Tensor) -> float:
    """Pixel agreement of two part maps (parts are named, so indices correspond)."""
    return float((a == b).float().mean())


def contact_sheet(seg: PartSegmenter, G, zs: torch.Tensor, cols: int = 8, scale: int = 2) -> np.ndarray:
    import cv2

    from latentbrush.ml.tensors import to_images
    with torch.no_grad():
        img, probs = seg.segment(G, zs)
    imgs = to_images(img)
    lab = probs.argmax(1).cpu().numpy()
    pal = np.array(seg.colors, np.uint8)
    tiles = []
    for i in range(len(zs)):
        over = (0.45 * imgs[i] + 0.55 * pal[lab[i]]).astype(np.uint8)
        t = np.concatenate([imgs[i], over], 0)
        tiles.append(cv2.resize(t, (t.shape[1] * scale, t.shape[0] * scale), interpolation=cv2.INTER_NEAREST))
    rows = [np.concatenate(tiles[r:r + cols], 1) for r in range(0, len(tiles), cols)]
    return np.concatenate(rows, 0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="models/parts-face64.safetensors")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--per-image", type=int, default=160)
    p.add_argument("--coord-weight", type=float, default=0.15)
    p.add_argument("--tau", type=float, default=20.0)
    p.add_argument("--layers", default="5,8")
    p.add_argument("--names", default="", help="overrides, e.g. 3=hair,7=skin")
    p.add_argument("--report", default="resources/reports/parts-face64.json")
    p.add_argument("--sheet", default="resources/eval/parts-sheet.png")
    add_run_args(p)
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device or "cpu")
    G, gid = load_generator(a.models, a.generator, dev)
    overrides = {int(kv.split("=")[0]): kv.split("=")[1] for kv in a.names.split(",") if kv}
    bad = [v for v in overrides.values() if v not in PARTS]
    if bad:
        raise SystemExit(f"unknown part names {bad}; use {', '.join(PARTS)}")
    layers = tuple(int(v) for v in a.layers.split(","))
    seg, recs, held = fit_parts(G, n=a.n, k=a.k, seed=a.seed, per_image=a.per_image,
                                coord_weight=a.coord_weight, tau=a.tau, layers=layers, overrides=overrides)
    # stability: a second fit from another seed, compared on the held-out samples
    seg2, _, _ = fit_parts(G, n=a.n, k=a.k, seed=a.seed + 1, per_image=a.per_image,
                           coord_weight=a.coord_weight, tau=a.tau, layers=layers, overrides=overrides)
    la, lb = seg.labels(G, held[:200]), seg2.labels(G, held[:200])
    stability = agreement(la, lb)
    share = torch.bincount(la.flatten(), minlength=seg.n_parts).float() / la.numel()
    meta = {"generator": gid, "names": seg.names, "layers": seg.layers, "k": seg.k, "seed": a.seed, "n": a.n}
    sha = export_fp16(seg, a.out, meta)
    report = {"generator": gid, "sha256": sha, "args": vars(a), "clusters": recs,
              "part_share": {n: round(float(s), 4) for n, s in zip(seg.names, share, strict=True)},
              "stability_other_seed": round(stability, 4)}
    Path(a.report).parent.mkdir(parents=True, exist_ok=True)
    Path(a.report).write_text(json.dumps(report, indent=1))
    import cv2
    sheet = contact_sheet(seg, G, held[:16])
    Path(a.sheet).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(a.sheet, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"wrote {a.out} sha256={sha}; part shares {report['part_share']}; "
          f"agreement with a fit from another seed: {stability:.3f}")
    print(f"manifest params: names = {json.dumps(seg.names)}, colors = {json.dumps([list(c) for c in seg.colors])}, "
          f"layers = {seg.layers}, channels = {seg.channels}, k = {seg.k}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
