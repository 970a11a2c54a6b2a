"""Weights in: safetensors headers are checked (size, JSON, offsets) before anything is read, the
sha256 is checked before every load, TorchScript only through a pinned manifest entry."""

from __future__ import annotations

import json
import struct

import pytest
import torch
from safetensors.torch import save_file

from latentbrush.ml.checkpoints import (
    MAX_SAFETENSORS_HEADER,
    check_safetensors_header,
    load_state_dict,
    load_torchscript,
)
from latentbrush.ml.errors import ChecksumMismatch, UnsafeCheckpoint
from latentbrush.ml.hashing import sha256_file


def raw(path, header: bytes, body: bytes = b"") -> str:
    path.write_bytes(struct.pack("<Q", len(header)) + header + body)
    return sha256_file(path)


@pytest.mark.parametrize("case", ["huge header length", "header longer than file", "not json", "not a dict",
                                  "offsets outside", "negative offsets", "too short"])
def test_malformed_safetensors_are_refused_before_parsing_tensors(tmp_path, case):
    p = tmp_path / "w.safetensors"
    if case == "huge header length":
        p.write_bytes(struct.pack("<Q", MAX_SAFETENSORS_HEADER + 1) + b"{}")
    elif case == "header longer than file":
        p.write_bytes(struct.pack("<Q", 1000) + b"{}")
    elif case == "not json":
        raw(p, b"\xff\xfe not json at all")
    elif case == "not a dict":
        raw(p, b"[1, 2, 3]")
    elif case == "offsets outside":
        raw(p, json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode(), b"\0" * 8)
    elif case == "negative offsets":
        raw(p, json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}).encode(), b"\0" * 8)
    else:
        p.write_bytes(b"\x01\x02")
    with pytest.raises(UnsafeCheckpoint):
        check_safetensors_header(p)
    with pytest.raises(UnsafeCheckpoint):
        load_state_dict(p, sha256_file(p))


def test_a_valid_file_loads_and_one_changed_byte_is_refused(tmp_path):
    p = tmp_path / "w.safetensors"
    save_file({"w": torch.arange(4.0)}, str(p))
    digest = sha256_file(p)
    assert torch.equal(load_state_dict(p, digest)["w"], torch.arange(4.0))
    data = bytearray(p.read_bytes())
    data[-1] ^= 1
    p.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatch):
        load_state_dict(p, digest)


def test_torchscript_needs_the_pinned_hash(tmp_path):
    p = tmp_path / "m.ts"
    torch.jit.script(torch.nn.Linear(2, 2)).save(str(p))
    assert load_torchscript(p, sha256_file(p)) is not None
    with pytest.raises(ChecksumMismatch):
        load_torchscript(p, "0" * 64)
    p.write_bytes(b"PK\x03\x04 definitely not torchscript")
    with pytest.raises(UnsafeCheckpoint):
        load_torchscript(p, sha256_file(p))
