"""The edit history without Qt: undo steps as pixel patches plus the latent state they change.

`EditStep` is one undoable change (patches of any layers, optionally the latent state before
and after); `History` is the list of steps with the position of "now", a clean point (what was
opened or saved), merging of a stroke's segments and a length limit. The Qt undo stack is a view
over it (app/ui/undo.py); project files save and restore it (app/core/projectfile.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from latentbrush.core.document import Document
from latentbrush.core.patches import PixelPatch, merge_patches

COMPACT_AFTER = 32          # a stroke's segments kept separately before folding them into one patch
UNDO_LIMIT = 200
_tokens = itertools.count(1)


def stroke_token() -> int:
    """A fresh token: the segments of one stroke carry the same one and merge into one step."""
    return next(_tokens)


@dataclass
class EditStep:
    """One undoable change: patches of any layers, and the latent state before/after when the
    change has one. `modifies=False`: an undo step that does not change the document as saved
    (finding the face). Steps pushed with the same `token` (a stroke's segments) merge."""

    text: str
    patches: list[PixelPatch] = field(default_factory=list)
    latent: tuple | None = None        # (state before, state after) when the step changes it
    modifies: bool = True
    token: int | None = None

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.patches)

    def apply(self, doc: Document) -> None:
        for p in self.patches:
            p.apply(doc)
        if self.latent is not None:
            doc.set_latent(self.latent[1])

    def revert(self, doc: Document) -> None:
        for p in reversed(self.patches):
            p.revert(doc)
        if self.latent is not None:
            doc.set_latent(self.latent[0])

    def absorb(self, other: EditStep) -> None:
        """Take a later step into this one (both already applied, in order)."""
        self.patches.extend(other.patches)
        if other.latent is not None:
            self.latent = other.latent if self.latent is None else (self.latent[0], other.latent[1])
        self.modifies = self.modifies or other.modifies


class History:
    """The undo/redo history of one document, without Qt.

    steps[:index] are applied; steps[index:] can be redone. `clean` is the index of the state that
    was opened or saved (-1 once that state has been dropped from the history). Listeners are
    called with no arguments after every change of steps, index or clean point."""

    def __init__(self, doc: Document | None = None, limit: int = UNDO_LIMIT) -> None:
        self.doc = doc
        self.limit = limit
        self.steps: list[EditStep] = []
        self.index = 0
        self.clean = 0
        self._group: EditStep | None = None
        self._group_depth = 0
        self._listeners: list[Callable[[], None]] = []

    # -- events ------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    # -- changing ----------------------------------------------------------------------------
    def reset(self, doc: Document | None) -> None:
        """Another document (or none): an empty history, clean."""
        self.doc, self.steps, self.index, self.clean = doc, [], 0, 0
        self._group, self._group_depth = None, 0
        self._changed()

    def push(self, step: EditStep, *, applied: bool = False) -> None:
        """Apply the step (unless `applied`) and make it the newest; the redo tail is dropped."""
        if not applied:
            step.apply(self.doc)
        if self._group is not None:
            self._group.absorb(step)
            return
        last = self.steps[self.index - 1] if self.index > 0 else None
        if (step.token is not None and last is not None and last.token == step.token
                and self.index == len(self.steps) and self.clean != self.index):
            last.absorb(step)
            if len(last.patches) > COMPACT_AFTER and len({p.layer for p in last.patches}) == 1:
                layer = last.patches[0].layer      # just applied: the layer holds their combined "after"
                last.patches = [merge_patches(last.patches, self.doc.layer(layer))]
            self._changed()
            return
        del self.steps[self.index:]
        if self.clean > self.index:
            self.clean = -1                      # the saved state was in the dropped redo tail
        self.steps.append(step)
        self.index += 1
        while self.limit and len(self.steps) > self.limit:
            self.steps.pop(0)
            self.index -= 1
            self.clean = self.clean - 1 if self.clean > 0 else -1
        self._changed()

    def amend(self, step: EditStep, onto: EditStep | None = None) -> None:
        """Apply the step and make it part of the newest step (one undo step for both) — only if
        that is `onto` when given; otherwise it becomes a step of its own."""
        newest = self.steps[self.index - 1] if 0 < self.index == len(self.steps) else None
        if newest is None or (onto is not None and newest is not onto):
            self.push(step)
            return
        step.apply(self.doc)
        self.steps[self.index - 1].absorb(step)
        if self.clean == self.index:
            self.clean = -1
        self._changed()

    def rework_newest(self, step: EditStep, patches: list[PixelPatch]) -> bool:
        """Swap the pixels of `step` for `patches` in place, if it is the newest step and applied
        (nothing done since, nothing undone): the edit stays one undo step under its name (fading the
        last translation with its Strength slider). False, and nothing changes, otherwise."""
        if not (0 < self.index == len(self.steps) and self.steps[-1] is step) or self._group is not None:
            return False
        step.revert(self.doc)
        step.patches = list(patches)
        step.apply(self.doc)
        if self.clean == self.index:
            self.clean = -1
        self._changed()
        return True

    @contextmanager
    def group(self, text: str) -> Iterator[None]:
        """Steps pushed inside become one undo step called `text` (nothing pushed: no step)."""
        if self._group_depth == 0:
            self._group = EditStep(text, modifies=False)
        self._group_depth += 1
        try:
            yield
        finally:
            self._group_depth -= 1
            if self._group_depth == 0:
                step, self._group = self._group, None
                if step.patches or step.latent is not None:
                    self.push(step, applied=True)

    def undo(self) -> None:
        if self.can_undo:
            self.index -= 1
            self.steps[self.index].revert(self.doc)
            self._changed()

    def redo(self) -> None:
        if self.can_redo:
            self.steps[self.index].apply(self.doc)
            self.index += 1
            self._changed()

    def set_index(self, index: int) -> None:
        index = max(0, min(index, len(self.steps)))
        while self.index > index:
            self.index -= 1
            self.steps[self.index].revert(self.doc)
        while self.index < index:
            self.steps[self.index].apply(self.doc)
            self.index += 1
        self._changed()

    def set_clean(self) -> None:
        self.clean = self.index
        self._changed()

    # -- reading -----------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return self.index > 0 and self._group is None

    @property
    def can_redo(self) -> bool:
        return self.index < len(self.steps) and self._group is None

    @property
    def undo_text(self) -> str:
        return self.steps[self.index - 1].text if self.index > 0 else ""

    @property
    def redo_text(self) -> str:
        return self.steps[self.index].text if self.index < len(self.steps) else ""

    @property
    def is_clean(self) -> bool:
        return self.clean == self.index

    @property
    def is_modified(self) -> bool:
        """Whether the document differs from what was opened or saved: some step between the clean
        point and now changes it (finding the face does not)."""
        if self.clean < 0:
            return True
        lo, hi = sorted((self.clean, self.index))
        return any(s.modifies for s in self.steps[lo:hi])
