from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys

import pytest
import torch

from latentbrush.ml.checkpoints import load_pickle_weights, load_state_dict
from latentbrush.ml.errors import (
    CheckpointMismatch,
    ChecksumMismatch,
    ManifestError,
    MissingWeights,
    UnknownArchitecture,
    UnknownModel,
    UnsafeCheckpoint,
)
from latentbrush.ml.hashing import model_states, sha256_file
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.registry import ModelManager, build


def test_manager_loads_caches_and_releases(tiny_models):
    mm = ModelManager(Manifest.load(tiny_models), device="cpu")
    g = mm.get("tiny-gen")
    assert mm.get("tiny-gen") is g and mm.loaded_ids() == ["tiny-gen"]
    out = g.net(torch.randn(2, 16))
    assert out.shape == (2, 3, 64, 64) and out.abs().max() <= 1
    mm.release("tiny-gen")
    assert mm.loaded_ids() == []


def test_flipped_byte_is_refused_before_loading(tiny_models, monkeypatch):
    f = tiny_models / "gen.safetensors"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0x01
    f.write_bytes(bytes(data))
    called = []
    import safetensors.torch

    monkeypatch.setattr(safetensors.torch, "load_file", lambda *a, **k: called.append(1))
    with pytest.raises(ChecksumMismatch, match="not loaded"):
        ModelManager(Manifest.load(tiny_models), device="cpu").get("tiny-gen")
    assert called == []
    assert ("tiny-gen", "corrupt") in [(s.id, st) for s, st in model_states(Manifest.load(tiny_models), deep=True)
                                       if st != "untrusted"]


class Evil:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


@pytest.mark.parametrize("force_env", [False, True])
def test_pickle_with_code_is_refused(tmp_path, force_env):
    p = tmp_path / "evil.pt"
    with open(p, "wb") as f:
        pickle.dump({"w": Evil()}, f)
    # run in a subprocess so the environment variable is seen by a fresh torch
    env = dict(os.environ)
    if force_env:
        env["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"
    code = ("import sys; from pathlib import Path; from latentbrush.ml.checkpoints import load_pickle_weights\n"
            "from latentbrush.ml.errors import UnsafeCheckpoint\n"
            f"try:\n    load_pickle_weights(Path({str(p)!r}))\n    print('LOADED')\n"
            "except UnsafeCheckpoint as e:\n    print('REFUSED', e)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert "REFUSED" in r.stdout, r.stdout + r.stderr
    assert not (tmp_path / "PWNED").exists()


def test_pickle_refused_in_process(tmp_path):
    p = tmp_path / "evil.pth"
    p.write_bytes(pickle.dumps({"w": Evil()}, protocol=2))
    with pytest.raises(UnsafeCheckpoint, match="refused"):
        load_pickle_weights(p)
    assert not (tmp_path / "PWNED").exists()


def test_plain_torch_checkpoint_loads_after_hash_check(tmp_path):
    p = tmp_path / "w.pt"
    torch.save({"state_dict": {"a": torch.ones(2)}}, p)
    sd = load_state_dict(p, sha256_file(p))
    assert torch.equal(sd["a"], torch.ones(2))
    with pytest.raises(ChecksumMismatch):
        load_state_dict(p, "0" * 64)


def test_unknown_architecture_names_the_known_ones():
    with pytest.raises(UnknownArchitecture, match="dcgan"):
        build("generator", "stylegan9", {})


def test_weights_of_the_wrong_architecture(tiny_models):
    text = (tiny_models / "manifest.toml").read_text().replace("nz = 16, ngf = 8", "nz = 16, ngf = 16")
    (tiny_models / "manifest.toml").write_text(text)
    with pytest.raises(CheckpointMismatch, match="wrong shape"):
        ModelManager(Manifest.load(tiny_models), device="cpu").get("tiny-gen")


def test_missing_file_unknown_id_and_untrusted_files(tiny_models):
    shutil.copy(tiny_models / "gen.safetensors", tiny_models / "stray.safetensors")
    (tiny_models / "trans.safetensors").unlink()
    m = Manifest.load(tiny_models)
    mm = ModelManager(m, device="cpu")
    with pytest.raises(MissingWeights):
        mm.get("tiny-trans")
    with pytest.raises(UnknownModel, match="tiny-gen"):
        mm.get("nope")
    assert [p.name for p in m.untrusted_files()] == ["stray.safetensors"]


@pytest.mark.parametrize("bad, msg", [
    ('id = "x"', "missing"),
    ('id = "X Y"\nkind = "generator"\narch = "dcgan"\nfile = "a.safetensors"\nsha256 = "' + "0" * 64 + '"', "lowercase"),
    ('id = "x"\nkind = "toaster"\narch = "dcgan"\nfile = "a.safetensors"\nsha256 = "' + "0" * 64 + '"', "kind"),
    ('id = "x"\nkind = "generator"\narch = "dcgan"\nfile = "../a.safetensors"\nsha256 = "' + "0" * 64 + '"', "inside"),
    ('id = "x"\nkind = "generator"\narch = "dcgan"\nfile = "a.pkl"\nsha256 = "' + "0" * 64 + '"', "end in"),
])
def test_manifest_validation(tmp_path, bad, msg):
    (tmp_path / "manifest.toml").write_text("[[model]]\n" + bad + "\n")
    with pytest.raises(ManifestError, match=msg):
        Manifest.load(tmp_path)


def test_shipped_manifest_is_valid():
    from tests_paths import REPO

    m = Manifest.load(REPO / "models")
    assert {s.kind for s in m} >= {"generator", "translator"}
    assert all(s.fetchable for s in m if s.file.startswith("fetched/"))


GOOD_ENTRY = ('id = "x"\nkind = "generator"\narch = "dcgan"\nfile = "a.safetensors"\nsha256 = "' + "0" * 64 + '"\n')


@pytest.mark.parametrize("text, msg", [
    ("model = 5\n", "lists no models"),
    ("model = [5]\n", "must be a table"),
    ("", "lists no models"),
    ("# nothing here\n", "lists no models"),
    ("[[model]]\n" + GOOD_ENTRY + 'params = "nz=100"\n', r"model #1 \(x\): params must be a table"),
    ("[[model]]\n" + GOOD_ENTRY + "params = { nz = -1 }\n", r"\(x\): params.nz must be a whole number"),
    ("[[model]]\n" + GOOD_ENTRY + "params = { nz = 0 }\n", "params.nz"),
    ("[[model]]\n" + GOOD_ENTRY + 'params = { nz = "100" }\n', "params.nz"),
    ("[[model]]\n" + GOOD_ENTRY + "params = { nz = 100000000 }\n", "params.nz"),
    ("[[model]]\n" + GOOD_ENTRY + "params = { ngf = true }\n", "params.ngf"),
    ("[[model]]\n" + GOOD_ENTRY + "params = { tau = nan }\n", "params.tau must be a finite"),
    ("[[model]]\n" + GOOD_ENTRY + "params = { x = { y = 1 } }\n", "params.x"),
    ("[[model]]\n" + GOOD_ENTRY + 'resolution = "64"\n', r"\(x\): resolution"),
    ("[[model]]\n" + GOOD_ENTRY + 'default = "false"\n', "default must be true or false"),
    ("[[model]]\n" + GOOD_ENTRY + 'source = "pypi"\n', "source must be a table"),
    ("[[model]]\n" + GOOD_ENTRY + "name = 5\n", "name must be a string"),
    ("[[model]]\n" + GOOD_ENTRY.replace('id = "x"', "id = 5"), "id must be a string"),
    ("[[model]]\n" + GOOD_ENTRY.replace('kind = "generator"', 'kind = ["generator"]'), "kind must be a string"),
    ("[[model]]\n" + GOOD_ENTRY.replace('"' + "0" * 64 + '"', "1"), "sha256 must be a string"),
])
def test_manifest_type_errors_name_the_entry(tmp_path, text, msg):
    """Issue 14 item 9: type errors are ManifestErrors naming the entry, not tracebacks."""
    (tmp_path / "manifest.toml").write_text(text)
    with pytest.raises(ManifestError, match=msg):
        Manifest.load(tmp_path)


def test_manifest_path_is_a_folder_or_unreadable(tmp_path):
    (tmp_path / "manifest.toml").mkdir()
    with pytest.raises(ManifestError, match="folder"):
        Manifest.load(tmp_path)
    with pytest.raises(ManifestError, match="no manifest"):
        Manifest.load(tmp_path / "nowhere")


def test_build_with_bad_sizes_is_a_manifest_error():
    """A negative size reaches torch as "negative dimension": a ManifestError, not a traceback."""
    for params in ({"nz": -1}, {"nz": 16, "ngf": 0}):
        with pytest.raises(ManifestError, match=r"generator/dcgan: params\.n"):
            build("generator", "dcgan", params)
