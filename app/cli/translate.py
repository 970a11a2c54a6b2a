"""`latentbrush translate MODEL INPUT -o OUT [--strength S] [--tile PX] [--mask MASK]` (file or folder)."""

from __future__ import annotations

from pathlib import Path

from latentbrush.cli.common import (
    Planned,
    UsageError,
    add_overwrite,
    check_number,
    check_output_size,
    files_of,
    load_manifest,
    load_mask,
    plan_command,
    run_batch,
    write_image,
)
from latentbrush.cli.session import cli_session, open_image, run_request
from latentbrush.core.imageio import load_image
from latentbrush.core.requests import TranslateRequest


def cmd_translate(args) -> int:
    from latentbrush.ml.devices import configure_threads
    from latentbrush.ml.registry import ModelManager

    if not 0.0 <= args.strength <= 1.0:
        raise SystemExit(f"latentbrush: --strength must be between 0 and 1 (got {args.strength:g})")
    # tiles overlap by 32 px and are blended over that overlap: a tile must be well above it
    check_number("--tile", args.tile, 64, 8192, integer=True)
    mask_path = Path(args.mask) if args.mask else None
    if mask_path is not None and not mask_path.is_file():
        raise UsageError(f"the mask {mask_path} does not exist or is not a file")
    plan = plan_command(args, inputs=files_of(mask_path))
    configure_threads(gui=False)
    manifest = load_manifest(args)
    if args.model not in manifest.specs:        # (the manifest's own message lists every model, detectors too)
        raise SystemExit(f"latentbrush: no translator {args.model!r}; translators: "
                         + ", ".join(s.id for s in manifest.of_kind("translator")))
    spec = manifest.get(args.model)
    if spec.kind != "translator":
        raise SystemExit(f"latentbrush: {spec.id} is a model of kind “{spec.kind}”, not a translator; translators: "
                         + ", ".join(s.id for s in manifest.of_kind("translator")))
    session = cli_session(ModelManager(manifest))

    def work(item: Planned, bar, i: int) -> str:
        loaded = load_image(item.src)
        img = loaded.pixels
        check_output_size(item, img.shape)
        doc = open_image(session, img)
        inputs = {} if mask_path is None else {"mask": load_mask(mask_path, (img.shape[1], img.shape[0]))}
        if mask_path is not None and not inputs["mask"].any():
            raise ValueError(f"the mask {mask_path.name} is all black: nothing to translate (white = translate)")
        req = TranslateRequest(model=spec.id, strength=args.strength, tile=args.tile, only_region=bool(inputs))
        run_request(session, req, layers=("base",), inputs=inputs, bar=bar, i=i, apply=True)
        return write_image(doc.layer("base"), item, loaded)

    return run_batch(args, plan, work)


def add_command(sub) -> None:
    t = sub.add_parser("translate", help="apply a translator model to an image or a folder")
    t.add_argument("model")
    t.add_argument("input")
    t.add_argument("-o", "--output", required=True)
    t.add_argument("--strength", type=float, default=1.0, help="0…1: blend with the original")
    t.add_argument("--tile", type=int, default=1024, help="largest tile side (bounds memory: ≈1.3 GB at 1024)")
    t.add_argument("--mask", default=None, help="only translate where this mask is white (same size as the image)")
    add_overwrite(t)
    t.set_defaults(func=cmd_translate)
