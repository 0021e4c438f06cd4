"""What a Wan2GP server offers, as plain records: :class:`ModelRecord` (a video model, whether its weights
are on the server, what it takes) and :class:`LoraRecord`.

Over MCP they come from ``wangp_list_models(include_availability=True)`` and ``wangp_list_loras``; over the
web UI route the models come from the shipped catalog with ``available`` None (the web UI cannot say), and
LoRA lists are not offered. Light: no httpx, no pydantic; any thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: WanGP's input kinds, from what the web UI route's catalog knows of each task.
_TASK_INPUTS = {
    "t2v": ("text",),
    "i2v": ("text", "image"),
    "ti2v": ("text", "image"),
    "flf2v": ("text", "image"),
    "vace": ("text", "image", "video"),
    "control": ("text", "image", "video"),
    "ref2v": ("text", "image"),
    "avatar": ("text", "image", "audio"),
    "edit": ("text", "video"),
}


@dataclass(frozen=True)
class ModelRecord:
    """One video model of a server. ``available``: its weights are on the server (None: cannot tell)."""

    model_type: str
    name: str
    available: bool | None
    inputs: tuple[str, ...]
    family: str = ""
    main_output: tuple[str, ...] = ("video",)


@dataclass(frozen=True)
class LoraRecord:
    """One LoRA the server has for a model: ``name`` goes into ``activated_loras`` as is."""

    name: str
    path: str | None = None


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else ()


def records_from_mcp(rows: Iterable[Mapping[str, Any]], *, available_only: bool = False) -> list[ModelRecord]:
    """Video-producing models of ``wangp_list_models`` rows (with availability)."""
    out = []
    for row in rows:
        outputs = _texts(row.get("main_output")) or _texts(row.get("outputs"))
        if "video" not in outputs or not isinstance(row.get("model_type"), str):
            continue
        availability = row.get("availability")
        available = availability.get("available") if isinstance(availability, Mapping) else None
        available = bool(available) if isinstance(available, bool) else None
        if available_only and not available:
            continue
        out.append(
            ModelRecord(
                model_type=str(row["model_type"]),
                name=str(row.get("name") or row["model_type"]),
                available=available,
                inputs=_texts(row.get("inputs")),
                family=str(row.get("family") or ""),
                main_output=outputs,
            )
        )
    return out


def records_from_catalog() -> list[ModelRecord]:
    """The shipped catalog's video models; availability unknown (the web UI route cannot ask)."""
    from ..catalog import get_model, video_model_ids

    out = []
    for model_id in video_model_ids():
        info = get_model(model_id)
        if info is None:
            continue
        out.append(
            ModelRecord(
                model_type=info.id,
                name=info.name,
                available=None,
                inputs=_TASK_INPUTS.get(info.task.value, ("text",)),
                family=info.family,
            )
        )
    return out


def loras_from_mcp(answer: Any) -> list[LoraRecord]:
    """``wangp_list_loras``' ``loras`` (names, or records with a name) as records."""
    rows = answer.get("loras") if isinstance(answer, Mapping) else None
    out = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, str) and row:
            out.append(LoraRecord(row))
        elif isinstance(row, Mapping):
            name = row.get("name") or row.get("id") or row.get("path")
            if isinstance(name, str) and name:
                path = row.get("path")
                out.append(LoraRecord(name, path if isinstance(path, str) else None))
    return out


__all__ = ["LoraRecord", "ModelRecord", "loras_from_mcp", "records_from_catalog", "records_from_mcp"]
