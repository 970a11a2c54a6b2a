"""The benchmark harness writes its table, JSON and chart (numbers are reported, not asserted)."""

from __future__ import annotations

import json

from latentbrush.bench.runner import run_benchmarks


def test_bench_writes_json_and_png(tmp_path, capsys):
    assert run_benchmarks(["generator"], tmp_path, quick=True) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    metrics = {m["metric"]: m["value"] for m in data["benchmarks"]["generator"]}
    assert metrics["generator forward, batch 1"] > 0
    assert (tmp_path / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "img/s" in capsys.readouterr().out


def test_unknown_benchmark_is_reported(tmp_path):
    assert run_benchmarks(["nope"], tmp_path) == 2


def test_cancel_measurement_tells_cancelled_from_finished():
    import time

    from latentbrush.bench.cancel_bench import measure
    from latentbrush.core.jobs import Job, Progress

    def slow(job, models):
        for i in range(10_000):
            job.check()
            time.sleep(0.01)
            yield Progress(i, 10_000)

    def quick(job, models):
        yield Progress(0, 1)

    r = measure(slow, Job("slow"), None, delay=0.05)
    assert r["outcome"] == "cancelled" and r["latency_ms"] >= 0
    assert measure(quick, Job("quick"), None, delay=0.05)["outcome"] == "finished before the cancel"


def test_pixel_check_counts_changed_pixels_that_took_the_painted_color():
    import numpy as np

    from latentbrush.bench.parts_bench import pixel_check

    before = np.zeros((64, 64), np.int64)
    before[20:40, 20:40] = 1                            # part 1: a red square on a grey part 0
    img = np.full((256, 256, 3), 120, np.uint8)
    img[80:160, 80:160] = (220, 30, 30)
    target = np.full((64, 64), -1)
    target[40:44, 20:40] = 1                            # paint: grow the square downwards
    changed = (target >= 0) & (target != before)
    assert pixel_check(img, img, before, target, changed) == 0.0
    edited = img.copy()
    edited[160:176, 80:160] = (215, 35, 30)
    assert pixel_check(edited, img, before, target, changed) == 1.0


def test_training_comparison_reads_the_runs_logs(tmp_path):
    import json

    from latentbrush.bench.training_runs import training

    def write(name, rows):
        (tmp_path / name).write_text("\n".join(json.dumps(r) for r in rows) + "\n")

    for v, psnr in (("vanilla", 14.0), ("modified", 15.5)):
        write(f"cyclegan-{v}.jsonl", [
            {"step": 250, "cycle": 0.5}, {"step": 500, "cycle": 0.3}, {"step": 500, "epoch_done": 1, "epoch_seconds": 100.0},
            {"step": 500, "eval": 1, "a2b_psnr": psnr - 1, "b2a_psnr": 12.0, "a2b_ink_on_contours": 0.6},
            {"step": 1000, "cycle": 0.2}, {"step": 1000, "epoch_done": 2, "epoch_seconds": 120.0},
            {"step": 1000, "eval": 1, "a2b_psnr": psnr, "b2a_psnr": 13.0, "a2b_ink_on_contours": float("nan"),
             "a2b_ink": 0.1}])
    write("pix2pix-norm-group-b1.jsonl", [{"step": 100, "eval": 1, "psnr": 14.0, "ssim": 0.3}])
    write("pix2pix-norm-batch-b1.jsonl", [{"step": 100, "eval": 1, "psnr": 12.5, "ssim": 0.2}])
    rows = {m: v for m, v, _ in training(out=tmp_path, reports=tmp_path)}
    assert rows["cyclegan modified: face → sketch PSNR (held-out)"] == 15.5
    assert rows["cyclegan modified: face → sketch PSNR, mean of the last 3 evaluations"] == 15.0
    assert rows["cyclegan vanilla: seconds per epoch (500 steps)"] == 110.0
    assert rows["cyclegan vanilla: steps trained"] == 1000
    assert rows["cyclegan vanilla: training cycle loss, last epoch"] == 0.2     # steps after 500 only
    assert rows["pix2pix batch 1: GroupNorm − BatchNorm PSNR"] == 1.5
    assert "cyclegan unet: face → sketch PSNR (held-out)" not in rows             # no log, no row
    assert (tmp_path / "cyclegan-a2b_psnr.png").is_file() and (tmp_path / "pix2pix-norm.png").is_file()


def test_lips_band_paints_the_mouth_along_the_corners_where_the_map_lacks_it():
    import numpy as np

    from latentbrush.bench.parts_photo_bench import WIDEN, lips_band

    crop = np.zeros((100, 100), np.int64)
    crop[45:55, 40:60] = 3                              # the map's mouth
    band = lips_band(crop, np.array([[30.0, 50.0], [70.0, 50.0]]), 3)
    ys, xs = np.nonzero(band == 3)
    assert xs.min() == 50 - WIDEN * 20 and xs.max() == 50 + WIDEN * 20 and abs(ys.mean() - 50) < 0.5
    assert (band[45:55, 40:60] == -1).all() and set(np.unique(band)) == {-1, 3}
    more = np.nonzero(lips_band(crop, np.array([[30.0, 50.0], [70.0, 50.0]]), 3, widen=1.6) == 3)[1]
    assert more.min() == 50 - 1.6 * 20 and more.max() == 50 + 1.6 * 20


def test_mouth_crop_centres_the_lips_below_the_nose():
    import numpy as np

    from latentbrush.bench.parts_photo_bench import mouth_crop

    img = np.zeros((300, 300, 3), np.uint8)
    img[148:153, 148:153] = 255                         # the lips' middle at (150, 150)
    crop = mouth_crop(img, np.array([[110.0, 150.0], [190.0, 150.0]]), side=180)
    ys, xs = np.nonzero(crop[..., 0] > 128)
    assert crop.shape == (180, 180, 3) and abs(xs.mean() - 90) < 1.5 and abs(ys.mean() - (90 + 0.25 * 80 * 180 / 144)) < 1.5


def test_eye_figures_read_an_open_eye_far_from_the_skin_and_a_closed_one_near_it():
    import cv2
    import numpy as np

    from latentbrush.bench.parts_eyes_bench import close_up, eye_figures

    eyes = np.array([[70.0, 100.0], [130.0, 100.0]])
    skin = np.full((200, 200, 3), (200, 150, 120), np.uint8)
    face = skin.copy()
    for x, y in eyes.astype(int):
        cv2.ellipse(face, (x, y), (14, 5), 0, 0, 360, (250, 250, 245), -1)
        cv2.circle(face, (x, y), 5, (40, 25, 20), -1)
    open_, closed = eye_figures(face, face, eyes), eye_figures(face, skin, eyes)
    assert open_["gap"] > 10 and open_["white"] > 0.2 and open_["outside_max"] == 0
    assert closed["gap"] < 1 and closed["white"] == 0 and closed["outside_max"] == 0
    skin[10, 10] = 0                                    # a change far from the eyes is counted
    assert eye_figures(face, np.where(face == face, skin, 0), eyes)["outside_max"] > 0
    assert close_up(face, eyes, side=240).shape == (144, 240, 3)


def test_the_hair_bench_finds_the_hairline_and_reads_hair_grown_over_the_band():
    import numpy as np

    from latentbrush.bench.parts_hair_bench import hair_figures, hairline_band

    face = np.full((240, 240, 3), (205, 160, 135), np.uint8)
    face[:60] = (50, 40, 30)                                  # hair down to row 60
    eyes = np.array([[90.0, 140.0], [150.0, 140.0]])           # eye distance 60
    band, above = hairline_band(face, eyes, np.zeros((240, 240), bool))
    rows = np.nonzero(band.any(1))[0]
    assert rows.min() == 57 and rows.max() == 60 + 12 - 1        # 3 px into the hair, 0.2 × 60 px onto the skin
    assert above.any() and (np.nonzero(above.any(1))[0] < 57).all()
    grown = face.copy()
    grown[band] = (50, 40, 30)
    painted_over, as_is = hair_figures(face, grown, band, above), hair_figures(face, face, band, above)
    assert painted_over["to_hair"] < 1 and painted_over["to_skin"] > 40 and painted_over["beyond_max"] == 0
    assert as_is["to_hair"] > 40 and as_is["to_skin"] < 15


def test_lid_figures_read_a_lowered_lid_over_the_upper_part_and_the_eye_kept_below():
    import cv2
    import numpy as np

    from latentbrush.bench.parts_eyes_bench import lid_figures

    eyes = np.array([[70.0, 100.0], [130.0, 100.0]])
    skin = np.full((200, 200, 3), (200, 150, 120), np.uint8)
    face = skin.copy()
    for x, y in eyes.astype(int):
        cv2.ellipse(face, (x, y), (14, 6), 0, 0, 360, (250, 250, 245), -1)
        cv2.circle(face, (x, y), 5, (40, 25, 20), -1)
    lowered = face.copy()
    lowered[:100] = skin[:100]                                  # the upper half: skin
    open_, low = lid_figures(face, face, eyes), lid_figures(face, lowered, eyes)
    assert open_["upper_gap"] > 10 and open_["below_max"] == 0
    assert low["upper_gap"] < 1 and low["below_max"] == 0
    assert lid_figures(face, skin, eyes)["below_max"] > 50      # shut: the part below the line changed
