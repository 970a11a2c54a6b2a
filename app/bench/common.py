"""What the benchmarks share: the measurement type and the model manager they load models with."""

from __future__ import annotations

from pathlib import Path

Measurement = tuple[str, float, str]


def model_manager(models: Path | None = None, *, device: str | None = "cpu"):
    """A ModelManager over `models` (default: the installation's models folder), threads configured
    as the app does; on the CPU unless `device` says otherwise (None = the best device there is)."""
    from latentbrush.ml.devices import configure_threads
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager
    from latentbrush.paths import models_dir

    configure_threads()
    return ModelManager(Manifest.load(models if models is not None else models_dir()), device=device)
