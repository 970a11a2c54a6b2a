from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LATENTBRUSH_DEVICE", "cpu")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "gui"))
from helpers import make_models_dir  # noqa: E402
from weights_policy import pytest_collection_modifyitems, pytest_runtest_makereport  # noqa: E402, F401

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def tiny_models(tmp_path) -> Path:
    """A models/ directory with tiny random-weight generator and translator, hashes pinned."""
    return make_models_dir(tmp_path / "models")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def real_models_dir() -> Path | None:
    d = REPO / "models"
    from latentbrush.ml.manifest import Manifest

    m = Manifest.load(d)
    return d if all(s.path(d).is_file() for s in m if s.default) else None


@pytest.fixture
def real_models() -> Path:
    d = real_models_dir()
    if d is None:
        pytest.skip("default models not fetched (run: latentbrush models fetch)")
    return d


@pytest.fixture(scope="module")
def real_models_dir_module() -> Path:
    d = real_models_dir()
    if d is None:
        pytest.skip("default models not fetched (run: latentbrush models fetch)")
    return d


# Automatic garbage collection can fire on the worker thread and destroy Qt objects of an earlier
# test there (a segfault). Collect only here, on the main thread, after every test (the app does
# the same with latentbrush.engine.gc_guard.MainThreadGC).
gc.disable()


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread():
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path, monkeypatch):
    """Autosaves, vectors and other user data of a test go to its own folder."""
    monkeypatch.setenv("LATENTBRUSH_DATA", str(tmp_path / "data"))
