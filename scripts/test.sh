#!/usr/bin/env bash
# The README's test command. On a fresh machine it creates what it needs from the project's own files
# (a virtual environment with the real Blender Python module and the dev tools, and the stand-in servers'
# environment), then runs pytest with any arguments given.
#
#   scripts/test.sh                         # everything, against Blender 5.0
#   MD_BLENDER_VERSION=4.2 scripts/test.sh  # against Blender 4.2 LTS (also 4.5)
#   scripts/test.sh tests/unit -q           # arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

# Creates or refreshes the environments (sets $version and $venv).
source scripts/setup_env.sh

export MD_BLENDER_VERSION="$version"
exec "$venv/bin/python" -m pytest "$@"
