"""The GUI scribble-latency benchmark runs end to end on tiny models (times are reported, not
asserted): every trial ends with a repaint of a preview computed after an optimizer step."""

from __future__ import annotations

import json


def test_scribble_latency_reports_stepped_repaints(tiny_models, tmp_path, monkeypatch, qapp):
    from latentbrush.bench.scribble_latency import scribble_latency

    monkeypatch.setenv("LATENTBRUSH_MODELS", str(tiny_models))
    rows = {name: value for name, value, _ in scribble_latency(quick=True, out=tmp_path)}
    assert rows["scribble: trials with no such repaint within 60 s"] == 0
    p50 = rows["scribble: mouse release → first repaint after ≥1 optimizer step, p50"]
    p95 = rows["scribble: mouse release → first repaint after ≥1 optimizer step, p95"]
    assert 0 < p50 <= p95
    data = json.loads((tmp_path / "scribble_latency.json").read_text())
    assert data["trials"] and all(t["ok"] and t["steps_of_counted_preview"] >= 1 for t in data["trials"])
    # the counted repaint comes after the preview's signal reached the GUI thread
    assert all(t["release_to_paint_ms"] >= t["release_to_first_stepped_preview_signal_ms"] for t in data["trials"])
    assert (tmp_path / "scribble_latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
