"""User files the editor reads at start or on demand (found with issue 14): a damaged custom-sliders
file or edit-vector file never stops the app, and a damaged sliders file is set aside, not
overwritten by the next save."""

from __future__ import annotations

import os

import numpy as np
import pytest

from latentbrush.core.sliders import CustomSliders, SliderError
from latentbrush.core.vectors import VectorError, VectorStore, parse

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("text", [DEEP, "[1, 2]", "5", '{"a": 5}', '{"a": {"generator": 1, "direction": [1]}}',
                                  '{"a": {"generator": "g", "direction": "x"}}', "\xff\xfe"])
def test_damaged_sliders_file_never_stops_the_app(tmp_path, text):
    p = tmp_path / "sliders.json"
    p.write_text(text, encoding="latin-1")
    s = CustomSliders(p)                       # main: RecursionError / AttributeError for some
    assert s.items == {} and s.problem


def test_damaged_sliders_file_is_set_aside_before_the_next_save(tmp_path):
    p = tmp_path / "sliders.json"
    p.write_text('{"beard": {"generator": "g", "direction": [1, 2, 3]}, "x": ')
    damaged = p.read_text()
    s = CustomSliders(p)
    s.add("smile", "g", np.ones(3, np.float32))
    assert (tmp_path / "sliders.json.damaged").read_text() == damaged      # main: silently overwritten
    assert list(CustomSliders(p).items) == ["smile"]


def test_good_entries_survive_one_bad_one(tmp_path):
    p = tmp_path / "sliders.json"
    p.write_text('{"beard": {"generator": "g", "direction": [1, 2]}, "bad": {"generator": "g", "direction": [true]}}')
    s = CustomSliders(p)
    assert list(s.items) == ["beard"] and "bad" in s.problem


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_sliders_save_into_read_only_folder_is_a_slider_error(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    try:
        with pytest.raises(SliderError, match="could not save"):
            CustomSliders(d / "sliders.json").add("smile", "g", np.ones(3, np.float32))
    finally:
        d.chmod(0o700)


def test_sliders_save_failure_is_a_slider_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SliderError, match="could not save"):            # main: FileExistsError
        CustomSliders(blocker / "sliders.json").add("smile", "g", np.ones(3, np.float32))


def test_vector_files_nested_or_boolean_are_refused(tmp_path):
    with pytest.raises(VectorError, match="nested"):
        parse(DEEP)
    with pytest.raises(VectorError, match="numbers"):
        parse('{"format": "latentbrush-vector", "name": "a", "delta": [true, false]}')
    (tmp_path / "deep.json").write_text(DEEP)
    vecs, bad = VectorStore(tmp_path).load_all()                           # main: RecursionError
    assert vecs == [] and len(bad) == 1
