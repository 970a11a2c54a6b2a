"""Loading torch and the models off the GUI thread.

`model_loader(manifest)` gives the callable an Engine runs on its worker thread: it imports
torch and the runners, sets the thread count and builds the ModelManager. Nothing here is
imported before the window is shown.
"""

from __future__ import annotations

from typing import Any


def model_loader(manifest, device: str | None = None):
    """A loader for Engine(loader=…): () → (ModelManager, RUNNERS), run on the worker thread."""

    def load() -> tuple[Any, Any]:
        from latentbrush.ml.devices import configure_threads
        from latentbrush.ml.registry import ModelManager
        from latentbrush.ml.runners import RUNNERS

        configure_threads()
        return ModelManager(manifest, device=device), RUNNERS

    return load
