"""Issue 17, items 7–10 without Qt: error sentences for the person, the generator prior falling back
to Telea where there is no face (with a notice), layer visibility in project files (old files open,
bad values are refused)."""

from __future__ import annotations

import numpy as np
import pytest
from project_corpus import edit_meta, make_session

from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import Job, drain
from latentbrush.core.project_read import read_project
from latentbrush.core.project_write import write_project
from latentbrush.core.projectfile import ProjectError
from latentbrush.ml.errors import MissingWeights, user_message
from latentbrush.ml.inpaint import methods
from latentbrush.ml.inpaint.fill import run_inpaint
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.registry import ModelManager


# -- 7 ------------------------------------------------------------------------------------------
def raised(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return e
    raise AssertionError("no exception")


def test_user_message_is_a_sentence_without_class_names():
    from latentbrush.ml.latent.photo import choose

    e = raised(lambda: choose([], 0))                               # raised by the project's code
    msg = user_message(e)
    assert msg.startswith("No face found") and msg.endswith(".") and "NoFaceFound" not in msg
    assert user_message(MissingWeights("the file is missing")) == "The file is missing."
    # an error from deep inside a library, or a bare KeyError: a bug, not a sentence for the person
    lib = raised(lambda: np.zeros(3) + np.zeros(4))
    assert "went wrong" in user_message(lib) and "broadcast" not in user_message(lib)
    assert "went wrong" in user_message(raised(lambda: {}["image"]))
    assert "memory" in user_message(RuntimeError("CUDA out of memory"), oom=True)


# -- 9 ------------------------------------------------------------------------------------------
class _Face:
    def __init__(self, box: BBox) -> None:
        self.region, self.warp = box, None


def fill_with_prior(models_dir, image, mask, monkeypatch, faces):
    import latentbrush.ml.latent.photo as photo

    monkeypatch.setattr(photo, "find_faces", lambda img, models: list(faces))
    models = ModelManager(Manifest.load(models_dir), device="cpu")
    job = Job("inpaint", params={"model": methods.PRIOR}, inputs={"image": image, "mask": mask})
    result, _ = drain(run_inpaint(job, models))
    return result


def test_disk_and_memory_failures_say_what_happened():
    import errno

    e = OSError(errno.ENOSPC, "No space left on device", "/home/u/.local/share/latentbrush/models")
    assert user_message(e) == "No space left on device: /home/u/.local/share/latentbrush/models."
    assert user_message(PermissionError(errno.EACCES, "Permission denied")) == "Permission denied."
    assert "ran out of memory" in user_message(MemoryError())
    assert "ran out of memory" in user_message(RuntimeError("DefaultCPUAllocator: can't allocate memory: 3 GB"))


def test_prior_falls_back_to_telea_with_a_notice_where_no_face_holds_the_hole(tiny_models, rng, monkeypatch):
    image = rng.integers(0, 255, (96, 160, 3), dtype=np.uint8)
    mask = np.zeros((96, 160), np.uint8)
    mask[60:80, 120:150] = 255
    # a face elsewhere in the photo: the hole is not in it
    r = fill_with_prior(tiny_models, image, mask, monkeypatch, [_Face(BBox(0, 0, 60, 60))])
    assert r.message == "No face around the hole — filled with Telea instead of the generator prior"
    assert r.info["model"] == methods.TELEA and r.info["fallback"] == "No face around the hole"
    assert r.info["blend"] == "none"                        # Telea's own default seams
    # no face at all in a photo that is not a face crop: the same, where it used to be an error
    r = fill_with_prior(tiny_models, image, mask, monkeypatch, [])
    assert r.message.startswith("No face in this photo — filled with Telea")


def test_prior_says_when_part_of_the_hole_lies_outside_the_face(tiny_models, rng, monkeypatch):
    image = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[20:30, 20:62] = 255                                # reaches past the face's right edge
    import latentbrush.ml.inpaint.fill as fill

    def unchanged(self, crop, hole, check=None):
        yield 1.0, "done"
        return crop

    monkeypatch.setattr(fill.PriorFiller, "fill_steps", unchanged)
    r = fill_with_prior(tiny_models, image, mask, monkeypatch, [_Face(BBox(0, 0, 48, 48))])
    assert "fallback" not in r.info and r.info["model"] == methods.PRIOR
    assert "part of the hole lies outside the face: Telea filled that part" in r.message


# -- 10: layer visibility in project files ---------------------------------------------------------
def test_layer_visibility_round_trips_and_old_files_still_open(tmp_path):
    s = make_session()
    old = read_project(write_project(s, tmp_path / "old.lbproj"))     # written without it
    assert old.visible is None
    s.visible = {"scribble": True, "mask": False, "parts": True}
    back = read_project(write_project(s, tmp_path / "new.lbproj"))
    assert back.visible == {"scribble": True, "mask": False, "parts": True}


@pytest.mark.parametrize("value", [[True], {"mask": "no"}, {"mask": 0}, {"base": False}, "mask", {"x" * 9: True}])
def test_bad_layer_visibility_is_refused(tmp_path, value):
    s = make_session()
    s.visible = {"scribble": True, "mask": False, "parts": True}
    good = write_project(s, tmp_path / "good.lbproj")
    bad = tmp_path / "bad.lbproj"
    bad.write_bytes(edit_meta(good, lambda m: m.update(visible=value)))
    before = bad.read_bytes()
    with pytest.raises(ProjectError, match="visibility"):
        read_project(bad)
    assert bad.read_bytes() == before
