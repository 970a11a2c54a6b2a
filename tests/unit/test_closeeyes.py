"""Eyes painted shut (app/ml/parts/closeeyes.py): the opening filled with the skin around it, the lids'
line drawn across it, nothing else changed."""

from __future__ import annotations

from collections.abc import Generator

import cv2
import numpy as np
import pytest

from latentbrush.core.jobs import drain
from latentbrush.ml.parts.closeeyes import (
    BOTTOM,
    OPENING,
    TOP,
    close_eyes,
    eye_rest,
    lid_reach,
    lids_line,
    openings,
    painted_edge,
    painted_lowered,
    painted_shut,
    reach_area,
    shut_paint,
    shut_report,
    skin_tint,
)

EYES = np.array([[70.0, 100.0], [130.0, 100.0]])       # d = 60 px
SKIN = (200, 150, 120)


def _face() -> np.ndarray:
    """A skin-coloured face with two open eyes: a white almond with a dark iris, brows above."""
    img = np.full((200, 200, 3), SKIN, np.uint8)
    for x, y in EYES.astype(int):
        cv2.ellipse(img, (x, y), (14, 5), 0, 0, 360, (245, 245, 240), -1)
        cv2.circle(img, (x, y), 5, (40, 25, 20), -1)
        cv2.line(img, (x - 16, y - 22), (x + 16, y - 24), (60, 40, 30), 4)        # the brow
    return img


def _telea(image: np.ndarray, mask: np.ndarray) -> Generator[None, None, np.ndarray]:
    yield from ()
    return cv2.inpaint(image, mask, 5, cv2.INPAINT_TELEA)


def _run(gen):
    return drain(gen)[0]


def test_the_openings_are_ellipses_about_the_eyes_sized_by_their_distance():
    both = openings((200, 200), EYES)
    d = 60.0
    n, _ = cv2.connectedComponents(both.astype(np.uint8))
    assert n - 1 == 2
    area = np.pi * OPENING[0] * OPENING[1] * d * d
    assert abs(both.sum() / 2 - area) / area < 0.05
    ys, xs = np.nonzero(openings((200, 200), EYES, (0,)))
    assert xs.mean() < 100 and abs(xs.mean() - 70) < 1 and 100 <= ys.mean() < 102     # (a little below the centre)
    # twice the distance: twice the size each way
    far = openings((400, 400), EYES * 2)
    assert abs(far.sum() / both.sum() - 4) < 0.15


def test_an_eye_is_shut_when_its_opening_is_mostly_painted_skin_not_for_a_dab():
    shape = (200, 200)
    left = openings(shape, EYES, (0,))
    assert painted_shut(cv2.dilate(left.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0, EYES) == (0,)
    assert painted_shut(openings(shape, EYES), EYES) == (0, 1)
    dab = np.zeros(shape, bool)
    dab[98:103, 66:74] = True
    assert painted_shut(dab, EYES) == ()
    assert painted_shut(openings(shape, EYES), None) == ()           # no detector: nothing is closed


def test_skin_over_an_eyes_upper_part_lowers_its_lid_to_the_paints_edge_instead_of_shutting_it():
    """Paint over the top of an opening asks for a half-closed eye (a helper's paint over an eye's top
    half closed nothing, or closed it whole); paint down past the middle still shuts it."""
    shape = (200, 200)
    ys = np.arange(200)[:, None]
    grown = cv2.dilate(openings(shape, EYES).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    top = grown & (ys <= 99)                  # down to the eyes' centre line (the openings' centre is 100.6)
    assert painted_shut(top, EYES) == ()
    low = painted_lowered(top, EYES, ())
    assert set(low) == {0, 1} and all(-0.05 < v < 0.0 for v in low.values())
    assert painted_edge(grown & (ys <= 97), EYES, 0) < low[0]                      # less paint: a higher lid
    assert painted_shut(grown & (ys <= 106), EYES) == (0, 1)                        # down past the middle: shut
    assert painted_lowered(grown & (ys >= 100), EYES, ()) == {}                    # the lower part: no lid comes down
    assert painted_lowered(top, EYES, (0,)) == {1: low[1]}                          # (a shut eye is not lowered too)
    face = _face()
    out, changed = _run(close_eyes(face, EYES, (), np.ones(shape, np.float32), _telea, lowered=low))
    assert np.array_equal(out[~changed], face[~changed]) and not (changed & ~reach_area(shape, EYES)).any()
    # above the new edge the white and iris are gone; well below it the eye is as it was
    white = face.astype(int).sum(2) > 700
    assert (out[white & (ys < 97)].astype(int).sum(1) < 650).all()
    assert np.array_equal(out[ys[:, 0] >= 104], face[ys[:, 0] >= 104])
    assert (white & (ys >= 104)).any()
    # the lashes' line darkens the edge in the middle of each eye
    assert out[99:103, 68:73].astype(int).sum(2).min() < 0.6 * sum(SKIN)
    assert "Lowered the upper lid of both eyes" in shut_report((), EYES, low) and "Closed" not in shut_report((), EYES, low)


def test_the_shut_paint_is_the_stroke_over_the_eye_near_it_not_paint_elsewhere():
    skin = np.zeros((200, 200), bool)
    skin[90:112, 50:92] = True          # over the left eye
    skin[100:104, 92:199] = True        # … continued as one stroke far to the right
    skin[160:180, 20:60] = True         # another stroke, on the chin
    mine = shut_paint(skin, EYES, (0,))
    assert mine[100, 70] and mine[100, 100] and not mine[102, 190] and not mine[170, 40]
    assert not shut_paint(skin, EYES, (1,))[170, 40]


def test_the_lids_line_is_dark_bowed_down_and_inside_the_hole():
    face = _face()
    hole = openings(face.shape[:2], EYES)
    flat = np.full_like(face, SKIN)
    out = lids_line(flat, face, EYES, (0, 1), hole)
    changed = np.abs(out.astype(int) - flat).sum(2) > 0
    assert changed.any() and not changed[~hole].any()
    ys, xs = np.nonzero(changed & (np.arange(200)[None, :] < 100))      # the left eye's line
    mid = ys[np.abs(xs - 70) <= 2].mean()
    ends = ys[np.abs(xs - 70) >= 12].mean()
    assert mid > 100 and mid > ends + 1           # below the centre, lowest in the middle
    assert out[int(round(mid)), 70].sum() < 0.6 * sum(SKIN)        # the lashes' dark colour


def test_closing_fills_the_openings_with_skin_and_changes_nothing_else():
    face = _face()
    limit = np.ones(face.shape[:2], np.float32)
    out, changed = _run(close_eyes(face, EYES, (0, 1), limit, _telea))
    assert np.array_equal(out[~changed], face[~changed]) and not (changed & ~reach_area(face.shape[:2], EYES)).any()
    assert changed.sum() >= openings(face.shape[:2], EYES, reach={0: (TOP[0], BOTTOM[0]), 1: (TOP[0], BOTTOM[0])}).sum()
    # the white of the eye is gone: the opening (less its lids' line) is the skin's colour now
    lab = cv2.cvtColor(out, cv2.COLOR_RGB2LAB).astype(float)
    skin_lab = cv2.cvtColor(np.uint8([[SKIN]]), cv2.COLOR_RGB2LAB)[0, 0].astype(float)
    white = (face.astype(int).sum(2) > 700) & changed
    assert white.sum() > 100 and np.median(np.linalg.norm(lab[white] - skin_lab, axis=1)) < 8
    before = cv2.cvtColor(face, cv2.COLOR_RGB2LAB).astype(float)
    assert np.median(np.linalg.norm(before[white] - skin_lab, axis=1)) > 40
    # one eye: the other keeps its bytes; a limit that excludes the eyes: nothing changes
    one, _ = _run(close_eyes(face, EYES, (1,), limit, _telea))
    assert np.array_equal(one[:, :100], face[:, :100]) and not np.array_equal(one[:, 100:], face[:, 100:])
    none, area = _run(close_eyes(face, EYES, (0, 1), np.zeros_like(limit), _telea))
    assert np.array_equal(none, face) and not area.any()


def test_the_opening_reaches_past_the_lashes_and_stops_short_of_a_low_brow():
    face = _face()
    d = 60.0
    x, y = EYES[0].astype(int)
    face[y - 6:y - 4, x - 16:x + 17] = (30, 20, 15)                 # the upper lashes: the opening's top edge
    top, bottom = lid_reach(face, EYES, 0)
    assert 7 / d <= top <= 8.5 / d and BOTTOM[0] <= bottom <= BOTTOM[1]       # just past the lashes
    face[y - 11:y - 7, x - 16:x + 17] = (60, 40, 30)                # … and a brow right above, one row of skin between
    top, _ = lid_reach(face, EYES, 0)
    assert 7 / d <= top <= 8.5 / d                                  # the fill starts from that skin, not the brow


def test_the_eyes_white_beyond_the_ellipse_goes_with_it_and_the_brow_does_not():
    """An eye looking up shows its white below the iris, past the ellipse; a corner's lashes stick out
    beside it: both go into the hole; the brow above stays."""
    face = _face()
    x, y = EYES[0].astype(int)
    cv2.ellipse(face, (x, y + 7), (12, 3), 0, 0, 360, (245, 245, 240), -1)        # white under the iris
    cv2.line(face, (x + 16, y + 1), (x + 21, y + 3), (30, 20, 15), 2)             # the outer corner's lashes
    one = openings(face.shape[:2], EYES, (0,), {0: lid_reach(face, EYES, 0)})
    assert not one[y + 9, x] and not one[y + 2, x + 20]
    rest = eye_rest(face, EYES, 0, one)
    assert rest[y + 9, x] and rest[y + 2, x + 20]
    assert not rest[y - 23, x] and not rest[:, 100:].any()                         # not the brow, not the other eye


def test_a_fills_colour_cast_is_moved_to_the_skins_from_the_holes_edge_in():
    face = np.full((100, 100, 3), SKIN, np.uint8)
    hole = np.zeros((100, 100), bool)
    hole[40:60, 30:70] = True
    cast = face.copy()
    cast[hole] = (150, 160, 90)                                                    # an olive fill
    out = skin_tint(cast, face, hole, 60.0)
    lab = cv2.cvtColor(out, cv2.COLOR_RGB2LAB).astype(float)
    skin = cv2.cvtColor(face, cv2.COLOR_RGB2LAB)[50, 50].astype(float)
    olive = cv2.cvtColor(cast, cv2.COLOR_RGB2LAB)[50, 50].astype(float)
    assert np.linalg.norm(lab[50, 50, 1:] - skin[1:]) < 3 < np.linalg.norm(olive[1:] - skin[1:]) - 10
    assert abs(lab[50, 50, 0] - olive[0]) < 3                                      # its lightness kept
    assert np.array_equal(out[~hole], face[~hole])


def test_the_report_names_the_eye_as_the_photo_shows_it():
    assert "Closed both eyes" in shut_report((0, 1), EYES)
    assert "the eye on the left of the photo" in shut_report((0,), EYES)
    assert "the eye on the right of the photo" in shut_report((0,), EYES[::-1])


@pytest.mark.needs_weights
def test_a_face_with_its_eyes_painted_over_gets_them_closed_in_the_editors_job(real_models):
    """The editor's job on a generator face: skin painted over the map's eyes closes them (the
    detector's eyes), one undoable pixel edit the next parts edit starts from; changed pixels only
    inside the openings; the white of the eyes gone. With closing off, the generator redraws them."""
    import torch

    from latentbrush.core.bbox import BBox
    from latentbrush.core.jobs import Job, drain
    from latentbrush.core.latent_state import LatentState
    from latentbrush.ml.latent.photo import crop_landmarks
    from latentbrush.ml.latent.runners import render
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.parts.edit import label_map
    from latentbrush.ml.parts.runners import full_label_map, parts_models, run_parts_edit
    from latentbrush.ml.registry import ModelManager

    mm = ModelManager(Manifest.load(real_models), device="cpu")
    pm = parts_models(mm)
    names = list(pm.seg.names)
    z = np.random.default_rng(4_242_424).standard_normal((16, pm.lm.G.nz)).astype(np.float32)[6]
    base = render(pm.lm.G, z, torch.device("cpu"))
    face = cv2.resize(np.rint(base).astype(np.uint8), (256, 256), interpolation=cv2.INTER_CUBIC)
    state = LatentState(region=BBox(0, 0, 256, 256), generator=pm.lm.generator_id, z_base=z, base_render=base,
                        reference=face, z=z)
    now = full_label_map(label_map(pm.seg, pm.lm.G, z, torch.device("cpu")), state, (256, 256)).astype(int) - 1
    layer = np.where(now == names.index("eyes"), names.index("skin") + 1, 0).astype(np.uint8)
    eyes = crop_landmarks(face, mm)
    assert eyes is not None
    res, _ = drain(run_parts_edit(Job("parts_edit", params={"state": state, "iters": 5},
                                      inputs={"image": face, "parts": layer}), mm))
    assert "Closed both eyes" in res.message and res.info["made_by"] == "parts_warp"
    assert len(res.info["candidates"]) == 1 and not res.info["unchanged"]
    hole = openings(face.shape[:2], eyes[:2], reach={i: lid_reach(face, eyes[:2], i) for i in range(2)})
    diff = np.abs(res.pixels.astype(int) - face).sum(2)
    d = float(np.linalg.norm(eyes[1] - eyes[0]))
    assert diff[hole].mean() > 10 and not diff[~reach_area(face.shape[:2], eyes[:2])].any()   # nothing else
    # each opening's lightness comes towards the skin's around it (the white and the iris go)
    light = cv2.cvtColor(res.pixels, cv2.COLOR_RGB2LAB)[..., 0].astype(float)
    light0 = cv2.cvtColor(face, cv2.COLOR_RGB2LAB)[..., 0].astype(float)
    gap = np.zeros((2, 2))
    for i in range(2):
        one = openings(face.shape[:2], eyes[:2], (i,))
        ring = (cv2.dilate(one.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0) & ~one
        gap[:, i] = [abs(np.median(img[one]) - np.median(light0[ring])) for img in (light0, light)]
    assert gap[1].sum() < 0.7 * gap[0].sum(), gap
    shown = res.info["parts_map"]
    assert (shown[hole] == names.index("eyes") + 1).mean() < 0.1        # the map shown has no eyes there
    # the latent kept in step stays on this face: the next edit's part map keeps every other part (chasing
    # skin over the eyes pulled the face: a helper's next mouth edit found half of the mouth gone)
    kept, _ = drain(run_parts_edit(Job("parts_edit", params={"state": state}, inputs={"image": face, "parts": layer}),
                                   mm))
    after = label_map(pm.seg, pm.lm.G, kept.info["latent_state"].z, torch.device("cpu"))
    before = label_map(pm.seg, pm.lm.G, z, torch.device("cpu"))
    for part in ("mouth", "nose", "hair"):
        a, b = before == names.index(part), after == names.index(part)
        assert (a & b).sum() >= 0.8 * (a | b).sum(), part
    # a dab on one eye closes nothing and says how to
    dab = np.zeros((256, 256), np.uint8)
    cv2.circle(dab, tuple(int(round(c)) for c in eyes[0]), max(2, int(0.05 * d)), names.index("skin") + 1, -1)
    dabbed, _ = drain(run_parts_edit(Job("parts_edit", params={"state": state, "iters": 5},
                                         inputs={"image": face, "parts": dab}), mm))
    assert "Closed" not in dabbed.message and "covers too little of it to close it" in dabbed.message
    # skin over the upper part of both openings: the lids lowered, the lower part of the eyes kept
    ys = np.arange(256)[:, None]
    half = (cv2.dilate(openings(face.shape[:2], eyes[:2]).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0) \
        & (ys <= eyes[:2, 1].mean())
    lowered, _ = drain(run_parts_edit(Job("parts_edit", params={"state": state}, inputs={
        "image": face, "parts": np.where(half, names.index("skin") + 1, 0).astype(np.uint8)}), mm))
    assert "Lowered the upper lid of both eyes" in lowered.message and "Closed" not in lowered.message
    below = openings(face.shape[:2], eyes[:2]) & (ys > eyes[:2, 1].mean() + 0.06 * d)
    assert below.any() and np.array_equal(lowered.pixels[below], face[below])
    assert lowered.info["vector"] is None and lowered.info["made_by"] == "parts_warp"
    # on a photo (a state fitted to it) the closing says so too (a stray message about nothing to stretch had
    # replaced it: the paint on a photo's features counts as motion)
    from dataclasses import replace

    on_photo, _ = drain(run_parts_edit(Job("parts_edit", params={"state": replace(state, fit_psnr=30.0)},
                                           inputs={"image": face, "parts": layer}), mm))
    assert "Closed both eyes" in on_photo.message and "no part of the photo" not in on_photo.message
    off, _ = drain(run_parts_edit(Job("parts_edit", params={"state": state, "iters": 5, "candidates": 2,
                                                            "close_eyes": False},
                                      inputs={"image": face, "parts": layer}), mm))
    assert "Closed" not in off.message and off.info["made_by"] == "parts_edit"

