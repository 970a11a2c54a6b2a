"""The face and region options of the commands that edit faces (project, scribble, attribute, parts):
--region auto | whole | x,y,w,h, --face N | all, --no-tune."""

from __future__ import annotations

import sys

import numpy as np

from latentbrush.cli.common import UsageError


def add_face_options(p) -> None:
    p.add_argument("--face", default="1", metavar="N|all",
                   help="which face to edit when several are found: 1 = the largest (default), or all")
    p.add_argument("--no-tune", action="store_true",
                   help="do not fit a copy of the generator to the photo (faster, less faithful)")


def parse_region(text: str | None):
    """auto | whole | x,y,w,h → "auto" / "whole" / (x0, y0, x1, y1)."""
    if text in (None, "", "auto"):
        return "auto"
    if text == "whole":
        return "whole"
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise SystemExit(f"latentbrush: --region must be auto, whole or x,y,w,h (got {text!r})") from None
    if x < 0 or y < 0 or w < 1 or h < 1:
        raise UsageError(f"--region x,y,w,h needs x, y ≥ 0 and w, h ≥ 1 (got {text!r})")
    return (x, y, x + w, y + h)


def parse_face(text: str | None) -> int | str:
    """--face: "all" or a 1-based face number (largest face = 1)."""
    if text is None or text == "":
        return 1
    if text == "all":
        return "all"
    try:
        n = int(text)
    except ValueError:
        raise UsageError(f"--face must be a face number (1 = the largest) or all, got {text!r}") from None
    if n < 1:
        raise UsageError(f"--face numbers start at 1 (the largest face), got {n}")
    return n


def regions_for(img: np.ndarray, region, face, models) -> list[dict]:
    """The job parameters of each edit region: the chosen face(s) (aligned), the whole image
    when no face is found, or the given box."""
    if region == "whole":
        return [{"region": (0, 0, img.shape[1], img.shape[0])}]
    if region == "auto":
        from latentbrush.ml.latent.photo import find_faces

        faces = find_faces(img, models)           # found once: the jobs take them as they are
        n = len(faces)
        if n == 0:
            print("  no face found: using the whole image (give --region x,y,w,h to choose)", file=sys.stderr)
            return [{"region": (0, 0, img.shape[1], img.shape[0])}]
        if face == "all":
            return [{"region": "auto", "face": i, "found": f} for i, f in enumerate(faces)]
        if face > n:
            raise ValueError(f"--face {face} asked for, but {n} face(s) were found")
        return [{"region": "auto", "face": face - 1, "found": faces[face - 1]}]
    if region[2] > img.shape[1] or region[3] > img.shape[0]:
        raise ValueError(f"--region {region[0]},{region[1]},{region[2] - region[0]},{region[3] - region[1]} "
                         f"reaches outside the {img.shape[1]}×{img.shape[0]} image")
    return [{"region": region}]
