"""`latentbrush generate -o OUT [-n N] [--seed S] [--size PX]`: sample faces from the generator."""

from __future__ import annotations

from pathlib import Path

from latentbrush.cli.common import (
    UsageError,
    add_overwrite,
    check_number,
    check_seed,
    load_manifest,
    make_folders,
    plan_outputs,
)
from latentbrush.cli.session import cli_session, run_request
from latentbrush.core.imageio import atomic_write_many, image_writer
from latentbrush.core.requests import GenerateRequest


def cmd_generate(args) -> int:
    from latentbrush.ml.registry import ModelManager

    check_number("--size", args.size, 16, 4096, integer=True)
    check_number("-n", args.n, 1, 1000, integer=True)
    check_seed(args.seed)
    manifest = load_manifest(args)
    spec = manifest.get(args.model) if args.model else manifest.default("generator")
    if spec is None or spec.kind != "generator":
        raise UsageError((f"{spec.id} is a model of kind “{spec.kind}”, not a generator" if spec
                          else "no generator in the manifest")
                         + "; generators: " + (", ".join(s.id for s in manifest.of_kind("generator")) or "none"))
    out = Path(args.output)
    targets = [out if args.n == 1 else out.with_name(f"{out.stem}-{i:03d}{out.suffix}") for i in range(args.n)]
    planned = [plan_outputs([Path("generated")], t, many=False, inputs=[], overwrite=args.overwrite)[0]
               for t in targets]
    session = cli_session(ModelManager(manifest))
    # face k of N is the k-th of N drawn together from the seed; no document: the faces are written as they are
    box = (0, 0, args.size, args.size)
    imgs = [run_request(session, GenerateRequest(model=spec.id, seed=args.seed, bbox=box, batch=args.n, index=k)).pixels
            for k in range(args.n)]
    make_folders(planned)
    atomic_write_many([(t, image_writer(img, t)) for t, img in zip(targets, imgs, strict=True)])
    for t in targets:
        print(t)
    return 0


def add_command(sub) -> None:
    g = sub.add_parser("generate", help="sample faces from the generator")
    g.add_argument("-o", "--output", required=True)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("-n", type=int, default=1)
    g.add_argument("--size", type=int, default=256)
    g.add_argument("--model")
    add_overwrite(g)
    g.set_defaults(func=cmd_generate)
