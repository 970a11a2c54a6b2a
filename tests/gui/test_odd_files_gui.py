"""What a helper's odd files did through the window (stop 53): a project saved under a name typed without its
extension replaced another session without a question; replacing an opened original said nothing of its
transparency, bit depth or full size; the transparency was lost in every export; a recent file that is gone
stayed in the list."""

from __future__ import annotations

import numpy as np
from conftest_gui import open_array
from PIL import Image


def test_saving_a_project_typed_without_its_extension_asks_before_replacing_another(make_window, tiny_models,
                                                                                     photo, tmp_path, monkeypatch):
    from latentbrush.ui import fileops

    w = make_window(tiny_models)
    open_array(w, photo)
    other = tmp_path / "p1.lbproj"
    assert w.session.save_project(other)
    kept = other.read_bytes()
    open_array(w, 255 - photo)
    w.document.info.project = None                  # another session, never saved
    monkeypatch.setattr(fileops.QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "p1"), ""))
    asked: list[str] = []
    answer = [False]
    monkeypatch.setattr(w, "confirm", lambda title, text, default=False: asked.append(text) or answer[0])
    assert not w.files.save_project_dialog()
    assert len(asked) == 1 and "p1.lbproj already exists" in asked[0] and other.read_bytes() == kept
    answer[0] = True
    assert w.files.save_project_dialog() and other.read_bytes() != kept
    assert not (tmp_path / "p1").exists()
    # the project's own file (saved before as this session) is written again without a question
    asked.clear()
    assert w.files.save_project_dialog() and asked == []


def test_replacing_an_opened_original_says_what_it_loses(make_window, tiny_models, photo, tmp_path, monkeypatch):
    import cv2

    from latentbrush.ui import fileops

    w = make_window(tiny_models)
    cv2.imwrite(str(tmp_path / "deep.png"), photo[..., ::-1].astype(np.uint16) * 257)       # 16 bits a channel
    data = (tmp_path / "deep.png").read_bytes()
    assert w.files.open_path(tmp_path / "deep.png")
    asked: list[str] = []
    monkeypatch.setattr(fileops.QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "deep.png"), ""))
    monkeypatch.setattr(w, "confirm", lambda title, text, default=False: asked.append(text) or False)
    w.files.export_dialog()
    assert len(asked) == 1 and "its 16-bit precision" in asked[0] and "Export to a new name" in asked[0]
    assert "the image as shown" in asked[0]                       # nothing was edited: not "the edit"
    assert (tmp_path / "deep.png").read_bytes() == data
    # a photo that lost nothing on opening: no such words
    Image.fromarray(photo).save(tmp_path / "plain.png")
    assert w.files.open_path(tmp_path / "plain.png")
    asked.clear()
    monkeypatch.setattr(fileops.QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "plain.png"), ""))
    w.files.export_dialog()
    assert len(asked) == 1 and "would lose" not in asked[0]


def test_a_transparent_photo_keeps_its_transparency_in_png_exports_and_projects(make_window, tiny_models, photo,
                                                                                tmp_path, monkeypatch):
    """Until stop 53 the transparency was flattened onto white for good: a PNG export had none."""
    from latentbrush.ui import fileops

    w = make_window(tiny_models)
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:20, :40, 3] = 0
    rgba[20:40, :40, 3] = 128                        # a half-transparent band
    Image.fromarray(rgba, "RGBA").save(tmp_path / "logo.png")
    assert w.files.open_path(tmp_path / "logo.png")
    assert (w.document.layer("base")[:20, :40] == 255).all()       # shown on white
    asked: list[str] = []
    monkeypatch.setattr(w, "confirm", lambda title, text, default=False: asked.append(text) or False)
    monkeypatch.setattr(fileops.QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "logo.png"), ""))
    w.files.export_dialog()
    assert len(asked) == 1 and "transparency" not in asked[0]      # a PNG keeps it: nothing to warn of
    assert w.files.export_to(tmp_path / "out.png")
    out = np.asarray(Image.open(tmp_path / "out.png"))
    assert out.shape[2] == 4 and np.array_equal(out[..., 3], rgba[..., 3])
    seen = out[..., 3] > 0
    assert np.abs(out[..., :3].astype(int) - rgba[..., :3])[seen].max() <= 2     # the band's colours too
    assert w.files.export_to(tmp_path / "out.jpg"), w.last_error
    assert "no transparency" in w.statusBar().currentMessage()
    assert np.asarray(Image.open(tmp_path / "out.jpg"))[:16, :32].mean() > 245    # on white, as shown
    # a project keeps it
    assert w.session.save_project(tmp_path / "logo.lbproj")
    w.set_document(None)
    assert w.files.open_path(tmp_path / "logo.lbproj")
    assert w.files.export_to(tmp_path / "again.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "again.png"))[..., 3], rgba[..., 3])


def test_a_recent_file_that_is_gone_leaves_the_list(make_window, tiny_models, photo, tmp_path, monkeypatch):
    w = make_window(tiny_models)
    monkeypatch.setattr(w, "show_error", lambda *a: None)
    for name in ("a.png", "b" * 120 + ".png"):
        Image.fromarray(photo).save(tmp_path / name)
        assert w.files.open_path(tmp_path / name)
    w.files.fill_recent_menu(w.recent_menu)
    names = [a.text() for a in w.recent_menu.actions()]
    assert names[1] == "a.png" and len(names[0]) <= 61 and "…" in names[0]      # a long name is cut
    (tmp_path / "a.png").unlink()
    assert not w.files.open_path(tmp_path / "a.png")
    assert [p for p in w.files.recent() if p.endswith("a.png")] == []


def test_the_animation_is_offered_in_the_export_folder_not_the_programs(make_window, tiny_models, photo, tmp_path):
    w = make_window(tiny_models)
    Image.fromarray(photo).save(tmp_path / "me.png")
    assert w.files.open_path(tmp_path / "me.png")
    assert w.latent._folder("last_export_dir") == str(tmp_path)          # never exported: the photo's folder
    (tmp_path / "out").mkdir()
    w.files.settings.setValue("last_export_dir", str(tmp_path / "out"))
    assert w.latent._folder("last_export_dir") == str(tmp_path / "out")


def test_the_window_keeps_painting_while_a_file_is_written(make_window, tiny_models, photo, tmp_path, monkeypatch):
    """A 24-MP PNG or project took seconds on the window's thread, which froze (helper 56): the writing now runs
    on a thread of its own while the window's events (timers, repaints) go on; an error still comes back."""
    import time

    from PySide6.QtCore import QTimer

    from latentbrush.ui import fileops

    w = make_window(tiny_models)
    open_array(w, photo)
    real = fileops.export_image

    def slow(*a, **k):
        time.sleep(0.6)
        return real(*a, **k)

    monkeypatch.setattr(fileops, "export_image", slow)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(w.statusBar().currentMessage()))
    timer.start(50)
    assert w.files.export_to(tmp_path / "slow.png")
    timer.stop()
    assert (tmp_path / "slow.png").is_file()
    assert len(ticks) >= 5 and "Exporting slow.png…" in ticks          # events went on, the word was shown
    assert not w.files.export_to(tmp_path / "missing" / "x.png")       # an error is still said …
    assert "does not exist" in w.last_error[1]                          # … on the window's thread
