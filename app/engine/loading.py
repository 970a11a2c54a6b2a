"""Loading torch and the models off the GUI thread.

`model_loader(manifest)` gives the callable an Engine runs on its worker thread: it imports
torch and the runners, sets the thread count, builds the ModelManager and loads the fills' compiled
loops. Nothing here is imported before the window is shown.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def model_loader(manifest, device: str | None = None):
    """A loader for Engine(loader=…): () → (ModelManager, RUNNERS), run on the worker thread."""

    def load() -> tuple[Any, Any]:
        from latentbrush.ml.devices import configure_threads
        from latentbrush.ml.registry import ModelManager
        from latentbrush.ml.runners import RUNNERS

        configure_threads()
        models = ModelManager(manifest, device=device)
        # the fills' compiled loops loaded now, not at the first fill of each launch (helper 75: "preparing the
        # fill" for 4–14 s, the loading competing with the models'); a failure here is the fill's to report
        try:
            from latentbrush.ml.inpaint import coherence, cuts, kernels

            kernels.warm_up()
            coherence.warm_up()
            cuts.warm_up()
        except Exception:       # noqa: BLE001
            log.warning("the fills' compiled loops could not be prepared", exc_info=True)
        return models, RUNNERS

    return load
