"""pytest hooks: tests that need the fetched default weights.

- A test that uses a real-weights fixture (`real_models`, `real_models_dir_module`) must carry the
  `needs_weights` marker; otherwise the run stops at collection and names it.
- When weights are expected, a `needs_weights` test that skips is reported as a failure, so a
  run with weights (CI fetches them first) cannot pass while some of them did not run. Weights are
  expected when LATENTBRUSH_REQUIRE_WEIGHTS=1, or when it is unset and the default models are
  present in models/; LATENTBRUSH_REQUIRE_WEIGHTS=0 lets them skip (a checkout without weights).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

WEIGHTS_FIXTURES = frozenset({"real_models", "real_models_dir_module"})
REPO = Path(__file__).resolve().parent.parent


@functools.cache
def default_models_present() -> bool:
    from latentbrush.ml.manifest import Manifest

    d = REPO / "models"
    return all(s.path(d).is_file() for s in Manifest.load(d) if s.default)


def weights_expected() -> bool:
    env = os.environ.get("LATENTBRUSH_REQUIRE_WEIGHTS", "").strip()
    if env in ("0", "1"):
        return env == "1"
    return default_models_present()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [f"{it.nodeid} (uses {', '.join(sorted(WEIGHTS_FIXTURES & set(it.fixturenames)))})"
                for it in items if WEIGHTS_FIXTURES & set(getattr(it, "fixturenames", ()))
                and it.get_closest_marker("needs_weights") is None]
    if unmarked:
        raise pytest.UsageError("tests that load the fetched weights must be marked needs_weights:\n  "
                                + "\n  ".join(unmarked))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    rep = outcome.get_result()
    if (rep.skipped and not hasattr(rep, "wasxfail") and item.get_closest_marker("needs_weights") is not None
            and weights_expected()):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = (f"needs_weights test skipped although the weights are expected "
                        f"(LATENTBRUSH_REQUIRE_WEIGHTS={os.environ.get('LATENTBRUSH_REQUIRE_WEIGHTS', 'unset')}, "
                        f"default models present: {default_models_present()}): {reason}")
