"""Print the "## Models" section of docs/backends/wavespeed.md from the WaveSpeed data files.

    .venvs/blender-5.0/bin/python scripts/wavespeed_models_doc.py > /tmp/models.md

Everything comes from backend/wavespeed/model_specs.json and model_extras.json (through models.py and
pricing.py), so the table says what the code enforces and which page each fact came from. Paste the output
over the section. No network.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from blender_movie_director.backend.wavespeed.models import SPECS_FILE, ModelSpec, all_models
from blender_movie_director.backend.wavespeed.pricing import per_second_text
from blender_movie_director.scene.catalogs import wavespeed_group, wavespeed_traits

#: Models the issue named that are not in the catalog, and why (kept here so the doc says so).
NOT_ADDED = (
    (
        "Seedance 2.5 reference-to-video, edit and extend (and the non-turbo text-to-video)",
        "WaveSpeed lists them (bytedance/seedance-2.5/...) and its Seedance 2.5 API page "
        "(wavespeed.ai/zh-CN/seedance-2-5-api) gives the family's limits (4-30 s; up to 30 reference "
        "images, 10 videos and 10 audios; from $0.90 per 5 s at 480p; edit billed on input plus output "
        "seconds), but no stored copy of their own pages reaches the parameter table (searched: docs and "
        "pages corpora for the docs-api and llms.txt pages of each endpoint, GitHub for the endpoint "
        "ids). Field lists exist only in third-party notes, which are not enough to send a paid request.",
    ),
    (
        "Wan 3.0 image-to-video and reference-to-video",
        "WaveSpeed's Wan 3.0 API page (wavespeed.ai/zh-CN/wan-3-api) describes them (first frame plus an "
        "optional last frame; image, video and audio references; 2-30 s; 480p/720p/1080p; five aspect "
        "ratios; an audio switch) but names no fields, and no WaveSpeed docs-api or llms.txt page for "
        "them was found (other sellers and third-party clients document them).",
    ),
    (
        "LTX-2.3 image-to-video",
        "WaveSpeed's docs page (wavespeed.ai/docs/docs-api/wavespeed-ai/ltx-2.3/image-to-video) names image "
        "(JPG or PNG) and prompt, both required, and says 480p/720p/1080p and 5-20 s, but every stored copy "
        "is cut inside its parameter table, so the other fields and their defaults are not known.",
    ),
    (
        "LTX-2.3 extend",
        "WaveSpeed documents two pages (wavespeed.ai/docs/docs-api/wavespeed-ai/ltx-2.3-video-extend: video "
        "required, duration 1-20 s default 6, prompt optional, $0.10 per second; .../ltx-2.3-extend: video "
        "and prompt required, duration 1-20 s, $0.50 per 5 s), but neither says its endpoint id nor "
        "whether the answer is the input clip plus the new part (which Extend in the strip menu relies on).",
    ),
)


def _sources() -> dict[str, list[str]]:
    raw = json.loads(SPECS_FILE.read_text(encoding="utf-8"))["models"]
    return {model_id: [str(s) for s in entry.get("sources", [])] for model_id, entry in raw.items()}


def _limits(spec: ModelSpec) -> str:
    parts = []
    for name in ("duration", "resolution", "aspect_ratio", "size"):
        f = spec.fields.get(name)
        if f is not None:
            parts.append(f"{name} {f.allowed_text()}")
    for name, f in spec.fields.items():
        if f.is_list:
            parts.append(f"{name} {f.allowed_text()}")
    if spec.fixed_resolution:
        parts.append(f"always {spec.fixed_resolution}")
    return "; ".join(parts)


def _table(sources: dict[str, list[str]]) -> list[str]:
    out = [
        "| Model | Group | Takes (role: field) | Limits | Price | Sound | Extend | Pages |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for spec in all_models().values():
        roles = ", ".join(f"{r}: `{f}`" for r, f in spec.role_fields.items() if r != "video_guide") or "text"
        found = sources.get(spec.model_id, [])
        urls = [s for s in found if s.startswith("http")]
        notes = [f"`{s}`" for s in found if not s.startswith("http")]
        pages = " ".join([*(f"[{i + 1}]({url})" for i, url in enumerate(urls)), *notes])
        name = f"{spec.display_name} `{spec.model_id}`"
        if spec.retired:
            name += " **retired**"
        out.append(
            f"| {name} | {wavespeed_group(spec)[1]} | {roles} | {_limits(spec)} | {per_second_text(spec)} "
            f"({spec.price_rule.confidence}) | {spec.audio_out} | {spec.extend_model or ''} | {pages} |"
        )
    return out


def _model_section(spec: ModelSpec, sources: list[str]) -> list[str]:
    head = f"Short name `{spec.short_name}` ({spec.task}); research confidence: {spec.confidence}."
    if spec.fixed_resolution:
        head += f" Output fixed at {spec.fixed_resolution}."
    if spec.may_be_retired:
        head += " **May be retired**: checked against the live catalog before every submit."
    lines = [f"### {spec.display_name}: `{spec.model_id}`", "", head, ""]
    if spec.retired:
        instead = all_models().get(spec.replacement or "")
        lines += [
            f"**Retired**: {spec.retired} Refused before any request; use "
            f"{instead.display_name if instead else 'another model'}"
            f"{f' (`{instead.model_id}`)' if instead else ''} instead.",
            "",
        ]
    lines += ["| Field | Type | Allowed | Default | Note |", "|---|---|---|---|---|"]
    for name, f in spec.fields.items():
        allowed = "URL or local file (uploaded)" if f.media_kind and not f.is_list else f.allowed_text()
        if f.is_list:
            allowed += " (URLs or local files, uploaded)"
        if not f.media_kind and f.enum is None and f.minimum is None and f.maximum is None:
            allowed = ""
        default = f"`{f.default!r}`" if f.has_default else ""
        note = f"**unverified:** {f.unverified}" if f.unverified else ""
        req = " (required)" if f.required else ""
        lines.append(f"| `{name}`{req} | {f.type} | {allowed} | {default} | {note} |")
    rule = spec.price_rule
    price = f"Price ({rule.confidence}): {spec.price_text or 'not documented'}"
    if rule.note:
        price += f" ({rule.note})"
    lines += ["", price + f". Per second: {per_second_text(spec)}.", ""]
    if spec.not_in_schema:
        refused = ", ".join(f"`{n}`" for n in spec.not_in_schema if n not in ("resolution", "aspect_ratio"))
        extra = ""
        if "size" in spec.fields and "resolution" not in spec.fields:
            extra = " `resolution` and `aspect_ratio` are translated into `size`."
        lines += [f"Refused, never sent: {refused}.{extra}", ""]
    lines += [f"Takes and gives: {', '.join(wavespeed_traits(spec))}.", ""]
    if sources:
        lines += ["Sources: " + ", ".join(sources), ""]
    lines += [
        f"Prompt limit {spec.prompt_max_chars} characters ({spec.prompt_max_chars_confidence}); typical "
        f"time for the progress bar ~{spec.typical_seconds:g} s ({spec.typical_seconds_confidence}).",
        "",
    ]
    return lines


def main() -> None:
    sources = _sources()
    lines = [
        "## Models",
        "",
        'Generated from the data files by `scripts/wavespeed_models_doc.py`. "Unverified" marks what',
        "the research could not confirm; prices are as documented (the live quote wins when online);",
        '"Pages" are the stored copies of WaveSpeed\'s own pages each entry was read from (a `name` is a',
        "research source described in model_specs.json's source_notes). Typical times only drive the",
        "progress bar. Role = the request's input role (`GenerationRequest.inputs`), mapped to the model's",
        "own field (`backend/wavespeed/roles.py`); a role a model has no field for is refused before any",
        "upload.",
        "",
        *_table(sources),
        "",
        "### Not added, and why",
        "",
        *[f"- {what}: {why}" for what, why in NOT_ADDED],
        "",
    ]
    for spec in all_models().values():
        lines += _model_section(spec, sources.get(spec.model_id, []))
    sys.stdout.write("\n".join(lines))


if __name__ == "__main__":
    main()
