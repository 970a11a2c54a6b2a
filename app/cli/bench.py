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
    return run_benchmarks(args.names, out, quick=args.quick)


def add_command(sub) -> None:
    b = sub.add_parser("bench", help="run benchmarks; writes a table, JSON and a PNG chart")
    b.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    b.add_argument("--out", default="bench-out", help="output directory")
    b.add_argument("--quick", action="store_true", help="fewer repetitions")
    add_overwrite(b)
    b.set_defaults(func=cmd_bench)
