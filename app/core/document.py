"""The Qt-free document: a base photo plus paint layers, a revision counter, change events.

Layers (all the size of the base image):
  base      (H, W, 3) uint8 RGB   the photo being edited
  scribble  (H, W, 4) uint8 RGBA  color scribbles (straight alpha)
  mask      (H, W)    uint8       inpainting mask, 0 = keep, 255 = fill
  parts     (H, W)    uint8       semantic part labels, 0 = unlabelled
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from latentbrush.core.bbox import BBox

LAYERS: dict[str, tuple[int, ...]] = {"base": (3,), "scribble": (4,), "mask": (), "parts": ()}
PAINT_LAYERS = ("scribble", "mask", "parts")

Listener = Callable[[str, BBox], None]


class DocumentError(ValueError):
    """A document operation got arguments it cannot use."""


@dataclass
class DocumentInfo:
    """Where the image came from and what happened while loading it."""

    path: Path | None = None
    icc_profile: bytes | None = None
    notices: list[str] = field(default_factory=list)
    exif: bytes | None = None               # the photo's metadata, kept in exports
    alpha: np.ndarray | None = None         # (H, W) uint8: the photo's transparency, kept in PNG / WebP exports
    source_format: str | None = None
    project: Path | None = None             # the project file it was last saved as or opened from


class LayerSnapshot:
    """A layer as it was when the snapshot was taken, copied lazily: by whoever reads it first
    (the worker thread, the autosave thread) or by the document just before it next changes that
    layer. Taking one costs nothing on the thread that takes it, whatever the image size; the
    document's arrays stay where they are (the canvas draws from them directly)."""

    __slots__ = ("_doc", "_name", "_array", "__weakref__")

    def __init__(self, doc: Document, name: str) -> None:
        self._doc: Document | None = doc
        self._name = name
        self._array: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self._name

    def array(self) -> np.ndarray:
        """The pixels (read-only), copied on first use."""
        doc = self._doc
        if doc is not None:
            with doc._lock:
                if self._doc is not None:
                    doc._copy_for_waiting(self._name)
        return self._array


class Document:
    def __init__(self, base: np.ndarray, info: DocumentInfo | None = None) -> None:
        base = np.asarray(base)
        if base.ndim != 3 or base.shape[2] != 3 or base.dtype != np.uint8:
            raise DocumentError(f"base image must be (H, W, 3) uint8, got {base.shape} {base.dtype}")
        if base.shape[0] < 1 or base.shape[1] < 1:
            raise DocumentError("base image is empty")
        h, w = base.shape[:2]
        self.info = info or DocumentInfo()
        self.original = base.copy()
        self.original.setflags(write=False)
        self._layers: dict[str, np.ndarray] = {
            "base": np.ascontiguousarray(base.copy()),
            "scribble": np.zeros((h, w, 4), np.uint8),
            "mask": np.zeros((h, w), np.uint8),
            "parts": np.zeros((h, w), np.uint8),
        }
        self.revision = 0
        self.layer_revisions = {name: 0 for name in self._layers}
        self.layer_revisions["latent"] = 0      # not a pixel layer: bumps when the latent state changes
        self.latent = None                      # latentbrush.core.latent_state.LatentState | None
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()           # a snapshot being copied vs a write
        # snapshots not read yet, per layer (plain weak references, touched only under the lock)
        self._pending: dict[str, list[weakref.ref[LayerSnapshot]]] = {n: [] for n in self._layers}

    # -- shape --------------------------------------------------------------------------
    @property
    def width(self) -> int:
        return self._layers["base"].shape[1]

    @property
    def height(self) -> int:
        return self._layers["base"].shape[0]

    @property
    def bounds(self) -> BBox:
        return BBox.full(self.width, self.height)

    # -- access -------------------------------------------------------------------------
    def layer(self, name: str) -> np.ndarray:
        """The live array of a layer. Treat it as read-only; change pixels through write()."""
        try:
            return self._layers[name]
        except KeyError:
            raise DocumentError(f"no layer {name!r}; layers are {sorted(self._layers)}") from None

    def read(self, name: str, bbox: BBox | None = None) -> np.ndarray:
        """A copy of a layer (or of a rectangle of it)."""
        arr = self.layer(name)
        return arr.copy() if bbox is None else arr[bbox.slices].copy()

    def write(self, name: str, bbox: BBox, pixels: np.ndarray) -> None:
        arr = self.layer(name)
        if bbox.clip(self.width, self.height) != bbox or bbox.is_empty():
            raise DocumentError(f"bbox {bbox} is empty or outside the {self.width}x{self.height} image")
        target = arr[bbox.slices]
        if pixels.shape != target.shape:
            raise DocumentError(f"pixels {pixels.shape} do not fit {name} at {bbox} {target.shape}")
        with self._lock:
            self._copy_for_waiting(name)                # snapshots nobody has read yet keep the old pixels
            target[...] = pixels
        self._changed(name, bbox)

    def snapshot(self, name: str) -> LayerSnapshot:
        """The layer as it is now, for another thread (see LayerSnapshot): O(1) here."""
        self.layer(name)
        snap = LayerSnapshot(self, name)
        with self._lock:
            pending = self._pending[name]
            pending[:] = [r for r in pending if r() is not None]
            pending.append(weakref.ref(snap))
        return snap

    def _copy_for_waiting(self, name: str) -> None:     # the lock is held
        """Copy the layer once for every snapshot of it still waiting: they all show the layer as
        it is now (a write copies for them first), so they share the copy."""
        waiting = [s for r in self._pending[name] if (s := r()) is not None and s._doc is not None]
        self._pending[name].clear()
        if waiting:
            a = self._layers[name].copy()
            a.setflags(write=False)
            for s in waiting:
                s._array, s._doc = a, None

    def has_content(self, name: str) -> bool:
        return bool(np.any(self.layer(name)))

    def composite(self, *, with_scribbles: bool = False) -> np.ndarray:
        """The image as exported: the base, optionally with scribbles laid over it."""
        base = self.layer("base")
        if not with_scribbles or not self.has_content("scribble"):
            return base.copy()
        s = self.layer("scribble").astype(np.float32)
        a = s[..., 3:4] / 255.0
        out = base.astype(np.float32) * (1 - a) + s[..., :3] * a
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    # -- events -------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _changed(self, name: str, bbox: BBox) -> None:
        self.revision += 1
        self.layer_revisions[name] += 1
        for listener in list(self._listeners):
            listener(name, bbox)

    def set_latent(self, state) -> None:
        """Replace the latent state (LatentState or None) and tell listeners (bbox = region)."""
        self.latent = state
        box = state.region if state is not None else self.bounds
        self._changed("latent", box)

    def revisions(self, *names: str) -> dict[str, int]:
        return {n: self.layer_revisions[n] for n in names}

    def is_current(self, revisions: dict[str, int]) -> bool:
        """Whether none of the given layers changed since `revisions` was taken."""
        return all(self.layer_revisions.get(n) == r for n, r in revisions.items())


class DocumentSnapshot:
    """The document as it was at one moment, for another thread (autosave, a job): the layers as
    LayerSnapshots, so taking it costs nothing on the thread that takes it. Read-only; reads like
    a Document (layer, read, original, width, height, bounds, info, latent)."""

    def __init__(self, doc: Document) -> None:
        self.original = doc.original                    # never written after it is made
        self.info = doc.info
        self.latent = doc.latent                        # states are immutable
        self._shape = (doc.height, doc.width)
        self._layers = {name: doc.snapshot(name) for name in LAYERS}

    @property
    def width(self) -> int:
        return self._shape[1]

    @property
    def height(self) -> int:
        return self._shape[0]

    @property
    def bounds(self) -> BBox:
        return BBox.full(self.width, self.height)

    def layer(self, name: str) -> np.ndarray:
        try:
            return self._layers[name].array()
        except KeyError:
            raise DocumentError(f"no layer {name!r}; layers are {sorted(self._layers)}") from None

    def read(self, name: str, bbox: BBox | None = None) -> np.ndarray:
        arr = self.layer(name)
        return arr.copy() if bbox is None else arr[bbox.slices].copy()

    def take(self) -> None:
        """Copy every layer now (on the thread that will read them; the document then has none
        left to copy for this snapshot before its next write)."""
        for snap in self._layers.values():
            snap.array()

    def thaw(self) -> Document:
        """An independent, writable Document with these pixels and latent."""
        doc = Document(self.layer("base"), self.info)
        doc.original = self.original
        for name in LAYERS:
            if name != "base":
                doc.write(name, self.bounds, self.layer(name))
        doc.latent = self.latent
        return doc
