"""`latentbrush bench [NAME …] --out DIR`: run benchmarks; writes a table, results.json and results.png."""

from __future__ import annotations

from pathlib import Path

from latentbrush.cli.common import UsageError, add_overwrite


def cmd_bench(args) -> int:
    from latentbrush.bench.runner import run_benchmarks

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; bench writes a folder")
    existing = [out / n for n in ("results.json", "results.png") if (out / n).exists()]
    if existing and not args.overwrite:
        raise UsageError(f"nothing was done: {out} holds the results of an earlier run; "
                         "add --overwrite to replace them, or give another --out")
    models = getattr(args, "models", None)
    if not models:
        return run_benchmarks(args.names, out, quick=args.quick)
    # the benchmarks load their models from the installation's folder unless told (`--models` was taken and
    # ignored: a run meant for other weights measured the shipped ones)
    import os

    was = os.environ.get("LATENTBRUSH_MODELS")
    os.environ["LATENTBRUSH_MODELS"] = str(Path(models).resolve())
    try:
        return run_benchmarks(args.names, out, quick=args.quick)
    finally:
        if was is None:
            os.environ.pop("LATENTBRUSH_MODELS", None)
        else:
            os.environ["LATENTBRUSH_MODELS"] = was


def add_command(sub) -> None:
    b = sub.add_parser("bench", help="run benchmarks; writes a table, JSON and a PNG chart")
    b.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    b.add_argument("--out", default="bench-out", help="output directory")
    b.add_argument("--quick", action="store_true", help="fewer repetitions")
    add_overwrite(b)
    b.set_defaults(func=cmd_bench)
