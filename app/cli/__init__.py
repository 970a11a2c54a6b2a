"""The command line (`latentbrush <command>`): cli/main.py builds the parser and dispatches, cli/common.py
holds what the commands share, one module per command."""
