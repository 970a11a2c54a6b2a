"""Headless part maps and part edits.

    latentbrush parts IMAGE -o PARTS.png                 the part map as a palette PNG
    latentbrush parts IMAGE --edit LABELS.png -o OUT.png apply an edited label map

PARTS.png is the image's size; palette index = part index + 1 (the legend is the parts model's
`names` / `colors` in models/manifest.toml and is printed), index 0 (transparent) = outside the
face region. LABELS.png uses the same palette: paint on a copy of PARTS.png; transparent pixels,
index 0 and pixels whose label did not change leave the image as it is. An RGB(A) label image is
read by exact palette colors (other colors and alpha 0 = unchanged).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from latentbrush.cli.common import (
    Bar,
    UsageError,
    add_overwrite,
    check_number,
    check_seed,
    make_folders,
    plan_outputs,
    setup_models,
    write_image,
)
from latentbrush.cli.faces import add_face_options, parse_face, parse_region, regions_for
from latentbrush.cli.session import cli_session, open_image, run_request
from latentbrush.core.imageio import EXPORT_FORMATS, ImageLoadError, atomic_write, load_companion, load_image
from latentbrush.core.requests import PARTS_CANDIDATES, PartsEditRequest, PartsMapRequest


def write_palette_png(labels_plus1: np.ndarray, colors: list, path: Path) -> Path:
    from PIL import Image

    pal = [0, 0, 0]
    for c in colors:
        pal += [int(v) for v in c]
    im = Image.fromarray(labels_plus1.astype(np.uint8), mode="L").convert("P")
    im.putpalette(pal + [0] * (768 - len(pal)))
    return atomic_write(path, lambda fh: im.save(fh, format="PNG", transparency=0))


def read_label_png(path: Path, colors: list, shape: tuple[int, int]) -> np.ndarray:
    """A palette or RGB(A) label image → (h, w) uint8 index + 1 (0 = unchanged). Read through the
    image loader's allow-list and guards; its size is checked against `shape` (h, w) first."""
    if not path.exists():
        raise ImageLoadError(f"the label map {path} does not exist")
    im = load_companion(path, (shape[1], shape[0]), what="label map", transpose=False)
    if im.mode == "P":
        idx = np.asarray(im).astype(np.int64)
        pal = np.asarray(im.getpalette() or [], np.int64).reshape(-1, 3)
        # map the file's palette entries onto ours by color (index 0 stays "unchanged")
        lut = np.zeros(max(256, len(pal)), np.uint8)
        for i, rgb in enumerate(pal):
            for p, c in enumerate(colors):
                if i > 0 and tuple(rgb) == tuple(c):
                    lut[i] = p + 1
        out = lut[idx]
        trans = im.info.get("transparency")
        if isinstance(trans, int):
            out[idx == trans] = 0
    else:
        rgba = np.asarray(im.convert("RGBA")).astype(np.int64)
        out = np.zeros(rgba.shape[:2], np.uint8)
        for p, c in enumerate(colors):
            out[(rgba[..., :3] == np.asarray(c)).all(-1)] = p + 1
        out[rgba[..., 3] == 0] = 0
    return out


def cmd_parts(args) -> int:
    from latentbrush.ml.parts.runners import parts_models

    check_number("--steps", args.steps, 1, 10_000, integer=True)
    check_number("--candidates", args.candidates, 1, 64, integer=True)
    check_seed(args.seed)
    src, out = Path(args.input), Path(args.output)
    if not src.exists():
        raise UsageError(f"{src} does not exist")
    if src.is_dir():
        raise UsageError(f"parts works on one image; {src} is a folder")
    if args.edit is None and out.suffix.lower() != ".png":
        raise UsageError(f"a part map is written as a palette PNG: name it .png (got {out.name})")
    if args.edit is not None and not Path(args.edit).exists():
        raise UsageError(f"the label map {args.edit} does not exist")
    inputs = [src] + ([Path(args.edit)] if args.edit else [])
    item = plan_outputs([src], out, many=False, inputs=inputs, overwrite=args.overwrite,
                        formats={".png": "PNG"} if args.edit is None else EXPORT_FORMATS)[0]
    parse_region(args.region)
    face = parse_face(args.face)
    if face == "all":
        raise UsageError("parts edits one face at a time: give --face N")
    models = setup_models(args)
    bar = Bar(1, "parts")
    try:
        loaded = load_image(src)
        img = loaded.pixels
        if args.edit is not None:       # the label map's size, from its header, before any model loads
            load_companion(Path(args.edit), (img.shape[1], img.shape[0]), what="label map", transpose=False,
                           decode=False)
        pm = parts_models(models, args.model)
        colors, names = list(pm.seg.colors), list(pm.seg.names)
        where = regions_for(img, parse_region(args.region), face, models)[0]
        # a fixed number of projection and tuning steps (no time budget): the part map and a later
        # --edit of the same image see the same latent and the same tuned generator
        params = {**where, "parts_model": pm.parts_id, "project_budget": None, "tune_budget": None,
                  "tune": not args.no_tune}
        make_folders([item])
        session = cli_session(models)
        doc = open_image(session, img)
        if args.edit is None:
            res = run_request(session, PartsMapRequest(**params), layers=("base",), bar=bar)
            write_palette_png(res.info["parts_map"], colors, item.target)
            bar.show(1, f"{src.name} → {out.name}")
            bar.close()
            print("legend (palette index: part): 0: outside the face region, "
                  + ", ".join(f"{i + 1}: {n}" for i, n in enumerate(names)))
            return 0
        labels = read_label_png(Path(args.edit), colors, img.shape[:2])
        if not labels.any():
            # (an opaque greyscale image was called "all transparent", a helper: its colours are no parts' colours)
            raise ValueError(f"the label map {Path(args.edit).name} has no part labels: none of its pixels has a "
                             "part's colour (paint on a copy of `latentbrush parts IMAGE -o MAP.png`'s map; "
                             "transparent = no change)")
        req = PartsEditRequest(**params, only_changed=True, blend=args.blend, iters=args.steps,
                               candidates=args.candidates, seed=args.seed)
        # the edited labels are this command's input, not the document's parts layer
        res = run_request(session, req, layers=("base",), inputs={"parts": labels}, bar=bar, apply=True)
        if res.info.get("nothing"):         # no output written for an edit that changes nothing
            raise ValueError(res.message[0].lower() + res.message[1:])
        msg = write_image(doc.layer("base"), item, loaded)
        bar.show(1, msg)
        bar.close()
        # (the editor's advice to undo is, on the command line, to discard the output)
        print(res.message.replace("undo it or paint a smaller change", "discard the output or paint a smaller change"))
        return 0
    except (ImageLoadError, ValueError, LookupError) as e:
        bar.close()
        print(f"latentbrush: {src.name}: {e}", file=sys.stderr)
        return 1


def add_command(sub) -> None:
    p = sub.add_parser("parts", help="write an image's part map, or apply an edited part map (--edit)")
    p.add_argument("input", help="an image")
    p.add_argument("-o", "--output", required=True, help="PNG to write (part map, or the edited image with --edit)")
    p.add_argument("--edit", default=None, help="an edited label map (palette PNG like the part map)")
    p.add_argument("--region", default="auto", help="auto (face detector) | whole | x,y,w,h")
    p.add_argument("--model", default=None, help="parts model id (default: the one for the default generator)")
    add_face_options(p)
    p.add_argument("--blend", default="feather", choices=["feather", "poisson"], help="seam blending of the edit")
    p.add_argument("--steps", type=int, default=60, help="optimisation steps")
    p.add_argument("--candidates", type=int, default=PARTS_CANDIDATES)
    p.add_argument("--seed", type=int, default=0)
    add_overwrite(p)
    p.set_defaults(func=cmd_parts)
