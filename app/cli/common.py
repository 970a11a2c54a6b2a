"""What the subcommands share: options, checks, output planning, the batch driver, progress.

Every writing subcommand checks, before it loads a model or decodes a pixel:

- Numbers: `check_number` — finite, within a range that the message names.
- Outputs: `plan_outputs` — every output name is decided up front: never one of the command's
  inputs (compared by file identity, so links and `./x.png` vs `x.png` count), never two results
  to one name (names that would collide get the source's extension as a suffix), existing files
  refused unless --overwrite, the extension writable and the folder writable.
- Signals: `interrupts_as_exceptions` — SIGTERM becomes an exception like Ctrl-C, so an atomic
  write in progress removes its temp file on the way out.

Then `run_batch` works through the plan with a `Bar` on stderr; one failing file is reported and
the others go on (exit status 1). The face and region options of the latent edits are in
latentbrush.cli.faces; the model jobs run through the session model (latentbrush.cli.session).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentbrush.core.imageio import (
    EXPORT_FORMATS,
    OPEN_EXTENSIONS,
    ExportError,
    ImageLoadError,
    LoadedImage,
    atomic_write_many,
    eight_bit,
    image_writer,
    load_companion,
)
from latentbrush.core.imagewrite import export_format, with_alpha
from latentbrush.ml.manifest import Manifest
from latentbrush.paths import models_dir

SEED_MAX = 2**32 - 1


class UsageError(Exception):
    """A command line that cannot be run as given; the message says what to change."""


class Terminated(BaseException):
    """SIGTERM arrived: unwind (removing temp files) and exit 143."""


def check_number(name: str, value: float, lo: float, hi: float, *, integer: bool = False,
                 lo_open: bool = False) -> None:
    """Refuse NaN, infinities and values outside lo…hi (lo excluded when lo_open)."""
    try:
        ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi
    except OverflowError:
        ok = False
    if not ok:
        fmt = (lambda v: str(int(v))) if integer else (lambda v: format(v, "g"))
        kind = "a whole number" if integer else "a number"
        rng = (f"greater than {fmt(lo)} and at most {fmt(hi)}" if lo_open
               else f"from {fmt(lo)} to {fmt(hi)}")
        got = repr(value) if len(repr(value)) <= 24 else repr(value)[:20] + "…"
        raise UsageError(f"{name} must be {kind} {rng} (got {got})")


def check_seed(value: int, name: str = "--seed") -> None:
    check_number(name, value, 0, SEED_MAX, integer=True)


def input_files(path: Path) -> list[Path]:
    """The images a command works on: the file itself, or a folder's images (sorted)."""
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    if path.is_dir():
        try:
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in OPEN_EXTENSIONS and p.is_file())
        except PermissionError:
            raise UsageError(f"cannot list the folder {path}: permission denied") from None
        if not files:
            raise UsageError(f"the folder {path} holds no images ({', '.join(OPEN_EXTENSIONS)})")
        return files
    return [path]


def files_of(path: Path | None) -> list[Path]:
    """Every file a path names: the file, or every file of a folder (all are protected inputs)."""
    if path is None or not path.exists():
        return []
    if path.is_dir():
        with contextlib.suppress(OSError):
            return [p for p in path.iterdir() if p.is_file()]
        return []
    return [path]


def _identity(p: Path) -> tuple[int, int] | None:
    try:
        st = p.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _key(p: Path) -> str:
    return os.path.normcase(str(p.resolve()))


@dataclass(frozen=True)
class Planned:
    src: Path
    target: Path
    latent: Path | None = None


def batch_names(files: list[Path], ext: str) -> dict[Path, str]:
    """Output file names in a folder, one per source: `stem + ext`; sources whose stems collide
    (a.jpg and a.png, or A.png and a.png) all get their own extension as a suffix (a-jpg.png),
    and a name still taken gets a number (a-jpg-2.png)."""
    by_stem: dict[str, list[Path]] = {}
    for f in files:
        by_stem.setdefault(f.stem.casefold(), []).append(f)
    names: dict[Path, str] = {}
    used: set[str] = set()
    for f in files:
        group = by_stem[f.stem.casefold()]
        stem = f.stem if len(group) == 1 else f"{f.stem}-{f.suffix.lstrip('.').lower()}"
        name, k = stem + ext, 2
        while name.casefold() in used:        # a-jpg.png may itself be an input next to a.jpg
            name, k = f"{stem}-{k}{ext}", k + 1
        used.add(name.casefold())
        names[f] = name
    return names


def _writable_folder(folder: Path) -> str | None:
    """Why `folder` cannot receive files (None when it can, or can be created)."""
    p = folder if str(folder) else Path(".")
    while not p.exists():
        if p.parent == p:
            break
        p = p.parent
    if not p.is_dir():
        return f"{p} is a file, not a folder"
    if not os.access(p, os.W_OK | os.X_OK):
        read_only = hasattr(os, "statvfs") and bool(os.statvfs(p).f_flag & getattr(os, "ST_RDONLY", 1))
        return f"cannot write in the folder {p}: " + ("read-only file system" if read_only else "permission denied")
    return None


def plan_outputs(sources: list[Path], output: Path, *, many: bool, inputs: Iterable[Path],
                 overwrite: bool, ext: str = ".png", latent: Path | None = None,
                 formats: dict[str, str] | None = None) -> list[Planned]:
    """Decide every output path before any work; raise UsageError listing every problem."""
    formats = EXPORT_FORMATS if formats is None else formats
    if many and output.exists() and not output.is_dir():
        raise UsageError(f"the input is a folder, so -o must be a folder, but {output} is a file")
    if not many and output.is_dir():
        raise UsageError(f"-o {output} is a folder; give a file name (e.g. {output / (sources[0].stem + ext)})")
    if not many and output.suffix.lower() not in formats:
        raise UsageError(f"cannot write {output.name}: use one of {', '.join(sorted(formats))}")
    if latent is not None:
        if many and latent.exists() and not latent.is_dir():
            raise UsageError(f"the input is a folder, so --latent must be a folder, but {latent} is a file")
        if not many and latent.is_dir():
            raise UsageError(f"--latent {latent} is a folder; give a file name ending in .npy")
        if not many and latent.suffix.lower() != ".npy":
            raise UsageError(f"--latent must end in .npy (got {latent.name})")
    names = batch_names(sources, ext) if many else {}
    lat_names = batch_names(sources, ".npy") if many else {}
    plan = [Planned(s, output / names[s] if many else output,
                    None if latent is None else (latent / lat_names[s] if many else latent)) for s in sources]

    protected = {i for i in (_identity(p) for p in inputs) if i is not None}
    problems: list[str] = []
    seen: dict[str, Path] = {}
    existing: list[Path] = []
    for item in plan:
        for t in (item.target, item.latent):
            if t is None:
                continue
            k = _key(t)
            if k in seen:
                problems.append(f"{t} would be written twice (for {seen[k].name} and {item.src.name})")
                continue
            seen[k] = item.src
            ident = _identity(t)
            if ident is not None and ident in protected:
                problems.append(f"{t} is an input of this command and is never written over "
                                "(even with --overwrite): choose another output name")
            elif t.exists() and not t.is_dir() and not t.is_file():
                problems.append(f"{t} is not a regular file (a device, pipe or socket) and is never replaced")
            elif t.exists() and (t.is_dir() or not overwrite):
                existing.append(t)
    if problems:
        raise UsageError("nothing was done: " + "; ".join(problems))
    folders = {item.target.parent for item in plan} | {item.latent.parent for item in plan if item.latent}
    refused = sorted({w for w in (_writable_folder(f) for f in folders) if w})
    if refused:
        raise UsageError("; ".join(refused))
    if existing:
        shown = ", ".join(str(p) for p in existing[:8]) + (f" … ({len(existing)} in all)" if len(existing) > 8 else "")
        if any(p.is_dir() for p in existing):
            raise UsageError(f"cannot write over a folder: {shown}")
        raise UsageError(f"nothing was done: {'this output exists' if len(existing) == 1 else 'these outputs exist'}"
                         f" already: {shown}; add --overwrite to replace {'it' if len(existing) == 1 else 'them'}")
    return plan


def make_folders(plan: list[Planned]) -> None:
    """Create the output folders of a plan (only once the work is about to start)."""
    for f in sorted({p.target.parent for p in plan} | {p.latent.parent for p in plan if p.latent}):
        try:
            f.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ExportError(f"cannot create the folder {f}: {e.strerror or e}") from e


def add_overwrite(parser) -> None:
    parser.add_argument("--overwrite", action="store_true",
                        help="replace output files that exist already (inputs are never replaced)")


@contextlib.contextmanager
def interrupts_as_exceptions() -> Iterator[None]:
    """While inside: SIGTERM raises Terminated (SIGINT raises KeyboardInterrupt as usual), so
    `finally` blocks and atomic writes clean up. Only on the main thread; restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum, frame) -> None:
        raise Terminated()

    # a signal ignored at start (a background job's SIGINT, nohup) stays ignored
    ours = {signal.SIGTERM: on_term, signal.SIGINT: signal.default_int_handler}
    old = {s: signal.getsignal(s) for s in ours}
    for s, handler in ours.items():
        if old[s] is not signal.SIG_IGN:
            signal.signal(s, handler)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


def load_manifest(args) -> Manifest:
    """The manifest of --models, or the installation's."""
    return Manifest.load(Path(args.models) if args.models else models_dir())


def setup_models(args):
    """A model manager for the command (threads configured for a headless run)."""
    from latentbrush.ml.devices import configure_threads
    from latentbrush.ml.registry import ModelManager

    configure_threads()
    return ModelManager(load_manifest(args))


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


def plan_command(args, *, inputs: Sequence[Path] = (), latent: str | None = None) -> list[Planned]:
    """Every output path of a file or folder command (args.input → args.output), checked before any work."""
    src_path = Path(args.input)
    files = input_files(src_path)
    return plan_outputs(files, Path(args.output), many=src_path.is_dir(), overwrite=args.overwrite,
                        inputs=[*files_of(src_path), *inputs], latent=Path(latent) if latent else None)


def run_batch(args, plan: list[Planned], work) -> int:
    """work(item, bar, i) → message, for each planned item; a failing item does not stop the others."""
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


def write_image(img: np.ndarray, item: Planned, source: LoadedImage | None = None) -> str:
    """Write the result for `item`, keeping the source photo's colour profile, EXIF and (PNG / WebP) transparency, as
    the editor's export does."""
    icc, exif = (source.icc_profile, source.exif) if source is not None else (None, None)
    alpha = source.alpha if source is not None else None
    if alpha is not None and alpha.shape == img.shape[:2] and item.target.suffix.lower() not in (".jpg", ".jpeg"):
        img = with_alpha(img, alpha)
    atomic_write_many([(item.target, image_writer(img, item.target, icc_profile=icc, exif=exif))])
    # what the loader changed (16 bits → 8, the first of several frames …), as the editor says it
    return f"{item.src.name} → {item.target.name}" + "".join(f" ({n})" for n in (source.notices if source else ()))


FORMAT_MAX_SIDE = {"WEBP": 16383, "JPEG": 65535}     # the longest side each format can hold


def check_output_size(item: Planned, shape: tuple[int, ...]) -> None:
    """Refuse, before the work, a result the output's format cannot hold (a helper's 20000-px panorama as WebP
    failed only when written, after all the work)."""
    fmt = export_format(item.target)
    side = FORMAT_MAX_SIDE.get(fmt)
    if side is not None and max(shape[:2]) > side:
        raise ValueError(f"{item.target.name}: {fmt} holds at most {side} px a side and this image is "
                         f"{shape[1]} × {shape[0]}: write a PNG instead")


MASK_FLOOR = 8   # grey values below this count as black (JPEG noise in a hand-made mask)


def load_mask(path: Path, size: tuple[int, int]) -> np.ndarray:
    """A mask image for an image of `size` (w, h) → (h, w) uint8, 0 keep … 255 fill. White = fill;
    grey = partly (soft edges). An RGBA mask uses its alpha channel when the color channels are
    uniform. Read through the image loader's allow-list and guards; the size is checked first."""
    if not path.exists():
        raise ImageLoadError(f"the mask {path} does not exist")
    im = eight_bit(load_companion(path, size, what="mask"))
    if "A" in im.getbands():
        rgba = np.asarray(im.convert("RGBA"))
        grey = np.asarray(im.convert("RGB").convert("L"))
        m = rgba[..., 3] if (grey.min() == grey.max()) else np.minimum(grey, rgba[..., 3])
    else:
        m = np.asarray(im.convert("L"))
    m = np.where(m < MASK_FLOOR, 0, m).astype(np.uint8)
    return np.ascontiguousarray(m)

