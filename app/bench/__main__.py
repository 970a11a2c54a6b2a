import sys

from latentbrush.cli.main import run_cli

raise SystemExit(run_cli(["bench", *sys.argv[1:]]))
