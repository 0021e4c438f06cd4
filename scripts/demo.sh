#!/usr/bin/env bash
# The README's first command: builds a small film in real Blender and generates every shot end to end.
#
#   scripts/demo.sh                      # four shots from the local Wan2GP stand-in (no GPU, no account)
#   scripts/demo.sh --quick              # two shots at a small size (about a minute)
#   scripts/demo.sh --output DIR         # where the files go (default: demo_output/)
#   scripts/demo.sh --wan2gp-url URL     # a real Wan2GP server instead of the stand-in
#   WAVESPEED_API_KEY=... scripts/demo.sh --wavespeed    # WaveSpeed (billed; the estimate is shown first)
#
# On a fresh machine it first creates what it needs from the project's files, with the same set-up as
# scripts/test.sh (Python 3.11 and the package registries are all it needs). MD_BLENDER_VERSION=4.2 or 4.5
# runs it on another Blender.
set -euo pipefail
caller_dir="$(pwd)"
cd "$(dirname "$0")/.."
root="$(pwd)"

for arg in "$@"; do
  if [ "$arg" = "-h" ] || [ "$arg" = "--help" ]; then
    cd "$caller_dir"
    PYTHONPATH="$root/scripts" exec "${MD_DEMO_PYTHON:-python3}" -m demo --help
  fi
done

echo "Movie Director demo: checking the environments (the first run installs them: a few minutes)"
# Creates or refreshes the environments (sets $version and $venv).
source scripts/setup_env.sh

cd "$caller_dir"
export MD_BLENDER_VERSION="$version"
export PYTHONPATH="$root/scripts${PYTHONPATH:+:$PYTHONPATH}"
exec "$root/$venv/bin/python" -m demo "$@"
