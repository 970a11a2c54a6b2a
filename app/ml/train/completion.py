"""Train the inpainting completion network (globally and locally consistent image completion).

Data (all obtainable offline): faces sampled from the default generator (fresh every batch) and
random crops of photos from an image folder (default: the photographs scikit-image ships, if it is
installed; `coffee` and `rocket` are held out for evaluation). Holes: random rectangles and
free-form strokes covering 10–40 % (training draws 5–50 %).

Schedule (the method's Algorithm 1):
  steps < tc            completion network alone, masked MSE (mean over hole pixels)
  tc ≤ steps < tc + td  context discriminator alone (real: image + patch around a random hole;
                        fake: completed image + patch around its hole), BCE, real label 0.9
  afterwards            both; completion loss = masked MSE + alpha · BCE(D(fake), real)

Every --eval-every steps: held-out faces and photo crops with fixed masks → PSNR / SSIM / L1 of the
composited result vs OpenCV Telea on the same inputs, logged as JSON lines.

    python -m latentbrush.ml.train.completion --minutes 100 --out models/completion-64.safetensors
    torchrun --nproc_per_node=4 -m latentbrush.ml.train.completion …      # several GPUs (DDP)
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from latentbrush.ml.checkpoints import load_state_dict
from latentbrush.ml.inpaint.evaluation import scores
from latentbrush.ml.inpaint.fill import telea_prior
from latentbrush.ml.inpaint.masks import hole_box, random_mask
from latentbrush.ml.nets.completion import CompletionNet, ContextDiscriminator, local_patches
from latentbrush.ml.tensors import batch_to_tensor, to_images
from latentbrush.ml.train.common import (
    EVAL_SCALE,
    Logger,
    add_run_args,
    checkpoint_path,
    cosine_lr,
    export_evaluated,
    load_generator,
    resume,
    run_fraction,
    run_script,
    save_run,
    setup,
    unwrap,
)

EVAL_SEED = 3_000_017
HELD_OUT_PHOTOS = ("coffee", "rocket")
PHOTO_EXT = (".png", ".jpg", ".jpeg")


def default_photo_dir() -> Path | None:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "data"
    return d if d.is_dir() else None


def load_photos(folder: Path | None, min_side: int = 128) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(training photos, held-out photos) as RGB uint8; grey images become 3-channel."""
    train, held = [], []
    if folder is None:
        return train, held
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in PHOTO_EXT or "chessboard" in p.stem or "motorcycle_right" in p.stem:
            continue
        try:
            with Image.open(p) as im:
                im = im.convert("RGB")
                a = np.asarray(im)
        except OSError:
            continue
        if min(a.shape[:2]) < min_side:
            continue
        (held if p.stem in HELD_OUT_PHOTOS else train).append(a)
    return train, held


def photo_crops(photos: list[np.ndarray], n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """n random crops (random scale, flip) resized to size² → (n, size, size, 3) uint8."""
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        a = photos[int(rng.integers(len(photos)))]
        h, w = a.shape[:2]
        side = int(min(h, w) * rng.uniform(0.15, 0.8))
        side = max(side, min(size, min(h, w)))
        y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
        crop = a[y:y + side, x:x + side]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        out[i] = cv2.resize(np.ascontiguousarray(crop), (size, size), interpolation=cv2.INTER_AREA)
    return out


PHOTO_EVAL_SEED = 3_000_041
EVAL_GRID = 8


def write_photo_eval(path: Path, held: list[np.ndarray], size: int = 64) -> None:
    """The held-out photo crops as one PNG grid (EVAL_GRID² crops), committed so the benchmark
    does not need scikit-image: resources/eval/inpaint-photos64.png."""
    crops = photo_crops(held, EVAL_GRID * EVAL_GRID, size, np.random.default_rng(PHOTO_EVAL_SEED))
    grid = crops.reshape(EVAL_GRID, EVAL_GRID, size, size, 3).transpose(0, 2, 1, 3, 4)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid.reshape(EVAL_GRID * size, EVAL_GRID * size, 3)).save(path, optimize=True)


def to_tensor(imgs: np.ndarray, device: torch.device) -> torch.Tensor:
    return batch_to_tensor(imgs, device)


def telea(img_u8: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return cv2.inpaint(img_u8, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)


def eval_set(G, held_photos: list[np.ndarray], n_faces: int, n_photos: int, device) -> dict[str, tuple]:
    """Fixed held-out images and masks: {'faces': (imgs u8, masks), 'photos': (…)}."""
    g = torch.Generator().manual_seed(EVAL_SEED)
    rng = np.random.default_rng(EVAL_SEED)
    with torch.no_grad():
        z = torch.randn(n_faces, G.nz, generator=g).to(device)
        faces = to_images(G(z))
    sets = {"faces": (faces, np.stack([random_mask(64, 64, rng) for _ in range(n_faces)]))}
    if held_photos and n_photos:
        crops = photo_crops(held_photos, n_photos, 64, rng)
        sets["photos"] = (crops, np.stack([random_mask(64, 64, rng) for _ in range(n_photos)]))
    return sets


def prior_for(C, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor | None:
    return telea_prior(x, m) if getattr(unwrap(C), "residual", False) else None


@torch.no_grad()
def complete_batch(C, imgs: np.ndarray, masks: np.ndarray, device) -> np.ndarray:
    x = to_tensor(imgs, device)
    m = torch.from_numpy(masks).float()[:, None].to(device)
    out = C.complete(x, m, prior_for(C, x, m))
    return to_images(out)


def evaluate(C, sets: dict, device) -> dict[str, float]:
    was = C.training
    C.eval()
    res = {}
    for name, (imgs, masks) in sets.items():
        pred = np.concatenate([complete_batch(C, imgs[i:i + 64], masks[i:i + 64], device)
                               for i in range(0, len(imgs), 64)])
        for k, v in scores(pred, imgs).items():
            res[f"{name}_{k}"] = v
    C.train(was)
    return res


def telea_scores(sets: dict) -> dict[str, float]:
    res = {}
    for name, (imgs, masks) in sets.items():
        pred = np.stack([telea(i, m) for i, m in zip(imgs, masks, strict=True)])
        for k, v in scores(pred, imgs).items():
            res[f"telea_{name}_{k}"] = v
    return res


def batch(G, photos, n: int, size: int, face_frac: float, rng: np.random.Generator, trng: torch.Generator,
          device) -> torch.Tensor:
    n_face = n if not photos else int(round(n * face_frac))
    parts = []
    if n_face:
        with torch.no_grad():
            f = G(torch.randn(n_face, G.nz, generator=trng).to(device)).clamp(-1, 1)
            if rng.random() < 0.5:
                f = f.flip(-1)
            if size != f.shape[-1]:
                f = F.interpolate(f, size=(size, size), mode="bilinear", align_corners=False)
        parts.append(f)
    if n - n_face:
        parts.append(to_tensor(photo_crops(photos, n - n_face, size, rng), device))
    return torch.cat(parts)


def masks_and_boxes(n: int, size: int, rng: np.random.Generator, device, kinds: tuple[str, ...] = ("mixed",)
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Holes covering 5–50 %: each of a kind drawn from `kinds` (mixed = rectangles or strokes; blob =
    object-sized blobs, which cannot cover more than ≈ 35 %)."""
    def one():
        kind = str(rng.choice(kinds))
        return random_mask(size, size, rng, kind=kind, coverage=(0.05, 0.35 if kind == "blob" else 0.5))
    ms = np.stack([one() for _ in range(n)])
    boxes = torch.tensor([[*hole_box(m, size // 2), size // 2] for m in ms])
    return torch.from_numpy(ms).float()[:, None].to(device), boxes


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--mirror", action="store_true", help="add the mirrored image as input (faces are symmetric)")
    p.add_argument("--residual", action="store_true",
                   help="refine a Telea pre-fill instead of filling a constant hole (this project's variant)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--sizes", default="64,128", help="training sides, drawn per step")
    p.add_argument("--size-probs", default="0.7,0.3")
    p.add_argument("--face-frac", type=float, default=0.7, help="share of faces in a batch (rest: photo crops)")
    p.add_argument("--photos", default=None, help="folder of training photos (default: scikit-image's data)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lr-d", type=float, default=2e-4)
    p.add_argument("--alpha", type=float, default=4e-4, help="adversarial weight in the completion loss")
    p.add_argument("--tc", type=int, default=3000, help="steps of completion-only training")
    p.add_argument("--td", type=int, default=300, help="then steps of discriminator-only training")
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--minutes", type=float, default=0, help="stop after this wall time (0: no limit)")
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--eval-faces", type=int, default=256)
    p.add_argument("--eval-photos", type=int, default=128)
    p.add_argument("--out", required=True)
    p.add_argument("--masks", default="mixed",
                   help="hole kinds, comma-separated: mixed (rectangles or strokes), rect, stroke, blob")
    p.add_argument("--init", default=None, metavar="SAFETENSORS",
                   help="start the completion network from these weights (e.g. the shipped models/completion-64; "
                        "needs --init-sha256)")
    p.add_argument("--init-sha256", default=None)
    add_run_args(p)
    p.add_argument("--write-photo-eval", default=None, metavar="PNG",
                   help="only write the held-out photo crops grid (for the benchmark) and exit")
    a = p.parse_args(argv)
    if a.write_photo_eval:
        _, held = load_photos(Path(a.photos) if a.photos else default_photo_dir())
        if not held:
            raise SystemExit("no held-out photos found (install scikit-image or give --photos)")
        write_photo_eval(Path(a.write_photo_eval), held)
        return {}

    d = setup(a.device, a.threads)
    G, gen_id = load_generator(a.models, a.generator, d.device)
    photo_dir = Path(a.photos) if a.photos else default_photo_dir()
    photos, held = load_photos(photo_dir)
    sizes = [int(s) for s in a.sizes.split(",")]
    kinds = tuple(k.strip() for k in a.masks.split(","))
    probs = np.array([float(s) for s in a.size_probs.split(",")][:len(sizes)])
    probs = probs / probs.sum()
    C = CompletionNet(a.width, residual=a.residual, mirror=a.mirror).to(d.device)
    D = ContextDiscriminator(global_size=64, width=32).to(d.device)
    opt_c = torch.optim.Adam(C.parameters(), lr=a.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=a.lr_d, betas=(0.5, 0.999))
    ckpt = checkpoint_path(a)
    parts = {"C": C, "D": D, "opt_c": opt_c, "opt_d": opt_d}
    if a.init and not a.init_sha256:
        p.error("--init needs --init-sha256 (weights are verified before loading)")
    if a.init and not ckpt.is_file():
        C.load_state_dict({k: v.float() if v.is_floating_point() else v
                           for k, v in load_state_dict(a.init, a.init_sha256).items()})
    step, spent = resume(ckpt, parts)
    Cw, Dw = d.wrap(C), d.wrap(D)
    log = Logger(a.log_file, d.main)
    seed = a.seed * 1_000_003 + d.rank * 7919 + step
    rng = np.random.default_rng(seed)
    trng = torch.Generator().manual_seed(seed)
    sets = eval_set(G, held, a.eval_faces, a.eval_photos, d.device) if d.main else {}
    if d.main:
        log(step=step, photos=len(photos), held_out=len(held), **telea_scores(sets))
    meta = {"arch": "completion", "width": a.width, "residual": a.residual, "mirror": a.mirror,
            "generator": gen_id, "alpha": a.alpha, "tc": a.tc, "td": a.td, "eval_scale": EVAL_SCALE,
            **({"init_sha256": a.init_sha256} if a.init else {})}
    bce = torch.nn.BCEWithLogitsLoss()
    t_start = time.time() - spent
    best: dict = {}

    def save(final: bool = False) -> str:
        ev = evaluate(C, sets, d.device)
        log(step=step, eval=1, **({"final": 1} if final else {}), **ev)
        best.clear()
        best.update(step=step, **ev)
        digest = export_evaluated(C, a.out, meta, step, ev)
        save_run(ckpt, parts, step, time.time() - t_start)
        return digest

    while step < a.steps:
        frac = run_fraction(step, a.steps, time.time() - t_start, a.minutes)
        if frac is None:
            break
        for g_ in opt_c.param_groups:
            g_["lr"] = cosine_lr(a.lr, frac)
        size = int(rng.choice(sizes, p=probs))
        x = batch(G, photos, a.batch, size, a.face_frac, rng, trng, d.device)
        m, boxes = masks_and_boxes(a.batch, size, rng, d.device, kinds)
        phase_c = step < a.tc or step >= a.tc + a.td
        phase_d = step >= a.tc
        rec = None
        if phase_c or phase_d:
            pred = Cw(x, m, prior_for(C, x, m))
            comp = torch.where(m > 0.5, pred, x)
        if phase_d:
            m_real, boxes_real = masks_and_boxes(a.batch, size, rng, d.device, kinds)
            real_logit = Dw(x, local_patches(x, boxes_real))
            fake_logit = Dw(comp.detach(), local_patches(comp.detach(), boxes))
            loss_d = bce(real_logit, torch.full_like(real_logit, 0.9)) + bce(fake_logit, torch.zeros_like(fake_logit))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        if phase_c:
            rec = ((pred - x) ** 2 * m).sum() / (m.sum() * 3).clamp_min(1)
            loss = rec
            if step >= a.tc + a.td:
                adv = bce(Dw(comp, local_patches(comp, boxes)), torch.ones(a.batch, device=d.device))
                loss = rec + a.alpha * adv
            opt_c.zero_grad(set_to_none=True)
            loss.backward()
            opt_c.step()
        step += 1
        if step % 50 == 0:
            rec_v = d.mean(float(rec.detach())) if rec is not None else float("nan")
            log(step=step, size=size, rec=rec_v, lr=opt_c.param_groups[0]["lr"],
                **({"loss_d": d.mean(float(loss_d.detach()))} if phase_d else {}))
        if d.main and (step % a.eval_every == 0 or step == a.steps):
            save()
    if d.main:
        digest = save(final=True)
        log(done=1, out=str(a.out), sha256=digest)
    d.close()
    return best


if __name__ == "__main__":
    run_script(main)
