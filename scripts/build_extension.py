#!/usr/bin/env python3
"""Build the Movie Director extension: one validated zip per platform, with its wheels bundled.

    python scripts/build_extension.py [--output-dir dist] [--platform linux-x64 ...] [--blender-ext PATH]

1. Downloads unmodified PyPI wheels of the runtime dependencies in pyproject.toml for each platform
   (``pip download --only-binary=:all: --python-version 3.11 --platform …``), leaving out what Blender
   already bundles and what the product never runs (``NOT_BUNDLED``; ``--bundle-all`` keeps them, to
   compare sizes: bench P12).
2. Stages ``blender_manifest.toml`` (with ``platforms`` and ``wheels`` written in), the package and the
   wheels, and builds with Blender's own extension CLI (``blender_ext.py build --split-platforms``).
3. Runs ``blender_ext.py validate`` on every zip and prints its size and wheel count.

Blender's extension CLI ships inside the PyPI ``bpy`` wheel and runs with plain Python; pass ``--blender-ext``
or have ``bpy`` importable (the test venvs do).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "blender_movie_director"
PYTHON_VERSION = "3.11"  # Blender 4.2 LTS to 5.0 embed CPython 3.11


def _manylinux(arch: str) -> tuple[str, ...]:
    # pip expands macOS tags to older releases by itself, but not manylinux ones: list them.
    return (f"manylinux_2_28_{arch}", f"manylinux_2_17_{arch}", f"manylinux2014_{arch}")


#: Blender platform -> pip platform tags (Blender 4.2 needs glibc 2.28 and macOS 11).
PLATFORMS: dict[str, tuple[str, ...]] = {
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_11_0_arm64",),
    "macos-x64": ("macosx_11_0_x86_64",),
    "linux-x64": _manylinux("x86_64"),
}
#: Built only when every wheel exists for them.
OPTIONAL_PLATFORMS: dict[str, tuple[str, ...]] = {
    "linux-arm64": _manylinux("aarch64"),
    "windows-arm64": ("win_arm64",),
}

#: Distributions Blender 4.2 to 5.0 already ship in their Python (the ``bpy`` wheel's Requires-Dist closure:
#: numpy, requests and its certifi/urllib3/idna/charset_normalizer, zstandard, cython). Bundling a second
#: copy would shadow Blender's. ``tests/unit/test_build_extension.py`` checks this list against the bpy wheel.
BLENDER_BUNDLED = frozenset(
    {"numpy", "requests", "certifi", "urllib3", "idna", "charset-normalizer", "zstandard", "cython"}
)

#: Distributions the requirements pull in that Movie Director never imports, with why (issue 16: 4.1-4.3 MB of
#: hf_xet alone, 6.5-7 MB in all). gradio_client imports huggingface_hub and fsspec.asyn at module level but
#: uses them only for Hugging Face Spaces and a helper it never calls; the package's
#: ``backend/wan2gp/gradio_import.py`` stands in for those names while gradio_client is imported. The zip
#: test (tests/blender/test_extension_zip.py) runs both backends from the installed zip and fails if a module
#: of one of these is imported or a bundled wheel is never imported.
NOT_BUNDLED: dict[str, str] = {
    "huggingface-hub": "gradio_client uses it only for Spaces (stood in for by backend/wan2gp/gradio_import)",
    "fsspec": "gradio_client's synchronize_async, which nothing calls (stood in for, as above)",
    "hf-xet": "huggingface_hub's Xet storage downloads",
    "httpx2": "huggingface_hub's own HTTP stack",
    "httpcore2": "huggingface_hub's own HTTP stack",
    "truststore": "only httpx2/httpcore2 require it",
    "filelock": "huggingface_hub's cache locks",
    "tqdm": "huggingface_hub's progress bars",
    "pyyaml": "huggingface_hub's model cards",
    "click": "huggingface_hub's command line",
}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_distribution(filename: str) -> str:
    return normalize(filename.split("-", 1)[0])


def runtime_requirements() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def find_blender_ext(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            "blender_ext.py not found: install the 'bpy' wheel in this Python or pass --blender-ext PATH"
        )
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if found:
            return found[-1]
    sys.exit("blender_ext.py not found inside the installed bpy package")


#: How ``pip download`` names each wheel of the resolution: fetched now, or found in ``--dest``.
_PIP_WHEEL_LINE = re.compile(r"^\s*(?:Saved|File was already downloaded) (.+\.whl)\s*$", re.M)


def download_wheels(
    requirements: list[str],
    pip_platforms: tuple[str, ...],
    dest: Path,
    *,
    cached: bool = False,
    bundle_all: bool = False,
) -> list[Path]:
    """Download the wheels for one platform and return those to bundle. Raises CalledProcessError if one is
    missing there. ``cached`` resolves from ``dest`` alone when it can (no index; falls back to it)."""
    dest.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        *(arg for tag in pip_platforms for arg in ("--platform", tag)),
        "--dest",
        str(dest),
        *requirements,
    ]
    done = None
    if cached:
        offline = [*command, "--no-index", "--find-links", str(dest)]
        done = subprocess.run(offline, capture_output=True, text=True, check=False)
    if done is None or done.returncode:
        done = subprocess.run(command, check=True, capture_output=True, text=True)
    # What pip resolved this time (the cache may hold other versions from earlier builds).
    resolved = [Path(m) for m in _PIP_WHEEL_LINE.findall(done.stdout)]
    left_out = BLENDER_BUNDLED if bundle_all else BLENDER_BUNDLED | set(NOT_BUNDLED)
    return sorted(p for p in resolved if wheel_distribution(p.name) not in left_out)


def stage(stage_dir: Path, wheels_by_platform: dict[str, list[Path]]) -> None:
    shutil.copytree(
        PACKAGE, stage_dir, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True
    )
    (stage_dir / "wheels").mkdir(exist_ok=True)
    names: set[str] = set()
    for wheels in wheels_by_platform.values():
        for wheel in wheels:
            if wheel.name not in names:
                shutil.copy2(wheel, stage_dir / "wheels" / wheel.name)
                names.add(wheel.name)
    manifest = (ROOT / "blender_manifest.toml").read_text()
    manifest = write_manifest_list(manifest, "platforms", sorted(wheels_by_platform))
    manifest = write_manifest_list(manifest, "wheels", [f"./wheels/{n}" for n in sorted(names)])
    (stage_dir / "blender_manifest.toml").write_text(manifest)


def write_manifest_list(manifest: str, key: str, values: list[str]) -> str:
    """Set a top-level list key in the manifest text, before the first table."""
    body = f"{key} = [\n" + "".join(f"  {json.dumps(v)},\n" for v in values) + "]\n"
    pattern = re.compile(rf"^{key}\s*=\s*\[.*?\]\n", re.S | re.M)
    if pattern.search(manifest):
        return pattern.sub(body, manifest, count=1)
    head, sep, tail = manifest.partition("\n[")
    return f"{head.rstrip()}\n\n{body}{sep}{tail}"


def run_blender_ext(blender_ext: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(blender_ext), *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"blender_ext.py {args[0]} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", default=str(ROOT / "dist"))
    parser.add_argument(
        "--platform",
        action="append",
        choices=[*PLATFORMS, *OPTIONAL_PLATFORMS],
        help="build only these platforms (repeatable); default: all",
    )
    parser.add_argument("--blender-ext", help="path to Blender's blender_ext.py")
    parser.add_argument(
        "--wheel-cache",
        default=str(ROOT / "build" / "wheels"),
        help="where downloaded wheels are kept between builds",
    )
    parser.add_argument(
        "--cached-wheels",
        action="store_true",
        help="resolve from the wheel cache alone when it has everything (no index; a fresh build should not)",
    )
    parser.add_argument(
        "--bundle-all",
        action="store_true",
        help="also bundle the wheels in NOT_BUNDLED (the bundle before issue 16; for comparing sizes)",
    )
    args = parser.parse_args(argv)

    blender_ext = find_blender_ext(args.blender_ext)
    requirements = runtime_requirements()
    wanted = args.platform or [*PLATFORMS, *OPTIONAL_PLATFORMS]
    wheels_by_platform: dict[str, list[Path]] = {}
    for platform in wanted:
        pip_platforms = PLATFORMS.get(platform) or OPTIONAL_PLATFORMS[platform]
        try:
            wheels_by_platform[platform] = download_wheels(
                requirements,
                pip_platforms,
                Path(args.wheel_cache) / platform,
                cached=args.cached_wheels,
                bundle_all=args.bundle_all,
            )
        except subprocess.CalledProcessError as exc:
            if platform in PLATFORMS:
                sys.exit(f"wheels for {platform} could not be downloaded:\n{exc.stderr}")
            print(f"skipping {platform}: not every dependency has a wheel for it")

    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    for old in output_dir.glob("movie_director-*.zip"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="movie_director_stage_") as tmp:
        stage_dir = Path(tmp) / "movie_director"
        stage(stage_dir, wheels_by_platform)
        run_blender_ext(
            blender_ext,
            "build",
            "--source-dir",
            str(stage_dir),
            "--output-dir",
            str(output_dir),
            "--split-platforms",
        )

    zips = sorted(output_dir.glob("movie_director-*.zip"))
    if len(zips) != len(wheels_by_platform):
        sys.exit(f"expected {len(wheels_by_platform)} zips, Blender's build produced {len(zips)}")
    for archive in zips:
        run_blender_ext(blender_ext, "validate", str(archive))
        with zipfile.ZipFile(archive) as zf:
            wheel_count = sum(1 for n in zf.namelist() if n.endswith(".whl"))
        print(f"{archive.name}: {archive.stat().st_size / 1e6:.1f} MB, {wheel_count} wheels, validated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
