"""Loading weights safely: sha256 first, then safetensors (header checked) or
torch.load(weights_only=True). TorchScript only for manifest entries with a pinned hash."""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path

import torch

from latentbrush.ml.errors import UnsafeCheckpoint
from latentbrush.ml.hashing import sha256_file, verify  # noqa: F401 - re-exported

MAX_SAFETENSORS_HEADER = 16 << 20     # bytes of JSON header we are willing to parse
MAX_TENSORS = 100_000


def check_safetensors_header(path: Path) -> dict:
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise UnsafeCheckpoint(f"{path.name}: too short for a safetensors file")
        (n,) = struct.unpack("<Q", head)
        if n > MAX_SAFETENSORS_HEADER or n + 8 > size:
            raise UnsafeCheckpoint(f"{path.name}: safetensors header of {n} bytes is not plausible")
        try:
            header = json.loads(f.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise UnsafeCheckpoint(f"{path.name}: safetensors header is not JSON") from e
    if not isinstance(header, dict) or len(header) > MAX_TENSORS:
        raise UnsafeCheckpoint(f"{path.name}: safetensors header has an unexpected layout")
    body = size - 8 - n
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offs = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (isinstance(offs, list) and len(offs) == 2 and 0 <= offs[0] <= offs[1] <= body):
            raise UnsafeCheckpoint(f"{path.name}: tensor {name!r} points outside the file")
    return header


def load_state_dict(path: str | Path, sha256: str, *, map_location: str = "cpu") -> dict[str, torch.Tensor]:
    """Verify, then load a flat {name: tensor} dict."""
    path = Path(path)
    verify(path, sha256)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        check_safetensors_header(path)
        try:
            return load_file(str(path), device=map_location)
        except Exception as e:  # safetensors raises its own SafetensorError / OSError
            raise UnsafeCheckpoint(f"{path.name}: not a valid safetensors file ({e})") from e
    return load_pickle_weights(path, map_location=map_location)


def load_pickle_weights(path: Path, *, map_location: str = "cpu", key: str | None = None) -> dict:
    """torch.load with weights_only=True, passed explicitly, which (torch >= 2.4) wins over
    TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD in the environment. Code inside the pickle is refused."""
    try:
        obj = torch.load(str(path), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise UnsafeCheckpoint(
            f"{path.name} contains objects other than tensors (possibly code); refused. "
            f"Detail: {str(e).splitlines()[0][:200]}") from e
    except (RuntimeError, EOFError, OSError, ValueError) as e:
        raise UnsafeCheckpoint(f"{path.name} is not a readable torch checkpoint ({e})") from e
    if key is not None:
        if not isinstance(obj, dict) or key not in obj:
            raise UnsafeCheckpoint(f"{path.name}: no entry {key!r} in the checkpoint")
        obj = obj[key]
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise UnsafeCheckpoint(f"{path.name}: expected a dict of tensors")
    return dict(obj)


def load_torchscript(path: str | Path, sha256: str, *, map_location: str = "cpu"):
    """Only ever called for manifest entries, whose sha256 is pinned by construction."""
    path = Path(path)
    verify(path, sha256)
    try:
        return torch.jit.load(str(path), map_location=map_location)
    except (RuntimeError, ValueError) as e:
        raise UnsafeCheckpoint(f"{path.name} is not a TorchScript file ({e})") from e


def read_metadata(path: str | Path) -> dict:
    """The project's JSON metadata of a safetensors file ({} for other files or none)."""
    path = Path(path)
    if path.suffix != ".safetensors":
        return {}
    header = check_safetensors_header(path)
    meta = header.get("__metadata__") or {}
    try:
        return json.loads(meta.get("latentbrush", "{}"))
    except (TypeError, json.JSONDecodeError):
        return {}
