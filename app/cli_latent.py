"""Headless latent editing: `latentbrush project` and `latentbrush scribble` (file or folder)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from app.core.imageio import ExportError, ImageLoadError, export_image, load_image


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
    return (x, y, x + w, y + h)


def _drive(gen, bar: Bar, base: float):
    try:
        while True:
            p = next(gen)
            bar.show(base + p.fraction * 0.999, p.message)
    except StopIteration as stop:
        return stop.value


def _files(path: Path) -> list[Path]:
    from app.cli import _inputs

    if not path.exists():
        raise SystemExit(f"latentbrush: {path} does not exist")
    return _inputs(path)


def _target(src: Path, out: Path, many: bool, suffix: str) -> Path:
    return out / (src.stem + suffix) if many else out


def _write_result(img: np.ndarray, res, src: Path, out: Path, many: bool) -> str:
    """The photo with the job's region pixels put in, written next to (never over) the source."""
    edited = img.copy()
    r = res.bbox
    edited[r.y0:r.y1, r.x0:r.x1] = res.pixels
    target = _target(src, out, many, ".png")
    export_image(edited, target, protected=src)
    return f"{src.name} → {target.name}"


def _region_for(img: np.ndarray, region):
    from app.ml.latent.faces import NoFaceFound, auto_region

    if region == "whole":
        return (0, 0, img.shape[1], img.shape[0])
    if region == "auto":
        try:
            return tuple(auto_region(img))
        except NoFaceFound:
            print("  no face found: using the whole image (give --region x,y,w,h to choose)", file=sys.stderr)
            return (0, 0, img.shape[1], img.shape[0])
    return region


def _setup(args):
    from app.cli import _manifest
    from app.ml.devices import configure_threads
    from app.ml.registry import ModelManager

    configure_threads()
    return ModelManager(_manifest(args))


def _batch(args, work) -> int:
    src_path = Path(args.input)
    files = _files(src_path)
    many = src_path.is_dir()
    out = Path(args.output)
    if many:
        out.mkdir(parents=True, exist_ok=True)
    bar = Bar(len(files), args.command)
    failed = 0
    for i, src in enumerate(files):
        try:
            msg = work(src, out, many, bar, i)
            bar.show(i + 1, msg)
        except (ImageLoadError, ExportError, ValueError, LookupError) as e:
            failed += 1
            bar.show(i + 1, f"{src.name}: FAILED")
            print(f"\nlatentbrush: {src.name}: {e}", file=sys.stderr)
    bar.close()
    if failed:
        print(f"{failed} of {len(files)} failed", file=sys.stderr)
    return 1 if failed else 0


def cmd_project(args) -> int:
    from app.core.jobs import Job
    from app.ml.latent.runners import run_project

    models = _setup(args)
    region = parse_region(args.region)

    def work(src: Path, out: Path, many: bool, bar: Bar, i: int) -> str:
        img = load_image(src).pixels
        job = Job("project", params={"region": _region_for(img, region), "steps": args.steps,
                                     "time_budget": args.seconds}, inputs={"image": img})
        res = _drive(run_project(job, models), bar, i)
        st = res.info["latent_state"]
        # the reconstruction, applied back onto the full-resolution photo
        recon = img.copy()
        r = st.region
        recon[r.y0:r.y1, r.x0:r.x1] = _reconstruction(st)
        target = _target(src, out, many, ".png")
        export_image(recon, target, protected=src)
        if args.latent:
            lat = Path(args.latent)
            lat_path = (lat / (src.stem + ".npy")) if many else lat
            lat_path.parent.mkdir(parents=True, exist_ok=True)
            np.save(lat_path, st.z_base)
        return f"{src.name}: {st.fit_psnr:.1f} dB → {target.name}"

    return _batch(args, work)


def _reconstruction(st) -> np.ndarray:
    """The projection at full resolution: the generator's render upsampled into the region,
    blended into the photo over a border of 4 % of the region so it sits in the picture."""
    from app.ml.tensors import resize

    h, w = st.region.height, st.region.width
    up = resize(np.rint(st.base_render).astype(np.uint8), w, h).astype(np.float32)
    b = max(1, int(0.04 * min(h, w)))
    ramp_y = np.clip(np.minimum(np.arange(h), np.arange(h)[::-1]) / b, 0, 1)
    ramp_x = np.clip(np.minimum(np.arange(w), np.arange(w)[::-1]) / b, 0, 1)
    a = (ramp_y[:, None] * ramp_x[None, :])[..., None]
    return np.rint(up * a + st.reference.astype(np.float32) * (1 - a)).astype(np.uint8)


def load_strokes(path: Path) -> np.ndarray:
    """An RGBA strokes image (h, w, 4) uint8; alpha marks the painted pixels."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if "A" not in im.getbands() and not (im.mode == "P" and "transparency" in im.info):
                raise ValueError(f"{path.name} has no alpha channel: the strokes must be an RGBA image "
                                 "whose alpha marks the painted pixels")
            return np.asarray(im.convert("RGBA")).copy()
    except OSError as e:
        raise ImageLoadError(f"cannot read the strokes {path.name}: {e}") from e


def cmd_scribble(args) -> int:
    from app.core.jobs import Job
    from app.ml.latent.runners import run_scribble

    models = _setup(args)
    region = parse_region(args.region)
    strokes_path = Path(args.strokes)

    def work(src: Path, out: Path, many: bool, bar: Bar, i: int) -> str:
        img = load_image(src).pixels
        sp = strokes_path / src.name if strokes_path.is_dir() else strokes_path
        if strokes_path.is_dir() and not sp.exists():
            sp = next((p for p in strokes_path.glob(src.stem + ".*")), sp)
        strokes = load_strokes(sp)
        if strokes.shape[:2] != img.shape[:2]:
            raise ValueError(f"{sp.name} is {strokes.shape[1]}×{strokes.shape[0]}, the image is "
                             f"{img.shape[1]}×{img.shape[0]}: they must be the same size")
        job = Job("scribble", params={"state": None, "region": _region_for(img, region), "candidates": args.candidates,
                                      "iters": args.iters, "strength": args.strength,
                                      "region_only": args.region_only, "seed": args.seed},
                  inputs={"image": img, "scribble": strokes})
        res = _drive(run_scribble(job, models), bar, i)
        return _write_result(img, res, src, out, many)

    return _batch(args, work)


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
    from app.core.jobs import Job
    from app.ml.latent.runners import latent_models, run_project
    from app.ml.latent.sliders import SLIDER_RANGE, direction_kinds, directions_for, run_attribute

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
    if not args.input or not args.output:
        raise SystemExit("latentbrush: attribute needs IMAGE and -o OUT (or --list)")
    values = parse_sets(args.set)
    if not values:
        raise SystemExit("latentbrush: give at least one --set NAME=VALUE (see --list)")
    unknown = [n for n in values if n not in dirs]
    if unknown:
        raise SystemExit(f"latentbrush: unknown slider {', '.join(unknown)}; known: {', '.join(dirs)}")
    bad = [f"{n}={v:g}" for n, v in values.items() if abs(v) > SLIDER_RANGE]
    if bad:
        raise SystemExit(f"latentbrush: slider values must be within −3…3: {', '.join(bad)}")
    region = parse_region(args.region)

    def work(src: Path, out: Path, many: bool, bar: Bar, i: int) -> str:
        img = load_image(src).pixels
        job = Job("project", params={"region": _region_for(img, region), "time_budget": args.seconds},
                  inputs={"image": img})
        st = _drive(run_project(job, models), bar, i).info["latent_state"]
        res = _drive(run_attribute(Job("attribute", params={"state": st, "values": values}), models), bar, i + 0.9)
        return _write_result(img, res, src, out, many)

    return _batch(args, work)


def add_commands(sub) -> None:
    p = sub.add_parser("project", help="project a photo (or a folder) into the generator's latent space")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True, help="PNG (or a folder for a folder input)")
    p.add_argument("--latent", help="also save the latent as .npy (a folder for a folder input)")
    p.add_argument("--region", default="auto", help="auto (face detector) | whole | x,y,w,h")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--seconds", type=float, default=2.0, help="time budget of the optimization per image")
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
    s.set_defaults(func=cmd_scribble)
    a = sub.add_parser("attribute", help="move a face along attribute directions (smile …); --list names them")
    a.add_argument("input", nargs="?")
    a.add_argument("-o", "--output")
    a.add_argument("--set", action="append", metavar="NAME=VALUE", help="slider value in −3…3 (repeatable)")
    a.add_argument("--list", action="store_true", help="list the available directions")
    a.add_argument("--region", default="auto", help="auto | whole | x,y,w,h")
    a.add_argument("--seconds", type=float, default=2.0, help="projection time budget per image")
    a.set_defaults(func=cmd_attribute)
