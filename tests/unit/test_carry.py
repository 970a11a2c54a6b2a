"""A photo's hair-colour (and other shading) slider edit carried past the face region (app/ml/latent/carry.py,
sliders.carried_past): the rest of the hair follows, nothing else changes, and moving the slider again or back
never carries twice."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from latentbrush.core.bbox import BBox
from latentbrush.core.document import Document, DocumentInfo
from latentbrush.core.history import EditStep
from latentbrush.core.latent_state import LatentState
from latentbrush.core.project_read import read_project
from latentbrush.core.project_write import write_project
from latentbrush.core.projectfile import ProjectError, Session
from latentbrush.ml.latent.applyback import border_taper
from latentbrush.ml.latent.carry import carry
from latentbrush.ml.latent.sliders import carried_past

REGION = BBox(70, 60, 170, 160)


class KeptJobs:
    """An executor that keeps the jobs it is given (the tests hand their results to the session themselves)."""

    def submit(self, job) -> None:
        pass
HAIR = (110, 80, 50)


def scene(seed: int = 3):
    """A light backdrop, a brown hairdo reaching far above and beside the region, a face in it, and a brown
    disc of the same colour far off, not touching the hair. Returns (photo, hair mask, disc mask)."""
    rng = np.random.default_rng(seed)
    img = np.empty((240, 240, 3), np.float32)
    img[:] = (200, 196, 190)
    hair = np.zeros((240, 240), np.uint8)
    cv2.ellipse(hair, (120, 95), (80, 72), 0, 0, 360, 1, -1)
    face = np.zeros_like(hair)
    cv2.ellipse(face, (120, 135), (42, 52), 0, 0, 360, 1, -1)
    disc = np.zeros_like(hair)
    cv2.circle(disc, (20, 222), 12, 1, -1)
    for m, c, n in ((hair, HAIR, 10), (disc, HAIR, 10), (face, (222, 172, 142), 3)):
        img[m > 0] = np.array(c, np.float32) + rng.normal(0, n, (int(m.sum()), 3))
    hair[face > 0] = 0
    return np.clip(img, 0, 255).astype(np.uint8), hair > 0, disc > 0


def darkened(img: np.ndarray, hair: np.ndarray, taper: np.ndarray, factor: float = 0.55) -> np.ndarray:
    """The region as the apply-back leaves it: the hair in it darkened, faded out over the frame's border."""
    r = REGION
    ref = img[r.y0:r.y1, r.x0:r.x1].astype(np.float32)
    m = hair[r.y0:r.y1, r.x0:r.x1, None] * taper[..., None]
    return np.rint(ref + m * (factor - 1) * ref).astype(np.uint8)


def test_the_rest_of_the_hair_follows_and_nothing_else_changes():
    img, hair, disc = scene()
    r = REGION
    taper = border_taper(r.height, r.width, 0.08)
    edited = darkened(img, hair, taper)
    out = carry(img, r, img[r.y0:r.y1, r.x0:r.x1], edited, taper)
    assert out is not None and out.shape == img.shape
    outside = np.ones(hair.shape, bool)
    outside[r.y0 - 4:r.y1 + 4, r.x0 - 4:r.x1 + 4] = False
    ring = cv2.dilate(hair.astype(np.uint8), np.ones((13, 13), np.uint8)) > cv2.erode(hair.astype(np.uint8),
                                                                                       np.ones((13, 13), np.uint8))
    far_hair = hair & outside & ~ring
    ratio = out[far_hair].astype(np.float32).mean(0) / img[far_hair].astype(np.float32).mean(0)
    assert np.all(ratio < 0.72), ratio                   # the region's 0.55, carried (it was 1.0: a line at the edge)
    backdrop = ~hair & ~disc & outside & ~ring
    assert np.abs(out[backdrop].astype(int) - img[backdrop]).mean() < 1.0
    assert np.array_equal(out[disc], img[disc])          # the same colour, not joined to the hair: untouched
    inner = out[r.y0:r.y1, r.x0:r.x1]
    assert np.array_equal(inner[taper > 0.999], edited[taper > 0.999])    # the edit itself, byte for byte
    # in the frame's tapered border the hair is as dark as inside (the apply-back had faded it there)
    band = (taper < 0.5) & hair[r.y0:r.y1, r.x0:r.x1]
    band_ratio = inner[band].astype(np.float32).mean() / img[r.y0:r.y1, r.x0:r.x1][band].astype(np.float32).mean()
    assert band_ratio < 0.72


def test_nothing_is_carried_into_another_faces_box():
    """Two neighbours' hair edited one after the other was darkened twice where it ran together (a review): the
    other faces' regions are kept out of the carry."""
    img, hair, _ = scene()
    r = REGION
    taper = border_taper(r.height, r.width, 0.08)
    other = BBox(175, 20, 235, 110)                       # a neighbour beside the region, in the same hair
    out = carry(img, r, img[r.y0:r.y1, r.x0:r.x1], darkened(img, hair, taper), taper, keep_out=[other])
    inside = np.zeros(hair.shape, bool)
    inside[other.y0 + 6:other.y1 - 6, other.x0 + 6:other.x1 - 6] = True
    assert np.abs(out[inside].astype(int) - img[inside]).max() <= 1
    left = hair.copy()
    left[:, 60:] = False                                  # the hair on the other side is carried as before
    assert out[left].astype(float).mean() < 0.8 * img[left].astype(float).mean()


def test_an_edit_that_does_not_reach_the_frame_edge_is_not_carried():
    img, hair, _ = scene()
    r = REGION
    taper = border_taper(r.height, r.width, 0.08)
    centre = np.zeros(hair.shape, bool)
    centre[95:125, 105:135] = True                       # only the face's middle changes
    assert carry(img, r, img[r.y0:r.y1, r.x0:r.x1], darkened(img, centre, taper), taper) is None


def photo_state(img: np.ndarray) -> LatentState:
    r = REGION
    return LatentState(region=r, generator="g", z_base=np.zeros(8, np.float32),
                       base_render=np.zeros((64, 64, 3), np.float32), reference=img[r.y0:r.y1, r.x0:r.x1].copy(),
                       z=np.zeros(8, np.float32), fit_psnr=30.0, made_by="attribute")


def paste(img: np.ndarray, box: BBox, pixels: np.ndarray) -> np.ndarray:
    out = img.copy()
    out[box.y0:box.y1, box.x0:box.x1] = pixels
    return out


def test_moving_the_slider_again_or_back_never_carries_twice():
    img, hair, _ = scene()
    r = REGION
    st0 = photo_state(img)
    taper = border_taper(r.height, r.width, 0.08)
    first = carried_past(st0, {"hair_dark": 2.0}, darkened(img, hair, taper), img, 64)
    assert first is not None
    box, out, around = first
    doc1 = paste(img, box, out)
    st1 = replace(st0, **around)
    assert np.array_equal(st1.around_ref, img[box.y0:box.y1, box.x0:box.x1])
    # the same slider moved on: computed from the box's own pixels, not from the carried ones
    again = carried_past(st1, {"hair_dark": 2.0}, darkened(img, hair, taper), doc1, 64)
    assert again is not None and again[0] == box and np.array_equal(again[1], out)
    # back to 0: every pixel of the box is the photo's again
    back = carried_past(st1, {"hair_dark": 0.0}, img[r.y0:r.y1, r.x0:r.x1], doc1, 64)
    assert back is not None and np.array_equal(paste(doc1, back[0], back[1]), img)
    # the background slider is not carried; a box carried before is still restored around it
    assert carried_past(st0, {"background": 2.0}, darkened(img, hair, taper), img, 64) is None
    # reverting shows the photo's own box
    rbox, rpix = st1.restored()
    assert rbox == box and np.array_equal(paste(doc1, rbox, rpix), img)
    assert st1.reverted().matches_around(paste(doc1, rbox, rpix)[box.y0:box.y1, box.x0:box.x1])   # (moves on)
    assert not st1.matches_around(paste(doc1, rbox, rpix)[box.y0:box.y1, box.x0:box.x1])
    # painted on since the carry: the box is left as it is (the editor commits first: session.start_state) …
    painted = doc1.copy()
    painted[10:20, 10:20] = 255
    assert not st1.matches_around(painted[box.y0:box.y1, box.x0:box.x1])
    assert carried_past(st1, {"hair_dark": 1.0}, darkened(img, hair, taper), painted, 64) is None
    # … while a change of the region alone (a slider limited to the mask) leaves the carry to be redone
    masked = doc1.copy()
    masked[r.y0 + 40:r.y0 + 50, r.x0 + 40:r.x0 + 50] = 0
    assert st1.matches_around(masked[box.y0:box.y1, box.x0:box.x1])


def test_a_commit_bakes_the_carry_in_and_forgets_the_box():
    img, hair, _ = scene()
    taper = border_taper(REGION.height, REGION.width, 0.08)
    box, out, around = carried_past(photo_state(img), {"warmth": 1.0}, darkened(img, hair, taper), img, 64)
    st1 = replace(photo_state(img), **around)
    r = REGION
    c = st1.committed(out[r.y0 - box.y0:r.y1 - box.y0, r.x0 - box.x0:r.x1 - box.x0].copy())
    assert c.around is None and c.around_ref is None and c.around_shown == ""


def carried_session(tmp_path):
    img, hair, _ = scene()
    taper = border_taper(REGION.height, REGION.width, 0.08)
    st0 = photo_state(img)
    box, out, around = carried_past(st0, {"hair_dark": 3.0}, darkened(img, hair, taper), img, 64)
    st1 = replace(st0, sliders=(("hair_dark", 3.0),), **around)
    doc = Document(paste(img, box, out), DocumentInfo())
    doc.latent = st1
    return write_project(Session(doc, [EditStep("Sliders", [], (st0, st1))], 1), tmp_path / "c.lbproj"), st1


def test_a_carried_edit_survives_save_and_open(tmp_path):
    path, st1 = carried_session(tmp_path)
    back = read_project(path).doc.latent
    assert back.around == st1.around and back.around_shown == st1.around_shown
    assert np.array_equal(back.around_ref, st1.around_ref)


@pytest.mark.parametrize("box", [[0, 0, 50, 50], [0, 0, 241, 240], [0, 0, 240]])
def test_a_damaged_carried_box_is_refused(tmp_path, box):
    from project_corpus import edit_meta

    path, _ = carried_session(tmp_path)
    bad = tmp_path / "bad.lbproj"
    bad.write_bytes(edit_meta(path, lambda meta: meta["latent"].__setitem__("around", box)))
    with pytest.raises(ProjectError):
        read_project(bad)


def _slider_change(real_models, monkeypatch, values: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A held-out generator face taken as a photo (128 px, the fit exact), moved by `values`: (the change per pixel
    with the part map's split, without it (the direction's whole change), the person and the backdrop, each 4 px
    clear of the map's edge)."""
    import torch

    import latentbrush.ml.latent.sliders as sliders
    from latentbrush.core.jobs import Job, drain
    from latentbrush.ml.latent.runners import latent_models, render
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    mm = ModelManager(Manifest.load(real_models), device="cpu")
    lm = latent_models(mm)
    z = np.random.default_rng(5_905).standard_normal(lm.G.nz).astype(np.float32)
    base = render(lm.G, z, lm.device)
    face = cv2.resize(np.rint(base).astype(np.uint8), (128, 128), interpolation=cv2.INTER_CUBIC)
    st = LatentState(region=BBox(0, 0, 128, 128), generator=lm.generator_id, z_base=z, base_render=base,
                     reference=face, z=z, fit_psnr=30.0)
    seg = sliders.part_segmenter(mm, lm.generator_id)
    labels = seg.labels(lm.G, torch.from_numpy(z)[None], 64)[0].numpy()
    person = cv2.resize((labels != list(seg.names).index("background")).astype(np.uint8), (128, 128),
                        interpolation=cv2.INTER_NEAREST)
    inside = cv2.erode(person, np.ones((9, 9), np.uint8)) > 0
    backdrop = cv2.erode(1 - person, np.ones((9, 9), np.uint8)) > 0
    assert inside.sum() > 2000 and backdrop.sum() > 1000

    def change() -> np.ndarray:
        res, _ = drain(sliders.run_attribute(Job("attribute", params={"state": st, "values": values}), mm))
        return np.abs(res.pixels.astype(float) - face).mean(axis=2)
    kept = change()
    monkeypatch.setattr(sliders, "part_segmenter", lambda *a: None)     # as before: the direction's whole change
    return kept, change(), inside, backdrop


@pytest.mark.needs_weights
def test_the_background_slider_on_a_photo_leaves_the_person_alone(real_models, monkeypatch):
    """Helper 64: Background +2/+3 greyed the hair and paled the ears as much as it changed the backdrop. On a photo
    its change is kept to the part map's background."""
    kept, whole, inside, backdrop = _slider_change(real_models, monkeypatch, {"background": 3.0})
    assert whole[inside].mean() > 4 * max(kept[inside].mean(), 0.25)    # the person: hardly touched now …
    assert kept[backdrop].mean() > 0.7 * whole[backdrop].mean() > 1.0   # … the backdrop changes as it did


@pytest.mark.needs_weights
@pytest.mark.parametrize("name", ["warmth", "lighting", "hair_dark", "explore_1"])
def test_the_persons_shading_sliders_on_a_photo_leave_the_backdrop_alone(real_models, monkeypatch, name):
    """Warmth +3 turned the curtains behind a head teal inside the region and left them blue outside it; Lighting
    left a pale band in the backdrop ending in a straight edge (stop 60's sweep): kept to the part map's person."""
    kept, whole, inside, backdrop = _slider_change(real_models, monkeypatch, {name: 3.0})
    assert whole[backdrop].mean() > 4 * max(kept[backdrop].mean(), 0.25)    # the backdrop: hardly touched now …
    assert kept[inside].mean() > 0.9 * whole[inside].mean() > 2.0           # … the person as before


def test_a_slider_moved_after_a_fill_past_the_region_keeps_the_fill_and_leaves_no_stale_carry():
    """Helper 67: a fill in the hair past the region, then Hair dark back to 0: the carried darkening stayed outside
    the region (a seam), and a fill inside the region had been rewritten from the photo by the next slider move.
    The editor now commits what is shown first; the sliders start again from it."""
    from latentbrush.session.model import SessionModel

    img, hair, _ = scene()
    r = REGION
    taper = border_taper(r.height, r.width, 0.08)
    st0 = photo_state(img)
    box, out, around = carried_past(st0, {"hair_dark": 2.0}, darkened(img, hair, taper), img, 64)
    st1 = replace(st0, z=np.ones(8, np.float32), sliders=(("hair_dark", 2.0),), **around)
    st1 = replace(st1, shown=st1.showing(st1.z, out[r.y0 - box.y0:r.y1 - box.y0, r.x0 - box.x0:r.x1 - box.x0],
                                         st1.base_render).shown)
    model = SessionModel(KeptJobs())
    doc = Document(paste(img, box, out), DocumentInfo())
    model.open(doc)
    doc.set_latent(st1)
    assert model.start_state("attribute") is st1                  # untouched: the sliders move on as they stood
    filled = doc.read("base", BBox(10, 10, 30, 30)).copy()
    doc.write("base", BBox(10, 10, 30, 30), np.full_like(filled, 90))      # a fill in the hair past the region
    st = model.start_state("attribute")
    assert st is not st1 and not st.edited and st.around is None and st.sliders == ()
    assert np.array_equal(st.reference, doc.read("base", r))       # measured from what is shown
    doc.write("base", BBox(10, 10, 30, 30), filled)
    doc.write("base", BBox(r.x0 + 40, r.y0 + 40, r.x0 + 50, r.y0 + 50), np.zeros((10, 10, 3), np.uint8))
    st = model.start_state("attribute")                           # a fill inside the region: kept too
    assert st is not st1 and np.array_equal(st.reference, doc.read("base", r))


def test_what_the_part_map_calls_backdrop_but_has_the_persons_colours_is_left_out():
    """The 64-px map took the astronaut's hair at her temple for backdrop, where Background +3 painted a white
    blotch (helper 68): only colours like the backdrop's along the frame's border count."""
    from latentbrush.ml.latent.sliders import _like_backdrop

    frame = np.zeros((64, 64, 3), np.float32)
    frame[:] = (205, 200, 210)                            # a light backdrop
    frame[20:44, 16:48] = (120, 95, 60)                   # the person (hair)
    back = np.ones((64, 64), np.float32)
    back[24:44, 20:48] = 0                                # the map missed the hair's upper left corner
    like = _like_backdrop(frame, back)
    assert like[5, 5] == 1.0 and like[60, 60] == 1.0
    assert like[20:24, 16:20].max() == 0.0                # mislabelled hair: no backdrop change there


def test_a_slider_edit_that_changes_no_pixel_but_commits_is_still_one_undo_step():
    """After a fill, a slider moved back to 0 changed no pixel, so no step was kept, and the state still said "hair
    dark +2" while the panel read 0 (helper 68). The committed state is kept as a step with no pixels."""
    from latentbrush.core.jobs import Result
    from latentbrush.session.model import SessionModel

    img, hair, _ = scene()
    r = REGION
    st1 = replace(photo_state(img), z=np.ones(8, np.float32), sliders=(("hair_dark", 2.0),))
    model = SessionModel(KeptJobs())
    doc = Document(img.copy(), DocumentInfo())
    model.open(doc)
    doc.set_latent(st1)
    committed = st1.committed(doc.read("base", r).copy())
    job = model.submit("attribute")
    same = Result(layer="base", bbox=r, pixels=doc.read("base", r).copy(), info={"latent_state": committed})
    assert model.apply(job, same)
    assert doc.latent.sliders == () and not doc.latent.edited and model.history.can_undo
    model.history.undo()
    assert doc.latent.sliders == (("hair_dark", 2.0),)
    again = Result(layer="base", bbox=r, pixels=doc.read("base", r).copy(), info={"latent_state": st1})
    assert not model.apply(model.submit("attribute"), again)        # a rerun of the same edit: no step
