"""A drawn mouth's bend read as a smile, and the sketch refinement asked for it (issue #18: a helper drew a
smile and got a closed, straight mouth)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from latentbrush.core.jobs import Job, drain
from latentbrush.core.requests import TranslateRequest
from latentbrush.ml.latent.drawing import Lines, SmileAsk, fit_drawing
from latentbrush.ml.latent.sliders import directions_for
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.translate.cartoons import SMILE_BEND, canonical_landmarks
from latentbrush.ml.translate.drawings import line_drawing
from latentbrush.ml.translate.mouth import ASK_FROM, bend_to_smile, drawn_smile
from latentbrush.ml.translate.translator import run_translate
from tests.helpers import sketch_models

S = 256
LM = canonical_landmarks() * S
IOD = float(np.hypot(*(LM[1] - LM[0])))


def _line(img, pts, width=3):
    cv2.polylines(img, [np.round(np.asarray(pts) * 4).astype(np.int32)], False, 0, width, cv2.LINE_AA, shift=2)


def face(mouth: str = "arc", bend: float = 0.0) -> np.ndarray:
    """A face drawn from memory at the canonical places: an oval, two eyes, a nose and the mouth."""
    img = np.full((S, S), 255, np.uint8)
    cv2.ellipse(img, (128, 140), (100, 120), 0, 0, 360, 0, 3, cv2.LINE_AA)
    for e in LM[:2]:
        cv2.ellipse(img, tuple(int(v) for v in e), (18, 8), 0, 0, 360, 0, 3, cv2.LINE_AA)
    _line(img, [LM[2] - [0, 30], LM[2], LM[2] + [10, 0]])
    a, b = LM[3], LM[4]
    t = np.linspace(0, 1, 40)[:, None]
    if mouth == "arc":                     # sags by bend × the eyes' distance in the middle
        _line(img, a + (b - a) * t + np.array([0, 1]) * bend * IOD * 4 * t * (1 - t))
    elif mouth == "lips":                  # two strokes, not touching, bent alike
        for dy in (-6, 6):
            _line(img, a + [8, dy] + (b - a - [16, 0]) * t + np.array([0, 1]) * bend * IOD * 4 * t * (1 - t))
    elif mouth == "O":
        cv2.ellipse(img, tuple(int(v) for v in (a + b) / 2), (25, 14), 0, 0, 360, 0, 3, cv2.LINE_AA)
    elif mouth == "to the chin":           # the mouth's line runs on down to the chin
        _line(img, np.concatenate([a + (b - a) * t, [[LM[4][0] + 10, 250]]]))
    return img


@pytest.mark.parametrize("bend", [-0.04, 0.0, 0.06, 0.12, 0.2])
def test_a_drawn_mouths_bend_is_read_back_in_eyes_distances(bend):
    m = drawn_smile(face("arc", bend))
    assert m is not None
    assert abs(m.bend - bend) < 0.015
    assert m.smile == pytest.approx(bend_to_smile(m.bend))
    assert m.asks == (m.smile >= ASK_FROM)


def test_the_smile_map_inverts_the_training_cartoons_bend():
    base, per, lo, hi = SMILE_BEND
    for sigma in (-1.0, 0.0, 1.0, 2.5):
        assert bend_to_smile(base + per * sigma) == pytest.approx(sigma)
    assert drawn_smile(face("arc", 0.2)).asks                  # a broad smile is asked for …
    assert not drawn_smile(face("arc", 0.0)).asks              # … a straight mouth is not (its σ is below zero)
    assert drawn_smile(face("arc", 0.0)).smile < 0


def test_two_lips_drawn_apart_are_read_together():
    m = drawn_smile(face("lips", 0.15))
    assert m is not None and abs(m.bend - 0.15) < 0.03
    assert m.box[3] - m.box[1] > 12                           # both strokes


@pytest.mark.parametrize("mouth", ["O", "to the chin", "none"])
def test_no_smile_is_read_where_no_mouth_can_be_told_apart(mouth):
    assert drawn_smile(face(mouth)) is None


def test_a_traced_drawing_of_dark_regions_gives_no_reading_unless_a_mouth_stroke_is_there():
    img = np.full((64, 64, 3), 200, np.uint8)
    cv2.circle(img, (32, 34), 20, (90, 70, 60), -1)             # a dark disc: its outline is no mouth
    assert drawn_smile(line_drawing(img)) is None


def test_the_refinement_holds_the_latent_at_the_smile_asked(tiny_models):
    G = ModelManager(Manifest.load(tiny_models), device="cpu").get("tiny-gen").net.eval().requires_grad_(False)
    torch.manual_seed(0)
    lines = Lines.from_sketch(face("arc", 0.2), G.resolution)
    starts = torch.randn(3, G.nz)
    d = torch.nn.functional.normalize(torch.ones(G.nz), dim=0)
    guess = G(starts[:1]).detach()
    plain, _ = drain(fit_drawing(G, lines, guess, starts, steps=20))
    asked, _ = drain(fit_drawing(G, lines, guess, starts, steps=20, w_smile=1.0,     # (the tiny generator's
                                 smile=SmileAsk(d, 2.0, torch.zeros(1, 1, G.resolution, G.resolution))))  # lines pull hard)
    assert (asked.z @ d - 2.0).abs().max() < 0.3
    assert (plain.z @ d - 2.0).abs().max() > 0.5               # not where it would have gone anyway


def test_the_editor_asks_for_the_drawn_smile_when_the_generator_has_a_smile_direction(tiny_models, monkeypatch):
    from latentbrush.ml.translate import sketch_face

    models = sketch_models(tiny_models, generator="tiny-gen")
    asked = []
    real = sketch_face.fit_drawing
    monkeypatch.setattr(sketch_face, "fit_drawing", lambda *a, **kw: asked.append(kw.get("smile")) or real(*a, **kw))
    image = np.full((300, 300, 3), 255, np.uint8)

    def draw(bend):
        strokes = np.zeros((300, 300, 4), np.uint8)
        strokes[..., 3][22:278, 22:278] = 255 - face("arc", bend)
        drain(run_translate(Job(TranslateRequest(model="sketch"), label="Sketch",
                                inputs={"image": image, "scribble": strokes}), models))

    draw(0.2)
    ask = asked[-1]
    assert ask is not None and ask.sigma == pytest.approx(bend_to_smile(0.2), abs=0.4)
    assert np.allclose(ask.direction.numpy(), directions_for(models, "tiny-gen")["smile"])
    mouth = ask.mouth[0, 0].numpy()
    r = mouth.shape[0]
    assert mouth[int(0.81 * r), r // 2] > 0.9 and mouth[int(0.3 * r), r // 2] == 0    # the mouth freed, not the eyes
    draw(0.0)
    assert asked[-1] is None                                  # a straight mouth asks for nothing
    monkeypatch.setattr(sketch_face, "directions_for", lambda m, g: {})
    draw(0.2)
    assert asked[-1] is None                                  # a generator without a smile direction: nothing asked
