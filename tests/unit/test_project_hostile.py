"""Hostile and damaged project files (issue 14, items 6–8): a corpus generated from a real saved
project by mutation. Every file is refused with ProjectError or opens with valid state — never
another exception, never a state that fails later; the file is never changed. The 1.5 GB
project.json bomb is refused in < 1 s and < 300 MB."""

from __future__ import annotations

import io
import json
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from project_corpus import (
    edit_members,
    edit_meta,
    make_session,
    members,
    nested_json,
    npy_bytes,
    npy_header_only,
    pack,
    patch_headers,
    png_bytes,
    png_header_only,
    with_json_bomb,
)

from latentbrush.core.document import LAYERS
from latentbrush.core.latent_state import LatentState
from latentbrush.core.project_read import read_project
from latentbrush.core.project_write import write_project
from latentbrush.core.projectfile import ProjectError, Session


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return write_project(make_session(), tmp_path_factory.mktemp("good") / "good.lbproj")


def _names() -> list[str]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        return list(members(write_project(make_session(), Path(d) / "g.lbproj")))


NAMES = _names()

def replace(name, new):
    return lambda g: edit_members(g, lambda n, d: (new(d) if callable(new) else new) if n == name else d)


def state_array(g, key: str, which: str = "latent") -> str:
    """The member name of one array of the document's latent state."""
    m = json.loads(members(g)["project.json"])
    return m[which][key] if which == "latent" else m["steps"][1]["latent"][1][key]


def arr(key, new):
    return lambda g: replace(state_array(g, key), new)(g)


def edit_path(g, fn):
    """edit_meta, written to a file (for mutations that chain)."""
    out = g.with_name(g.stem + "-meta.lbproj")
    out.write_bytes(edit_meta(g, fn))
    return out


def set_state(**kv):
    return lambda g: edit_meta(g, lambda m: m["latent"].update(kv))


LIST_BOMB = b'{"format": "latentbrush-project", "version": 1, "x": [' + b"[]," * 2_700_000 + b"[]]}"
STRING_BOMB = b'{"format": "latentbrush-project", "version": 1, "x": [' + b'"ab",' * 1_600_000 + b'"a"]}'

# every member: removed, emptied, cut in half, replaced with garbage
CORPUS: dict[str, object] = {}
for _n in NAMES:
    CORPUS[f"{_n} removed"] = (lambda n: lambda g: edit_members(g, lambda k, d: None if k == n else d))(_n)
    CORPUS[f"{_n} empty"] = (lambda n: replace(n, b""))(_n)
    CORPUS[f"{_n} cut in half"] = (lambda n: replace(n, lambda d: d[: len(d) // 2]))(_n)
    CORPUS[f"{_n} garbage"] = (lambda n: replace(n, b"\x00garbage" * 50))(_n)

CORPUS.update({
    # -- ZIP-level tricks
    "encrypted index": lambda g: patch_headers(g.read_bytes(), "project.json", flag=1),
    "encrypted layer": lambda g: patch_headers(g.read_bytes(), "layers/mask.png", flag=1),
    "unknown compression": lambda g: patch_headers(g.read_bytes(), "project.json", method=99),
    "lzma named but deflated": lambda g: patch_headers(g.read_bytes(), "project.json", method=14),
    "corrupt deflate": lambda g: _flip_member(g, "project.json"),
    "corrupt deflate in array": lambda g: _flip_member(g, "arrays/0.npy"),
    "size says less": lambda g: patch_headers(g.read_bytes(), "project.json", size=10),
    "size says more": lambda g: patch_headers(g.read_bytes(), "arrays/1.npy", size=5_000),
    "duplicate member": lambda g: pack(list(members(g).items()) + [("project.json", members(g)["project.json"])]),
    "path traversal name": lambda g: pack(list(members(g).items()) + [("../../evil.txt", b"x")]),
    "absolute name": lambda g: pack(list(members(g).items()) + [("/etc/evil", b"x")]),
    "index 9 MB of spaces": lambda g: with_json_bomb(g, 9 << 20),
    "index of 2.7 million empty lists": lambda g: pack([("project.json", LIST_BOMB)] + [
        (k, v) for k, v in members(g).items() if k != "project.json"]),
    "index of 1.6 million short strings": lambda g: pack([("project.json", STRING_BOMB)]),
    "deep brackets inside a string (benign)": lambda g: edit_meta(g, lambda m: m["steps"][0].update(
        text='Stroke "[[[[[[[[[[[[[[[[[[[[[[[[\\')),
    "not a zip": lambda g: b"%PDF-1.4 not a project",
    "empty file": lambda g: b"",
    # -- project.json: wrong JSON types and values
    "nested 100000 deep": lambda g: pack([("project.json", nested_json(100_000))]),
    "nested 500 deep": lambda g: pack([("project.json", nested_json(500))]),
    "index is a list": lambda g: replace("project.json", b"[1, 2]")(g),
    "index not utf-8": lambda g: replace("project.json", b'{"format": "\xff\xfe"}')(g),
    "notices a number": lambda g: edit_meta(g, lambda m: m.update(notices=5)),
    "notices of numbers": lambda g: edit_meta(g, lambda m: m.update(notices=[1, {"a": 2}])),
    "source a number": lambda g: edit_meta(g, lambda m: m.update(source=5)),
    "source a list": lambda g: edit_meta(g, lambda m: m.update(source=["a"])),
    "version a string": lambda g: edit_meta(g, lambda m: m.update(version="1")),
    "version true": lambda g: edit_meta(g, lambda m: m.update(version=True)),
    "width a string": lambda g: edit_meta(g, lambda m: m.update(width="64")),
    "width huge": lambda g: edit_meta(g, lambda m: m.update(width=1 << 40)),
    "index true": lambda g: edit_meta(g, lambda m: m.update(index=True)),
    "index negative": lambda g: edit_meta(g, lambda m: m.update(index=-1)),
    "steps a dict": lambda g: edit_meta(g, lambda m: m.update(steps={"a": 1})),
    "step a number": lambda g: edit_meta(g, lambda m: m.update(steps=[5])),
    "step text a list": lambda g: edit_meta(g, lambda m: m["steps"][0].update(text=["x"])),
    "patches a string": lambda g: edit_meta(g, lambda m: m["steps"][0].update(patches="x")),
    "patch array name a number": lambda g: edit_meta(g, lambda m: m["steps"][0]["patches"][0].update(before=0)),
    "step latent of one": lambda g: edit_meta(g, lambda m: m["steps"][1].update(latent=[None])),
    "array referenced twice": lambda g: edit_meta(g, lambda m: m["steps"][0]["patches"][0].update(
        after=m["steps"][0]["patches"][0]["before"])),
    "patch repeated 5000 times": lambda g: edit_meta(g, lambda m: m["steps"][0].update(
        patches=m["steps"][0]["patches"] * 5000)),
    "20000 steps": lambda g: edit_meta(g, lambda m: m.update(steps=[{"text": "x"}] * 20_000, index=0)),
    "step latent a number": lambda g: edit_meta(g, lambda m: m["steps"][1].update(latent=3)),
    "latent a list": lambda g: edit_meta(g, lambda m: m.update(latent=[1])),
    "fit_psnr abc": set_state(fit_psnr="abc"),
    "fit_psnr true": set_state(fit_psnr=True),
    "fit_psnr NaN literal": lambda g: replace("project.json", lambda d: d.replace(b'"fit_psnr": 21.5',
                                                                                  b'"fit_psnr": NaN'))(g),
    "fit_psnr -Infinity": lambda g: replace("project.json", lambda d: d.replace(b'"fit_psnr": 21.5',
                                                                                b'"fit_psnr": -Infinity'))(g),
    "fit_psnr Infinity (a perfect fit)": lambda g: replace("project.json", lambda d: d.replace(
        b'"fit_psnr": 21.5', b'"fit_psnr": Infinity'))(g),
    "generator a number": set_state(generator=5),
    "generator empty": set_state(generator=""),
    "shown a number": set_state(shown=5),
    "candidates a string": set_state(candidates="arrays/0.npy"),
    "boolean bbox": lambda g: edit_meta(g, lambda m: m["steps"][0]["patches"][0].update(bbox=[True, 5, 25, 15])),
    "boolean bbox that fits": lambda g: edit_meta(g, lambda m: m["steps"][0]["patches"][0].update(
        bbox=[True, 5, 21, 15])),
    "float bbox": lambda g: edit_meta(g, lambda m: m["steps"][0]["patches"][0].update(bbox=[5.0, 5, 25, 15])),
    "boolean region": set_state(region=[False, False, 48, True]),
    "region outside": set_state(region=[40, 0, 88, 48]),
    "empty region": set_state(region=[8, 8, 8, 8]),
    # -- latent state: shapes, dtypes, finiteness
    "candidate (3,3,3)": lambda g: replace(json.loads(members(g)["project.json"])["latent"]["candidates"][0],
                                           npy_bytes(np.zeros((3, 3, 3), np.float32)))(g),
    "base render 7×5": arr("base_render", npy_bytes(np.zeros((7, 5, 3), np.float32))),
    "base render 7×5, no render": lambda g: replace(state_array(g, "base_render"), npy_bytes(
        np.zeros((7, 5, 3), np.float32)))(edit_path(g, lambda m: m["latent"].update(render=None))),
    "render 2-D": arr("render", npy_bytes(np.zeros((32, 96), np.float32))),
    "all-NaN z": arr("z", npy_bytes(np.full(16, np.nan, np.float32))),
    "infinite z_base": arr("z_base", npy_bytes(np.full(16, np.inf, np.float32))),
    "NaN render": arr("render", npy_bytes(np.full((32, 32, 3), np.nan, np.float32))),
    "z shorter than z_base": arr("z", npy_bytes(np.zeros(15, np.float32))),
    "z as text": arr("z", npy_bytes(np.array(["a"] * 16))),
    "z as complex": arr("z", npy_bytes(np.zeros(16, np.complex64))),
    "z pickled objects": arr("z", npy_bytes(np.array([{"a": 1}], dtype=object))),
    "z structured": arr("z", npy_bytes(np.zeros(16, [("a", "<f4")]))),
    "z integer": arr("z", npy_bytes(np.zeros(16, np.int32))),
    "z 2-D": arr("z", npy_bytes(np.zeros((4, 4), np.float32))),
    "z_base of length 0": arr("z_base", npy_bytes(np.zeros(0, np.float32))),
    "reference float": arr("reference", lambda d: npy_bytes(np.zeros((48, 48, 3), np.float32))),
    "reference wrong size": arr("reference", npy_bytes(np.zeros((47, 48, 3), np.uint8))),
    "npy declares 224 GiB": arr("z", npy_header_only((1 << 34, 14))),
    "npy declares more than it holds": arr("z", npy_header_only((17,))),
    "npy negative shape": arr("z", lambda d: d.replace(b"(16,)", b"(-16,)")),
    "npy version 3": arr("z", lambda d: d[:6] + b"\x03\x00" + d[8:]),
    "npy huge header length": arr("z", lambda d: d[:8] + b"\xff\xff" + d[10:]),
    "patch before float": lambda g: replace("arrays/0.npy", npy_bytes(np.zeros((10, 20, 4), np.float32)))(g),
    "patch wrong shape": lambda g: replace("arrays/0.npy", npy_bytes(np.zeros((10, 20), np.uint8)))(g),
    "step latent NaN": lambda g: replace(state_array(g, "z", "step"), npy_bytes(np.full(16, np.nan, np.float32)))(g),
    # -- layers
    "base layer RGBA": replace("layers/base.png", png_bytes(np.zeros((48, 64, 4), np.uint8), "RGBA")),
    "mask layer wrong size": replace("layers/mask.png", png_bytes(np.zeros((47, 64), np.uint8), "L")),
    "base layer JPEG": replace("layers/base.png", png_bytes(np.zeros((48, 64, 3), np.uint8), "RGB", "JPEG")),
    "base layer declares 100000²": replace("layers/base.png", png_header_only(100_000, 100_000)),
    "base layer is PostScript": replace("layers/base.png", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 48\n"
                                        b"{ } loop\n"),
    # -- benign: these open
    "stored, not deflated": lambda g: pack(list(members(g).items()), zipfile.ZIP_STORED),
    "unknown extra member": lambda g: pack(list(members(g).items()) + [("notes.txt", b"hello")]),
    "fortran-order array": arr("render", lambda d: npy_bytes(np.asfortranarray(np.load(io.BytesIO(d))))),
    "float64 z": arr("z", lambda d: npy_bytes(np.load(io.BytesIO(d)).astype(np.float64))),
})
BENIGN = {"stored, not deflated", "unknown extra member", "fortran-order array", "float64 z",
          "fit_psnr Infinity (a perfect fit)", "deep brackets inside a string (benign)"}


def _flip_member(g, name: str) -> bytes:
    data = bytearray(g.read_bytes())
    with zipfile.ZipFile(g) as zf:
        info = zf.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 2, start + min(info.compress_size, 40)):
        data[i] ^= 0x5A
    return bytes(data)


def check_valid(s: Session) -> None:
    """What the editor needs of an opened session: layers of the right shapes and types, latent
    states that fit the document, and every step applies and reverts."""
    doc = s.doc
    h, w = doc.height, doc.width
    for name, extra in LAYERS.items():
        a = doc.layer(name)
        assert a.shape == (h, w, *extra) and a.dtype == np.uint8, name
    states = [doc.latent] + [x for st in s.steps if st.latent for x in st.latent]
    for lat in states:
        if lat is None:
            continue
        assert isinstance(lat, LatentState)
        assert lat.reference.shape == (lat.region.height, lat.region.width, 3)
        assert lat.z.shape == lat.z_base.shape and lat.z.ndim == 1
        for a in (lat.z, lat.z_base, lat.base_render, *lat.candidates):
            assert a.dtype == np.float32 and np.isfinite(a).all()
        assert lat.base_render.ndim == 3 and lat.base_render.shape[0] == lat.base_render.shape[1]
        assert lat.fit_psnr is None or lat.fit_psnr == np.inf or np.isfinite(lat.fit_psnr)
    for st in reversed(s.steps[:s.index]):
        st.revert(doc)
    for st in s.steps:
        st.apply(doc)


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 60


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("kind", list(CORPUS))
def test_hostile_project_is_refused_or_valid(good, tmp_path, kind):
    bad = tmp_path / "bad.lbproj"
    bad.write_bytes(CORPUS[kind](good))
    before = bad.read_bytes()
    t0 = time.perf_counter()
    try:
        s = read_project(bad)
    except ProjectError as e:
        assert kind not in BENIGN, f"refused a benign file: {e}"
        assert str(e)
    else:
        assert kind in BENIGN, f"accepted {kind}"
        check_valid(s)
    assert time.perf_counter() - t0 < 2.0
    assert bad.read_bytes() == before


def test_json_bomb_1_5_gb_refused_fast_and_small(good, tmp_path):
    """Item 7: 1.6 MB on disk, project.json inflates to 1.5 GB (main: accepted after 15 s at 3.2 GB)."""
    bomb = tmp_path / "bomb.lbproj"
    bomb.write_bytes(with_json_bomb(good, 1500 << 20))
    assert bomb.stat().st_size < 2 << 20
    t0 = time.perf_counter()
    with pytest.raises(ProjectError, match="project.json"):
        read_project(bomb)
    assert time.perf_counter() - t0 < 1.0
    tracemalloc.start()
    try:
        with pytest.raises(ProjectError):
            read_project(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 300 << 20


def test_json_bomb_with_lying_header_refused(good, tmp_path):
    """The same bomb whose headers claim 2 KB: inflating stops at the cap."""
    bomb = tmp_path / "bomb.lbproj"
    bomb.write_bytes(patch_headers(with_json_bomb(good, 200 << 20), "project.json", size=2000))
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        with pytest.raises(ProjectError):
            read_project(bomb)
        dt = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert dt < 1.0 and peak < 300 << 20


def test_round_trip_still_exact(good):
    s = read_project(good)
    check_valid(s)
    ref = make_session()
    for name in LAYERS:
        assert np.array_equal(read_project(good).doc.layer(name), ref.doc.layer(name))
    assert s.doc.latent.fit_psnr == 21.5 and s.index == 2


@pytest.mark.parametrize("index", [LIST_BOMB, STRING_BOMB], ids=["empty lists", "short strings"])
def test_index_of_millions_of_values_refused_before_parsing(tmp_path, index):
    """8 MB of `[],` would parse into ~2.7 million lists (~400 MB, 6 s): counted first, refused."""
    bad = tmp_path / "bad.lbproj"
    bad.write_bytes(pack([("project.json", index)]))
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        with pytest.raises(ProjectError, match="values"):
            read_project(bad)
        dt = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert dt < 1.0 and peak < 300 << 20
