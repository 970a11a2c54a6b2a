"""Train the pixel part reader (app/ml/nets/pixelparts.py) on the generator's faces, labelled by the
generator's part segmenter.

A pool of faces G(z) and their part maps (the segmenter's hard labels; `--pool` of them, drawn at the
start from the run's seed: labelling costs 17 ms a face on a CPU thread) gives each step its batch; each face is
then changed the way a person's edits change a face, with its labels changed to match, so the reader
must read what the pixels show rather than where a part usually sits:
  painted over   a feature (an eye, both eyes, the mouth, the nose) or a piece of hair is covered by
                 the part around it: filled by Telea's inpainting from the surrounding pixels, or
                 flat in that part's mean colour with its grain, and labelled as that part;
  painted on     a blob next to a part, in that part's mean colour with its grain, labelled as it;
  pasted         a rectangle of another face (pixels and labels) at a random place;
  moved          the whole face shifted, scaled, flipped;
  lit            brightness, contrast, colour balance, blur and noise changed.
The loss is the cross-entropy against the changed labels. Held-out faces (their own seed stream) give
the pixel agreement with the segmenter on unedited faces and on faces with their eyes or mouth painted
over by the part around them (`evaluate`).

    python -m latentbrush.ml.train.pixelparts --out models/pixelparts-face64.safetensors --minutes 40
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from latentbrush.ml.nets.pixelparts import PixelPartNet
from latentbrush.ml.train.common import (
    Logger,
    add_run_args,
    checkpoint_path,
    cosine_lr,
    export_evaluated,
    load_generator,
    load_parts,
    resume,
    run_fraction,
    save_run,
    setup,
    unwrap,
)

HELD_OUT = 7_070_707        # the evaluation faces' seed (no training batch draws from it)
FEATURES = ("eyes", "mouth", "nose")


def faces(G, seg, z: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, R, R, 3) uint8, labels (N, R, R) int64) of G(z)."""
    with torch.no_grad():
        x = G(z)
        labels = seg.labels(G, z, x.shape[-1]).cpu().numpy().astype(np.int64)
    img = ((x.permute(0, 2, 3, 1).cpu().numpy() + 1) * 127.5).clip(0, 255).round().astype(np.uint8)
    return img, labels


def _grain(img: np.ndarray, sel: np.ndarray, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A flat fill in the mean colour of img[sel] with noise of its spread (h, w, 3) float."""
    px = img[sel].astype(np.float32)
    mean, sd = px.mean(0), px.std(0)
    return mean + rng.standard_normal((*shape, 3)).astype(np.float32) * sd * rng.uniform(0.2, 0.8)


def surrounding(labels: np.ndarray, region: np.ndarray, exclude: int) -> int | None:
    """The commonest label in a 3-px ring around `region`, other than `exclude`."""
    ring = cv2.dilate(region.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    ring &= ~region
    vals = labels[ring]
    vals = vals[vals != exclude]
    return int(np.bincount(vals).argmax()) if len(vals) else None


def paint_over(img: np.ndarray, labels: np.ndarray, names: list[str], rng: np.random.Generator) -> None:
    """In place: a feature (one of its pieces or all) covered by the part around it."""
    part = names.index(str(rng.choice(FEATURES + ("hair",))))
    sel = labels == part
    if sel.sum() < 4:
        return
    n, comp = cv2.connectedComponents(sel.astype(np.uint8))
    if n > 2 and rng.random() < 0.5:           # one piece (an eye) rather than the whole part
        sizes = np.bincount(comp.ravel())[1:]
        k = 1 + int(rng.choice(len(sizes), p=sizes / sizes.sum()))
        sel = comp == k
    if names[part] == "hair":                   # hair: a blob of it, not all of it
        ys, xs = np.nonzero(sel)
        i = rng.integers(len(ys))
        r = int(rng.integers(4, 12))
        blob = np.zeros_like(sel)
        cv2.circle(blob.view(np.uint8), (int(xs[i]), int(ys[i])), r, 1, -1)
        sel = sel & blob
        if sel.sum() < 4:
            return
    region = cv2.dilate(sel.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0 if rng.random() < 0.7 else sel
    into = surrounding(labels, region, part)
    if into is None or not (labels == into).any():
        return
    if rng.random() < 0.6:
        img[:] = cv2.inpaint(img, region.astype(np.uint8), 3, cv2.INPAINT_TELEA)
    else:
        fill = _grain(img, (labels == into) & ~region, rng, img.shape[:2])
        img[region] = np.clip(fill[region], 0, 255).astype(np.uint8)
    labels[region] = into


def paint_on(img: np.ndarray, labels: np.ndarray, names: list[str], rng: np.random.Generator) -> None:
    """In place: a blob beside a part, painted in that part's colour, labelled as it."""
    part = int(rng.integers(len(names)))
    sel = labels == part
    if sel.sum() < 8:
        return
    edge = (cv2.dilate(sel.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & ~sel
    ys, xs = np.nonzero(edge)
    if not len(ys):
        return
    i = rng.integers(len(ys))
    blob = np.zeros(sel.shape, np.uint8)
    axes = (int(rng.integers(2, 9)), int(rng.integers(2, 9)))
    cv2.ellipse(blob, (int(xs[i]), int(ys[i])), axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    region = (blob > 0) & ~sel
    if region.sum() < 3:
        return
    fill = _grain(img, sel, rng, img.shape[:2])
    img[region] = np.clip(fill[region], 0, 255).astype(np.uint8)
    labels[region] = part


def paste(img: np.ndarray, labels: np.ndarray, other: np.ndarray, other_labels: np.ndarray,
          rng: np.random.Generator) -> None:
    R = img.shape[0]
    h, w = (int(v) for v in rng.integers(R // 6, R // 2, 2))
    sy, sx, dy, dx = (int(v) for v in rng.integers(0, R - max(h, w) + 1, 4))
    img[dy:dy + h, dx:dx + w] = other[sy:sy + h, sx:sx + w]
    labels[dy:dy + h, dx:dx + w] = other_labels[sy:sy + h, sx:sx + w]


def move(img: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    R = img.shape[0]
    if rng.random() < 0.5:
        img, labels = img[:, ::-1], labels[:, ::-1]
    s = float(rng.uniform(0.85, 1.15))
    a = float(rng.uniform(-8, 8))
    m = cv2.getRotationMatrix2D((R / 2, R / 2), a, s)
    m[:, 2] += rng.uniform(-0.08, 0.08, 2) * R
    img = cv2.warpAffine(np.ascontiguousarray(img), m, (R, R), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    labels = cv2.warpAffine(np.ascontiguousarray(labels.astype(np.uint8)), m, (R, R), flags=cv2.INTER_NEAREST,
                            borderMode=cv2.BORDER_REFLECT).astype(np.int64)
    return img, labels


def light(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f = img.astype(np.float32)
    f = (f - f.mean()) * rng.uniform(0.7, 1.3) + f.mean() + rng.uniform(-30, 30)
    f *= rng.uniform(0.85, 1.15, 3).astype(np.float32)
    grey = f.mean(2, keepdims=True)
    f = grey + (f - grey) * rng.uniform(0.5, 1.4)
    if rng.random() < 0.3:
        f = cv2.GaussianBlur(f, (0, 0), float(rng.uniform(0.4, 1.2)))
    if rng.random() < 0.3:
        f += rng.standard_normal(f.shape).astype(np.float32) * rng.uniform(1, 8)
    return np.clip(f, 0, 255).astype(np.uint8)


def augment(imgs: np.ndarray, labels: np.ndarray, names: list[str],
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    out_i, out_l = [], []
    n = len(imgs)
    for i in range(n):
        img, lab = imgs[i].copy(), labels[i].copy()
        if rng.random() < 0.6:
            paint_over(img, lab, names, rng)
        if rng.random() < 0.3:
            paint_over(img, lab, names, rng)
        if rng.random() < 0.4:
            paint_on(img, lab, names, rng)
        if rng.random() < 0.25:
            j = int(rng.integers(n))
            paste(img, lab, imgs[j], labels[j], rng)
        if rng.random() < 0.7:
            img, lab = move(img, lab, rng)
        if rng.random() < 0.8:
            img = light(img, rng)
        out_i.append(img)
        out_l.append(lab)
    return np.stack(out_i), np.stack(out_l)


def to_input(imgs: np.ndarray, device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(imgs)).to(device).permute(0, 3, 1, 2).float() / 127.5 - 1


def evaluate(net: PixelPartNet, G, seg, device, n: int = 256) -> dict:
    """Agreement with the segmenter's labels on held-out faces (unedited), and the share of the pixels
    of a feature painted over (Telea from the part around it) that the reader reads as that part."""
    g = torch.Generator().manual_seed(HELD_OUT)
    z = torch.randn(n, G.nz, generator=g).to(device)
    imgs, labels = faces(G, seg, z)
    net.eval()
    pred = net.read(to_input(imgs, device)).cpu().numpy()
    names = list(seg.names)
    agree = float((pred == labels).mean())
    hits, total = 0, 0
    for i in range(n):
        for name in ("eyes", "mouth"):
            part = names.index(name)
            sel = labels[i] == part
            if sel.sum() < 4:
                continue
            region = cv2.dilate(sel.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
            into = surrounding(labels[i], region, part)
            if into is None:
                continue
            over = cv2.inpaint(imgs[i], region.astype(np.uint8), 3, cv2.INPAINT_TELEA)
            p = net.read(to_input(over[None], device)).cpu().numpy()[0]
            hits += int((p[region] == into).sum())
            total += int(region.sum())
    net.train()
    return {"agree": agree, "painted_over_read": hits / max(total, 1)}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="fp16 safetensors written at each evaluation and at the end")
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--minutes", type=float, default=0, help="stop after this wall time (0: no limit)")
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument("--eval-n", type=int, default=256)
    p.add_argument("--pool", type=int, default=12_000, help="faces labelled at the start, drawn from by every step")
    add_run_args(p)
    a = p.parse_args(argv)

    d = setup(a.device, a.threads)
    G, gen_id = load_generator(a.models, a.generator, d.device)
    seg = load_parts(a.models, gen_id, d.device)
    net = PixelPartNet(seg.names, seg.colors, width=a.width, resolution=int(G(torch.zeros(1, G.nz)).shape[-1]))
    net = net.to(d.device)
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    ckpt = checkpoint_path(a)
    step, spent = resume(ckpt, {"net": net, "opt": opt})
    model = d.wrap(net)
    log = Logger(a.log_file, d.main)
    rng = np.random.default_rng([a.seed, d.rank, step])
    zgen = torch.Generator().manual_seed(a.seed * 1_000_003 + d.rank * 7919)      # the pool: the same on resume
    meta = {"generator": gen_id, "width": a.width, "names": list(seg.names)}
    pool_i, pool_l = [], []
    for _ in range(0, a.pool, 64):
        i, lab = faces(G, seg, torch.randn(64, G.nz, generator=zgen).to(d.device))
        pool_i.append(i)
        pool_l.append(lab.astype(np.uint8))
    pool_i, pool_l = np.concatenate(pool_i)[:a.pool], np.concatenate(pool_l)[:a.pool]
    log(pool=len(pool_i))
    t_start = time.time() - spent
    ev: dict = {}
    while step < a.steps:
        frac = run_fraction(step, a.steps, time.time() - t_start, a.minutes)
        if frac is None:
            break
        for gp in opt.param_groups:
            gp["lr"] = cosine_lr(a.lr, frac)
        pick = rng.integers(0, len(pool_i), a.batch)
        imgs, labels = augment(pool_i[pick], pool_l[pick].astype(np.int64), list(seg.names), rng)
        loss = F.cross_entropy(model(to_input(imgs, d.device)), torch.from_numpy(labels).to(d.device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0:
            log(step=step, loss=d.mean(float(loss.detach())), lr=opt.param_groups[0]["lr"])
        if d.main and (step % a.eval_every == 0):
            ev = evaluate(unwrap(model), G, seg, d.device, a.eval_n)
            log(step=step, eval=1, **ev)
            export_evaluated(net, a.out, meta, step, ev)
            save_run(ckpt, {"net": net, "opt": opt}, step, time.time() - t_start)
    if d.main:
        ev = evaluate(unwrap(model), G, seg, d.device, a.eval_n)
        log(step=step, eval=1, final=1, **ev)
        digest = export_evaluated(net, a.out, meta, step, ev)
        save_run(ckpt, {"net": net, "opt": opt}, step, time.time() - t_start)
        log(done=1, out=str(Path(a.out)), sha256=digest)
    d.close()
    return {"step": step, **ev}


if __name__ == "__main__":
    from latentbrush.ml.train.common import run_script

    run_script(main)
