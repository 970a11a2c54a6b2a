"""The pixel part reader: its training changes pixels and labels together, training lowers its loss,
the export loads through the manifest, and the shipped reader reads what the pixels show."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from latentbrush.ml.hashing import sha256_file
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.nets.pixelparts import PixelPartNet
from latentbrush.ml.parts.resegment import carried, part_reader, read_parts
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.train import pixelparts as tp

NAMES = ["background", "hair", "skin", "eyes", "nose", "mouth", "neck"]


def toy_face() -> tuple[np.ndarray, np.ndarray]:
    """A skin disc on blue with two dark eyes and a red mouth, and its labels."""
    img = np.zeros((64, 64, 3), np.uint8)
    img[:] = (60, 80, 160)
    lab = np.zeros((64, 64), np.int64)
    face = np.zeros((64, 64), np.uint8)
    cv2.circle(face, (32, 34), 24, 1, -1)
    img[face > 0], lab[face > 0] = (230, 180, 150), 2
    for cx in (23, 41):
        eye = np.zeros_like(face)
        cv2.ellipse(eye, (cx, 28), (5, 3), 0, 0, 360, 1, -1)
        img[eye > 0], lab[eye > 0] = (40, 30, 30), 3
    mouth = np.zeros_like(face)
    cv2.ellipse(mouth, (32, 45), (8, 3), 0, 0, 360, 1, -1)
    img[mouth > 0], lab[mouth > 0] = (200, 40, 60), 5
    return img, lab


def test_a_painted_over_feature_takes_the_part_around_it_in_pixels_and_labels():
    img0, lab0 = toy_face()
    seen = 0
    for seed in range(40):
        img, lab = img0.copy(), lab0.copy()
        tp.paint_over(img, lab, NAMES, np.random.default_rng(seed))
        gone = (lab0 != lab)
        if not gone.any():
            continue
        seen += 1
        assert set(np.unique(lab0[gone])) <= {3, 5, 4, 1}            # a feature was painted over …
        assert set(np.unique(lab[gone])) == {2}                        # … by the skin around it
        skin = img0[lab0 == 2].astype(float).mean(0)
        # the painted pixels look like skin now: nearer the skin's colour than the feature's
        for part in np.unique(lab0[gone]):
            was = img0[lab0 == part].astype(float).mean(0)
            now = img[gone & (lab0 == part)].astype(float).mean(0)
            assert np.linalg.norm(now - skin) < np.linalg.norm(now - was)
        assert np.array_equal(img[~cv2.dilate(gone.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)],
                              img0[~cv2.dilate(gone.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)])
    assert seen >= 10


def test_moving_a_face_moves_its_labels_with_it():
    img, lab = toy_face()
    moved, lab2 = tp.move(img, lab, np.random.default_rng(3))
    for part in (3, 5):
        m = lab2 == part
        assert m.sum() > 10
        assert np.abs(moved[m].astype(float).mean(0) - img[lab == part].astype(float).mean(0)).max() < 25


def test_training_lowers_the_loss_and_the_export_loads_through_the_manifest(tiny_models, tmp_path):
    from latentbrush.ml.train.common import load_generator, load_parts

    out = tmp_path / "reader.safetensors"
    log = tmp_path / "log.jsonl"
    G, gid = load_generator(tiny_models, None, torch.device("cpu"))
    seg = load_parts(tiny_models, gid, torch.device("cpu"))
    imgs, labels = tp.faces(G, seg, torch.randn(16, G.nz, generator=torch.Generator().manual_seed(99)))

    def loss(net):
        with torch.no_grad():
            return float(F.cross_entropy(net(tp.to_input(imgs, "cpu")), torch.from_numpy(labels)))

    torch.manual_seed(0)
    before = loss(PixelPartNet(seg.names, seg.colors, width=8))
    tp.main(["--out", str(out), "--models", str(tiny_models), "--steps", "60", "--pool", "64", "--batch", "8",
             "--width", "8", "--eval-every", "1000", "--eval-n", "4", "--threads", "1", "--log-file", str(log)])
    recs = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(r.get("done") for r in recs) and any(r.get("final") for r in recs)
    names = ", ".join(f'"{n}"' for n in seg.names)
    colors = ", ".join(f"[{r}, {g}, {b}]" for r, g, b in seg.colors)
    (tiny_models / "reader.safetensors").write_bytes(out.read_bytes())
    with open(tiny_models / "manifest.toml", "a") as f:
        f.write(f"""
[[model]]
id = "tiny-reader"
kind = "part-reader"
arch = "unet"
generator = "tiny-gen"
file = "reader.safetensors"
sha256 = "{sha256_file(out)}"
resolution = 64
default = true
params = {{ names = [{names}], colors = [{colors}], width = 8, resolution = 64 }}
""")
    mm = ModelManager(Manifest.load(tiny_models), device="cpu")
    reader = part_reader(mm, "tiny-gen")
    assert reader is not None
    assert loss(reader.float()) < 0.85 * before            # the pool's faces, read after 60 steps
    got = read_parts(reader, cv2.resize(imgs[0], (200, 200)))
    assert got.shape == (64, 64) and got.dtype == np.int64 and got.max() < len(seg.names)


@pytest.mark.needs_weights
def test_the_shipped_reader_reads_faces_and_eyes_painted_over(real_models):
    """On held-out generator faces the reader agrees with the part segmenter, and eyes covered by the skin
    around them (Telea from that skin) read as skin — which the projection check cannot see (the generator
    draws the eyes back)."""
    from latentbrush.ml.train.common import load_generator, load_parts

    G, gid = load_generator(real_models, None, torch.device("cpu"))
    seg = load_parts(real_models, gid, torch.device("cpu"))
    mm = ModelManager(Manifest.load(real_models), device="cpu")
    reader = part_reader(mm, gid)
    assert reader is not None
    imgs, labels = tp.faces(G, seg, torch.randn(24, G.nz, generator=torch.Generator().manual_seed(31337)))
    agree = np.mean([(read_parts(reader, im) == lab).mean() for im, lab in zip(imgs, labels, strict=True)])
    eyes, skin = seg.names.index("eyes"), seg.names.index("skin")
    shut = []
    for im, lab in zip(imgs, labels, strict=True):
        sel = lab == eyes
        if sel.sum() < 8:
            continue
        over = cv2.inpaint(im, sel.astype(np.uint8), 3, cv2.INPAINT_TELEA)
        target = np.where(sel, skin, -1)
        shut.append(carried(read_parts(reader, over), target, lab))
    assert agree > AGREE and np.mean(shut) > SHUT


# measured on these 24 faces (seed 31337): agreement 0.84, eyes painted over read as skin 0.55 (a reader of the
# layout alone, as the projection check is, reads them as eyes: 0.06 in `bench parts`)
AGREE, SHUT = 0.78, 0.45
