"""Semantic part editing in the window: the part map overlay, the parts brush, the clipped part
edit (one undo step, through the latent state like scribbles), and saved editing vectors."""

from __future__ import annotations

import numpy as np

from latentbrush.core.bbox import nonzero_bbox
from latentbrush.core.history import EditStep
from latentbrush.core.patches import PixelPatch
from latentbrush.core.requests import ApplyVectorRequest, PartsEditRequest, PartsMapRequest
from latentbrush.core.vectors import EditVector, VectorError, VectorStore
from latentbrush.paths import data_dir
from latentbrush.ui.context import Window
from latentbrush.ui.panels.parts import PartsPanel

MAP_HIDDEN = "Part map hidden: it was of the face before the last edit. Press “Find parts” for this one's."


class PartsUI:
    def __init__(self, window: Window, store: VectorStore | None = None) -> None:
        self.w = window
        self.panel = p = PartsPanel()
        self.store = store or VectorStore(data_dir() / "vectors")
        self.spec = None
        self.last_vector: dict | None = None      # the last part edit's latent change
        self._maps: dict[str, np.ndarray] = {}    # state digest → part map shown for it
        self._reported: str | None = None         # the state digest the panel's edit report is about
        self._reports: dict[str, str] = {}        # state digest → the report of the edit that made it (redo)
        self._vectors: dict[str, dict | None] = {}    # state digest → the vector its edit can be saved as
        self._map_shown = False                   # the part map overlay is up
        self._unsubscribe = None
        p.detect_requested.connect(self.detect)
        p.run_requested.connect(self.run_edit)
        p.clear_requested.connect(lambda: window.clear_layer("parts"))
        p.label_chosen.connect(self._on_label)
        p.map_toggled.connect(self._on_map_toggled)
        p.save_vector_requested.connect(self.save_vector)
        p.apply_vector_requested.connect(self.apply_vector)
        p.delete_vector_requested.connect(self.delete_vector)
        window.model.events.applied.connect(self._after_result)
        self.refresh()
        self.reload_vectors()

    # -- models ----------------------------------------------------------------------------
    def refresh(self) -> None:
        m = self.w.manifest
        specs = [s for s in m.of_kind("parts") if m.path(s).is_file()]
        gen = m.default("generator")
        specs.sort(key=lambda s: (s.generator != (gen.id if gen else None), not s.default))
        self.spec = specs[0] if specs else None
        names = list(self.spec.params.get("names", [])) if self.spec else []
        colors = [tuple(c) for c in self.spec.params.get("colors", [])] if self.spec else []
        self.panel.set_parts(names, colors)
        if colors:
            self.w.canvas.set_part_colors(colors)
        if self.spec is None:
            self.panel.result.setText("No part segmentation model in models/ (kind = \"parts\").")

    def part_label(self) -> int:
        return self.panel.label()

    def _on_label(self, label: int) -> None:
        self.w.set_tool("parts")

    # -- document --------------------------------------------------------------------------
    def set_document(self, doc) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self._maps.clear()
        self._reports.clear()
        self._vectors.clear()
        if self._reported is not None:      # another document: its report is not about this one
            self.panel.result.setText("")
        self._reported = None
        self.last_vector = None
        self.panel.set_can_save(False)
        if doc is not None:
            self._unsubscribe = doc.subscribe(self._on_doc_changed)

    def _on_doc_changed(self, layer: str, _bbox) -> None:
        if layer == "base":
            self._show_map()
        if layer != "latent":
            return
        doc = self.w.document
        shown = doc.latent.shown if doc is not None and doc.latent is not None else None
        self.last_vector = self._vectors.get(shown)        # the shown edit's, if any (undone: none to save)
        self.panel.set_can_save(self.last_vector is not None)
        if shown in self._reports and shown != self._reported:      # redone: its report again
            self._reported = shown
            self.panel.result.setText(self._reports[shown])
        elif self._reported is not None and shown != self._reported:
            self._reported = None            # the edit reported on is undone (a helper read a stale report)
            self.panel.result.setText("")
        self._show_map()

    def _show_map(self) -> None:
        """The overlay follows the latent state: shown when a map was computed for what the canvas
        shows now (undo/redo included), hidden otherwise."""
        doc = self.w.document
        state = doc.latent if doc is not None else None
        labels = self._maps.get(state.shown) if state is not None else None
        if labels is not None and labels.shape != (doc.height, doc.width):
            labels = None
        shown = labels is not None and self.panel.show_map.isChecked()
        if self._map_shown and not shown and self.panel.show_map.isChecked() and state is not None \
                and (not self.panel.result.text() or self.panel.result.text().startswith("Parts: ")):
            # another edit changed the face: its map is not known yet (a helper saw the map vanish)
            self.panel.result.setText(MAP_HIDDEN)
        elif shown and self.panel.result.text() == MAP_HIDDEN:
            self.panel.result.setText("")
        self._map_shown = shown
        self.w.canvas.set_part_map(labels if shown else None)
        # the labels are hidden while the edit they asked for is shown (a helper could not see the grown
        # mouth's corners under them; drawn faint, their tint read as redder lips: stop 47); painting with
        # the parts brush shows them in full again
        # (a warp's paint is used up with it: paint over a warped photo is the next edit's, shown in full — after
        # an undo a helper could not see the undone edit's paint, which Apply then ran again)
        edited = state is not None and state.edited and state.made_by == "parts_edit"
        self.w.canvas.set_faded("parts", edited, 0.0)

    def _on_map_toggled(self, on: bool) -> None:
        if on and self.w.document is not None and self.w.document.latent is not None \
                and self.w.document.latent.shown not in self._maps:
            self.detect()
        self._show_map()

    # -- jobs ------------------------------------------------------------------------------
    def _params(self, kind: str | None = None) -> dict:
        """`kind`: an edit (after another kind of edit it starts from what the canvas shows)."""
        doc = self.w.document
        region = tuple(self.w.selection) if (doc.latent is None and self.w.selection is not None) else "auto"
        state = doc.latent if kind is None else self.w.model.start_state(kind)
        return {"state": state, "region": region, "parts_model": self.spec.id if self.spec else None}

    def detect(self) -> None:
        if self.w.document is None or self.spec is None:
            return
        self.w.dispatcher.submit(PartsMapRequest(**self._params()), layers=("base",), watch=("latent",),
                                 label="Find parts")

    def run_edit(self) -> None:
        doc = self.w.document
        if doc is None or self.spec is None:
            return
        if not doc.has_content("parts"):
            self.panel.result.setText("Paint part labels with the parts brush (P) first.")
            self.w.statusBar().showMessage("Paint part labels first", 4000)
            return
        self.w.dispatcher.submit(PartsEditRequest(**self._params("parts_edit"), **self.panel.params()),
                                 layers=("base", "parts"), watch=("latent",), label="Parts edit")

    def _after_result(self, job, result) -> None:
        info = result.info
        doc = self.w.document
        if job.kind == "parts_map" and doc is not None:
            state = info.get("projected") or doc.latent
            if state is not None and "projected" in info:
                # the map needed a (new) projection: it becomes the document's latent state
                self.w.undo_stack.push(EditStep("Project region", [], (doc.latent, state), modifies=False))
            if state is not None:
                self._maps[state.shown] = info["parts_map"]
            share = ", ".join(f"{n} {s:.0%}" for n, s in info.get("share", {}).items() if s >= 0.005)
            self.panel.result.setText(f"Parts: {share}")
            self.panel.show_map.setChecked(True)        # asked for: shown (a helper had unticked it and saw nothing)
            self._show_map()
        elif job.kind == "parts_edit" and doc is not None and info.get("nothing"):
            self.panel.result.setText(result.message)       # the paint asks for what is already there
        elif job.kind == "parts_edit" and doc is not None:
            new_state = info["latent_state"]
            self._maps[new_state.shown] = info["parts_map"]
            self._reported = new_state.shown
            unchanged = bool(info.get("unchanged"))        # the paint fits the photo: no change to save
            self.last_vector = None if unchanged else info.get("vector")     # (none for eyes closed by a fill)
            self._vectors[new_state.shown] = self.last_vector
            self.panel.set_can_save(self.last_vector is not None)
            if info.get("made_by") == "parts_warp" and not unchanged and self.w.model.last_step is not None:
                # the photo's own pixels moved or filled: the next parts edit starts from what the canvas shows,
                # so the paint that asked for this one is used up — cleared in the same undo step (undo brings
                # it back); left on, the next edit did it again (a helper's closed eyes were closed twice)
                box = nonzero_bbox(doc.layer("parts"))
                if not box.is_empty():
                    clear = EditStep("Clear part labels", [PixelPatch.capture(doc, "parts", box,
                                                                               doc.read("parts", box) * 0)])
                    self.w.model.history.amend(clear, onto=self.w.model.last_step)
            a, seen, read = info["agreement"][0], info.get("seen", float("nan")), info.get("read", float("nan"))
            stained, tone = info.get("blotches", float("nan")), info.get("tone", float("nan"))
            verdict = info.get("verdict")
            reshaped = info.get("reshaped")
            figures = reshaped or (f"{seen:.0%} of the changed pixels show the painted part when the result is "
                                   f"segmented again" + (f", {read:.0%} read from its pixels" if read == read else "")
                                   + f" ({a:.0%} in the edit's own part map); colour blotches: "
                                   f"{stained:.0%} of the redrawn area; {tone:+.0f} grey levels where the parts stay.")
            self._reports[new_state.shown] = (f"{verdict}\n" if verdict else "") + figures \
                + ("" if self.last_vector is None else " Save the change as a vector to reuse it on other faces.")
            self.panel.result.setText(self._reports[new_state.shown])
            # the result is what to look at: the map steps aside (a helper saw only the blocky map over the face
            # until they found the box); ticked again, the result's map is there
            self.panel.show_map.setChecked(False)
            self._show_map()

    # -- vectors ---------------------------------------------------------------------------
    def reload_vectors(self) -> list[EditVector]:
        vecs, bad = self.store.load_all()
        self.vectors = {v.name: v for v in vecs}
        self.panel.set_vectors([v.name for v in vecs])
        if bad:
            self.w.statusBar().showMessage("Skipped unreadable vectors: " + "; ".join(bad), 8000)
        return vecs

    def save_vector(self, name: str) -> None:
        if self.last_vector is None:
            return
        if not name:
            self.w.show_error("Save vector", "Give the vector a name first (e.g. “bigger smile”).")
            return
        lv = self.last_vector
        vec = EditVector(name, lv["generator"], np.asarray(lv["delta"], np.float32), tuple(lv["parts"]))
        try:
            path = self.store.save(vec)
        except (OSError, VectorError) as e:
            self.w.show_error("Save vector", f"Could not save the vector: {e}")
            return
        self.reload_vectors()
        self.panel.vector_name.clear()
        self.w.statusBar().showMessage(f"Saved vector “{name}” ({path.name})", 5000)

    def apply_vector(self, name: str, strength: float) -> None:
        doc = self.w.document
        vec = self.vectors.get(name)
        if doc is None or vec is None:
            return
        req = ApplyVectorRequest(**self._params("apply_vector"), delta=vec.delta, strength=strength,
                                 vector_parts=tuple(vec.parts), name=vec.name, generator=vec.generator or None)
        self.w.dispatcher.submit(req, layers=("base",), watch=("latent",),
                                 label=f"Vector “{name}”")

    def delete_vector(self, name: str) -> None:
        if not self.w.confirm("Delete vector", f"Delete the editing vector “{name}”?"):
            return
        try:
            self.store.delete(name)
        except OSError as e:
            self.w.show_error("Delete vector", str(e))
        self.reload_vectors()
