"""Headless latent editing: `latentbrush project` and `latentbrush scribble` (file or folder)."""

from __future__ import annotations

import glob
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from latentbrush.cli_common import (
    Planned,
    UsageError,
    add_overwrite,
    check_number,
    check_seed,
    files_of,
    input_files,
    make_folders,
    plan_outputs,
)
from latentbrush.core.imageio import (
    ExportError,
    ImageLoadError,
    atomic_write_many,
    image_writer,
    load_companion,
    load_image,
)


class Bar:
    """A one-line terminal progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, total: int, label: str = "") -> None:
        self.total, self.label, self.t0 = max(total, 1), label, time.perf_counter()
        self.tty = sys.stderr.isatty()
        self._last = ""

    def show(self, done: float, note: str = "") -> None:
        frac = min(1.0, done / self.total)
        n = int(frac * 30)
        line = f"{self.label} [{'#' * n}{'.' * (30 - n)}] {frac:4.0%} {time.perf_counter() - self.t0:5.1f}s {note}"
        if self.tty:
            sys.stderr.write("\r" + line[:120].ljust(len(self._last)))
            self._last = line[:120]
        elif note != self._last:
            sys.stderr.write(line + "\n")
            self._last = note
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def parse_region(text: str | None):
    """auto | whole | x,y,w,h → "auto" / "whole" / (x0, y0, x1, y1)."""
    if text in (None, "", "auto"):
        return "auto"
    if text == "whole":
        return "whole"
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise SystemExit(f"latentbrush: --region must be auto, whole or x,y,w,h (got {text!r})") from None
    if x < 0 or y < 0 or w < 1 or h < 1:
        raise UsageError(f"--region x,y,w,h needs x, y ≥ 0 and w, h ≥ 1 (got {text!r})")
    return (x, y, x + w, y + h)


def _drive(gen, bar: Bar, base: float):
    try:
        while True:
            p = next(gen)
            bar.show(base + p.fraction * 0.999, p.message)
    except StopIteration as stop:
        return stop.value


def _paste(img: np.ndarray, res) -> np.ndarray:
    """The photo with the job's region pixels put in."""
    edited = img.copy()
    r = res.bbox
    edited[r.y0:r.y1, r.x0:r.x1] = res.pixels
    return edited


def _write_image(img: np.ndarray, item: Planned) -> str:
    atomic_write_many([(item.target, image_writer(img, item.target))])
    return f"{item.src.name} → {item.target.name}"


def _write_result(img: np.ndarray, res, item: Planned) -> str:
    """The photo with the job's region pixels put in, written to the planned target."""
    return _write_image(_paste(img, res), item)


def parse_face(text: str | None) -> int | str:
    """--face: "all" or a 1-based face number (largest face = 1)."""
    if text is None or text == "":
        return 1
    if text == "all":
        return "all"
    try:
        n = int(text)
    except ValueError:
        raise UsageError(f"--face must be a face number (1 = the largest) or all, got {text!r}") from None
    if n < 1:
        raise UsageError(f"--face numbers start at 1 (the largest face), got {n}")
    return n


def _regions_for(img: np.ndarray, region, face, models) -> list[dict]:
    """The job parameters of each edit region: the chosen face(s) (aligned), the whole image
    when no face is found, or the given box."""
    if region == "whole":
        return [{"region": (0, 0, img.shape[1], img.shape[0])}]
    if region == "auto":
        from latentbrush.ml.latent.photo import find_faces

        faces = find_faces(img, models)           # found once: the jobs take them as they are
        n = len(faces)
        if n == 0:
            print("  no face found: using the whole image (give --region x,y,w,h to choose)", file=sys.stderr)
            return [{"region": (0, 0, img.shape[1], img.shape[0])}]
        if face == "all":
            return [{"region": "auto", "face": i, "found": f} for i, f in enumerate(faces)]
        if face > n:
            raise ValueError(f"--face {face} asked for, but {n} face(s) were found")
        return [{"region": "auto", "face": face - 1, "found": faces[face - 1]}]
    if region[2] > img.shape[1] or region[3] > img.shape[0]:
        raise ValueError(f"--region {region[0]},{region[1]},{region[2] - region[0]},{region[3] - region[1]} "
                         f"reaches outside the {img.shape[1]}×{img.shape[0]} image")
    return [{"region": region}]


def _setup(args):
    from latentbrush.cli import _manifest
    from latentbrush.ml.devices import configure_threads
    from latentbrush.ml.registry import ModelManager

    configure_threads()
    return ModelManager(_manifest(args))


def _plan(args, *, inputs: Sequence[Path] = (), latent: str | None = None) -> list[Planned]:
    """Every output path of a file or folder command, checked before any work (see cli_common)."""
    src_path = Path(args.input)
    files = input_files(src_path)
    return plan_outputs(files, Path(args.output), many=src_path.is_dir(), overwrite=args.overwrite,
                        inputs=[*files_of(src_path), *inputs], latent=Path(latent) if latent else None)


def _batch(args, plan: list[Planned], work) -> int:
    make_folders(plan)
    bar = Bar(len(plan), args.command)
    failed = 0
    for i, item in enumerate(plan):
        try:
            msg = work(item, bar, i)
            bar.show(i + 1, msg)
        except (ImageLoadError, ExportError, ValueError, LookupError) as e:
            failed += 1
            bar.show(i + 1, f"{item.src.name}: FAILED")
            print(f"\nlatentbrush: {item.src.name}: {e}", file=sys.stderr)
    bar.close()
    if failed:
        print(f"{failed} of {len(plan)} failed", file=sys.stderr)
    return 1 if failed else 0


def cmd_project(args) -> int:
    from latentbrush.core.jobs import Job
    from latentbrush.ml.latent.runners import run_project

    check_number("--steps", args.steps, 1, 100_000, integer=True)
    check_number("--seconds", args.seconds, 0, 3600, lo_open=True)
    region = parse_region(args.region)
    face = parse_face(args.face)
    plan = _plan(args, latent=args.latent)
    models = _setup(args)

    def work(item: Planned, bar: Bar, i: int) -> str:
        img = load_image(item.src).pixels
        recon, zs, fits = img.copy(), [], []
        for params in _regions_for(img, region, face, models):
            job = Job("project", params={**params, "steps": args.steps, "time_budget": args.seconds,
                                         "tune": not args.no_tune}, inputs={"image": img})
            st = _drive(run_project(job, models), bar, i).info["latent_state"]
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

    return _batch(args, plan, work)


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
    from latentbrush.core.jobs import Job
    from latentbrush.ml.latent.runners import run_scribble

    check_number("--strength", args.strength, 0, 1.5)
    check_number("--candidates", args.candidates, 1, 64, integer=True)
    check_number("--iters", args.iters, 1, 10_000, integer=True)
    check_seed(args.seed)
    region = parse_region(args.region)
    face = parse_face(args.face)
    strokes_path = Path(args.strokes)
    if not strokes_path.exists():
        raise UsageError(f"the strokes {strokes_path} do not exist")
    plan = _plan(args, inputs=files_of(strokes_path))
    models = _setup(args)

    def work(item: Planned, bar: Bar, i: int) -> str:
        src = item.src
        img = load_image(src).pixels
        sp = strokes_path / src.name if strokes_path.is_dir() else strokes_path
        if strokes_path.is_dir() and not sp.exists():
            sp = next((p for p in sorted(strokes_path.glob(glob.escape(src.stem) + ".*")) if p.is_file()), sp)
        strokes = load_strokes(sp, (img.shape[1], img.shape[0]))
        out, done = img, 0
        for params in _regions_for(img, region, face, models):
            job = Job("scribble", params={"state": None, **params, "candidates": args.candidates,
                                          "iters": args.iters, "strength": args.strength, "tune": not args.no_tune,
                                          "region_only": args.region_only, "seed": args.seed},
                      inputs={"image": out, "scribble": strokes})
            try:
                res = _drive(run_scribble(job, models), bar, i)
            except ValueError as e:
                if face != "all" or "no strokes" not in str(e) and "outside the face" not in str(e):
                    raise
                continue                 # --face all: faces without strokes stay as they are
            out = _paste(out, res)
            done += 1
        if not done:
            raise ValueError("no strokes inside any face: paint over a face")
        return _write_image(out, item)

    return _batch(args, plan, work)


def parse_sets(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for it in items or []:
        name, sep, value = it.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise SystemExit(f"latentbrush: --set expects NAME=VALUE (e.g. smile=1.5), got {it!r}") from None
        if not sep or not name.strip():
            raise SystemExit(f"latentbrush: --set expects NAME=VALUE (e.g. smile=1.5), got {it!r}")
    return out


def cmd_attribute(args) -> int:
    from latentbrush.core.jobs import Job
    from latentbrush.ml.latent.runners import latent_models, run_project
    from latentbrush.ml.latent.sliders import SLIDER_RANGE, direction_kinds, directions_for, run_attribute

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
    models = _setup(args)
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
    plan = _plan(args)              # every output checked before the work
    region = parse_region(args.region)
    face = parse_face(args.face)

    def work(item: Planned, bar: Bar, i: int) -> str:
        img = load_image(item.src).pixels
        out = img
        for params in _regions_for(img, region, face, models):
            job = Job("project", params={**params, "time_budget": args.seconds, "tune": not args.no_tune},
                      inputs={"image": out})
            st = _drive(run_project(job, models), bar, i).info["latent_state"]
            res = _drive(run_attribute(Job("attribute", params={"state": st, "values": values}), models),
                         bar, i + 0.9)
            out = _paste(out, res)
        return _write_image(out, item)

    return _batch(args, plan, work)


def _face_options(p) -> None:
    p.add_argument("--face", default="1", metavar="N|all",
                   help="which face to edit when several are found: 1 = the largest (default), or all")
    p.add_argument("--no-tune", action="store_true",
                   help="do not fit a copy of the generator to the photo (faster, less faithful)")


def add_commands(sub) -> None:
    p = sub.add_parser("project", help="project a photo (or a folder) into the generator's latent space")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True, help="PNG (or a folder for a folder input)")
    p.add_argument("--latent", help="also save the latent as .npy (a folder for a folder input)")
    p.add_argument("--region", default="auto", help="auto (face detector) | whole | x,y,w,h")
    p.add_argument("--steps", type=int, default=200)
    _face_options(p)
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
    s.add_argument("--region-only", action="store_true", help="only change pixels near the strokes")
    s.add_argument("--seed", type=int, default=0)
    _face_options(s)
    add_overwrite(s)
    s.set_defaults(func=cmd_scribble)
    a = sub.add_parser("attribute", help="move a face along attribute directions (smile …); --list names them")
    a.add_argument("input", nargs="?")
    a.add_argument("-o", "--output")
    a.add_argument("--set", action="append", metavar="NAME=VALUE", help="slider value in −3…3 (repeatable)")
    a.add_argument("--list", action="store_true", help="list the available directions")
    a.add_argument("--region", default="auto", help="auto | whole | x,y,w,h")
    a.add_argument("--seconds", type=float, default=2.0, help="projection time budget per image")
    _face_options(a)
    add_overwrite(a)
    a.set_defaults(func=cmd_attribute)
