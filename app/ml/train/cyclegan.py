"""Train a CycleGAN (two generators, two PatchGAN discriminators) on two image folders, or on the
unpaired face ↔ pencil-sketch task (--task faces-pencil: domain A = the face generator's samples,
domain B = pencil sketches of *other* samples, app/ml/translate/pencil.py; held-out faces have their
true sketch, so both directions are scored against a paired truth every --eval-every steps).

    python -m latentbrush.ml.train.cyclegan --a photos/ --b paintings/ --size 128 --epochs 50 \
        --cycle modified --out models/photo2painting.safetensors
    python -m latentbrush.ml.train.cyclegan --task faces-pencil --size 64 --epochs 20 --epoch-steps 500 \
        --gen resnet --cycle modified --out models/face2sketch-64.safetensors \
        --export-ba models/pencil2face-64.safetensors
    torchrun --nproc_per_node=4 -m latentbrush.ml.train.cyclegan …      # several GPUs (DDP)

Losses: least-squares GAN for both directions + λ_e · cycle terms (+ optional identity term).
--cycle vanilla: ‖F(G(x)) − x‖₁ with a constant λ (the original CycleGAN).
--cycle modified (seed 004, eqs. 8–10):
    L_cyc = E_x[ D_X(x) · ( α_e ‖z_DX(F(G(x))) − z_DX(x)‖₁ + (1 − α_e) ‖F(G(x)) − x‖₁ ) ]
  z_D are the discriminator's intermediate features (a weaker, structural notion of "the same
  image"), α_e rises linearly over the epochs from --alpha-start to --alpha-end (< 1: some pixel
  consistency always stays), the term is weighted by the discriminator's score of the real image
  (no gradient into the discriminator), and λ_e decays linearly from --lambda-start to
  --lambda-end (> 0). An "epoch" is one pass over the larger folder (or --epoch-steps steps).
The exported file is the A→B generator (fp16 safetensors + metadata); it loads as a translator
with arch = "auto". --export-ba also writes B→A.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from latentbrush.ml import metrics
from latentbrush.ml.nets.resnet_gen import ResnetGenerator
from latentbrush.ml.nets.unet import PatchDiscriminator, UnetGenerator
from latentbrush.ml.tensors import batch_to_tensor, to_images
from latentbrush.ml.train.common import (
    Logger,
    add_run_args,
    checkpoint_path,
    export_fp16,
    load_generator,
    resume,
    run_script,
    save_run,
    setup,
    unwrap,
)
from latentbrush.ml.translate import pencil

EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def linear(start: float, end: float, frac: float) -> float:
    frac = min(max(frac, 0.0), 1.0)
    return start + (end - start) * frac


def schedule(epoch: float, epochs: int, a: argparse.Namespace) -> tuple[float, float]:
    """(α_e, λ_e) at a (fractional) epoch."""
    frac = epoch / max(epochs - 1, 1)
    if a.cycle == "vanilla":
        return 0.0, a.lambda_start
    return linear(a.alpha_start, a.alpha_end, frac), linear(a.lambda_start, a.lambda_end, frac)


class Folder:
    """Images of a folder, loaded once (RGB), served as random size² crops with flips."""

    def __init__(self, path: Path, size: int) -> None:
        files = sorted(p for p in Path(path).iterdir() if p.suffix.lower() in EXTS)
        if not files:
            raise SystemExit(f"no images in {path}")
        self.images = []
        for p in files:
            with Image.open(p) as im:
                im = im.convert("RGB")
                s = size / min(im.size)
                if s > 1:                       # small images are scaled up to cover a crop
                    im = im.resize((round(im.width * s + 0.5), round(im.height * s + 0.5)), Image.BICUBIC)
                self.images.append(np.asarray(im))
        self.size = size

    def __len__(self) -> int:
        return len(self.images)

    def batch(self, n: int, rng: random.Random, device) -> torch.Tensor:
        out = []
        for _ in range(n):
            a = self.images[rng.randrange(len(self.images))]
            h, w = a.shape[:2]
            y, x = rng.randint(0, h - self.size), rng.randint(0, w - self.size)
            c = a[y:y + self.size, x:x + self.size]
            if rng.random() < 0.5:
                c = c[:, ::-1]
            out.append(np.ascontiguousarray(c))
        return batch_to_tensor(np.stack(out), device)


class Pool:
    """History of generated images (CycleGAN's 50-image buffer) for the discriminator updates."""

    def __init__(self, size: int = 50) -> None:
        self.size, self.items = size, []

    def query(self, imgs: torch.Tensor, rng: random.Random) -> torch.Tensor:
        out = []
        for im in imgs.detach():
            if len(self.items) < self.size:
                self.items.append(im)
                out.append(im)
            elif rng.random() < 0.5:
                i = rng.randrange(self.size)
                out.append(self.items[i])
                self.items[i] = im
            else:
                out.append(im)
        return torch.stack(out)


class PencilTask:
    """Domain A: fresh samples of the face generator; domain B: pencil sketches of other, independent
    samples (a separate random stream: never the sketch of a face seen in A)."""

    def __init__(self, G, seed: int, device) -> None:
        self.G, self.device = G, device
        self.gen_a = torch.Generator().manual_seed(seed)
        self.gen_b = torch.Generator().manual_seed(seed + pencil.SKETCH_SEED_OFFSET)
        self.rng = np.random.default_rng(seed)

    def batch_a(self, n: int) -> torch.Tensor:
        with torch.no_grad():
            return self.G(torch.randn(n, self.G.nz, generator=self.gen_a).to(self.device)).clamp(-1, 1)

    def batch_b(self, n: int) -> torch.Tensor:
        return pencil.faces_and_pencils(self.G, n, self.gen_b, self.rng, self.device)[1]


@torch.no_grad()
def evaluate(G_ab, G_ba, faces: torch.Tensor, sketches: torch.Tensor) -> dict[str, float]:
    """Both directions against the paired truth (0–255 scale), what a person sees of the sketches,
    and the held-out reconstruction (cycle) errors."""
    nets = [unwrap(G_ab), unwrap(G_ba)]
    was = [n.training for n in nets]
    for n in nets:
        n.eval()
    fs, fx = nets[0](faces).clamp(-1, 1), nets[1](sketches).clamp(-1, 1)
    rec_a, rec_b = nets[1](fs).clamp(-1, 1), nets[0](fx).clamp(-1, 1)
    for n, w in zip(nets, was, strict=True):
        n.train(w)
    grey = fs.mean(1, keepdim=True).expand_as(fs)          # a sketch is read in grey
    out = {f"a2b_{k}": v for k, v in metrics.report(grey, sketches, data_range=metrics.SIGNED).items()}
    out.update({f"b2a_{k}": v for k, v in metrics.report(fx, faces, data_range=metrics.SIGNED).items()})
    out.update({f"a2b_{k}": v for k, v in pencil.sketch_report(to_images(grey), to_images(faces)).items()})
    out["rec_a_l1"] = float(metrics.l1(rec_a, faces, data_range=metrics.SIGNED).mean())
    out["rec_b_l1"] = float(metrics.l1(rec_b, sketches, data_range=metrics.SIGNED).mean())
    return {k: float(v) for k, v in out.items()}


@torch.no_grad()
def write_samples(G_ab, G_ba, faces: torch.Tensor, sketches: torch.Tensor, path: Path, n: int = 8) -> None:
    """Rows: a held-out face, its true pencil sketch, G_ab(face) in grey, G_ba(true sketch); 2× pixels."""
    for net in (G_ab, G_ba):
        net.eval()
    fs = G_ab(faces[:n]).clamp(-1, 1)
    fs = fs.mean(1, keepdim=True).expand_as(fs)
    fx = G_ba(sketches[:n]).clamp(-1, 1)
    rows = [np.concatenate(list(to_images(t)), 1) for t in (faces[:n], sketches[:n], fs, fx)]
    grid = np.concatenate(rows, 0).repeat(2, 0).repeat(2, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(path)


def make_generator(a: argparse.Namespace) -> torch.nn.Module:
    if a.gen == "unet":
        return UnetGenerator(3, 3, a.num_downs, a.ngf, a.norm)
    return ResnetGenerator(ngf=a.ngf, n_blocks=a.n_blocks, norm=a.norm, n_down=2)


def real_score(D, x: torch.Tensor) -> torch.Tensor:
    """D's belief that x is real, in [0, 1] per image (LSGAN targets 1 for real), no gradient."""
    with torch.no_grad():
        return unwrap(D)(x).flatten(1).mean(1).clamp(0, 1)


def cycle_loss(rec: torch.Tensor, x: torch.Tensor, D, alpha: float, modified: bool) -> torch.Tensor:
    pixel = (rec - x).abs().flatten(1).mean(1)
    if not modified:
        return pixel.mean()
    d = unwrap(D)
    with torch.no_grad():
        target = d.features(x)
    feats = d.features(rec)
    feat = sum((f - t).abs().flatten(1).mean(1) for f, t in zip(feats, target, strict=True)) / len(feats)
    w = real_score(D, x)
    return (w * (alpha * feat + (1 - alpha) * pixel)).mean()


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--a", default=None, help="folder of domain-A images")
    p.add_argument("--b", default=None, help="folder of domain-B images")
    p.add_argument("--task", default=None, choices=["faces-pencil"],
                   help="instead of folders: faces ↔ pencil sketches of other faces, scored on held-out pairs")
    p.add_argument("--gen", default="resnet", choices=["resnet", "unet"], help="generator architecture")
    p.add_argument("--num-downs", type=int, default=6, help="U-Net downsamplings (64 px: 6)")
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--eval-n", type=int, default=128)
    p.add_argument("--samples", default=None,
                   help="with --rescore: also write a PNG of 8 held-out pairs (face | true sketch | face → sketch | "
                        "true sketch → face)")
    p.add_argument("--rescore", nargs=2, metavar=("SHA256_A2B", "SHA256_B2A"), default=None,
                   help="train nothing: score the --out / --export-ba weights (these hashes) on the held-out pairs")
    p.add_argument("--size", type=int, default=128, help="training crop side")
    p.add_argument("--ngf", type=int, default=32)
    p.add_argument("--n-blocks", type=int, default=6)
    p.add_argument("--ndf", type=int, default=32)
    p.add_argument("--norm", default="instance", choices=["instance", "instance_affine", "batch", "group"])
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--epoch-steps", type=int, default=0, help="steps per epoch (0: the larger folder's size)")
    p.add_argument("--cycle", default="modified", choices=["modified", "vanilla"])
    p.add_argument("--alpha-start", type=float, default=0.1)
    p.add_argument("--alpha-end", type=float, default=0.9)
    p.add_argument("--lambda-start", type=float, default=10.0)
    p.add_argument("--lambda-end", type=float, default=2.0)
    p.add_argument("--identity", type=float, default=0.0, help="identity loss weight (× λ_e)")
    p.add_argument("--out", required=True, help="A→B generator, fp16 safetensors")
    p.add_argument("--export-ba", default=None, help="also write the B→A generator here")
    add_run_args(p, generator=True)
    a = p.parse_args(argv)
    if (a.task is not None and (a.a or a.b)) or (a.task is None and not (a.a and a.b)):
        p.error("give either --a and --b (two image folders) or --task faces-pencil")
    if a.rescore and not (a.task and a.export_ba):
        p.error("--rescore scores the --out and --export-ba weights of a --task run")
    if not 0 <= a.alpha_start <= a.alpha_end < 1:
        raise SystemExit("need 0 ≤ --alpha-start ≤ --alpha-end < 1 (α = 1 drops all pixel consistency)")
    if a.lambda_end <= 0:
        raise SystemExit("--lambda-end must stay above 0 (a zero cycle weight lets the generators drift)")

    d = setup(a.device, a.threads)
    held = None
    if a.task:
        G, gen_id = load_generator(a.models, a.generator, d.device)
        steps_per_epoch = a.epoch_steps or 500
        domains = [f"faces ({gen_id})", "pencil sketches of other faces"]
        if d.main:
            held = pencil.faces_and_pencils(G, a.eval_n, torch.Generator().manual_seed(pencil.EVAL_SEED), None,
                                            d.device)
    else:
        A, B = Folder(Path(a.a), a.size), Folder(Path(a.b), a.size)
        steps_per_epoch = a.epoch_steps or max(len(A), len(B))
        domains = [Path(a.a).name, Path(a.b).name]
    total = steps_per_epoch * a.epochs
    G_ab, G_ba = make_generator(a).to(d.device), make_generator(a).to(d.device)
    D_a, D_b = (PatchDiscriminator(3, a.ndf, 3, a.norm).to(d.device) for _ in range(2))
    opt_g = torch.optim.Adam(list(G_ab.parameters()) + list(G_ba.parameters()), lr=a.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(list(D_a.parameters()) + list(D_b.parameters()), lr=a.lr, betas=(0.5, 0.999))
    ckpt = checkpoint_path(a)
    parts = {"G_ab": G_ab, "G_ba": G_ba, "D_a": D_a, "D_b": D_b, "opt_g": opt_g, "opt_d": opt_d}
    log = Logger(a.log_file, d.main)
    if a.rescore:
        from latentbrush.ml.checkpoints import load_state_dict
        for net, path, digest in ((G_ab, a.out, a.rescore[0]), (G_ba, a.export_ba, a.rescore[1])):
            net.load_state_dict({k: v.float() for k, v in load_state_dict(path, digest).items()})
        ev = evaluate(G_ab, G_ba, *held)
        log(rescore=1, a2b=str(a.out), b2a=str(a.export_ba), **ev)
        if a.samples:
            write_samples(G_ab, G_ba, *held, Path(a.samples))
        d.close()
        return ev
    step, _ = resume(ckpt, parts)
    Gab, Gba, Da, Db = (d.wrap(n) for n in (G_ab, G_ba, D_a, D_b))
    start = step
    if a.task:      # a resumed run draws new faces and sketches, not its first segment's again
        task = PencilTask(G, a.seed * 1_000_003 + d.rank * 7919 + step, d.device)
        next_a, next_b = task.batch_a, task.batch_b
    rng = random.Random(a.seed * 1_000_003 + d.rank * 7919 + step)
    if not a.task:
        def next_a(n: int) -> torch.Tensor:
            return A.batch(n, rng, d.device)

        def next_b(n: int) -> torch.Tensor:
            return B.batch(n, rng, d.device)
    pool_a, pool_b = Pool(), Pool()
    modified = a.cycle == "modified"
    size = G.resolution if a.task else a.size
    meta = {"arch": a.gen, "norm": a.norm, "ngf": a.ngf, "cycle": a.cycle, "size": size, "domains": domains,
            **({"num_downs": a.num_downs} if a.gen == "unet" else {"n_blocks": a.n_blocks})}
    t0 = time.time()
    t_epoch = t0
    last: dict = {}
    ev: dict = {}

    def lsgan(pred: torch.Tensor, real: bool) -> torch.Tensor:
        return F.mse_loss(pred, torch.full_like(pred, 1.0 if real else 0.0))

    def save() -> None:
        save_run(ckpt, parts, step, time.time() - t0)
        scores = {k: round(v, 5) for k, v in ev.items() if k != "step"}
        scores.update({"eval_step": int(ev["step"])} if ev else {})
        export_fp16(G_ab, a.out, {**meta, "direction": "a2b", "step": step, **scores})
        if a.export_ba:
            export_fp16(G_ba, a.export_ba, {**meta, "direction": "b2a", "step": step, **scores})

    while step < total:
        epoch = step / steps_per_epoch
        alpha, lam = schedule(epoch, a.epochs, a)
        decay = 1.0 if epoch < a.epochs / 2 else linear(1.0, 0.0, (epoch - a.epochs / 2) / (a.epochs / 2))
        for o in (opt_g, opt_d):
            for g_ in o.param_groups:
                g_["lr"] = a.lr * max(decay, 0.01)
        x, y = next_a(a.batch), next_b(a.batch)
        # generators (discriminators frozen: the cycle weights D_X(x) and features pass no gradient to D)
        for net in (D_a, D_b):
            net.requires_grad_(False)
        fy, fx = Gab(x), Gba(y)
        rec_x, rec_y = Gba(fy), Gab(fx)
        adv = lsgan(unwrap(Db)(fy), True) + lsgan(unwrap(Da)(fx), True)
        cyc = cycle_loss(rec_x, x, Da, alpha, modified) + cycle_loss(rec_y, y, Db, alpha, modified)
        loss_g = adv + lam * cyc
        if a.identity:
            loss_g = loss_g + a.identity * lam * ((Gab(y) - y).abs().mean() + (Gba(x) - x).abs().mean())
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for net in (D_a, D_b):
            net.requires_grad_(True)
        # discriminators on real vs pooled fakes
        pa, pb = pool_a.query(fx, rng), pool_b.query(fy, rng)
        loss_d = 0.5 * (lsgan(Da(x), True) + lsgan(Da(pa), False) + lsgan(Db(y), True) + lsgan(Db(pb), False))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        step += 1
        last = {"step": step, "epoch": round(epoch, 3), "alpha": alpha, "lambda": lam,
                "adv": d.mean(float(adv.detach())), "cycle": d.mean(float(cyc.detach())),
                "loss_d": d.mean(float(loss_d.detach()))}
        if step % 50 == 0 or step == total:
            log(**last)
        if step % steps_per_epoch == 0:
            log(step=step, epoch_done=step // steps_per_epoch, epoch_seconds=round(time.time() - t_epoch, 2))
            t_epoch = time.time()
        if held is not None and (step % a.eval_every == 0 or step == total):
            ev = {"step": step, **evaluate(G_ab, G_ba, *held)}
            log(eval=1, **ev)
        if d.main and step % (steps_per_epoch * 5) == 0 and step != total:
            save()
    if d.main and step > start:         # nothing trained (already finished): the files stay as they are
        save()
    if d.main:
        log(done=1, out=str(a.out), seconds=round(time.time() - t0, 1))
    d.close()
    return last


if __name__ == "__main__":
    run_script(main)
