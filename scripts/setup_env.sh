# shellcheck shell=bash
# The project's environments, created from its own files on first use and refreshed when they change.
# Sourced (not run) by scripts/test.sh and scripts/demo.sh from the repository root, with `set -euo pipefail`
# on; it sets `version` (MD_BLENDER_VERSION, default 5.0) and `venv` (.venvs/blender-<version>, with the real
# Blender Python module and the dev tools) and prepares the stand-in servers' own environment.

version="${MD_BLENDER_VERSION:-5.0}"
case "$version" in
  4.2) bpy_pin="bpy==4.2.23" ;;
  4.5) bpy_pin="bpy==4.5.15" ;;
  5.0) bpy_pin="bpy==5.0.1" ;;
  *) echo "MD_BLENDER_VERSION must be 4.2, 4.5 or 5.0 (got '$version')" >&2; exit 2 ;;
esac

# Blender 4.2 to 5.0 embed CPython 3.11, and the bpy wheels exist only for it.
python=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 \
     && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    python="$candidate"; break
  fi
done
[ -n "$python" ] || { echo "Python 3.11 is needed (Blender's Python version); none was found" >&2; exit 2; }

venv=".venvs/blender-$version"
stamp_value="$bpy_pin $(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.md-stamp" 2>/dev/null)" != "$stamp_value" ]; then
  echo "Setting up $venv ($bpy_pin and the dev tools; pip's cache is reused)..."
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$bpy_pin" -e ".[dev]"
  echo "$stamp_value" > "$venv/.md-stamp"
fi

# The stand-in servers run in their own environment, as the real servers do; create it before the clock starts.
if [ -x scripts/wan2gp-standin ]; then
  scripts/wan2gp-standin --prepare
fi
