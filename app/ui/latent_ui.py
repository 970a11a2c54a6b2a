"""Latent editing in the window: edit region + projection, scribble runs after each stroke,
candidate picks, commit/revert, interpolation. Every change is one undo step that restores
both the pixels and the latent state (an EditStep with the latent before/after)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog

from latentbrush.core.bbox import BBox, nonzero_bbox
from latentbrush.core.history import EditStep
from latentbrush.core.imageio import ExportError, ImageLoadError, ImageTooLarge, export_gif, load_image
from latentbrush.core.patches import PixelPatch
from latentbrush.core.requests import FindFacesRequest, InterpolateRequest, ProjectRequest, ScribbleRequest
from latentbrush.ui.context import Window
from latentbrush.ui.fileops import IMAGE_FILTER
from latentbrush.ui.panels.interpolate import InterpolationPanel
from latentbrush.ui.panels.scribble import ScribblePanel


class LatentUI:
    def __init__(self, window: Window) -> None:
        self.w = window
        self.panel = ScribblePanel()
        self.interp = InterpolationPanel()
        self._unsubscribe = None
        self._cands: dict | None = None        # last scribble result's candidates (pixels, renders, z)
        self._hidden: dict | None = None       # … while another edit is shown over them (undo brings them back)
        self._interp: dict | None = None       # last interpolation: frames, latents, renders, state
        self._pending_interp: tuple | None = None
        self.other_photo: str | None = None    # tests set this instead of answering a file dialog
        self.gif_path: str | None = None
        p = self.panel
        p.region_requested.connect(self.project)
        p.face_chosen.connect(lambda i: self.project("auto", face=i))
        p.run_requested.connect(self.run_scribble)
        p.commit_requested.connect(self.commit)
        p.revert_requested.connect(self.revert)
        p.candidate_picked.connect(self.pick_candidate)
        p.color_requested.connect(window.brush_panel.choose_color)
        p.size_changed.connect(window.brush_panel.size.setValue)
        window.brush_panel.changed.connect(self._sync_brush)
        window.canvas.stroke_finished.connect(self._on_stroke)
        window.model.events.applied.connect(self._on_result)
        window.model.events.failed.connect(self._on_failed)
        # (document, base revision) on which an automatic run after a stroke found nothing to edit:
        # later strokes on the same photo do not start it again (the person can still press Run)
        self._auto_failed: tuple[int, int] | None = None
        self.interp.make_requested.connect(self.make_frames)
        self.interp.apply_requested.connect(self.apply_frame)
        self.interp.export_requested.connect(self.export_gif)
        self._sync_brush()

    def _sync_brush(self) -> None:
        self.panel.set_color(self.w.brush_panel.color())
        self.panel.size.blockSignals(True)
        self.panel.size.setValue(self.w.brush_panel.size.value())
        self.panel.size.blockSignals(False)

    # -- document ------------------------------------------------------------------------
    def set_document(self, doc) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self._cands = self._interp = self._hidden = None
        self.interp.set_frames([], applicable=False)
        if doc is not None:
            self._unsubscribe = doc.subscribe(self._on_doc_changed)
        self.panel.set_faces(0, 0)
        self.w.canvas.set_face_numbers([])
        self._refresh()
        self.list_faces()

    def _on_doc_changed(self, layer: str, _bbox) -> None:
        if layer == "latent":
            self._refresh()

    def _show_faces(self, boxes, current: int) -> None:
        self.panel.set_faces(len(boxes), current)
        self.w.canvas.set_face_numbers([BBox(*b) for b in boxes], current)

    def list_faces(self) -> None:
        """A photo opened with its latent state (a project, or a session restored after its history
        was replayed): the face list is not stored, so find the faces again."""
        doc, st = self.w.document, self.state
        if st is None or st.fit_psnr is None:
            return
        # the photo is handed over as it is now (not watched: editing meanwhile does not drop the list)
        self.w.dispatcher.submit(FindFacesRequest(region=tuple(st.region)),
                                 inputs={"image": doc.snapshot("base")}, label="Find faces")

    def _refresh(self) -> None:
        doc = self.w.document
        state = doc.latent if doc is not None else None
        self.panel.set_state(state)
        if self._cands is not None and (state is None or not _same_candidates(state, self._cands)):
            self.panel.strip.clear()
            self._hidden, self._cands = self._cands, None
        elif self._cands is None and self._hidden is not None and state is not None \
                and _same_candidates(state, self._hidden):
            # undone back onto the scribble result (a slider or a part edit had been applied on it)
            self._cands, self._hidden = self._hidden, None
            self.panel.set_candidates(self._cands["thumbs"], self._cands["masked_loss"])
        if self._cands is not None and state is not None:
            # the thumbnail shown as current is the candidate on the canvas (after a pick, undo or redo)
            self.panel.show_current(next((i for i, z in enumerate(self._cands["z"]) if np.array_equal(state.z, z)),
                                         None))
        self.w.canvas.set_region(state.region if state is not None else None, _frame_corners(state))
        # strokes are drawn faint while the edit they asked for is shown (also after undo/redo); strokes painted
        # since, not run (the run was cancelled), stay as painted: faint, a helper read them as applied
        # (only a scribble edit's own strokes: a refused stroke was drawn faint after a slider edit, helper 67)
        # (a face drawn from the lines keeps them faint: Find face on it had brought them back black, a helper)
        if not self.w.edits.sketch_shown:
            self.w.canvas.set_faded("scribble", state is not None and state.edited and state.made_by == "scribble"
                                    and self._strokes_run())

    def _strokes_run(self) -> bool:
        """Whether the strokes on the canvas are those the shown candidates were made from."""
        made_for = self._cands.get("strokes") if self._cands is not None else None
        doc = self.w.document
        return made_for is None or doc is None or np.array_equal(doc.layer("scribble"), made_for)

    @property
    def state(self):
        return self.w.document.latent if self.w.document is not None else None

    # -- projection ----------------------------------------------------------------------
    def project(self, how: str = "auto", face: int = 0) -> None:
        doc = self.w.document
        if doc is None:
            return
        if how == "selection":
            if self.w.selection is None:
                self.w.show_error("No selection", "Drag a rectangle around the face with the select tool (S) first.")
                return
            region = tuple(self.w.selection)
        elif how == "whole":
            region = tuple(doc.bounds)
        else:
            region = "auto"
        req = ProjectRequest(region=region, face=face, tune=self.panel.tune.isChecked())
        self.w.dispatcher.submit(req, layers=("base",), watch=("latent",),
                                 label="Project region")

    # -- scribbles -----------------------------------------------------------------------
    def _on_stroke(self, tool: str) -> None:
        if tool in ("brush", "eraser"):
            self.w.canvas.set_faded("scribble", False)
        if tool in ("brush", "eraser") and self.panel.auto.isChecked():
            sketch = self.w.translate_panel
            if sketch.is_sketch() and not sketch.visibleRegion().isEmpty():     # its tab in front
                # the lines of a sketch → face drawing (its panel in front): not a scribble edit of the
                # photo (a helper's six strokes started six scribble runs that painted a face of their own)
                self.w.statusBar().showMessage("Lines kept for the sketch: press “Draw from sketch” when done",
                                               4000)
                return
            self.run_scribble(quiet=True)

    def run_scribble(self, quiet: bool = False) -> None:
        doc = self.w.document
        if doc is None:
            return
        state = self.w.model.start_state("scribble")      # after another kind of edit: from what is shown
        scribble = doc.layer("scribble")
        if state is not None:
            r = state.region
            if not scribble[r.y0:r.y1, r.x0:r.x1, 3].any():
                if not quiet:
                    self.w.statusBar().showMessage("Paint strokes inside the edit region first", 5000)
                return
        elif not scribble[..., 3].any():
            if not quiet:
                self.w.statusBar().showMessage("Paint strokes with the color brush first", 5000)
            return
        region = tuple(self.w.selection) if (state is None and self.w.selection is not None) else "auto"
        base = doc.layer("base")
        if quiet and state is None and np.ptp(base[::4, ::4]) == 0:     # a blank canvas: lines for a sketch, not
            self.w.statusBar().showMessage(                             # a face's scribbles (a helper was told to
                "Strokes kept. The canvas is blank, so there is no face for them to change: to draw a face from "
                "these lines, pick Sketch → face in the Model edits dock and press Draw from sketch", 10_000)
            return                                                      # select the face and Follow strokes)
        if quiet and state is None and region == "auto" and self._auto_failed == self._photo_key(doc):
            self.w.statusBar().showMessage("Strokes kept. No face was found in this photo, so they are not run "
                                           "after each stroke: select the face (S), then press Follow strokes "
                                           "(Ctrl+Return)", 10_000)
            return
        # an automatic run (after a stroke) reports failures in the status bar, not in a dialog
        req = ScribbleRequest(state=state, region=region, **self.panel.params())
        self.w.dispatcher.submit(req, layers=("base", "scribble"), watch=("latent",), label="Scribble edit",
                                 quiet=quiet)

    @staticmethod
    def _photo_key(doc) -> tuple[int, int]:
        return id(doc), doc.layer_revisions["base"]

    def _on_failed(self, job, _message: str) -> None:
        doc = self.w.document
        if doc is not None and job.kind == "scribble" and job.quiet and job.request.state is None \
                and job.request.region == "auto":
            self._auto_failed = self._photo_key(doc)

    def _on_result(self, job, result) -> None:
        info = result.info
        if job.kind == "project" and "faces" in info and job.request.apply:
            self._show_faces(info["faces"], int(job.request.face))
        elif job.kind == "find_faces":
            self._show_faces(info["faces"], int(info["face"]))
        if job.kind == "scribble" and "candidates" in info:
            # the strokes asked for the change now shown: draw them faint so the result is seen
            self.w.canvas.set_faded("scribble", True)
            self._cands = {"pixels": info["candidates"], "renders": info["renders"],
                           "z": info["latent_state"].candidates, "thumbs": info["thumbs"],
                           "strokes": job.inputs.get("scribble"),        # the strokes they were made for
                           "masked_loss": info["masked_loss"]}
            self._hidden = None
            self.panel.set_candidates(info["thumbs"], info["masked_loss"])
        elif job.kind == "project" and "projected" in info and self._pending_interp is not None:
            a, _, mode, n = self._pending_interp
            self._pending_interp = None
            self._submit_interp(a, info["projected"].z, mode, n, None, other=True)
        elif job.kind == "interpolate":
            self._interp = {"frames": info["frames"], "latents": info["latents"], "renders": info["renders"],
                            "state": job.request.state}
            self.interp.set_frames(list(info["frames"]), applicable=job.request.state is not None)

    def pick_candidate(self, i: int) -> None:
        doc, state, c = self.w.document, self.state, self._cands
        if doc is None or state is None or c is None or not (0 <= i < len(c["pixels"])):
            return
        if np.array_equal(state.z, c["z"][i]):
            return
        # (the pick keeps the state's made_by: another stroke re-fits from the same start)
        self._push_latent(state.showing(c["z"][i], c["pixels"][i], c["renders"][i]), c["pixels"][i],
                          f"Pick candidate {i + 1}")
        if not self._strokes_run():
            self.w.statusBar().showMessage(f"Candidate {i + 1} was made for the earlier strokes: the strokes painted "
                                           "since have not been run (press Follow strokes, Ctrl+Return)", 10_000)

    def _push_latent(self, new_state, pixels: np.ndarray | None, text: str, box=None) -> None:
        doc = self.w.document
        patch = None if pixels is None else PixelPatch.capture(doc, "base", box or new_state.region, pixels.copy())
        self.w.undo_stack.push(EditStep(text, [] if patch is None else [patch], (doc.latent, new_state)))

    def commit(self) -> None:
        doc, state = self.w.document, self.state
        if doc is None or state is None:
            return
        new = state.committed(doc.read("base", state.region).copy())
        stack = self.w.undo_stack
        with stack.group("Commit latent edit"):
            box = nonzero_bbox(doc.layer("scribble"))
            if not box.is_empty():
                blank = np.zeros_like(doc.read("scribble", box))
                stack.push(EditStep("Clear strokes", [PixelPatch.capture(doc, "scribble", box, blank)]))
            stack.push(EditStep("Commit", [], (state, new)))

    def revert(self) -> None:
        """Back to the committed image; the strokes of the reverted edit go too (one undo step)."""
        doc, state = self.w.document, self.state
        if doc is None or state is None or not state.edited:
            return
        if state.around is not None and not state.matches_around(doc.read("base", state.around)):
            # (restoring the carried box would wipe what was painted or filled past the face since, helper 67)
            self.w.statusBar().showMessage("Not reverted: the picture around the face was changed since the slider "
                                           "edit (a fill?), and Revert would undo that too. Use Undo (Ctrl+Z) step "
                                           "by step instead.", 10_000)
            return
        stack = self.w.undo_stack
        with stack.group("Revert latent edit"):
            r = state.region
            if doc.read("scribble", r)[..., 3].any():
                blank = np.zeros_like(doc.read("scribble", r))
                stack.push(EditStep("Clear strokes", [PixelPatch.capture(doc, "scribble", r, blank)]))
            box, pixels = state.restored()      # (a slider edit carried past the region: its box too)
            self._push_latent(state.reverted(), pixels, "Revert latent edit", box)
        self.w.canvas.set_faded("scribble", False)

    # -- interpolation -------------------------------------------------------------------
    def _endpoint(self, name: str):
        state = self.state
        if name == "Another photo…":
            return "other"
        if state is None:
            raise LookupError("No edit region yet: find a face (Scribble ▸ Find face) or generate one first")
        if name == "Committed":
            return np.array(state.z_base)
        if name == "Current":
            return np.array(state.z)
        k = int(name.split()[-1]) - 1
        if k >= len(state.candidates):
            raise LookupError(f"there is no {name.lower()}: run a scribble edit first")
        return np.array(state.candidates[k])

    def make_frames(self, a_name: str, b_name: str, mode: str, n: int) -> None:
        try:
            a, b = self._endpoint(a_name), self._endpoint(b_name)
        except LookupError as e:
            self.w.show_error("Interpolation", str(e))
            return
        if isinstance(a, str) and isinstance(b, str):
            self.w.show_error("Interpolation", "Pick at most one other photo as an endpoint.")
            return
        if isinstance(a, str):
            a, b = b, a
        if isinstance(b, str):
            path = self.other_photo
            if path is None and self.w.interactive:
                path, _ = QFileDialog.getOpenFileName(self.w, "Photo to morph into", self._folder("last_dir"),
                                                      IMAGE_FILTER)
            if not path:
                return
            try:
                try:
                    img = load_image(path).pixels
                except ImageTooLarge as e:      # only its face is used (at the generator's size): opened smaller
                    if not e.can_downscale:
                        raise
                    img = load_image(path, downscale_to=e.limit).pixels
            except ImageLoadError as e:
                self.w.show_error("Cannot open the photo", str(e))
                return
            self._pending_interp = (a, None, mode, n)
            self.w.dispatcher.submit(ProjectRequest(region="auto", apply=False), inputs={"image": img},
                                     label="Project the other photo")
            return
        self._submit_interp(a, b, mode, n, self.state)

    def _submit_interp(self, a, b, mode: str, n: int, state, other: bool = False) -> None:
        gen = self.state.generator if self.state is not None else None
        # frames applied to the photo use the same "only the painted region" clip as the edit
        req = InterpolateRequest(za=a, zb=b, mode=mode, frames=n, state=state, generator=gen,
                                 region_only=self.panel.region_only.isChecked())
        self.w.dispatcher.submit(req,
                                 layers=("scribble",) if state is not None else (), watch=("latent",),
                                 label="Interpolate")

    def apply_frame(self, i: int) -> None:
        it, state = self._interp, self.state
        if it is None or it["state"] is None or state is None or it["state"] is not state:
            self.w.statusBar().showMessage("These frames belong to an earlier state; make them again", 5000)
            return
        frame = np.asarray(it["frames"][i])
        self._push_latent(state.showing(it["latents"][i], frame, it["renders"][i]), frame,
                          f"Interpolation frame {i + 1}")

    def export_gif(self) -> None:
        if not self.interp.frames:
            return
        path = self.gif_path
        if path is None and self.w.interactive:
            # where exports go (not the program's working folder, a helper found)
            start = Path(self._folder("last_export_dir")) / "morph.gif"
            path, _ = QFileDialog.getSaveFileName(self.w, "Export animation", str(start), "GIF (*.gif)")
            if path and not Path(path).suffix:         # a name typed without its extension
                path += ".gif"
                if Path(path).exists() and not self.w.confirm("Replace the file?",
                                                              f"{Path(path).name} already exists. Replace it?"):
                    return
        if not path:
            return
        try:
            export_gif(self.interp.frames, Path(path), fps=12)
        except ExportError as e:
            self.w.show_error("Export failed", str(e))
            return
        self.w.statusBar().showMessage(f"Saved {Path(path).name}", 5000)


    def _folder(self, key: str) -> str:
        """The folder of the settings' `key` (last export, last opened), else the photo's, else home."""
        doc = self.w.document
        photo = doc.info.path if doc is not None else None
        folders = [self.w.files.settings.value(key), photo.parent if photo else None]
        return str(next((Path(str(f)) for f in folders if f and Path(str(f)).is_dir()), Path.home()))


def _frame_corners(state) -> list[tuple[float, float]] | None:
    """The corners of the (tilted) square the generator sees, in image coordinates, for an aligned
    region; None otherwise."""
    warp = getattr(state, "warp", None)
    if warp is None:
        return None
    a = np.vstack([np.asarray(warp, np.float64), [0, 0, 1]])
    inv = np.linalg.inv(a)
    r = state.region
    return [(float(inv[0] @ [u, v, 1] + r.x0), float(inv[1] @ [u, v, 1] + r.y0))
            for u, v in ((0, 0), (1, 0), (1, 1), (0, 1))]


def _same_candidates(state, cands: dict) -> bool:
    return len(state.candidates) == len(cands["z"]) and all(
        np.array_equal(a, b) for a, b in zip(state.candidates, cands["z"], strict=True))


