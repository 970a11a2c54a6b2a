"""Attribute sliders in the window: live previews while dragging (the dispatcher keeps only the
newest request), one undo step on release, custom sliders from examples."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QInputDialog

from latentbrush.core.requests import AttributeRequest
from latentbrush.core.sliders import CustomSliders, SliderError, direction_from_examples
from latentbrush.paths import data_dir
from latentbrush.session.catalog import read_directions
from latentbrush.ui.context import Window
from latentbrush.ui.panels.attributes import AttributesPanel, pretty


class AttributesUI:
    def __init__(self, window: Window, store_path=None) -> None:
        self.w = window
        self.panel = AttributesPanel()
        self.custom = CustomSliders(store_path or data_dir() / "sliders.json")
        # the z our last applied result will show: while it is shown the sliders stay where the person left
        # them (they may have moved on since); any other latent shows the positions it was made with
        # (LatentState.sliders: all 0 after a commit or another kind of edit)
        self._expect: np.ndarray | None = None
        self.marks: dict[bool, list[np.ndarray]] = {True: [], False: []}
        self._retired: dict[str, np.ndarray] = {}       # sliders removed this session: edits made with them stay
        self._generator: str | None = None
        p = self.panel
        p.dragged.connect(lambda: self.submit(preview=True))
        p.released.connect(lambda: self.submit(preview=False))
        p.mark_requested.connect(self.mark)
        p.create_requested.connect(self.create)
        p.clear_marks_requested.connect(self.clear_marks)
        p.keep_requested.connect(self.keep)
        p.remove_requested.connect(self.remove)
        p.find_face_requested.connect(self._find_face)
        # the default generator's rows from the start: made on the first face found, they widened the dock and the
        # canvas jumped (a helper)
        spec = window.manifest.default("generator") if window.manifest is not None else None
        if spec is not None:
            self._generator = spec.id
            p.set_directions(self._directions(spec.id))
            p.set_enabled_for(False)
        window.model.events.applied.connect(self._on_result)
        window.model.events.before_apply.connect(self._before_result)
        self._unsub = None

    def set_document(self, doc) -> None:
        if self._unsub:
            self._unsub()
            self._unsub = None
        if doc is not None:
            self._unsub = doc.subscribe(lambda layer, _b: self._on_latent() if layer == "latent" else None)
        self._on_latent()

    @property
    def state(self):
        return self.w.document.latent if self.w.document is not None else None

    def _find_face(self) -> None:
        if self.w.document is None:
            self.w.statusBar().showMessage("Open a photo first (File → Open), then Find face.", 8000)
            return
        self.w.latent.project("auto")

    def _directions(self, generator: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for spec in self.w.manifest.for_generator("directions", generator):
            names = spec.params.get("names", [])
            kinds = spec.params.get("kinds", ["attribute"] * len(names))
            out += list(zip(names, kinds, strict=False))
        out += [(n, "custom") for n in self.custom.for_generator(generator)]
        return out

    def _on_latent(self) -> None:
        st = self.state
        gen = st.generator if st is not None else None
        if gen is not None and gen != self._generator:
            self._generator = gen
            self.panel.set_directions(self._directions(gen))
        self.panel.set_enabled_for(st is not None)
        if st is not None and self._expect is not None and np.array_equal(st.z, self._expect) \
                and st.made_by == "attribute":
            return          # our own result (the sliders may have moved on while it was made)
        self._expect = None
        values = dict(st.sliders) if st is not None and st.made_by == "attribute" else {}
        for name in self.panel.sliders:
            self.panel.set_value(name, values.get(name, 0.0))

    def submit(self, *, preview: bool) -> None:
        st = self.w.model.start_state("attribute")      # after another kind of edit: from what is shown
        if st is None:
            return
        # a removed slider the shown edit still has (its row gone; undone back onto, a review): kept where it stood
        kept = {n: v for n, v in dict(st.sliders).items() if n not in self.panel.sliders and n in self._retired}
        values = {**self.panel.values(), **kept}
        own = {**self._retired, **self.custom.for_generator(st.generator)}
        custom = {n: d for n, d in own.items() if n in values}
        # the sliders move from the committed latent: a commit (or another kind of edit, committed first by
        # start_state) makes the result the new start, and the sliders read 0 there
        req = AttributeRequest(state=st, values=values, origin=np.array(st.z_base), custom=custom, preview=preview,
                               region_only=self.panel.region_only.isChecked())
        # (the document for the carry past the region: applied edits only, a drag's previews show the region)
        self.w.dispatcher.submit(req, layers=("mask",) if preview else ("mask", "base"), watch=("latent", "base"),
                                 label="Attribute preview" if preview else slider_label(values))

    def _on_result(self, job, result) -> None:
        if job.kind != "attribute":
            return
        if "preview" in result.info:
            self.w.canvas.set_preview(result.info["preview"], result.info["bbox"])

    def _before_result(self, job, result) -> None:
        if job.kind == "attribute" and "latent_state" in result.info:
            self._expect = np.array(result.info["latent_state"].z)   # keep the sliders where they are

    # -- custom sliders ----------------------------------------------------------------------
    def mark(self, has: bool) -> None:
        st = self.state
        if st is None:
            self.w.show_error("No face", "Generate or project a face first, then mark it.")
            return
        self.marks[has].append(np.array(st.z))
        self.panel.set_marks(len(self.marks[True]), len(self.marks[False]))

    def clear_marks(self) -> None:
        self.marks = {True: [], False: []}
        self.panel.set_marks(0, 0)

    def _rebuild(self) -> None:
        """The rows again (a slider added or taken away), standing where the shown edit has them."""
        st = self.state
        if st is None:
            return
        self.panel.set_directions(self._directions(st.generator))
        self.panel.set_enabled_for(True)
        values = dict(st.sliders) if st.made_by == "attribute" else {}
        for name in self.panel.sliders:
            self.panel.set_value(name, values.get(name, 0.0))

    def name_taken(self, name: str, generator: str) -> str | None:
        """Why `name` cannot be a new slider's (a slider of that name is there already), or None."""
        def key(n: str) -> str:         # (as the rows show them: "explore 1" is "explore_1", a review)
            return " ".join(n.replace("_", " ").split()).casefold()
        have = {key(n): n for n, _ in self._directions(generator)}
        other = have.get(key(name))
        return None if other is None else f"there is a slider called “{pretty(other)}” already: choose another name"

    def create(self, name: str) -> None:
        st = self.state
        if st is None:
            return
        taken = self.name_taken(name, st.generator)
        if taken:
            self.w.show_error("Cannot make the slider", taken)
            return
        try:
            d = direction_from_examples(self.marks[True], self.marks[False])
            self.custom.add(name, st.generator, d)
        except SliderError as e:
            self.w.show_error("Cannot make the slider", str(e))
            return
        self.clear_marks()
        self._rebuild()
        self.w.statusBar().showMessage(f"New slider “{name.strip()}” saved", 5000)

    def keep(self, explore_name: str, new_name: str) -> None:
        """Keep an explore direction under a name the person chose (a custom slider); no name typed: asked for."""
        st = self.state
        if st is None:
            return
        new_name = new_name.strip()
        if not new_name and self.w.interactive:
            text, ok = QInputDialog.getText(self.w, "Keep the slider", f"A name for {pretty(explore_name)} "
                                            "(what it does to the face, e.g. “longer face”):")
            if not ok:
                return
            new_name = text.strip()
        taken = self.name_taken(new_name, st.generator) if new_name else "type a name for it first"
        if taken:
            self.w.show_error("Cannot keep the slider", taken)
            return
        for spec in self.w.manifest.for_generator("directions", st.generator):
            names = list(spec.params.get("names", []))
            if explore_name in names:
                try:
                    d = read_directions(self.w.manifest.path(spec), spec.sha256, names)[explore_name]
                    self.custom.add(new_name, st.generator, d)
                except (OSError, ValueError, SliderError) as e:
                    self.w.show_error("Cannot keep the slider", str(e))
                    return
                self._rebuild()
                self.w.statusBar().showMessage(f"Kept “{new_name}” as a slider", 5000)
                return


    def remove(self, name: str) -> None:
        """Take a kept or made slider away (asked first: it cannot be made again from the same marks)."""
        if not self.w.confirm("Remove the slider", f"Remove the slider “{name}”? Edits made with it stay."):
            return
        d = self.custom.items.get(name, {}).get("direction")
        try:
            self.custom.remove(name)
        except SliderError as e:
            self.w.show_error("Cannot remove the slider", str(e))
            return
        if d is not None:       # edits made with it (shown, or in the history) keep its share (`submit`)
            self._retired[name] = np.asarray(d, np.float32)
        self._rebuild()
        self.w.statusBar().showMessage(f"Removed the slider “{name}”", 5000)


def slider_label(values: dict[str, float]) -> str:
    """The undo step's name: which sliders stand where ("Sliders: Smile +2.2, Head turn +0.5"), not
    "Attribute sliders" for every step (a helper could not tell their undo steps apart)."""
    if not values:
        return "Sliders reset"
    return "Sliders: " + ", ".join(f"{pretty(n)} {v:+.1f}".replace("-", "−") for n, v in values.items())
