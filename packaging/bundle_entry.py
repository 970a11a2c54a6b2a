"""Entry point of the PyInstaller bundle (packaging/latentbrush.spec).

`latentbrush -m pip …` runs the pip bundled inside: the fetcher downloads the pinned wheels with
`sys.executable -m pip download …` (so the user's index and proxy settings apply), and in a bundle
sys.executable is this program, not a Python interpreter. Anything else starts the editor / CLI.
"""

import sys

if __name__ == "__main__":
    if sys.argv[1:3] == ["-m", "pip"]:
        from pip._internal.cli.main import main as pip_main

        sys.argv = ["pip", *sys.argv[3:]]
        raise SystemExit(pip_main())
    from latentbrush.main import main

    raise SystemExit(main())
