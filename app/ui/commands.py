"""Undo commands. Each stores PixelPatches (bbox + before/after), never whole-image snapshots
unless the edit touched the whole image."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from latentbrush.core.document import Document
from latentbrush.core.patches import PixelPatch, merge_patches

STROKE_ID = 1001
COMPACT_AFTER = 32   # segments kept separately before folding them into one patch


class PatchCommand(QUndoCommand):
    """One model result, clear-layer, or any other single-rectangle change."""

    def __init__(self, doc: Document, patch: PixelPatch, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.patch = patch

    def redo(self) -> None:
        self.patch.apply(self.doc)

    def undo(self) -> None:
        self.patch.revert(self.doc)


class LatentCommand(QUndoCommand):
    """A latent edit: region pixels (optional) and the document's latent state change together,
    so undo brings back both the image and the latent it came from. A projection (finding the
    face) is an undo step but does not change the document: modifies=False."""

    def __init__(self, doc: Document, patch: PixelPatch | None, before, after, text: str, *,
                 modifies: bool = True) -> None:
        super().__init__(text)
        self.doc, self.patch, self.before, self.after = doc, patch, before, after
        self.modifies = modifies

    def redo(self) -> None:
        if self.patch is not None:
            self.patch.apply(self.doc)
        self.doc.set_latent(self.after)

    def undo(self) -> None:
        if self.patch is not None:
            self.patch.revert(self.doc)
        self.doc.set_latent(self.before)


class StrokeCommand(QUndoCommand):
    """One brush stroke. Every mouse move pushes a command with one segment patch; commands of
    the same stroke merge (QUndoStack calls mergeWith), so the stroke is one undo step."""

    def __init__(self, doc: Document, patch: PixelPatch, stroke_token: int, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.patches = [patch]
        self.token = stroke_token

    def id(self) -> int:  # noqa: A003 - Qt API
        return STROKE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt API
        if not isinstance(other, StrokeCommand) or other.token != self.token:
            return False
        self.patches.extend(other.patches)
        if len(self.patches) > COMPACT_AFTER:
            # the segments were just applied, so the layer holds their combined "after"
            self.patches = [merge_patches(self.patches, self.doc.layer(self.patches[0].layer))]
        return True

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.patches)

    def redo(self) -> None:
        for p in self.patches:
            p.apply(self.doc)

    def undo(self) -> None:
        for p in reversed(self.patches):
            p.revert(self.doc)


def is_modified(stack: QUndoStack) -> bool:
    """Whether the document differs from what was opened or saved: some undo step between the
    clean point and now changes it (a step with modifies=False, e.g. a projection, does not)."""
    clean, index = stack.cleanIndex(), stack.index()
    if clean < 0:                    # the saved state was dropped from the history
        return True
    lo, hi = sorted((clean, index))
    return any(getattr(stack.command(i), "modifies", True) for i in range(lo, hi))
