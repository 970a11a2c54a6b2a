"""cli/session.py: the command line's jobs run through the session model."""

from __future__ import annotations

import numpy as np
import pytest

from latentbrush.cli.session import open_image, run_request
from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import Progress, Result
from latentbrush.core.requests import InpaintRequest, TranslateRequest
from latentbrush.session.sync import sync_session


class Shown:
    def __init__(self) -> None:
        self.seen: list[tuple[float, str]] = []

    def show(self, done: float, note: str = "") -> None:
        self.seen.append((done, note))


def fill(job, models):
    yield Progress(1, 2, "half")
    img, mask = job.inputs["image"], job.inputs["mask"]
    out = np.where(mask[..., None] > 0, 255, img).astype(np.uint8)
    return Result(layer="base", bbox=BBox(0, 0, img.shape[1], img.shape[0]), pixels=out, info={"model": job.request.model})


class Refused(LookupError):
    pass


def refuse(job, models):
    raise Refused("no such model")
    yield


def test_run_request_reads_layers_and_inputs_shows_progress_and_applies():
    session = sync_session({"inpaint": fill, "translate": refuse}, reasons=(Exception,))
    img = np.zeros((4, 5, 3), np.uint8)
    doc = open_image(session, img)
    mask = np.zeros((4, 5), np.uint8)
    mask[1, 2] = 255
    bar = Shown()
    res = run_request(session, InpaintRequest(model="m"), layers=("base",), inputs={"mask": mask}, bar=bar, i=2,
                      apply=True)
    assert res.info["model"] == "m" and bar.seen == [(2 + 0.5 * 0.999, "half")]
    assert doc.layer("base")[1, 2].tolist() == [255, 255, 255] and doc.layer("base").sum() == 3 * 255
    assert len(session.history.steps) == 1 and not session.busy
    with pytest.raises(Refused, match="no such model"):      # the runner's own exception, as raised
        run_request(session, TranslateRequest(), layers=("base",))
    assert not session.busy
