"""An eye masked on a face filled from the person's other eye, mirrored (app/ml/inpaint/faces.py)."""

import cv2
import numpy as np

from latentbrush.bench.inpaint_bench import hole_psnr
from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import drain
from latentbrush.ml.inpaint.content_aware import ContentAwareFiller
from latentbrush.ml.inpaint.faces import bent_to_edge, mirrored, mirrored_eye, mirrored_side, turned
from latentbrush.ml.inpaint.fill import inpaint_image
from latentbrush.ml.inpaint.report import plain_summary

H, W = 300, 300
LEFT, RIGHT, NOSE = (110, 120), (190, 120), (150, 165)
MOUTH = ((122, 205), (178, 205))


def eye(img, centre, flip):
    """An eye: a white almond, an iris looking to one side, a highlight, a brow above; `flip` mirrors it."""
    patch = np.zeros((40, 60, 3), np.uint8)
    patch[:] = img[centre[1] - 20:centre[1] + 20, centre[0] - 30:centre[0] + 30]
    cv2.ellipse(patch, (30, 22), (22, 9), 0, 0, 360, (235, 235, 230), -1)
    cv2.circle(patch, (36, 22), 8, (70, 45, 30), -1)
    cv2.circle(patch, (38, 19), 2, (250, 250, 250), -1)
    cv2.line(patch, (8, 4), (52, 2), (60, 40, 30), 3)
    img[centre[1] - 20:centre[1] + 20, centre[0] - 30:centre[0] + 30] = patch[:, ::-1] if flip else patch


def face(light=30):
    """A frontal face: two mirrored eyes, the light falling from the left (a gradient over all of it)."""
    img = np.full((H, W, 3), (190, 150, 130), np.uint8)
    eye(img, LEFT, False)
    eye(img, RIGHT, True)
    ramp = np.linspace(light, -light, W)[None, :, None]
    grain = np.random.default_rng(0).integers(0, 6, img.shape)
    return np.clip(img * (1 + ramp / 200) + grain, 0, 255).astype(np.uint8)


def marks(nose=NOSE, left=LEFT):
    return np.array([left, RIGHT, nose, *MOUTH], np.float64)


def pasted(holed, out, mask, box):
    """The photo with `out` (an area `box`) pasted where `mask` is painted."""
    full = holed.copy()
    sl = (slice(box.y0, box.y1), slice(box.x0, box.x1))
    full[sl] = np.where((mask > 0)[sl][..., None], out, holed[sl])
    return full


def oval(centre, axes):
    """A mask (H, W uint8, 255 painted) of an ellipse."""
    mask = np.zeros((H, W), np.uint8)
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 255, -1)
    return mask


def eye_mask(centre=LEFT):
    return oval(centre, (26, 16))


def holed_by(img, mask):
    """The photo with the mask's pixels made white (the editor's unknown)."""
    return np.where(mask[..., None] > 0, 255, img).astype(np.uint8)


def test_a_masked_eye_is_the_other_eye_mirrored_with_the_light_of_its_own_side():
    img = face()
    mask = eye_mask()
    holed = holed_by(img, mask)
    box = BBox(40, 50, 180, 190)
    out = mirrored_eye(holed, mask > 0, box, marks())
    assert out is not None and out.shape == (140, 140, 3)
    full = pasted(holed, out, mask, box)
    telea = cv2.inpaint(holed, mask, 3, cv2.INPAINT_TELEA)
    assert hole_psnr(full, img, mask) >= 30 and hole_psnr(full, img, mask) > hole_psnr(telea, img, mask) + 10
    # the detector places a hidden eye by guess: 8 px off, the reflection is shifted onto the ring's fit
    off = mirrored_eye(holed, mask > 0, box, marks(left=(LEFT[0] + 6, LEFT[1] - 6)))
    assert hole_psnr(pasted(holed, off, mask, box), img, mask) >= 28


def test_the_reflection_is_bent_to_meet_the_lines_at_the_holes_edge():
    """A crease the other side draws 2 px lower met the photo's own at the hole's edge as a doubled line:
    the flow read on the ring bends it onto the photo's; a reflection that fits is left as it is."""
    rng = np.random.default_rng(1)

    def lined(dy: int) -> np.ndarray:
        img = np.full((120, 120, 3), (185, 140, 120), np.float64) + rng.normal(0, 2, (120, 120, 3))
        for y in (45, 75):
            cv2.line(img, (0, y + dy), (119, y + dy), (110, 70, 60), 2)
        return img
    photo = lined(0)
    hole = np.zeros((120, 120), np.uint8)
    cv2.ellipse(hole, (60, 60), (30, 22), 0, 0, 360, 1, -1)
    ring = (cv2.dilate(hole, np.ones((25, 25), np.uint8)) > 0) & (hole == 0)
    edge = (hole > 0) & (cv2.erode(hole, np.ones((9, 9), np.uint8)) == 0)

    def psnr(a):
        return 10 * np.log10(255 ** 2 / np.mean((a[edge] - photo[edge]) ** 2))
    lower = lined(2)
    bent = bent_to_edge(lower, photo, hole > 0, ring, 80.0)
    assert psnr(bent) > psnr(lower) + 2.5
    assert np.array_equal(bent_to_edge(photo, photo, hole > 0, ring, 80.0), photo)


def test_the_blend_evens_out_the_step_along_the_holes_edge(monkeypatch):
    """Light the plane cannot carry (a bright patch by one end of the hole): with the reflection beyond the
    hole, the editor's Poisson blend spreads the step at the edge inwards instead of leaving a ring."""
    from latentbrush.ml.inpaint import faces

    img = face().astype(np.float64)
    glow = np.zeros(img.shape[:2])
    cv2.circle(glow, (LEFT[0] - 28, LEFT[1]), 22, 1.0, -1)
    img = np.clip(img * (1 + 0.25 * cv2.GaussianBlur(glow, (0, 0), 6))[..., None], 0, 255).astype(np.uint8)
    big = cv2.resize(img, (600, 600), interpolation=cv2.INTER_CUBIC)
    mask = cv2.resize(eye_mask(), (600, 600), interpolation=cv2.INTER_NEAREST)
    holed = holed_by(big, mask)
    inner = (mask > 0) & (cv2.erode(mask, np.ones((3, 3), np.uint8)) == 0)
    outer = (mask == 0) & (cv2.dilate(mask, np.ones((3, 3), np.uint8)) > 0)

    def step(seam: bool) -> float:
        """The mean jump between the hole's edge pixels and the photo's next to them."""
        monkeypatch.setattr(faces, "SEAM", seam)
        filler = ContentAwareFiller(None, faces=lambda w: [marks() * 2 * w.shape[1] / 600])
        (out, _), _ = drain(inpaint_image(holed, mask, filler))
        assert filler.log[-1][0][6] == 1.0 and np.array_equal(out[mask == 0], holed[mask == 0])
        near = cv2.blur(np.where(outer[..., None], out, 0).astype(np.float64), (5, 5)) / np.maximum(
            cv2.blur(outer.astype(np.float64), (5, 5)), 1e-6)[..., None]
        return float(np.abs(out[inner].astype(np.float64) - near[inner]).mean())
    assert step(True) < 0.75 * step(False)


def test_no_mirror_for_a_turned_face_both_eyes_masked_or_a_hole_off_the_eyes():
    img = face()
    mask = eye_mask()
    box = BBox(40, 50, 180, 190)
    assert turned(marks()) < 0.01 and turned(marks(nose=(185, 165))) > 0.3
    assert mirrored_eye(img, mask > 0, box, marks(nose=(185, 165))) is None           # turned: its gaze and shape
    both = np.maximum(mask, eye_mask(RIGHT))
    assert mirrored_eye(img, both > 0, box, marks()) is None                          # nothing known to mirror
    cheek = np.zeros((H, W), np.uint8)
    cv2.circle(cheek, (100, 200), 15, 255, -1)
    assert mirrored_eye(img, cheek > 0, BBox(40, 130, 180, 270), marks()) is None     # not an eye


def test_the_default_fill_mirrors_the_eye_in_the_editors_path_and_says_so():
    img = face()
    big = cv2.resize(img, (600, 600), interpolation=cv2.INTER_CUBIC)        # an area over 64 px: the face check runs
    mask = cv2.resize(eye_mask(), (600, 600), interpolation=cv2.INTER_NEAREST)
    holed = holed_by(big, mask)

    def finder(window):               # a stand-in detector: the face's landmarks in the window it is given
        scale = window.shape[1] / 600
        return [marks() * 2 * scale] if window.shape[0] == window.shape[1] else []

    filler = ContentAwareFiller(None, faces=finder)
    (out, _), _ = drain(inpaint_image(holed, mask, filler))
    plain = ContentAwareFiller(None)
    (smooth, _), _ = drain(inpaint_image(holed, mask, plain))
    assert filler.log[-1][0][6] == 1.0 and "other eye, mirrored" in plain_summary(filler.log)
    assert hole_psnr(out, big, mask) > hole_psnr(smooth, big, mask) + 6
    assert np.array_equal(out[mask == 0], holed[mask == 0])


def test_the_best_quality_fill_mirrors_the_eye_too():
    from latentbrush.ml.inpaint.exemplar import ExemplarFiller

    img = cv2.resize(face(), (600, 600), interpolation=cv2.INTER_CUBIC)
    mask = cv2.resize(eye_mask(), (600, 600), interpolation=cv2.INTER_NEAREST)
    holed = holed_by(img, mask)
    best = ExemplarFiller(ContentAwareFiller(None, faces=lambda w: [marks() * 2 * w.shape[1] / 600]))
    (out, _), _ = drain(inpaint_image(holed, mask, best))
    assert best.log[-1][0][6] == 1.0 and hole_psnr(out, img, mask) >= 30


def test_an_eye_that_cannot_be_mirrored_is_said_to_be_filled_with_skin():
    img = cv2.resize(face(), (600, 600), interpolation=cv2.INTER_CUBIC)
    mask = cv2.resize(np.maximum(eye_mask(), eye_mask(RIGHT)), (600, 600), interpolation=cv2.INTER_NEAREST)
    holed = holed_by(img, mask)
    filler = ContentAwareFiller(None, faces=lambda w: [marks() * 2 * w.shape[1] / 600])
    drain(inpaint_image(holed, mask, filler))
    assert all(len(e[0]) < 7 or e[0][6] == 0.0 for e in filler.log)              # nothing mirrored
    said = plain_summary(filler.log)
    assert "no other eye could be copied (the other eye is masked too" in said and "turned" not in said   # its one reason


def mouthed(light=30, other=None):
    """The face with a mouth whose halves are mirror images (a dimple by each corner); `other`: a dark patch
    drawn by the right corner (the right half then is not the left's mirror)."""
    img = face(0).astype(np.float64)
    cv2.ellipse(img, (150, 205), (28, 8), 0, 0, 360, (150, 70, 70), -1)
    cv2.line(img, (122, 205), (178, 205), (60, 25, 25), 2)
    cv2.circle(img, (116, 198), 3, (140, 100, 90), -1)
    img[170:240, 151:201] = img[170:240, 149:99:-1]       # the right half the left's mirror, about x = 150
    if other is not None:
        cv2.rectangle(img, (162, 180), (200, 232), other, -1)
    ramp = np.linspace(light, -light, W)[None, :, None]
    return np.clip(img * (1 + ramp / 200), 0, 255).astype(np.uint8)


def half_mouth(centre=(128, 205)):
    return oval(centre, (16, 12))


def test_half_a_mouth_is_the_other_half_mirrored_across_the_faces_middle():
    img = mouthed()
    mask = half_mouth()
    holed = holed_by(img, mask)
    box = BBox(90, 160, 210, 250)
    out = mirrored_side(holed, mask > 0, box, marks())
    assert out is not None
    full = pasted(holed, out, mask, box)
    telea = cv2.inpaint(holed, mask, 3, cv2.INPAINT_TELEA)
    assert hole_psnr(full, img, mask) >= 30 and hole_psnr(full, img, mask) > hole_psnr(telea, img, mask) + 8
    assert mirrored(holed, mask > 0, box, marks())[1] == "side"


def test_no_side_mirror_across_the_middle_off_the_face_turned_or_where_the_other_side_differs():
    box = BBox(90, 160, 210, 250)
    img = mouthed()
    middle = half_mouth((150, 205))                       # its reflection lands on itself
    assert mirrored_side(img, middle > 0, box, marks()) is None
    beside = half_mouth((70, 205))                        # 1 eye distance off the middle: hair, ears, backdrop
    assert mirrored_side(img, beside > 0, BBox(20, 160, 140, 250), marks()) is None
    assert mirrored_side(img, half_mouth() > 0, box, marks(nose=(175, 165))) is None
    odd = mouthed(other=(40, 40, 40))                     # the other side is not this one's mirror: no copy
    assert mirrored_side(odd, half_mouth() > 0, box, marks()) is None
    assert mirrored_side(img, half_mouth() > 0, box, marks()) is not None


def test_the_default_fill_mirrors_half_a_mouth_in_the_editors_path_and_says_so(monkeypatch):
    from latentbrush.ml.inpaint import face_gate

    monkeypatch.setattr(face_gate, "FACE_WINDOW", 10.0)      # the stand-in detector is shown the whole photo
    big = cv2.resize(mouthed(), (600, 600), interpolation=cv2.INTER_CUBIC)
    mask = cv2.resize(half_mouth(), (600, 600), interpolation=cv2.INTER_NEAREST)
    holed = holed_by(big, mask)
    filler = ContentAwareFiller(None, faces=lambda w: [marks() * 2 * w.shape[1] / 600])
    (out, _), _ = drain(inpaint_image(holed, mask, filler))
    (smooth, _), _ = drain(inpaint_image(holed, mask, ContentAwareFiller(None)))
    assert filler.log[-1][0][7] == 1.0 and "other side of the person's face" in plain_summary(filler.log)
    assert hole_psnr(out, big, mask) > hole_psnr(smooth, big, mask) + 6
    assert np.array_equal(out[mask == 0], holed[mask == 0])


def test_a_mouth_tilted_against_the_eyes_is_mirrored_across_a_tilted_line_without_a_step():
    """The face's middle is not square to the eyes' line everywhere (a smile raised on one side, a head turned
    a little in the picture): the mirror's line is fitted, and it keeps the middle where it is."""
    img = mouthed()
    turn = cv2.getRotationMatrix2D((150, 205), 4, 1.0)
    mouth = cv2.warpAffine(img, turn, (W, H), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    img = np.where((np.abs(np.arange(W) - 150)[None, :, None] < 60) & (np.abs(np.arange(H) - 205)[:, None, None] < 38),
                   mouth, img)
    mask = half_mouth((132, 206))
    holed = holed_by(img, mask)
    box = BBox(90, 160, 210, 250)
    out = mirrored_side(holed, mask > 0, box, marks())
    assert out is not None
    full = pasted(holed, out, mask, box)
    assert hole_psnr(full, img, mask) >= 30


def test_a_hole_reaching_across_the_middle_is_mirrored_where_it_can_be_and_bridged_along_the_middle():
    img = mouthed()
    mask = np.zeros((H, W), np.uint8)
    cv2.rectangle(mask, (112, 192), (152, 218), 255, -1)            # 2 px past the middle (x = 150)
    holed = holed_by(img, mask)
    box = BBox(80, 160, 220, 250)
    out = mirrored_side(holed, mask > 0, box, marks())
    assert out is not None
    full = pasted(holed, out, mask, box)
    telea = cv2.inpaint(holed, mask, 3, cv2.INPAINT_TELEA)
    assert hole_psnr(full, img, mask) > hole_psnr(telea, img, mask) + 6
    wide = np.zeros((H, W), np.uint8)
    cv2.rectangle(wide, (112, 192), (170, 218), 255, -1)            # 20 px past it: too much to bridge
    assert mirrored_side(img, wide > 0, box, marks()) is None


def test_half_a_mouth_that_cannot_be_mirrored_is_said_to_be_filled_from_around_it(monkeypatch):
    from latentbrush.ml.inpaint import face_gate

    monkeypatch.setattr(face_gate, "FACE_WINDOW", 10.0)
    big = cv2.resize(mouthed(), (600, 600), interpolation=cv2.INTER_CUBIC)
    mask = cv2.resize(half_mouth(), (600, 600), interpolation=cv2.INTER_NEAREST)
    holed = holed_by(big, mask)
    filler = ContentAwareFiller(None, faces=lambda w: [marks(nose=(175, 165)) * 2 * w.shape[1] / 600])   # turned
    drain(inpaint_image(holed, mask, filler))
    assert all(len(e[0]) < 8 or e[0][7] == 0.0 for e in filler.log)
    said = plain_summary(filler.log)
    assert "the face's other side could not be copied (the face is turned too far" in said
    assert "across the face's middle" not in said and "does not match" not in said    # the one reason, not three
    whole = cv2.resize(half_mouth((150, 205)), (600, 600), interpolation=cv2.INTER_NEAREST)   # on the middle: no word
    plain = ContentAwareFiller(None, faces=lambda w: [marks() * 2 * w.shape[1] / 600])
    drain(inpaint_image(np.where(whole[..., None] > 0, 255, big).astype(np.uint8), whole, plain))
    assert "could not be copied" not in plain_summary(plain.log)


def test_a_whole_mouth_masked_is_said_to_be_filled_with_skin(monkeypatch):
    from latentbrush.ml.inpaint import face_gate

    monkeypatch.setattr(face_gate, "FACE_WINDOW", 10.0)
    big = cv2.resize(mouthed(), (600, 600), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros((600, 600), np.uint8)
    cv2.ellipse(mask, (300, 410), (80, 30), 0, 0, 360, 255, -1)
    filler = ContentAwareFiller(None, faces=lambda w: [marks() * 2 * w.shape[1] / 600])
    drain(inpaint_image(np.where(mask[..., None] > 0, 255, big).astype(np.uint8), mask, filler))
    assert "the mouth is all masked" in plain_summary(filler.log)
    half = cv2.resize(half_mouth(), (600, 600), interpolation=cv2.INTER_NEAREST)
    mirrored_half = ContentAwareFiller(None, faces=lambda w: [marks() * 2 * w.shape[1] / 600])
    drain(inpaint_image(np.where(half[..., None] > 0, 255, big).astype(np.uint8), half, mirrored_half))
    assert "mouth is all masked" not in plain_summary(mirrored_half.log)


def editor_fill(img, mask, lm=None):
    """The default fill of a 600-px copy of `img` holed by `mask` (the stand-in detector finds `lm`, default
    `marks()`), as the editor runs it: (the fill, the holed photo, the mask, what the panel says)."""
    big = cv2.resize(img, (600, 600), interpolation=cv2.INTER_CUBIC)
    mask = cv2.resize(mask, (600, 600), interpolation=cv2.INTER_NEAREST)
    holed = holed_by(big, mask)
    lm = marks() if lm is None else lm
    filler = ContentAwareFiller(None, faces=lambda w: [lm * 2 * w.shape[1] / 600])
    (out, _), _ = drain(inpaint_image(holed, mask, filler))
    return out, big, mask, plain_summary(filler.log)


def test_a_mask_across_the_middle_is_said_to_be_bridged_or_too_wide_each_with_its_reason(monkeypatch):
    from latentbrush.ml.inpaint import face_gate

    monkeypatch.setattr(face_gate, "FACE_WINDOW", 10.0)
    past = np.zeros((H, W), np.uint8)
    cv2.rectangle(past, (112, 192), (152, 218), 255, -1)            # 2 px past the middle: mirrored, bridged
    _, _, _, said = editor_fill(mouthed(), past)
    assert "other side of the person's face" in said and "only bridged" in said and "could not" not in said
    _, _, _, said = editor_fill(mouthed(), half_mouth())               # short of the middle: nothing bridged
    assert "other side of the person's face" in said and "bridged" not in said
    wide = np.zeros((H, W), np.uint8)
    cv2.rectangle(wide, (112, 192), (170, 218), 255, -1)            # 20 px past it
    _, _, _, said = editor_fill(mouthed(), wide)
    assert "could not be copied (the hole reaches too far across the face's middle" in said
    assert "turned" not in said


def test_a_reflection_reading_the_edge_of_the_hole_brings_none_of_its_white_in():
    """Where the reflection reads a pixel partly in the hole, that pixel is the strip to bridge: a reflection
    read off a 0/1 mask remapped as 8-bit counted a pixel a third in the hole as known, and the hole's white
    showed as a pale arc along the mask's edge (a mask 7 px past a mouth's middle on a portrait)."""
    img = mouthed()
    mask = np.zeros((H, W), np.uint8)
    cv2.ellipse(mask, (128, 205), (24, 18), 0, 0, 360, 255, -1)     # 2 px past the middle, an oval's curved edge
    holed = holed_by(img, mask)
    box = BBox(80, 160, 220, 250)
    out = mirrored_side(holed, mask > 0, box, marks())
    assert out is not None
    sl = (slice(box.y0, box.y1), slice(box.x0, box.x1))
    hole = mask[sl] > 0
    lightest = img[sl].astype(int).sum(-1).max()
    assert out[hole].astype(int).sum(-1).max() <= lightest + 30     # (86 over it with the 8-bit remap)


def test_half_a_mouth_on_a_face_turned_a_little_is_the_far_half_scaled_across_the_middle():
    """A face turned a little shows its far side narrower: the right half of the symmetric mouth is drawn 0.8 ×
    as wide, and the nose tip is off the mouth's middle (turned 0.12). The left half masked is filled from the
    right half reflected and stretched back (`SCALES`); a reflection at the same width misses the corner by 6 px.
    (The fit cannot tell a line 2 px off with a stronger stretch from the right one on this face: 23 dB, where the
    true line and stretch give 36.)"""
    from latentbrush.ml.inpaint import faces

    img = mouthed()
    xx, yy = np.meshgrid(np.arange(W, dtype=np.float32), np.arange(H, dtype=np.float32))
    narrow = cv2.remap(img, np.where(xx > 150, 150 + (xx - 150) / 0.8, xx).astype(np.float32), yy, cv2.INTER_CUBIC,
                       borderMode=cv2.BORDER_REFLECT)
    lm = np.array([LEFT, (150 + 40 * 0.8, 120), (153, 165), MOUTH[0], (150 + 28 * 0.8, 205)], np.float64)
    assert faces.YAW_MAX < max(turned(lm), turned(lm, by_eyes=True)) <= faces.SIDE_YAW_MAX
    mask = half_mouth()
    holed = holed_by(narrow, mask)
    box = BBox(80, 160, 220, 250)
    out = mirrored_side(holed, mask > 0, box, lm)
    assert out is not None
    scaled = hole_psnr(pasted(holed, out, mask, box), narrow, mask)
    telea = hole_psnr(cv2.inpaint(holed, mask, 3, cv2.INPAINT_TELEA), narrow, mask)
    assert scaled >= 22 and scaled > telea + 6
    faces_scales = faces.SCALES
    try:
        faces.SCALES = (1.0,)
        same = mirrored_side(holed, mask > 0, box, lm)
    finally:
        faces.SCALES = faces_scales
    assert same is None or hole_psnr(pasted(holed, same, mask, box), narrow, mask) < scaled - 5
    lm[2] = (170, 165)                                              # turned further: not mirrored, and said why
    assert mirrored_side(holed, mask > 0, box, lm) is None
    assert faces.mirror_of(holed, mask > 0, box, lm) == (faces.TURNED, "side")


def test_the_panel_says_one_reason_once_for_both_holes_and_counts_the_eyes():
    from latentbrush.ml.inpaint.report import structure_split

    eye, side = [0.0] * 6 + [1.0], [0.0] * 7 + [1.0]
    turned_both = [([0.2, 0.0, 0.0, 0.8], 400, "eye:turned"), ([0.2, 0.0, 0.0, 0.8], 300, "half:turned")]
    said = plain_summary(turned_both)
    assert said.count("turned too far") == 1 and "neither the other eye nor the face's other side" in said
    said = plain_summary([([0.2, 0.0, 0.0, 0.8], 400, "eye:covered")])
    assert "the eyes are filled with skin" in said and "the eye is filled" not in said
    said = plain_summary([([0.2, 0.0, 0.0, 0.8], 400, "eye:turned"), ([0.2, 0.0, 0.0, 0.8], 300, "half:covered")])
    assert "(the face is turned too far to mirror): the eye is filled" in said and "across the face's middle" in said
    assert "bridged" in structure_split([(side, 500, "bridged")], None)
    assert "bridged" not in structure_split([(side, 500, "face"), (eye, 300, "face")], None)


def test_a_rectangle_over_half_the_mouth_and_the_chin_below_it_is_mirrored(monkeypatch):
    """A helper's mask: a rectangle over half an open mouth down to the chin (1.8 × the eye distance below the
    eyes; the side's region stopped at 1.7, above the chin, and the panel then said nothing about a face)."""
    from latentbrush.ml.inpaint import face_gate

    monkeypatch.setattr(face_gate, "FACE_WINDOW", 10.0)
    rect = np.zeros((H, W), np.uint8)
    cv2.rectangle(rect, (104, 190), (147, 262), 255, -1)
    out, big, mask, said = editor_fill(mouthed(), rect)
    assert "other side of the person's face" in said and "copied into the face" in said
    smooth, *_ = editor_fill(mouthed(), rect, lm=np.full((5, 2), -1000.0))      # no face found: the default
    assert hole_psnr(out, big, mask) > hole_psnr(smooth, big, mask) + 6
