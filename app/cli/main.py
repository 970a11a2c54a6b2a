"""Headless subcommands: `latentbrush SUBCOMMAND …` (see latentbrush.main for the dispatch from the
GUI entry point). This module builds the top-level parser and runs a command; the options, checks,
output planning, batch driver and progress that commands share are in latentbrush.cli.common (and
the face options in latentbrush.cli.faces); each subcommand module adds its own parser:

    models     models list|verify|fetch                 latentbrush.cli.models
    bench      run benchmarks                           latentbrush.cli.bench
    generate   sample faces                             latentbrush.cli.generate
    translate  apply a translator model                 latentbrush.cli.translate
    project, scribble, attribute  latent face edits     latentbrush.cli.latent
    inpaint    fill the white part of a mask            latentbrush.cli.inpaint
    parts      part maps and part edits                 latentbrush.cli.parts
"""

from __future__ import annotations

import argparse
import sys

from latentbrush.cli import bench, generate, inpaint, latent, models, parts, translate
from latentbrush.cli.common import Terminated, UsageError, interrupts_as_exceptions
from latentbrush.core.imageio import ExportError, ImageLoadError
from latentbrush.ml.errors import ModelError

__all__ = ["build_parser", "run_cli"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="latentbrush", description="Latentbrush headless commands")
    p.add_argument("--models", help="a models folder: manifest.toml, own weights, fetched/ (default: the "
                   "installation's, with fetched weights in the user folder; `models list` shows both)")
    sub = p.add_subparsers(dest="command", required=True)
    models.add_command(sub)
    bench.add_command(sub)
    generate.add_command(sub)
    translate.add_command(sub)
    latent.add_commands(sub)
    inpaint.add_command(sub)
    parts.add_command(sub)
    for sp in sub.choices.values():       # the global option also works after the subcommand
        sp.add_argument("--models", default=argparse.SUPPRESS, help="models directory (as before the command)")
    return p


def run_cli(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        with interrupts_as_exceptions():
            return int(args.func(args) or 0)
    except (ModelError, ImageLoadError, ExportError, UsageError) as e:
        print(f"\nlatentbrush: {e}" if sys.stderr.isatty() else f"latentbrush: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nlatentbrush: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("\nlatentbrush: terminated", file=sys.stderr)
        return 143
    except OSError as e:
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"latentbrush: {e.strerror or e}{where}", file=sys.stderr)
        return 2
