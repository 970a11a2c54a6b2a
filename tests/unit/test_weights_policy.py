"""The needs_weights policy (tests/weights_policy.py): an unmarked test that loads the real weights
stops the run at collection; a needs_weights test that skips while the weights are expected fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def run_pytest(tmp_path: Path, body: str, require: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(body)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)]),
           "LATENTBRUSH_REQUIRE_WEIGHTS": require}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "weights_policy",
                           "-o", "markers=needs_weights: w", "--rootdir", str(tmp_path), str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)


SKIPPING = """
import pytest

@pytest.mark.needs_weights
def test_uses_weights():
    pytest.skip("default models not fetched")
"""

UNMARKED = """
import pytest

@pytest.fixture
def real_models():
    return None

def test_loads_weights_unmarked(real_models):
    pass
"""


def test_a_needs_weights_skip_fails_when_weights_are_required(tmp_path):
    r = run_pytest(tmp_path, SKIPPING, "1")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "skipped although the weights are expected" in r.stdout
    assert "default models not fetched" in r.stdout


def test_a_needs_weights_skip_is_allowed_when_weights_are_not_required(tmp_path):
    r = run_pytest(tmp_path, SKIPPING, "0")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 skipped" in r.stdout


def test_an_unmarked_test_using_the_real_weights_stops_the_run(tmp_path):
    r = run_pytest(tmp_path, UNMARKED, "0")
    assert r.returncode != 0
    assert "must be marked needs_weights" in r.stdout + r.stderr
    assert "test_loads_weights_unmarked" in r.stdout + r.stderr


def test_ci_runs_the_readme_test_command_with_weights_required():
    repo = TESTS.parent
    readme = (repo / "README.md").read_text()
    ci = [ln for ln in (repo / ".ci" / "run").read_text().splitlines() if ln and not ln.startswith(("#", "set ", "cd "))]
    assert len(ci) == 1
    assert ci[0] in readme.splitlines()
    assert "models fetch && LATENTBRUSH_REQUIRE_WEIGHTS=1 " in ci[0]
