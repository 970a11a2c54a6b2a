"""Re-run the held-out evaluation of the shipped completion and sketch → face weights with the
training scripts' own evaluation (same seeds, same sets) and, with --write, store the numbers in
the files' metadata. The weights themselves are not touched (the tensors are written back byte for
byte), but the file's sha256 changes: update models/manifest.toml with the printed hashes.

Why: until issue #15 the evaluations scored 0–255 images as if they were in [-1, 1] (PSNR 6.02 dB
too high, L1 halved, SSIM inflated). The numbers are scored here on the weights as shipped (fp16,
loaded as float32), so they can differ in the last digits from an evaluation of the fp32 weights
during training.

    python -m latentbrush.ml.train.reevaluate                 # print old → new
    python -m latentbrush.ml.train.reevaluate --write         # and re-export the metadata
    python -m latentbrush.ml.train.reevaluate --annotate-logs resources/reports/completion-64.jsonl …
                                                      # mark old training logs, add corrected values
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from latentbrush.ml.hashing import sha256_file
from latentbrush.ml.train.common import load_generator

META_KEY = "latentbrush"
SCALE_NOTE = "scores on the 0-255 image scale (PSNR peak 255, L1 as a fraction of 255); re-evaluated in issue #15"


def read(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    with safe_open(str(path), "pt") as f:
        meta = json.loads((f.metadata() or {}).get(META_KEY, "{}"))
    return load_file(str(path)), meta


def _float_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def completion_scores(path: Path, G, device: torch.device) -> dict[str, float]:
    from latentbrush.ml.nets.completion import CompletionNet
    from latentbrush.ml.train import completion as C

    state, meta = read(path)
    net = CompletionNet(int(meta["width"]), residual=bool(meta["residual"]), mirror=bool(meta.get("mirror", False)))
    net.load_state_dict(_float_state(state))
    net.to(device).eval()
    _, held = C.load_photos(C.default_photo_dir())
    if not held:
        raise SystemExit("the held-out photos need scikit-image (pip install -e '.[train]')")
    sets = C.eval_set(G, held, 256, 128, device)            # the training defaults: --eval-faces/--eval-photos
    return {**C.evaluate(net, sets, device), **C.telea_scores(sets)}


def sketch_scores(path: Path, G, device: torch.device) -> dict[str, float]:
    from latentbrush.ml.nets.unet import UnetGenerator
    from latentbrush.ml.train import pix2pix as P

    state, meta = read(path)
    net = UnetGenerator(1, 3, int(meta["num_downs"]), int(meta["ngf"]), meta["norm"], use_dropout=True,
                        groups=int(meta["groups"]))
    net.load_state_dict(_float_state(state))
    net.to(device).eval()
    held = P.faces_and_sketches(G, 256, torch.Generator().manual_seed(P.EVAL_SEED), None, device)
    return P.evaluate(net, held, device)                    # --eval-n default


def rewrite_metadata(path: Path, scores: dict[str, float], keys: list[str]) -> str:
    """Same tensors, metadata with the re-measured scores; returns the new sha256."""
    state, meta = read(path)
    meta.update({k: round(float(scores[k]), 5) for k in keys})
    meta["eval_scale"] = SCALE_NOTE
    tmp = path.with_name(path.name + ".part")
    save_file(state, str(tmp), metadata={META_KEY: json.dumps(meta, sort_keys=True)})
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return sha256_file(path)


PSNR_OFFSET_DB = 20 * math.log10(2)       # what scoring [0, 1] data as [-1, 1] added to every PSNR
LOG_NOTE = ("This log was written before issue #15 by an evaluation that scored images in [0, 1] as if they "
            "were in [-1, 1]: every *psnr is 6.02 dB too high, every evaluated *l1 half and *l2 a quarter of "
            "the true value, *ssim inflated (not recoverable from the log). Each such line carries "
            "'corrected_0_255' with psnr - 6.0206, l1 x 2, l2 x 4. Re-measured final values of the shipped "
            "weights: `python -m latentbrush.ml.train.reevaluate` and the weight file's metadata (re-exported with "
            "identical tensors, so the file's sha256 differs from the one logged at the end).")


def _scored(line: dict) -> list[str]:
    """Keys of a log line that came from the wrong-scale evaluation (training losses excluded)."""
    evaluated = "eval" in line
    return [k for k in line if k.endswith("psnr") or (k.endswith(("_l1", "_l2")) and k.startswith("telea_"))
            or (evaluated and k.endswith(("l1", "l2")))]


def annotate_log(path: Path) -> int:
    """Prepend LOG_NOTE and add corrected PSNR / L1 / L2 to each scored line; idempotent (a second
    run only refreshes the note).
    Returns the number of lines annotated."""
    lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    if lines and "scale_note" in lines[0]:
        lines = lines[1:]                   # annotated before: refresh the note only
    n = 0
    for line in lines:
        keys = _scored(line)
        if not keys or "corrected_0_255" in line:
            continue
        fix = {}
        for k in keys:
            v = float(line[k])
            factor = 2 if k.endswith("l1") else 4
            fix[k] = round(v - PSNR_OFFSET_DB, 5) if k.endswith("psnr") else round(v * factor, 6)
        line["corrected_0_255"] = fix
        n += 1
    out = [json.dumps({"scale_note": LOG_NOTE, "psnr_offset_db": round(PSNR_OFFSET_DB, 5)})]
    out += [json.dumps(x) for x in lines]
    path.write_text("\n".join(out) + "\n")
    return n


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default=str(Path(__file__).resolve().parents[3] / "models"))
    p.add_argument("--completion", default="completion-64.safetensors")
    p.add_argument("--sketch", default="sketch2face-64.safetensors")
    p.add_argument("--write", action="store_true", help="store the new scores in the files' metadata")
    p.add_argument("--annotate-logs", nargs="+", default=None, metavar="JSONL",
                   help="only mark these old training logs as wrong-scale and add corrected values")
    a = p.parse_args(argv)
    if a.annotate_logs:
        for f in a.annotate_logs:
            print(f"{f}: {annotate_log(Path(f))} lines annotated")
        return {}
    torch.manual_seed(0)
    device = torch.device("cpu")
    G, _ = load_generator(a.models, None, device)
    out: dict = {}
    for name, fn, keys in (
        (a.completion, completion_scores, [f"{s}_{m}" for s in ("faces", "photos") for m in ("psnr", "ssim", "l1")]),
        (a.sketch, sketch_scores, ["l1", "ssim", "psnr"]),
    ):
        path = Path(a.models) / name
        _, old = read(path)
        new = fn(path, G, device)
        out[name] = {"old": {k: old.get(k) for k in keys}, "new": new}
        for k in keys:
            print(f"{name:28s} {k:14s} {old.get(k)!s:>10} → {new[k]:.5f}")
        for k in sorted(set(new) - set(keys)):
            print(f"{name:28s} {k:14s} {'':>10}   {new[k]:.5f}  (for comparison, not stored)")
        if a.write:
            out[name]["sha256"] = rewrite_metadata(path, new, keys)
            print(f"{name}: metadata rewritten, sha256 {out[name]['sha256']}")
    return out


if __name__ == "__main__":
    main()
