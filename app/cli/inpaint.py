"""Headless inpainting: `latentbrush inpaint INPUT --mask MASK -o OUT [--model ID] [--blend B]`."""

from __future__ import annotations

import glob
from pathlib import Path

from latentbrush.cli.common import (
    Bar,
    Planned,
    UsageError,
    add_overwrite,
    check_output_size,
    files_of,
    load_mask,
    plan_command,
    run_batch,
    setup_models,
    write_image,
)
from latentbrush.cli.session import cli_session, open_image, run_request
from latentbrush.core.imageio import ImageLoadError, load_image
from latentbrush.core.requests import InpaintRequest


def _mask_for(mask_path: Path, src: Path) -> Path:
    if not mask_path.is_dir():
        return mask_path
    exact = mask_path / src.name
    if exact.exists():
        return exact
    found = sorted(p for p in mask_path.glob(glob.escape(src.stem) + ".*") if p.is_file())
    if not found:
        raise ImageLoadError(f"no mask for {src.name} in {mask_path} (expected {src.stem}.png or similar)")
    return found[0]


def cmd_inpaint(args) -> int:
    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.masks import DEEP_WARN, RIM_WARN

    if not args.list:
        if not args.input or not args.output or not args.mask:
            raise SystemExit("latentbrush: inpaint needs INPUT, --mask MASK and -o OUT (or --list)")
        if not Path(args.mask).exists():
            raise SystemExit(f"latentbrush: the mask {args.mask} does not exist")
        if Path(args.mask).is_dir() and Path(args.input).is_dir() and Path(args.mask).resolve() == \
                Path(args.input).resolve():     # (each image was its own mask: 84 % of it refilled, a helper)
            raise UsageError("the masks folder is the images folder: give the masks a folder of their own (each "
                             "mask named like its image)")
        plan = plan_command(args, inputs=files_of(Path(args.mask)))
    models = setup_models(args)
    known = [m.id for m in methods.fill_methods(models.manifest)]
    if args.list:
        default = methods.default_method(models.manifest)
        listed = methods.fill_methods(models.manifest)
        wid, wtitle = max(len(m.id) for m in listed), max(len(m.title) for m in listed)
        for m in listed:
            flag = "default" if m.id == default else ("" if m.available else "not installed")
            print(f"{m.id:{wid}s}  {m.title:{wtitle}s}  {flag}".rstrip())
        return 0
    if args.model and args.model not in known:
        raise SystemExit(f"latentbrush: unknown fill model {args.model!r}; known: {', '.join(known)}")
    mask_path = Path(args.mask)
    session = cli_session(models)

    def work(item: Planned, bar: Bar, i: int) -> str:
        src = item.src
        loaded = load_image(src)
        img = loaded.pixels
        check_output_size(item, img.shape)
        mp = _mask_for(mask_path, src)
        mask = load_mask(mp, (img.shape[1], img.shape[0]))
        if not mask.any():
            raise ValueError(f"the mask {mp.name} is all black: nothing to fill (white = fill)")
        doc = open_image(session, img)
        res = run_request(session, InpaintRequest(model=args.model, blend=args.blend), layers=("base",),
                          inputs={"mask": mask}, bar=bar, i=i, apply=True)
        # the editor's hints, in the command line's terms
        info = res.info
        said = ([info["notes"][0]] if info.get("fallback") and info.get("notes") else []) + (
            [f"textured surroundings: --model {methods.EXEMPLAR} redraws their texture"]
                if info.get("textured") else []) + (
            ["a large hole: look it over"] if info.get("deep", 0.0) >= DEEP_WARN else []) + (
            ["paint the mask a little wider"] if info.get("rim_left", 0.0) >= RIM_WARN else [])
        return (write_image(doc.layer("base"), item, loaded) + f" ({res.info['model']}, {res.info['blend']})"
                + "".join(f"; {n}" for n in said))

    return run_batch(args, plan, work)


def add_command(sub) -> None:
    p = sub.add_parser("inpaint", help="fill the white part of a mask (file or folder of images)")
    p.add_argument("input", nargs="?", help="an image or a folder of images")
    p.add_argument("--mask", help="mask image, white = fill (one mask for a whole folder), or a folder of "
                                  "per-image masks matched by name")
    p.add_argument("-o", "--output", help="PNG (or a folder for a folder input)")
    p.add_argument("--model", default=None, help="fill model id (see --list); default: the best one installed")
    p.add_argument("--blend", default=None, choices=["poisson", "feather", "none", "own"],
                   help="seam blending (default: the fill's own for content-aware, best quality and the generator "
                        "prior; poisson for the networks; none for classical)")
    p.add_argument("--list", action="store_true", help="list the fill models")
    add_overwrite(p)
    p.set_defaults(func=cmd_inpaint)
