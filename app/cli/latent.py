"""Headless latent editing: `latentbrush project`, `scribble` and `attribute` (file or folder)."""

from __future__ import annotations

import glob
import math
from pathlib import Path

import numpy as np

from latentbrush.cli.common import (
    Bar,
    Planned,
    UsageError,
    add_overwrite,
    check_number,
    check_seed,
    files_of,
    plan_command,
    run_batch,
    setup_models,
    write_image,
)
from latentbrush.cli.faces import add_face_options, parse_face, parse_region, regions_for
from latentbrush.cli.session import cli_session, open_image, run_request
from latentbrush.core.imageio import atomic_write_many, image_writer, load_companion, load_image
from latentbrush.core.requests import AttributeRequest, ProjectRequest, ScribbleRequest


def cmd_project(args) -> int:
    check_number("--steps", args.steps, 1, 100_000, integer=True)
    check_number("--seconds", args.seconds, 0, 3600, lo_open=True)
    region = parse_region(args.region)
    face = parse_face(args.face)
    plan = plan_command(args, latent=args.latent)
    models = setup_models(args)
    session = cli_session(models)

    def work(item: Planned, bar: Bar, i: int) -> str:
        img = load_image(item.src).pixels
        open_image(session, img)
        recon, zs, fits = img.copy(), [], []
        for params in regions_for(img, region, face, models):
            req = ProjectRequest(**params, steps=args.steps, time_budget=args.seconds, tune=not args.no_tune)
            st = run_request(session, req, layers=("base",), bar=bar, i=i).info["latent_state"]
            # the reconstruction, applied back onto the full-resolution photo
            r = st.region
            recon[r.y0:r.y1, r.x0:r.x1] = _reconstruction(st, recon[r.y0:r.y1, r.x0:r.x1])
            zs.append(np.asarray(st.z_base))
            fits.append(f"{st.fit_psnr:.1f}")
        writes = [(item.target, image_writer(recon, item.target))]
        if item.latent is not None:
            z = zs[0] if len(zs) == 1 else np.stack(zs)
            writes.append((item.latent, lambda fh: np.save(fh, z)))
        atomic_write_many(writes)        # both or neither
        return f"{item.src.name}: {', '.join(fits)} dB → {item.target.name}"

    return run_batch(args, plan, work)


def _reconstruction(st, under: np.ndarray) -> np.ndarray:
    """The projection at full resolution: the generator's render carried into the region (warped
    back when the face was aligned), blended into `under` over a border of 4 % of the frame."""
    from latentbrush.ml.latent import align
    from latentbrush.ml.latent.applyback import border_taper

    h, w = st.region.height, st.region.width
    warp = st.warp_matrix
    R = st.base_render.shape[0]
    up = align.from_frame(np.asarray(st.base_render), warp, (h, w))
    F = align.frame_size(warp, R)
    a = align.from_frame(border_taper(F, F, 0.04), warp, (h, w), smooth=False)[..., None]
    return np.rint(np.clip(up * a + under.astype(np.float32) * (1 - a), 0, 255)).astype(np.uint8)


def load_strokes(path: Path, size: tuple[int, int]) -> np.ndarray:
    """An RGBA strokes image (h, w, 4) uint8 for an image of `size` (w, h); alpha marks the
    painted pixels. Through the image loader's allow-list and guards; the size is checked first."""
    im = load_companion(path, size, what="strokes")
    if "A" not in im.getbands() and not (im.mode == "P" and "transparency" in im.info):
        raise ValueError(f"{path.name} has no alpha channel: the strokes must be an RGBA image "
                         "whose alpha marks the painted pixels")
    return np.asarray(im.convert("RGBA")).copy()


def cmd_scribble(args) -> int:
    check_number("--strength", args.strength, 0, 1.5)
    check_number("--candidates", args.candidates, 1, 64, integer=True)
    check_number("--iters", args.iters, 1, 10_000, integer=True)
    check_seed(args.seed)
    region = parse_region(args.region)
    face = parse_face(args.face)
    strokes_path = Path(args.strokes)
    if not strokes_path.exists():
        raise UsageError(f"the strokes {strokes_path} do not exist")
    plan = plan_command(args, inputs=files_of(strokes_path))
    models = setup_models(args)
    session = cli_session(models)

    def work(item: Planned, bar: Bar, i: int) -> str:
        src = item.src
        loaded = load_image(src)
        img = loaded.pixels
        sp = strokes_path / src.name if strokes_path.is_dir() else strokes_path
        if strokes_path.is_dir() and not sp.exists():
            sp = next((p for p in sorted(strokes_path.glob(glob.escape(src.stem) + ".*")) if p.is_file()), sp)
        strokes = load_strokes(sp, (img.shape[1], img.shape[0]))
        doc = open_image(session, img)
        doc.write("scribble", doc.bounds, strokes)
        done = 0
        for params in regions_for(img, region, face, models):
            if args.reproducible:        # step counts, not time budgets: the same result on any machine
                params = {**params, "project_budget": None, "tune_budget": None}
            req = ScribbleRequest(state=None, **params, candidates=args.candidates, iters=args.iters,
                                  strength=args.strength, tune=not args.no_tune, region_only=args.region_only,
                                  seed=args.seed)
            try:    # each face's edit is applied to the document: the next face starts from it
                run_request(session, req, layers=("base", "scribble"), bar=bar, i=i, apply=True)
            except ValueError as e:
                if face != "all" or "no strokes" not in str(e) and "outside the face" not in str(e):
                    raise
                continue                 # --face all: faces without strokes stay as they are
            done += 1
        if not done:
            raise ValueError("no strokes inside any face: paint over a face")
        return write_image(doc.layer("base"), item, loaded)

    return run_batch(args, plan, work)


def parse_sets(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for it in items or []:
        name, sep, value = it.partition("=")
        if name.strip() in out:
            raise SystemExit(f"latentbrush: --set {name.strip()} is given more than once: give each slider once")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise SystemExit(f"latentbrush: --set expects NAME=VALUE (e.g. smile=1.5), got {it!r}") from None
        if not sep or not name.strip():
            raise SystemExit(f"latentbrush: --set expects NAME=VALUE (e.g. smile=1.5), got {it!r}")
    return out


def cmd_attribute(args) -> int:
    from latentbrush.ml.latent.runners import latent_models
    from latentbrush.ml.latent.sliders import SLIDER_RANGE, direction_kinds, directions_for

    if not args.list:
        check_number("--seconds", args.seconds, 0, 3600, lo_open=True)
        if not args.input or not args.output:
            raise SystemExit("latentbrush: attribute needs IMAGE and -o OUT (or --list)")
        values = parse_sets(args.set)
        if not values:
            raise SystemExit("latentbrush: give at least one --set NAME=VALUE (see --list)")
        bad = [f"{n}={v:g}" for n, v in values.items() if not math.isfinite(v) or abs(v) > SLIDER_RANGE]
        if bad:
            raise SystemExit(f"latentbrush: slider values must be within −3…3: {', '.join(bad)}")
    models = setup_models(args)
    lm = latent_models(models)
    dirs = directions_for(models, lm.generator_id)
    if args.list:
        kinds = direction_kinds(models, lm.generator_id)
        if not dirs:
            print("no directions for this generator in the manifest")
        for name in dirs:
            print(f"{name:14s} {kinds.get(name, 'attribute'):9s} range −{SLIDER_RANGE:g}…{SLIDER_RANGE:g}")
        return 0
    unknown = [n for n in values if n not in dirs]
    if unknown:
        raise SystemExit(f"latentbrush: unknown slider {', '.join(unknown)}; known: {', '.join(dirs)}")
    plan = plan_command(args)              # every output checked before the work
    region = parse_region(args.region)
    face = parse_face(args.face)
    session = cli_session(models)

    def work(item: Planned, bar: Bar, i: int) -> str:
        loaded = load_image(item.src)
        img = loaded.pixels
        doc = open_image(session, img)
        for params in regions_for(img, region, face, models):
            # projected from the document as it is (earlier faces' edits applied), then moved
            req = ProjectRequest(**params, time_budget=args.seconds, tune=not args.no_tune)
            st = run_request(session, req, layers=("base",), bar=bar, i=i).info["latent_state"]
            run_request(session, AttributeRequest(state=st, values=values), layers=("base",), bar=bar, i=i + 0.9,
                        apply=True)
        return write_image(doc.layer("base"), item, loaded)

    return run_batch(args, plan, work)


def add_commands(sub) -> None:
    p = sub.add_parser("project", help="project a photo (or a folder) into the generator's latent space")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True, help="PNG (or a folder for a folder input)")
    p.add_argument("--latent", help="also save the latent as .npy (a folder for a folder input)")
    p.add_argument("--region", default="auto", help="auto (face detector) | whole | x,y,w,h")
    p.add_argument("--steps", type=int, default=200)
    add_face_options(p)
    p.add_argument("--seconds", type=float, default=2.0, help="time budget of the optimization per image")
    add_overwrite(p)
    p.set_defaults(func=cmd_project)
    s = sub.add_parser("scribble", help="edit an image (or a folder) so it follows color strokes")
    s.add_argument("input")
    s.add_argument("--strokes", required=True, help="RGBA image of the same size; alpha marks painted pixels "
                                                     "(or a folder of them, matched by name)")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--region", default="auto", help="auto | whole | x,y,w,h")
    s.add_argument("--candidates", type=int, default=4)
    s.add_argument("--iters", type=int, default=40)
    s.add_argument("--strength", type=float, default=1.0)
    s.add_argument("--region-only", action="store_true", default=True,
                   help="only change pixels near the strokes (the default, as in the editor)")
    s.add_argument("--whole-face", dest="region_only", action="store_false",
                   help="let the edit change the whole face, not only near the strokes")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--reproducible", action="store_true",
                   help="project and tune the photo for fixed numbers of steps instead of time budgets, so the "
                        "same input gives the same result on any machine, however busy (slower)")
    add_face_options(s)
    add_overwrite(s)
    s.set_defaults(func=cmd_scribble)
    a = sub.add_parser("attribute", help="move a face along attribute directions (smile …); --list names them")
    a.add_argument("input", nargs="?")
    a.add_argument("-o", "--output")
    a.add_argument("--set", action="append", metavar="NAME=VALUE", help="slider value in −3…3 (repeatable)")
    a.add_argument("--list", action="store_true", help="list the available directions")
    a.add_argument("--region", default="auto", help="auto | whole | x,y,w,h")
    a.add_argument("--seconds", type=float, default=2.0, help="projection time budget per image")
    add_face_options(a)
    add_overwrite(a)
    a.set_defaults(func=cmd_attribute)
