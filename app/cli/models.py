"""`latentbrush models list|verify|fetch`: the models of the manifest, their state, fetching them."""

from __future__ import annotations

import time

from latentbrush.cli.common import load_manifest


def cmd_models(args) -> int:
    from latentbrush.ml.hashing import model_states

    manifest = load_manifest(args)
    if args.action == "fetch":
        from latentbrush.ml.fetch import fetch_all

        specs = [manifest.get(i) for i in args.id] if args.id else [
            s for s in manifest if s.fetchable and (args.force or not manifest.path(s).is_file())]
        if not specs:
            print("all fetchable models are present")
            return 0
        shown = 0.0
        for p in fetch_all(manifest, specs):
            if p.done_bytes is not None and time.monotonic() - shown < 2:    # bytes so far: every 2 s
                continue
            shown = time.monotonic()
            print(f"[{p.step}/{p.total}] {p.message}", flush=True)
        return 0
    states = model_states(manifest, deep=args.action == "verify")
    bad = 0
    for obj, state in states:
        if state == "untrusted":
            print(f"{'?':24} {'?':11} untrusted  {obj} (not in the manifest: never loaded)")
            continue
        print(f"{obj.id:24} {obj.kind:11} {state:10} {obj.file}  [{obj.license}]")
        bad += state in ("missing", "corrupt")
    print(f"manifest and own weights: {manifest.models_dir}\nfetched weights: {manifest.user_dir}")
    if args.action == "verify":
        print("all present files match their pinned sha256" if not any(s == "corrupt" for _, s in states)
              else "some files do NOT match their pinned sha256 and will not be loaded")
        return 1 if any(s == "corrupt" for _, s in states) else 0
    return 0


def add_command(sub) -> None:
    m = sub.add_parser("models", help="list, verify or fetch the models of the manifest")
    m.add_argument("action", choices=["list", "verify", "fetch"])
    m.add_argument("--id", action="append", help="only this model (repeatable; fetch)")
    m.add_argument("--force", action="store_true", help="fetch again even if present")
    m.set_defaults(func=cmd_models)
