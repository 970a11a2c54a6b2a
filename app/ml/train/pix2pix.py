"""Train a pix2pix U-Net: sketch → face, on pairs made from the default generator's samples.

Every batch is fresh: faces x = G(z), sketches s = edge_sketch(x) with random line thickness and
a few random line drops (so hand-drawn sketches, which miss lines, still work). Loss (pix2pix):
cGAN (BCE, PatchGAN on sketch ⊕ image) + λ_L1 · L1(G(s), x). Norm: GroupNorm (default, small-batch
friendly) or BatchNorm, for the comparison at batch size 4. Held-out faces (fixed seed) are scored
with L1 / SSIM / PSNR of G(sketch) against the true face every --eval-every steps.

    python -m latentbrush.ml.train.pix2pix --norm group --batch 4 --minutes 40 --out models/sketch2face-64.safetensors
    torchrun --nproc_per_node=4 -m latentbrush.ml.train.pix2pix …      # several GPUs (DDP)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from latentbrush.ml import metrics
from latentbrush.ml.checkpoints import load_state_dict
from latentbrush.ml.nets.unet import PatchDiscriminator, UnetGenerator
from latentbrush.ml.train.common import (
    EVAL_SCALE,
    Logger,
    add_run_args,
    checkpoint_path,
    cosine_lr,
    export_evaluated,
    load_direction,
    load_generator,
    load_parts,
    resume,
    run_fraction,
    run_script,
    save_run,
    setup,
)
from latentbrush.ml.translate.sketch_pairs import EVAL_SEED, NEEDS_PARTS, PEOPLE_MIX, STYLES, faces_and_sketches


@torch.no_grad()
def evaluate(net, sets, device) -> dict[str, float]:
    was = net.training
    net.eval()
    s, x = sets
    out = torch.cat([net(s[i:i + 64]) for i in range(0, len(s), 64)])
    net.train(was)
    r = metrics.report(out.clamp(-1, 1), x, data_range=metrics.SIGNED)
    return {"l1": r["l1"], "ssim": r["ssim"], "psnr": r["psnr"]}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--norm", default="group", choices=["group", "batch", "instance", "instance_affine"])
    p.add_argument("--groups", type=int, default=32)
    p.add_argument("--ngf", type=int, default=32)
    p.add_argument("--num-downs", type=int, default=6)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--l1", type=float, default=100.0, help="λ of the L1 term")
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--minutes", type=float, default=0)
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument("--eval-n", type=int, default=256)
    p.add_argument("--sketch", default="edges", choices=STYLES,
                   help="training sketches: Canny edges, a person's line drawings, either (mixed), faces drawn "
                        "from memory (cartoons), or drawings, cartoons and edges (people)")
    p.add_argument("--people-mix", default=f"{PEOPLE_MIX[0]},{PEOPLE_MIX[1]}",
                   help="with --sketch people: the shares of drawings and cartoons, the rest edges "
                        "(default %(default)s)")
    p.add_argument("--init", default=None, help="start from these weights (.safetensors; needs --init-sha256)")
    p.add_argument("--init-sha256", default=None)
    p.add_argument("--out", required=True)
    add_run_args(p)
    a = p.parse_args(argv)
    try:
        mix = tuple(float(v) for v in a.people_mix.split(","))
    except ValueError:
        mix = ()
    if len(mix) != 2 or min(mix) < 0 or sum(mix) > 1:
        p.error(f"--people-mix needs two shares that add up to at most 1, like 0.6,0.3 (got {a.people_mix!r})")

    d = setup(a.device, a.threads)
    G, gen_id = load_generator(a.models, a.generator, d.device)
    seg = load_parts(a.models, gen_id, d.device) if a.sketch in NEEDS_PARTS else None
    # cartoons bend the mouth by how much the face smiles (cartoons.py)
    smile = load_direction(a.models, gen_id, "smile") if seg is not None else None
    net = UnetGenerator(1, 3, a.num_downs, a.ngf, a.norm, use_dropout=True, groups=a.groups).to(d.device)
    D = PatchDiscriminator(4, 32, 3, a.norm, groups=a.groups).to(d.device)
    opt_g = torch.optim.Adam(net.parameters(), lr=a.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=a.lr, betas=(0.5, 0.999))
    ckpt = checkpoint_path(a)
    parts = {"G": net, "D": D, "opt_g": opt_g, "opt_d": opt_d}
    step, spent = resume(ckpt, parts)
    if step == 0 and a.init:
        if not a.init_sha256:
            p.error("--init needs --init-sha256 (weights are verified before loading)")
        net.load_state_dict(load_state_dict(a.init, a.init_sha256))
    Gw, Dw = d.wrap(net), d.wrap(D)
    log = Logger(a.log_file, d.main)
    seed = a.seed * 1_000_003 + d.rank * 7919 + step
    rng = np.random.default_rng(seed)
    tgen = torch.Generator().manual_seed(seed)
    eval_style = "edges" if a.sketch == "edges" else "drawings"
    held = (faces_and_sketches(G, a.eval_n, torch.Generator().manual_seed(EVAL_SEED), None, d.device, eval_style)
            if d.main else None)
    # the same held-out faces drawn from memory (cartoons.py), scored beside the drawings
    cartoons = (faces_and_sketches(G, a.eval_n, torch.Generator().manual_seed(EVAL_SEED), None, d.device, "cartoons",
                                   seg, smile=smile) if d.main and seg is not None else None)
    meta = {"arch": "unet", "norm": a.norm, "groups": a.groups, "ngf": a.ngf, "num_downs": a.num_downs,
            "input_nc": 1, "output_nc": 3, "generator": gen_id, "batch": a.batch * d.world, "sketch": a.sketch,
            "eval_sketches": eval_style, "eval_scale": EVAL_SCALE,
            **({"people_mix": list(mix)} if a.sketch == "people" else {}),
            **({"cartoon_smile": 1} if smile is not None else {})}
    bce = torch.nn.BCEWithLogitsLoss()
    t_start = time.time() - spent
    best: dict = {}

    def save(final: bool = False) -> str:
        ev = evaluate(net, held, d.device)
        more = {f"cartoons_{k}": v for k, v in evaluate(net, cartoons, d.device).items()} if cartoons else {}
        log(step=step, eval=1, **({"final": 1} if final else {}), **ev, **more)
        best.clear()
        best.update(step=step, **ev)
        digest = export_evaluated(net, a.out, meta, step, ev)
        save_run(ckpt, parts, step, time.time() - t_start)
        return digest

    while step < a.steps:
        frac = run_fraction(step, a.steps, time.time() - t_start, a.minutes)
        if frac is None:
            break
        for o in (opt_g, opt_d):
            for g_ in o.param_groups:
                g_["lr"] = cosine_lr(a.lr, frac)
        s, x = faces_and_sketches(G, a.batch, tgen, rng, d.device, a.sketch, seg, mix, smile)
        fake = Gw(s)
        real_l = Dw(torch.cat([s, x], 1))
        fake_l = Dw(torch.cat([s, fake.detach()], 1))
        loss_d = 0.5 * (bce(real_l, torch.ones_like(real_l)) + bce(fake_l, torch.zeros_like(fake_l)))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        adv_l = Dw(torch.cat([s, fake], 1))
        l1 = (fake - x).abs().mean()
        loss_g = bce(adv_l, torch.ones_like(adv_l)) + a.l1 * l1
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        step += 1
        if step % 100 == 0:
            log(step=step, l1=d.mean(float(l1.detach())), loss_d=d.mean(float(loss_d.detach())),
                lr=opt_g.param_groups[0]["lr"])
        if d.main and (step % a.eval_every == 0 or step == a.steps):
            save()
    if d.main:
        digest = save(final=True)
        log(done=1, out=str(a.out), sha256=digest)
    d.close()
    return best


if __name__ == "__main__":
    run_script(main)
