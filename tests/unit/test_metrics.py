"""The metric scale is pinned: scores of a known pair equal a numpy reference on 0–255 data,
whatever range the pair is handed in, and a call that does not state its range fails."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentbrush.ml import metrics
from latentbrush.ml.tensors import (
    batch_to_tensor,
    bytes_from_signed,
    signed_from_bytes,
    to_images,
    to_renders,
    to_tensor,
)


def _pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(15)
    a = rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    noise = rng.integers(-20, 21, a.shape)
    return a, np.clip(a.astype(int) + noise, 0, 255).astype(np.uint8)


def _numpy_psnr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Textbook PSNR on 0–255 data, per image: 10·log10(255² / MSE)."""
    err = (a.astype(np.float64) - b.astype(np.float64)) ** 2
    return 10 * np.log10(255.0 ** 2 / err.reshape(len(a), -1).mean(1))


def _numpy_l1(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean() / 255)


@pytest.mark.parametrize("name", ["byte", "unit", "signed"])
def test_psnr_and_l1_equal_a_numpy_reference_on_0_255_data(name):
    a, b = _pair()
    ta, tb = (torch.from_numpy(x).permute(0, 3, 1, 2).double() for x in (a, b))
    given = {"byte": (ta, tb, metrics.BYTE), "unit": (ta / 255, tb / 255, metrics.UNIT),
             "signed": (ta / 127.5 - 1, tb / 127.5 - 1, metrics.SIGNED)}[name]
    x, y, rng = given
    want = _numpy_psnr(a, b)
    assert metrics.psnr(x, y, data_range=rng).numpy() == pytest.approx(want, abs=1e-6)
    r = metrics.report(x, y, data_range=rng)
    assert r["psnr"] == pytest.approx(float(want.mean()), abs=1e-6)
    assert r["l1"] == pytest.approx(_numpy_l1(a, b), abs=1e-9)
    ssim_byte = metrics.report(ta, tb, data_range=metrics.BYTE)["ssim"]
    assert r["ssim"] == pytest.approx(ssim_byte, abs=1e-9)


def test_unit_data_declared_signed_is_caught_or_scored_apart():
    """The old mistake: [0, 1] tensors scored as [-1, 1] gave PSNR + 6.02 dB."""
    a, b = _pair()
    ta, tb = (torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255 for x in (a, b))
    right = metrics.report(ta, tb, data_range=metrics.UNIT)["psnr"]
    wrong = metrics.report(ta, tb, data_range=metrics.SIGNED)["psnr"]
    assert wrong - right == pytest.approx(20 * np.log10(2), abs=1e-3)      # what the range changes
    with pytest.raises(TypeError):
        metrics.psnr(ta, tb)                                                 # the range must be stated
    with pytest.raises(TypeError):
        metrics.report(ta, tb)
    with pytest.raises(ValueError, match="outside the stated data_range"):
        metrics.report(ta * 255, tb * 255, data_range=metrics.UNIT)       # 0–255 data declared [0, 1]
    with pytest.raises(ValueError, match="outside the stated data_range"):
        metrics.psnr(ta * 2 - 1, tb * 2 - 1, data_range=metrics.UNIT)     # [-1, 1] data declared [0, 1]


def test_conversions_round_trip_and_agree():
    a, _ = _pair()
    t = batch_to_tensor(a)
    assert t.shape == (2, 3, 16, 16) and float(t.min()) >= -1 and float(t.max()) <= 1
    assert np.array_equal(to_images(t), a)
    assert torch.equal(to_tensor(a[0]), t[:1])
    assert np.allclose(to_renders(t), a.astype(np.float32), atol=1e-4)
    assert torch.allclose(bytes_from_signed(signed_from_bytes(torch.tensor([0.0, 127.5, 255.0]))),
                          torch.tensor([0.0, 127.5, 255.0]))
    gray = a[0, ..., 0]
    assert to_tensor(gray).shape == (1, 1, 16, 16)
    assert batch_to_tensor(a[..., 0]).shape == (2, 1, 16, 16)
