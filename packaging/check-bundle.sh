#!/usr/bin/env bash
# Check a PyInstaller bundle starts and never writes into itself:
#   packaging/check-bundle.sh dist/latentbrush [--fetch]
# Runs `--help`, `models list`, (with --fetch: `models fetch` + `models verify` + `generate`) and the
# window offscreen with a startup probe, all from a scratch folder with a scratch profile
# (LATENTBRUSH_DATA, so neither ~/.local/share nor ~/.config is touched), then compares the bundle's
# file list, sizes and times with the ones before.
set -euo pipefail
bundle=$(cd "$1" && pwd)
exe="$bundle/latentbrush"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export LATENTBRUSH_DATA="$scratch/profile" QT_QPA_PLATFORM=offscreen
unset LATENTBRUSH_MODELS
snapshot() { find "$bundle" -printf '%P %s %T@\n' | sort; }
snapshot > "$scratch/before"
cd "$scratch"
"$exe" --help > /dev/null
"$exe" models list | tee "$scratch/list"
grep -q "^manifest and own weights: $bundle/" "$scratch/list"
grep -q "^fetched weights: $LATENTBRUSH_DATA/models" "$scratch/list"
if [[ "${2:-}" == "--fetch" ]]; then
  "$exe" models fetch
  "$exe" models verify
  "$exe" generate -o face.png --size 64
  test -s face.png
  test -s "$LATENTBRUSH_DATA/models/fetched/face-dcgan64.safetensors"
fi
"$exe" --startup-probe --no-fetch | tee "$scratch/probe"
grep -q "^WINDOW_SHOWN" "$scratch/probe"
test -f "$LATENTBRUSH_DATA/settings.ini"
snapshot > "$scratch/after"
diff "$scratch/before" "$scratch/after" > /dev/null || { echo "the bundle changed:"; diff "$scratch/before" "$scratch/after" | head; exit 1; }
echo "bundle OK: starts, finds its models, writes nothing into $bundle"
