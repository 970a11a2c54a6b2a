"""Headless inpainting: `latentbrush inpaint INPUT --mask MASK -o OUT [--model ID] [--blend B]`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.cli_latent import Bar, _batch, _drive, _setup, _write_result
from app.core.imageio import ImageLoadError, load_image

MASK_FLOOR = 8   # grey values below this count as black (JPEG noise in a hand-made mask)


def load_mask(path: Path) -> np.ndarray:
    """A mask image → (h, w) uint8, 0 keep … 255 fill. White = fill; grey = partly (soft edges).
    An RGBA mask uses its alpha channel when the color channels are uniform."""
    from PIL import Image, ImageOps

    if not path.exists():
        raise ImageLoadError(f"the mask {path} does not exist")
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if "A" in im.getbands():
                rgba = np.asarray(im.convert("RGBA"))
                grey = np.asarray(im.convert("RGB").convert("L"))
                m = rgba[..., 3] if (grey.min() == grey.max()) else np.minimum(grey, rgba[..., 3])
            else:
                m = np.asarray(im.convert("L"))
    except OSError as e:
        raise ImageLoadError(f"cannot read the mask {path.name}: {e}") from e
    m = np.where(m < MASK_FLOOR, 0, m).astype(np.uint8)
    return np.ascontiguousarray(m)


def _mask_for(mask_path: Path, src: Path) -> Path:
    if not mask_path.is_dir():
        return mask_path
    exact = mask_path / src.name
    if exact.exists():
        return exact
    found = sorted(mask_path.glob(src.stem + ".*"))
    if not found:
        raise ImageLoadError(f"no mask for {src.name} in {mask_path} (expected {src.stem}.png or similar)")
    return found[0]


def cmd_inpaint(args) -> int:
    from app.core.jobs import Job
    from app.ml.inpaint import methods
    from app.ml.inpaint.fill import run_inpaint

    models = _setup(args)
    known = [m.id for m in methods.fill_methods(models.manifest)]
    if args.list:
        default = methods.default_method(models.manifest)
        for m in methods.fill_methods(models.manifest):
            flag = "default" if m.id == default else ("" if m.available else "not installed")
            print(f"{m.id:18s} {m.title:40s} {flag}")
        return 0
    if not args.input or not args.output or not args.mask:
        raise SystemExit("latentbrush: inpaint needs INPUT, --mask MASK and -o OUT (or --list)")
    if args.model and args.model not in known:
        raise SystemExit(f"latentbrush: unknown fill model {args.model!r}; known: {', '.join(known)}")
    mask_path = Path(args.mask)
    if not mask_path.exists():
        raise SystemExit(f"latentbrush: the mask {mask_path} does not exist")

    def work(src: Path, out: Path, many: bool, bar: Bar, i: int) -> str:
        img = load_image(src).pixels
        mp = _mask_for(mask_path, src)
        mask = load_mask(mp)
        if mask.shape != img.shape[:2]:
            raise ValueError(f"the mask {mp.name} is {mask.shape[1]}×{mask.shape[0]} but {src.name} is "
                             f"{img.shape[1]}×{img.shape[0]}: the mask must be the same size as the image")
        if not mask.any():
            raise ValueError(f"the mask {mp.name} is all black: nothing to fill (white = fill)")
        job = Job("inpaint", params={"model": args.model, "blend": args.blend}, inputs={"image": img, "mask": mask})
        res = _drive(run_inpaint(job, models), bar, i)
        return _write_result(img, res, src, out, many) + f" ({res.info['model']}, {res.info['blend']})"

    return _batch(args, work)


def add_command(sub) -> None:
    p = sub.add_parser("inpaint", help="fill the white part of a mask (file or folder of images)")
    p.add_argument("input", nargs="?", help="an image or a folder of images")
    p.add_argument("--mask", help="mask image, white = fill (one mask for a whole folder), or a folder of "
                                  "per-image masks matched by name")
    p.add_argument("-o", "--output", help="PNG (or a folder for a folder input)")
    p.add_argument("--model", default=None, help="fill model id (see --list); default: the best one installed")
    p.add_argument("--blend", default=None, choices=["poisson", "feather", "none"],
                   help="seam blending (default: poisson for learned models, none for classical)")
    p.add_argument("--list", action="store_true", help="list the fill models")
    p.set_defaults(func=cmd_inpaint)
