"""Project files: the session (layers, latent, undo history) round-trips exactly; damaged or
hostile files raise ProjectError and change nothing."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import numpy as np
import pytest

from latentbrush.core.bbox import BBox
from latentbrush.core.document import Document, DocumentInfo
from latentbrush.core.history import EditStep
from latentbrush.core.latent_state import LatentState
from latentbrush.core.patches import PixelPatch
from latentbrush.core.project_read import read_project
from latentbrush.core.project_write import write_project
from latentbrush.core.projectfile import ProjectError, Session


def make_session(rng) -> Session:
    base = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    doc = Document(base, DocumentInfo(notices=["first frame of 3"]))
    steps = []
    # step 1: a stroke on the scribble layer
    box = BBox(5, 5, 25, 15)
    p1 = PixelPatch.capture(doc, "scribble", box, rng.integers(0, 255, (10, 20, 4), dtype=np.uint8))
    p1.apply(doc)
    steps.append(EditStep("Stroke", [p1]))
    # step 2: a latent edit (pixels + state)
    region = BBox(8, 0, 56, 48)
    ref = doc.read("base", region).copy()
    st0 = LatentState(region=region, generator="g", z_base=rng.standard_normal(16).astype(np.float32),
                      base_render=rng.random((64, 64, 3)).astype(np.float32) * 255, reference=ref,
                      z=np.zeros(16, np.float32), fit_psnr=21.5)
    new = rng.integers(0, 255, ref.shape, dtype=np.uint8)
    st1 = replace(st0.showing(np.ones(16, np.float32), new, st0.base_render + 1, candidates=(np.ones(16, np.float32),)),
                  made_by="scribble")
    p2 = PixelPatch.capture(doc, "base", region, new)
    p2.apply(doc)
    doc.set_latent(st1)
    steps.append(EditStep("Scribble edit", [p2], (None, st1)))
    # step 3 (undone: redo history): mask
    p3 = PixelPatch("mask", BBox(0, 0, 10, 10), np.zeros((10, 10), np.uint8), np.full((10, 10), 255, np.uint8))
    steps.append(EditStep("Mask", [p3]))
    return Session(doc, steps, 2)


def same_doc(a: Document, b: Document) -> None:
    for name in ("base", "scribble", "mask", "parts"):
        assert np.array_equal(a.layer(name), b.layer(name)), name
    assert np.array_equal(a.original, b.original)


def test_round_trip_is_exact_and_replays(tmp_path, rng):
    s = make_session(rng)
    p = write_project(s, tmp_path / "x.lbproj")
    r = read_project(p)
    same_doc(s.doc, r.doc)
    assert r.index == 2 and [st.text for st in r.steps] == ["Stroke", "Scribble edit", "Mask"]
    lat = r.doc.latent
    assert lat.region == s.doc.latent.region and lat.fit_psnr == 21.5 and lat.shown == s.doc.latent.shown
    assert np.array_equal(lat.z, np.ones(16)) and np.array_equal(lat.render, s.doc.latent.render)
    assert len(lat.candidates) == 1 and r.doc.info.notices == ["first frame of 3"]
    assert lat.made_by == "scribble"          # another stroke after reopening re-fits, it does not commit first
    # undo both applied steps on the read copy: back to the original photo, no latent
    for st in reversed(r.steps[:2]):
        st.revert(r.doc)
    assert np.array_equal(r.doc.layer("base"), r.doc.original) and not r.doc.layer("scribble").any()
    assert r.doc.latent is None
    r.steps[2].apply(r.doc)                      # redo history works too
    assert (r.doc.layer("mask")[:10, :10] == 255).all()


def test_failed_write_keeps_the_old_file(tmp_path, rng, monkeypatch):
    s = make_session(rng)
    p = write_project(s, tmp_path / "x.lbproj")
    before = p.read_bytes()
    import latentbrush.core.project_write as proj

    monkeypatch.setattr(proj.np, "save", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(Exception, match="disk full"):
        write_project(s, p)
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["x.lbproj"]     # no temp file left


def rewrite(path, out, edit):
    """Copy a project archive, letting edit(name, data) change (or drop: None) members."""
    with zipfile.ZipFile(path) as zi, zipfile.ZipFile(out, "w") as zo:
        for info in zi.infolist():
            data = edit(info.filename, zi.read(info.filename))
            if data is not None:
                zo.writestr(info.filename, data)
    return out


def meta_edit(fn):
    def edit(name, data):
        if name != "project.json":
            return data
        m = json.loads(data)
        fn(m)
        return json.dumps(m)
    return edit


def pickled_npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return buf.getvalue()


BAD = {
    "empty file": lambda p, o: (o.write_bytes(b""), o)[1],
    "not a zip": lambda p, o: (o.write_bytes(b"PK\x03\x04 nope"), o)[1],
    "truncated": lambda p, o: (o.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), o)[1],
    "no project.json": lambda p, o: rewrite(p, o, lambda n, d: None if n == "project.json" else d),
    "wrong format": lambda p, o: rewrite(p, o, meta_edit(lambda m: m.update(format="other"))),
    "future version": lambda p, o: rewrite(p, o, meta_edit(lambda m: m.update(version=99))),
    "bad size": lambda p, o: rewrite(p, o, meta_edit(lambda m: m.update(width=-3))),
    "size mismatch": lambda p, o: rewrite(p, o, meta_edit(lambda m: m.update(width=65))),
    "missing layer": lambda p, o: rewrite(p, o, lambda n, d: None if n == "layers/mask.png" else d),
    "layer not png": lambda p, o: rewrite(p, o, lambda n, d: b"GIF89a" if n == "layers/base.png" else d),
    "patch outside": lambda p, o: rewrite(p, o, meta_edit(lambda m: m["steps"][0]["patches"][0].update(
        bbox=[50, 40, 90, 60]))),
    "patch unknown layer": lambda p, o: rewrite(p, o, meta_edit(lambda m: m["steps"][0]["patches"][0].update(
        layer="secret"))),
    "missing array": lambda p, o: rewrite(p, o, lambda n, d: None if n == "arrays/0.npy" else d),
    "pickled array": lambda p, o: rewrite(p, o, lambda n, d: pickled_npy() if n == "arrays/0.npy" else d),
    "bad index": lambda p, o: rewrite(p, o, meta_edit(lambda m: m.update(index=7))),
    "steps not a list": lambda p, o: rewrite(p, o, meta_edit(lambda m: m.update(steps=[{"patches": 5}]))),
    "latent region mismatch": lambda p, o: rewrite(p, o, meta_edit(lambda m: m["latent"].update(
        region=[0, 0, 10, 10]))),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_project_files_raise_project_error(tmp_path, rng, kind):
    good = write_project(make_session(rng), tmp_path / "good.lbproj")
    bad = BAD[kind](good, tmp_path / "bad.lbproj")
    before = bad.read_bytes()
    with pytest.raises(ProjectError):
        read_project(bad)
    assert bad.read_bytes() == before


@pytest.mark.parametrize("psnr, back", [(float("inf"), float("inf")), (float("nan"), None), (None, None)])
def test_non_finite_fit_psnr_round_trips(tmp_path, rng, psnr, back):
    """A perfect fit (+inf dB) must not make the user's own project unreadable; NaN is "not measured"."""
    from dataclasses import replace

    s = make_session(rng)
    s.doc.latent = replace(s.doc.latent, fit_psnr=psnr)
    r = read_project(write_project(s, tmp_path / "x.lbproj"))
    assert r.doc.latent.fit_psnr == back or (back is None and r.doc.latent.fit_psnr is None)


def _aligned_tuned_session(rng):
    from latentbrush.core.latent_state import Tuning

    img = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
    doc = Document(img, DocumentInfo())
    tuning = Tuning({"main.0.weight": rng.normal(size=(16, 8, 4, 4)).astype(np.float32),
                     "main.1.bias": rng.normal(size=8)}, 17.5, 35.25)
    r = BBox(4, 4, 36, 36)
    warp = np.array([[0.03, -0.004, 0.1], [0.004, 0.03, -0.05]])
    s0 = LatentState(region=r, generator="g", z_base=np.zeros(16), base_render=np.full((8, 8, 3), 9.0),
                     reference=img[4:36, 4:36], z=np.zeros(16), fit_psnr=35.25, warp=warp, tuning=tuning)
    s1 = s0.showing(np.ones(16), img[4:36, 4:36], np.full((8, 8, 3), 3.0))
    doc.latent = s1
    return Session(doc, [EditStep("project", [], (None, s0)), EditStep("edit", [], (s0, s1))], 2), tuning


def test_alignment_and_tuned_generator_round_trip_once(tmp_path, rng):
    session, tuning = _aligned_tuned_session(rng)
    path = write_project(session, tmp_path / "t.lbproj")
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("project.json"))
    assert list(meta["tunings"]) == [tuning.key]       # three states, one copy of the weights
    back = read_project(path)
    st = back.doc.latent
    assert st.tuning is not None and st.tuning.key == tuning.key
    assert all(np.array_equal(st.tuning.delta[k], tuning.delta[k]) for k in tuning.delta)
    assert st.tuning.psnr == pytest.approx(35.25) and np.allclose(st.warp, session.doc.latent.warp)
    assert back.steps[1].latent[0].tuning is st.tuning        # shared again after reading


@pytest.mark.parametrize("mutate", ["changed weight", "unknown key", "bad warp", "nan delta", "singular warp"])
def test_damaged_tuning_or_warp_is_refused(tmp_path, rng, mutate):
    session, tuning = _aligned_tuned_session(rng)
    path = write_project(session, tmp_path / "t.lbproj")
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    meta = json.loads(members["project.json"])
    if mutate == "unknown key":
        meta["latent"]["tuning"] = "0" * 24
    elif mutate == "bad warp":
        meta["latent"]["warp"] = [[1, 2], [3, 4]]
    elif mutate == "singular warp":
        meta["latent"]["warp"] = [[0, 0, 1], [0, 0, 1]]
    else:
        name = meta["tunings"][tuning.key]["delta"]["main.1.bias"]
        a = np.load(io.BytesIO(members[name]))
        a[0] = np.nan if mutate == "nan delta" else a[0] + 1
        buf = io.BytesIO()
        np.save(buf, a)
        members[name] = buf.getvalue()
    members["project.json"] = json.dumps(meta).encode()
    bad = tmp_path / "bad.lbproj"
    with zipfile.ZipFile(bad, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(ProjectError):
        read_project(bad)
