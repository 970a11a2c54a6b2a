"""MTCNN (Zhang et al. 2016): the three cascaded networks of the face finder.

Parameter names follow the state dicts shipped in facenet-pytorch 2.6.0 (pnet.pt / rnet.pt /
onet.pt), so those weights load unchanged; the combined file prefixes them `pnet.`, `rnet.`,
`onet.`. Inputs are NCHW RGB in ((x - 127.5) / 128). The weights descend from the original Caffe
models, which saw images transposed (x and y swapped); the fully connected layers therefore read
their input flattened in (W, H, C) order, not PyTorch's (C, H, W).

Outputs (per network): box regression (N, 4[, h, w]) as fractions of the window size, face
probability (N[, h, w]) and — O-Net only — 10 landmark numbers: five x then five y, fractions of
the window, ordered left eye, right eye, nose, left mouth corner, right mouth corner.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _flatten_caffe(x: torch.Tensor) -> torch.Tensor:
    # (N, C, H, W) → (N, W·H·C): the order in which the Caffe weights expect their features
    return x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)


class PNet(nn.Module):
    """Proposal network: fully convolutional, a 12×12 window per output cell, stride 2."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 10, 3)
        self.prelu1 = nn.PReLU(10)
        self.conv2 = nn.Conv2d(10, 16, 3)
        self.prelu2 = nn.PReLU(16)
        self.conv3 = nn.Conv2d(16, 32, 3)
        self.prelu3 = nn.PReLU(32)
        self.conv4_1 = nn.Conv2d(32, 2, 1)
        self.conv4_2 = nn.Conv2d(32, 4, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # x: (N, 3, H, W) → reg (N, 4, h, w), prob (N, h, w) with h = ceil((H - 2) / 2) - 4
        x = self.prelu1(self.conv1(x))
        x = F.max_pool2d(x, 2, 2, ceil_mode=True)
        x = self.prelu2(self.conv2(x))
        x = self.prelu3(self.conv3(x))
        prob = F.softmax(self.conv4_1(x), dim=1)[:, 1]
        return self.conv4_2(x), prob


class RNet(nn.Module):
    """Refinement network: 24×24 windows → (reg (N, 4), prob (N,))."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 28, 3)
        self.prelu1 = nn.PReLU(28)
        self.conv2 = nn.Conv2d(28, 48, 3)
        self.prelu2 = nn.PReLU(48)
        self.conv3 = nn.Conv2d(48, 64, 2)
        self.prelu3 = nn.PReLU(64)
        self.dense4 = nn.Linear(576, 128)
        self.prelu4 = nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.prelu1(self.conv1(x))                     # (N, 28, 22, 22)
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)          # 11
        x = self.prelu2(self.conv2(x))                     # 9
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)          # 4
        x = self.prelu3(self.conv3(x))                     # (N, 64, 3, 3)
        x = self.prelu4(self.dense4(_flatten_caffe(x)))
        prob = F.softmax(self.dense5_1(x), dim=1)[:, 1]
        return self.dense5_2(x), prob


class ONet(nn.Module):
    """Output network: 48×48 windows → (reg (N, 4), landmarks (N, 10), prob (N,))."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3)
        self.prelu1 = nn.PReLU(32)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.prelu2 = nn.PReLU(64)
        self.conv3 = nn.Conv2d(64, 64, 3)
        self.prelu3 = nn.PReLU(64)
        self.conv4 = nn.Conv2d(64, 128, 2)
        self.prelu4 = nn.PReLU(128)
        self.dense5 = nn.Linear(1152, 256)
        self.prelu5 = nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.prelu1(self.conv1(x))                     # (N, 32, 46, 46)
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)          # 23
        x = self.prelu2(self.conv2(x))                     # 21
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)          # 10
        x = self.prelu3(self.conv3(x))                     # 8
        x = F.max_pool2d(x, 2, 2, ceil_mode=True)          # 4
        x = self.prelu4(self.conv4(x))                     # (N, 128, 3, 3)
        x = self.prelu5(self.dense5(_flatten_caffe(x)))
        prob = F.softmax(self.dense6_1(x), dim=1)[:, 1]
        return self.dense6_2(x), self.dense6_3(x), prob


class MTCNN(nn.Module):
    """The three stages together; the detection logic lives in app/ml/faces/detect.py."""

    def __init__(self) -> None:
        super().__init__()
        self.pnet = PNet()
        self.rnet = RNet()
        self.onet = ONet()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """P-Net on an image batch (for tracing / smoke tests); use detect_faces for detection."""
        return self.pnet(x)
