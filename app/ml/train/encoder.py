"""Train an encoder x → z for the default generator on the generator's own samples.

Every batch is fresh: z ~ N(0, I), x = G(z). Loss = image term between G(E(x)) and x
(l2 | l1 | ssim) + latent_weight · ‖E(x) − z‖². Held-out samples (fixed seed, never drawn in
training) are scored with L1, L2, SSIM and PSNR every --eval-every steps.

    python -m latentbrush.ml.train.encoder --arch conv --loss l2 --minutes 60 --out models/encoder-conv.safetensors
    torchrun --nproc_per_node=4 -m latentbrush.ml.train.encoder …      # several GPUs (DDP)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from latentbrush.ml import metrics
from latentbrush.ml.nets.encoder import ConvEncoder, FCEncoder
from latentbrush.ml.train.common import (
    Logger,
    cosine_lr,
    export_fp16,
    load_checkpoint,
    load_generator,
    run_script,
    save_checkpoint,
    setup,
    unwrap,
)
from latentbrush.paths import models_dir

EVAL_SEED = 2_000_003  # held-out latents; training draws from seeds 0..N (different stream)


def build_encoder(arch: str, nz: int, width: int) -> torch.nn.Module:
    if arch == "conv":
        return ConvEncoder(nz=nz, width=width)
    if arch == "fc":
        return FCEncoder(nz=nz, hidden=width)
    raise SystemExit(f"unknown --arch {arch!r} (conv | fc)")


def image_loss(kind: str, rec: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    s = metrics.SIGNED
    if kind == "l2":
        return metrics.mse(rec, x, data_range=s).mean()
    if kind == "l1":
        return metrics.l1(rec, x, data_range=s).mean()
    if kind == "ssim":
        return (1 - metrics.ssim(rec, x, data_range=s)).mean() + 0.1 * metrics.mse(rec, x, data_range=s).mean()
    raise SystemExit(f"unknown --loss {kind!r} (l2 | l1 | ssim)")


@torch.no_grad()
def evaluate(G, E, n: int, device: torch.device) -> dict[str, float]:
    E.eval()
    g = torch.Generator().manual_seed(EVAL_SEED)
    z = torch.randn(n, G.nz, generator=g).to(device)
    recs, xs, zl = [], [], []
    for i in range(0, n, 128):
        x = G(z[i:i + 128])
        ze = E(x)
        recs.append(G(ze))
        xs.append(x)
        zl.append((ze - z[i:i + 128]).pow(2).mean(1))
    E.train()
    out = metrics.report(torch.cat(recs), torch.cat(xs), data_range=metrics.SIGNED)
    out["z_mse"] = float(torch.cat(zl).mean())
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default="conv", choices=["conv", "fc"])
    p.add_argument("--width", type=int, default=None, help="conv: base channels (32); fc: hidden units (1024)")
    p.add_argument("--loss", default="l2", choices=["l2", "l1", "ssim"])
    p.add_argument("--latent-weight", type=float, default=0.05)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--minutes", type=float, default=0, help="stop after this wall time (0: no limit)")
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--eval-n", type=int, default=512)
    p.add_argument("--generator", default=None, help="manifest id (default generator if omitted)")
    p.add_argument("--models", default=str(models_dir()))
    p.add_argument("--out", required=True, help="fp16 safetensors written at the end (and at each eval)")
    p.add_argument("--ckpt", default=None, help="resumable checkpoint (default: OUT with .ckpt.pt)")
    p.add_argument("--log-file", default=None, help="JSON-lines log")
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)

    d = setup(a.device, a.threads)
    G, gen_id = load_generator(a.models, a.generator, d.device)
    width = a.width or (32 if a.arch == "conv" else 1024)
    E = build_encoder(a.arch, G.nz, width).to(d.device)
    opt = torch.optim.Adam(E.parameters(), lr=a.lr, betas=(0.5, 0.999))
    ckpt = Path(a.ckpt or Path(a.out).with_suffix(".ckpt.pt"))
    step, spent = 0, 0.0
    if ckpt.is_file():
        st = load_checkpoint(ckpt)
        E.load_state_dict(st["encoder"])
        opt.load_state_dict(st["opt"])
        step, spent = int(st["step"]), float(st["spent"])
    E = d.wrap(E)
    log = Logger(a.log_file, d.main)
    rng = torch.Generator(device="cpu").manual_seed(a.seed * 1_000_003 + d.rank * 7919 + step)
    meta = {"arch": a.arch, "width": width, "loss": a.loss, "generator": gen_id, "nz": G.nz}
    t_start = time.time() - spent
    best = {}
    while step < a.steps:
        elapsed = time.time() - t_start
        if a.minutes and elapsed > a.minutes * 60:
            break
        frac = max(step / a.steps, elapsed / (a.minutes * 60) if a.minutes else 0.0)
        for gparam in opt.param_groups:
            gparam["lr"] = cosine_lr(a.lr, frac)
        z = torch.randn(a.batch, G.nz, generator=rng).to(d.device)
        with torch.no_grad():
            x = G(z)
        ze = E(x)
        rec = G(ze)
        loss = image_loss(a.loss, rec, x) + a.latent_weight * (ze - z).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0:
            log(step=step, loss=d.mean(float(loss.detach())), lr=opt.param_groups[0]["lr"])
        if step % a.eval_every == 0 or step == a.steps:
            if d.main:
                ev = evaluate(G, unwrap(E), a.eval_n, d.device)
                log(step=step, eval=1, **ev)
                best = {"step": step, **ev}
                export_fp16(E, a.out, {**meta, "step": step, **{k: round(v, 5) for k, v in ev.items()}})
                save_checkpoint(ckpt, encoder=unwrap(E).state_dict(), opt=opt.state_dict(), step=step,
                                spent=time.time() - t_start)
    if d.main:
        ev = evaluate(G, unwrap(E), a.eval_n, d.device)
        log(step=step, eval=1, final=1, **ev)
        best = {"step": step, **ev}
        digest = export_fp16(E, a.out, {**meta, "step": step, **{k: round(v, 5) for k, v in ev.items()}})
        save_checkpoint(ckpt, encoder=unwrap(E).state_dict(), opt=opt.state_dict(), step=step,
                        spent=time.time() - t_start)
        log(done=1, out=str(a.out), sha256=digest)
    d.close()
    return best


if __name__ == "__main__":
    run_script(main)
