#!/usr/bin/env bash
# The benchmark suite (docs/performance.md): runs `python -m bench` with the project's test venv.
#
#   scripts/bench.sh                          # every figure, 5 samples each, prints the table
#   scripts/bench.sh --only P3,P4 --repeat 3  # some figures
#   scripts/bench.sh --write-docs             # also write the table into docs/performance.md
#
# On a fresh machine the venv (bpy + dev tools) and the stand-ins' venv are created by scripts/test.sh's own
# set-up (run once with --collect-only, which runs no test), so there is one recipe for both.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${MD_BLENDER_VERSION:-5.0}"
venv=".venvs/blender-$version"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import bpy, gradio_client, wavespeed' 2>/dev/null; then
  scripts/test.sh --collect-only -q tests/unit >/dev/null
fi
scripts/wan2gp-standin --prepare
command -v curl >/dev/null 2>&1 || { echo "bench: curl is needed for P5 (apt-get install -y curl)" >&2; exit 2; }

export MD_BLENDER_VERSION="$version"
exec "$venv/bin/python" -m bench "$@"
