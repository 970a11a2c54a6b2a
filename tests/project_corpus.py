"""A hostile-project corpus built by mutating a real saved project: every member removed, emptied,
truncated, replaced, mistyped or oversized; ZIP-level tricks (encryption flag, unknown compression,
duplicate and traversal names, lying sizes, corrupt deflate); nested JSON; `.npy` headers that
declare what they do not hold. Shared by the unit corpus test and the GUI recovery tests."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from latentbrush.core.bbox import BBox
from latentbrush.core.document import Document, DocumentInfo
from latentbrush.core.history import EditStep
from latentbrush.core.latent_state import LatentState
from latentbrush.core.patches import PixelPatch
from latentbrush.core.projectfile import Session


def make_session(seed: int = 7) -> Session:
    """48×64 photo; a stroke, a latent edit (state with render and candidates) and a mask step
    left as redo history."""
    rng = np.random.default_rng(seed)
    doc = Document(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8), DocumentInfo(notices=["first frame"]))
    p1 = PixelPatch.capture(doc, "scribble", BBox(5, 5, 25, 15), rng.integers(0, 255, (10, 20, 4), dtype=np.uint8))
    p1.apply(doc)
    region = BBox(8, 0, 56, 48)
    ref = doc.read("base", region)
    st0 = LatentState(region=region, generator="g", z_base=rng.standard_normal(16).astype(np.float32),
                      base_render=rng.random((32, 32, 3)).astype(np.float32) * 255, reference=ref,
                      z=np.zeros(16, np.float32), fit_psnr=21.5)
    new = rng.integers(0, 255, ref.shape, dtype=np.uint8)
    st1 = st0.showing(np.ones(16, np.float32), new, st0.base_render + 1, candidates=(np.ones(16, np.float32),))
    p2 = PixelPatch.capture(doc, "base", region, new)
    p2.apply(doc)
    doc.set_latent(st1)
    p3 = PixelPatch("mask", BBox(0, 0, 10, 10), np.zeros((10, 10), np.uint8), np.full((10, 10), 255, np.uint8))
    steps = [EditStep("Stroke", [p1]), EditStep("Scribble edit", [p2], (st0, st1)), EditStep("Mask", [p3])]
    return Session(doc, steps, 2)


# -- rewriting archives ---------------------------------------------------------------------------
def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def pack(items: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in items:
            zf.writestr(name, data)
    return buf.getvalue()


def edit_members(good: Path, fn: Callable[[str, bytes], bytes | None]) -> bytes:
    return pack([(n, d2) for n, d in members(good).items() if (d2 := fn(n, d)) is not None])


def edit_meta(good: Path, fn: Callable[[dict], object]) -> bytes:
    def edit(name: str, data: bytes) -> bytes:
        if name != "project.json":
            return data
        m = json.loads(data)
        fn(m)
        return json.dumps(m).encode()
    return edit_members(good, edit)


def patch_headers(data: bytes, name: str, **fields: int) -> bytes:
    """Set flag / method / size fields of one member in both its local and central headers."""
    b = bytearray(data)
    local = {"flag": (6, "<H"), "method": (8, "<H"), "csize": (18, "<I"), "size": (22, "<I")}
    central = {"flag": (8, "<H"), "method": (10, "<H"), "csize": (20, "<I"), "size": (24, "<I")}
    enc = name.encode()
    i = 0
    while (i := b.find(b"PK\x01\x02", i)) >= 0:
        nlen = struct.unpack_from("<H", b, i + 28)[0]
        if bytes(b[i + 46:i + 46 + nlen]) == enc:
            off = struct.unpack_from("<I", b, i + 42)[0]
            for k, v in fields.items():
                struct.pack_into(central[k][1], b, i + central[k][0], v)
                struct.pack_into(local[k][1], b, off + local[k][0], v)
        i += 4
    return bytes(b)


def npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    return buf.getvalue()


def npy_header_only(shape: tuple[int, ...], dtype: str = "<f4") -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 64


def png_bytes(a: np.ndarray, mode: str, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a, mode).save(buf, fmt)
    return buf.getvalue()


def png_header_only(w: int, h: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))


def nested_json(depth: int) -> bytes:
    return b'{"format": "latentbrush-project", "version": 1, "x": ' + b"[" * depth + b"]" * depth + b"}"


def json_bomb_deflate(meta: bytes, total: int, chunk: int = 1 << 20) -> tuple[bytes, int, int]:
    """A deflate stream of `meta` followed by spaces up to `total` bytes, built without
    compressing them all: (raw deflate, crc32, size)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(meta) + c.flush(zlib.Z_FULL_FLUSH)
    spaces = b" " * chunk
    block = c.compress(spaces) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(spaces) + c.flush(zlib.Z_FULL_FLUSH)
    assert block == again
    n = max(0, (total - len(meta)) // chunk)
    crc = zlib.crc32(meta)
    for _ in range(n):
        crc = zlib.crc32(spaces, crc)
    return head + block * n + c.flush(), crc, len(meta) + n * chunk


def raw_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A ZIP written by hand from (name, raw deflate data, crc32, uncompressed size)."""
    out, central = io.BytesIO(), b""
    for name, data, crc, size in entries:
        enc = name.encode()
        off = out.tell()
        out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), size, len(enc), 0))
        out.write(enc + data)
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), size,
                               len(enc), 0, 0, 0, 0, 0, off) + enc
    cd_off = out.tell()
    out.write(central + struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central),
                                    cd_off, 0))
    return out.getvalue()


def deflated(data: bytes) -> tuple[bytes, int, int]:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), zlib.crc32(data), len(data)


def with_json_bomb(good: Path, total: int) -> bytes:
    """The project with a valid project.json padded with spaces to `total` bytes (about 1 MB of
    file per GB)."""
    items = members(good)
    entries = [("project.json", *json_bomb_deflate(items.pop("project.json"), total))]
    return raw_zip(entries + [(n, *deflated(d)) for n, d in items.items()])
