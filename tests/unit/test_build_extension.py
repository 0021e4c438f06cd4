"""The build script's own rules: what Blender already bundles, and how the manifest lists are written."""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import build_extension  # noqa: E402


def _requires_closure(distribution: str) -> set[str]:
    seen: set[str] = set()
    stack = [distribution]
    while stack:
        name = stack.pop()
        try:
            requires = importlib.metadata.requires(name) or ()
        except importlib.metadata.PackageNotFoundError:  # a platform-only requirement (colorama on Windows)
            continue
        for requirement in requires:
            if "extra ==" in requirement:
                continue
            name = build_extension.normalize(re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0])
            if name not in seen:
                seen.add(name)
                stack.append(name)
    return seen


def test_blender_bundled_matches_the_bpy_wheel() -> None:
    # What the bpy wheel declares (and Blender's own Python ships) is exactly what we leave out.
    assert _requires_closure("bpy") == set(build_extension.BLENDER_BUNDLED)


def test_runtime_requirements_come_from_pyproject() -> None:
    requirements = build_extension.runtime_requirements()
    assert any(r.startswith("gradio_client>=2.7.2") for r in requirements)
    assert {build_extension.normalize(re.split(r"[<>=]", r)[0]) for r in requirements} == {
        "gradio-client",
        "httpx",
        "pydantic",
    }


def test_write_manifest_list_inserts_then_replaces() -> None:
    manifest = (ROOT / "blender_manifest.toml").read_text()
    once = build_extension.write_manifest_list(manifest, "wheels", ["./wheels/a-1-py3-none-any.whl"])
    twice = build_extension.write_manifest_list(once, "wheels", ["./wheels/b-2-py3-none-any.whl"])
    parsed = tomllib.loads(twice)
    assert parsed["wheels"] == ["./wheels/b-2-py3-none-any.whl"]
    assert parsed["permissions"] == tomllib.loads(manifest)["permissions"]
    assert twice.count("wheels = [") == 1


def test_manifest_follows_extension_rules() -> None:
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    assert manifest["schema_version"] == "1.0.0"
    assert manifest["id"] == "movie_director"
    assert manifest["blender_version_min"] == "4.2.0"
    assert manifest["license"] == ["SPDX:GPL-3.0-or-later"]
    assert manifest["tags"] == ["Sequencer"]
    assert manifest["type"] == "add-on"
    texts = [manifest["tagline"], *manifest["permissions"].values()]
    assert set(manifest["permissions"]) == {"network", "files"}
    assert all(text and text[-1].isalnum() for text in texts), "no final punctuation"
    assert all(len(text) <= 64 for text in texts)
    assert manifest["version"] == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_wheel_distribution_names() -> None:
    assert (
        build_extension.wheel_distribution("pydantic_core-2.50.4-cp311-cp311-win_amd64.whl")
        == "pydantic-core"
    )
    assert (
        build_extension.wheel_distribution("charset_normalizer-3.5.2-py3-none-any.whl")
        == "charset-normalizer"
    )


def test_not_bundled_are_pulled_in_by_the_requirements_and_not_blenders() -> None:
    # Each left-out wheel is one the requirements really pull in (else the entry is stale) ...
    closure = set().union(*(_requires_closure(d) for d in ("gradio-client", "httpx", "pydantic")))
    assert set(build_extension.NOT_BUNDLED) <= closure
    # ... and none is one the product imports itself.
    assert not set(build_extension.NOT_BUNDLED) & {"gradio-client", "httpx", "pydantic", "pydantic-core"}
    assert not set(build_extension.NOT_BUNDLED) & build_extension.BLENDER_BUNDLED


def test_pip_download_lines_name_the_resolved_wheels() -> None:
    out = (
        "Collecting httpx>=0.27\n"
        "  File was already downloaded /cache/httpx-0.29.0-py3-none-any.whl\n"
        "Saved ./cache/h11-0.16.0-py3-none-any.whl\n"
        "Successfully downloaded httpx h11\n"
    )
    assert build_extension._PIP_WHEEL_LINE.findall(out) == [
        "/cache/httpx-0.29.0-py3-none-any.whl",
        "./cache/h11-0.16.0-py3-none-any.whl",
    ]
