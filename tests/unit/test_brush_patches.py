from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from latentbrush.core.bbox import BBox, nonzero_bbox
from latentbrush.core.brush import BrushSpec, Stroke, capsule_coverage
from latentbrush.core.document import Document, DocumentError
from latentbrush.core.patches import PixelPatch, merge_patches


def doc(h=64, w=96):
    return Document(np.full((h, w, 3), 128, np.uint8))


HARD6 = BrushSpec(size=6, hardness=1.0)


def paint(d, layer, pts, spec=HARD6, mode="paint", value=(255, 0, 0, 255)):
    s = Stroke(d.layer(layer), layer, spec, mode, value)
    patches = []
    for p in pts:
        patch = s.move_to(p)
        if patch is not None:
            patch.apply(d)
            patches.append(patch)
    return patches


def test_stroke_paints_along_the_path_and_nowhere_else():
    d = doc()
    paint(d, "scribble", [(10.0, 32.0), (80.0, 32.0)])
    a = d.layer("scribble")[..., 3]
    assert (a[32, 12:78] == 255).all()                       # on the line
    assert a[:26].max() == 0 and a[39:].max() == 0            # 3 px radius + antialias only
    assert (d.layer("scribble")[32, 40, :3] == (255, 0, 0)).all()
    assert d.layer("mask").max() == 0 and (d.layer("base") == 128).all()


def test_overlapping_segments_do_not_build_up_opacity():
    d = doc()
    spec = BrushSpec(size=10, hardness=1.0, opacity=0.5)
    paint(d, "scribble", [(20.0, 20.0), (40.0, 20.0), (20.0, 20.0), (40.0, 20.0)], spec=spec)
    assert d.layer("scribble")[20, 30, 3] == 128


def test_soft_brush_falls_off_and_hard_brush_is_antialiased():
    box = BBox(0, 0, 41, 41)
    soft = capsule_coverage((20.5, 20.5), (20.5, 20.5), BrushSpec(size=30, hardness=0.0), box)
    hard = capsule_coverage((20.5, 20.5), (20.5, 20.5), BrushSpec(size=30, hardness=1.0), box)
    assert soft[20, 20] == pytest.approx(1.0) and 0 < soft[20, 30] < 0.6 and soft[20, 36] == 0
    assert hard[20, 30] == 1.0 and ((hard > 0) & (hard < 1)).sum() > 0


def test_erase_and_mask_and_labels():
    d = doc()
    paint(d, "mask", [(30.0, 30.0)], spec=BrushSpec(size=20, hardness=1.0), value=255)
    assert d.layer("mask")[30, 30] == 255 and d.layer("mask")[0, 0] == 0
    paint(d, "mask", [(30.0, 30.0)], spec=BrushSpec(size=8, hardness=1.0), mode="erase", value=255)
    assert d.layer("mask")[30, 30] == 0 and d.layer("mask")[30, 37] == 255
    paint(d, "parts", [(50.0, 10.0)], spec=BrushSpec(size=6, hardness=1.0), value=3)
    assert d.layer("parts")[10, 50] == 3 and set(np.unique(d.layer("parts"))) == {0, 3}


def test_stroke_outside_the_image_does_nothing():
    d = doc()
    assert paint(d, "scribble", [(-50.0, -50.0), (-40.0, -45.0)]) == []
    assert not d.has_content("scribble")


def test_merge_patches_rebuilds_the_state_before_all_of_them():
    d = doc()
    before = d.read("scribble")
    patches = paint(d, "scribble", [(5.0, 5.0), (40.0, 30.0), (10.0, 50.0), (90.0, 60.0)])
    merged = merge_patches(patches, d.layer("scribble"))
    assert merged.bbox == nonzero_bbox(d.layer("scribble")).union(merged.bbox)
    merged.revert(d)
    assert np.array_equal(d.layer("scribble"), before)
    merged.apply(d)
    assert d.has_content("scribble")


def test_document_revisions_and_events():
    d = doc()
    seen = []
    unsub = d.subscribe(lambda layer, box: seen.append((layer, box)))
    rev = d.revisions("base", "mask")
    box = BBox(1, 2, 5, 6)
    PixelPatch.capture(d, "mask", box, np.full((4, 4), 9, np.uint8)).apply(d)
    assert seen == [("mask", box)] and d.layer_revisions["mask"] == 1
    assert not d.is_current(rev) and d.is_current({"base": 0})
    unsub()
    with pytest.raises(DocumentError):
        d.write("mask", BBox(90, 60, 100, 70), np.zeros((10, 10), np.uint8))
    with pytest.raises(DocumentError):
        d.layer("nope")
    with pytest.raises(DocumentError):
        Document(np.zeros((4, 4), np.uint8))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-10, 110), st.floats(-10, 80)), min_size=1, max_size=12),
       st.floats(1, 30), st.floats(0, 1))
def test_any_stroke_is_undone_exactly(points, size, hardness):
    d = doc()
    before = d.read("scribble")
    patches = paint(d, "scribble", points, spec=BrushSpec(size=size, hardness=hardness))
    for p in reversed(patches):
        p.revert(d)
    assert np.array_equal(d.layer("scribble"), before)


def test_brush_spec_rejects_nonsense():
    with pytest.raises(ValueError):
        BrushSpec(size=0)
    with pytest.raises(ValueError):
        BrushSpec(opacity=2)
