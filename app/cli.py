"""Headless subcommands: models fetch|list|verify, bench, generate, translate, project, scribble."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from latentbrush.cli_common import (
    Planned,
    Terminated,
    UsageError,
    add_overwrite,
    check_number,
    check_seed,
    files_of,
    interrupts_as_exceptions,
    make_folders,
    plan_outputs,
)
from latentbrush.core.imageio import ExportError, ImageLoadError, atomic_write_many, image_writer, load_image
from latentbrush.ml.errors import ModelError
from latentbrush.ml.manifest import Manifest
from latentbrush.paths import models_dir


def _manifest(args) -> Manifest:
    return Manifest.load(Path(args.models) if args.models else models_dir())


def cmd_models(args) -> int:
    from latentbrush.ml.hashing import model_states

    manifest = _manifest(args)
    if args.action == "fetch":
        from latentbrush.ml.fetch import fetch_all

        specs = [manifest.get(i) for i in args.id] if args.id else [
            s for s in manifest if s.fetchable and (args.force or not manifest.path(s).is_file())]
        if not specs:
            print("all fetchable models are present")
            return 0
        shown = 0.0
        for p in fetch_all(manifest, specs):
            if p.done_bytes is not None and time.monotonic() - shown < 2:    # bytes so far: every 2 s
                continue
            shown = time.monotonic()
            print(f"[{p.step}/{p.total}] {p.message}", flush=True)
        return 0
    states = model_states(manifest, deep=args.action == "verify")
    bad = 0
    for obj, state in states:
        if state == "untrusted":
            print(f"{'?':24} {'?':11} untrusted  {obj} (not in the manifest: never loaded)")
            continue
        print(f"{obj.id:24} {obj.kind:11} {state:10} {obj.file}  [{obj.license}]")
        bad += state in ("missing", "corrupt")
    print(f"manifest and own weights: {manifest.models_dir}\nfetched weights: {manifest.user_dir}")
    if args.action == "verify":
        print("all present files match their pinned sha256" if not any(s == "corrupt" for _, s in states)
              else "some files do NOT match their pinned sha256 and will not be loaded")
        return 1 if any(s == "corrupt" for _, s in states) else 0
    return 0


def _run(gen):
    """Drive a job generator to its return value, printing progress."""
    try:
        while True:
            p = next(gen)
            if p.message:
                print(f"  [{p.step}/{p.total}] {p.message}", file=sys.stderr, flush=True)
    except StopIteration as stop:
        return stop.value


def cmd_translate(args) -> int:
    from latentbrush.cli_inpaint import load_mask
    from latentbrush.cli_latent import _batch, _drive, _plan
    from latentbrush.core.jobs import Job
    from latentbrush.ml.devices import configure_threads
    from latentbrush.ml.registry import ModelManager
    from latentbrush.ml.translate.translator import run_translate

    if not 0.0 <= args.strength <= 1.0:
        raise SystemExit(f"latentbrush: --strength must be between 0 and 1 (got {args.strength:g})")
    # tiles overlap by 32 px and are blended over that overlap: a tile must be well above it
    check_number("--tile", args.tile, 64, 8192, integer=True)
    mask_path = Path(args.mask) if args.mask else None
    if mask_path is not None and not mask_path.is_file():
        raise UsageError(f"the mask {mask_path} does not exist or is not a file")
    plan = _plan(args, inputs=files_of(mask_path))
    configure_threads(gui=False)
    manifest = _manifest(args)
    spec = manifest.get(args.model)
    if spec.kind != "translator":
        raise SystemExit(f"latentbrush: {spec.id} is a {spec.kind}, not a translator; translators: "
                         + ", ".join(s.id for s in manifest.of_kind("translator")))
    models = ModelManager(manifest)

    def work(item: Planned, bar, i: int) -> str:
        src = item.src
        img = load_image(src).pixels
        params = {"model": spec.id, "strength": args.strength, "tile": args.tile}
        inputs = {"image": img}
        if mask_path is not None:
            mask = load_mask(mask_path, (img.shape[1], img.shape[0]))
            params["only_region"] = True
            inputs["mask"] = mask
        result = _drive(run_translate(Job("translate", params=params, inputs=inputs), models), bar, i)
        edited = img.copy()
        r = result.bbox
        edited[r.y0:r.y1, r.x0:r.x1] = result.pixels
        atomic_write_many([(item.target, image_writer(edited, item.target))])
        return f"{src.name} → {item.target.name}"

    return _batch(args, plan, work)


def cmd_generate(args) -> int:
    from latentbrush.ml.latent.sample import sample_faces
    from latentbrush.ml.registry import ModelManager
    from latentbrush.ml.tensors import resize

    check_number("--size", args.size, 16, 4096, integer=True)
    check_number("-n", args.n, 1, 1000, integer=True)
    check_seed(args.seed)
    manifest = _manifest(args)
    spec = manifest.get(args.model) if args.model else manifest.default("generator")
    if spec is None or spec.kind != "generator":
        raise UsageError((f"{spec.id} is a {spec.kind}, not a generator" if spec else "no generator in the manifest")
                         + "; generators: " + (", ".join(s.id for s in manifest.of_kind("generator")) or "none"))
    out = Path(args.output)
    targets = [out if args.n == 1 else out.with_name(f"{out.stem}-{i:03d}{out.suffix}") for i in range(args.n)]
    planned = [plan_outputs([Path("generated")], t, many=False, inputs=[], overwrite=args.overwrite)[0]
               for t in targets]
    models = ModelManager(manifest)
    G = models.get(spec.id).net
    imgs, _ = sample_faces(G, n=args.n, seed=args.seed, device=models.device)
    make_folders(planned)
    atomic_write_many([(t, image_writer(resize(img, args.size, args.size), t))
                       for t, img in zip(targets, imgs, strict=True)])
    for t in targets:
        print(t)
    return 0


def cmd_bench(args) -> int:
    from latentbrush.bench.runner import run_benchmarks

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; bench writes a folder")
    existing = [out / n for n in ("results.json", "results.png") if (out / n).exists()]
    if existing and not args.overwrite:
        raise UsageError(f"nothing was done: {out} holds the results of an earlier run; "
                         "add --overwrite to replace them, or give another --out")
    return run_benchmarks(args.names, out, quick=args.quick)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="latentbrush", description="Latentbrush headless commands")
    p.add_argument("--models", help="a models folder: manifest.toml, own weights, fetched/ (default: the "
                   "installation's, with fetched weights in the user folder; `models list` shows both)")
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("models", help="list, verify or fetch the models of the manifest")
    m.add_argument("action", choices=["list", "verify", "fetch"])
    m.add_argument("--id", action="append", help="only this model (repeatable; fetch)")
    m.add_argument("--force", action="store_true", help="fetch again even if present")
    m.set_defaults(func=cmd_models)
    b = sub.add_parser("bench", help="run benchmarks; writes a table, JSON and a PNG chart")
    b.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    b.add_argument("--out", default="bench-out", help="output directory")
    b.add_argument("--quick", action="store_true", help="fewer repetitions")
    add_overwrite(b)
    b.set_defaults(func=cmd_bench)
    g = sub.add_parser("generate", help="sample faces from the generator")
    g.add_argument("-o", "--output", required=True)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("-n", type=int, default=1)
    g.add_argument("--size", type=int, default=256)
    g.add_argument("--model")
    add_overwrite(g)
    g.set_defaults(func=cmd_generate)
    t = sub.add_parser("translate", help="apply a translator model to an image or a folder")
    t.add_argument("model")
    t.add_argument("input")
    t.add_argument("-o", "--output", required=True)
    t.add_argument("--strength", type=float, default=1.0, help="0…1: blend with the original")
    t.add_argument("--tile", type=int, default=1024, help="largest tile side (bounds memory: ≈1.3 GB at 1024)")
    t.add_argument("--mask", default=None, help="only translate where this mask is white (same size as the image)")
    add_overwrite(t)
    t.set_defaults(func=cmd_translate)
    from latentbrush.cli_inpaint import add_command as add_inpaint
    from latentbrush.cli_latent import add_commands
    from latentbrush.cli_parts import add_command as add_parts

    add_commands(sub)
    add_inpaint(sub)
    add_parts(sub)
    for sp in sub.choices.values():       # the global option also works after the subcommand
        sp.add_argument("--models", default=argparse.SUPPRESS, help="models directory (as before the command)")
    return p


def run_cli(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        with interrupts_as_exceptions():
            return int(args.func(args) or 0)
    except (ModelError, ImageLoadError, ExportError, UsageError) as e:
        print(f"\nlatentbrush: {e}" if sys.stderr.isatty() else f"latentbrush: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nlatentbrush: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("\nlatentbrush: terminated", file=sys.stderr)
        return 143
    except OSError as e:
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"latentbrush: {e.strerror or e}{where}", file=sys.stderr)
        return 2
