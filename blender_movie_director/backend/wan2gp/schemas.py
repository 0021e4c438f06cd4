"""Typed, validated Wan2GP generation settings.

:class:`GenerationSettings` holds what a film-maker asks for (model, prompt, resolution, length, sampling,
input media). Validation happens before anything is sent, and every message says how to fix the problem:
unknown model ids get suggestions, frame counts are rounded up to the family's rule (and the rounding is
recorded in :attr:`GenerationSettings.notes`), input files must exist, resolutions must be ``"WxH"`` or a
named preset such as ``"720p"``.

:meth:`GenerationSettings.to_task` turns the settings into the flat dict WanGP's queue loader reads.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..errors import ValidationError
from ..media import sniff_kind
from .catalog import (
    MEDIA_KEYS,
    RESOLUTION_PRESETS,
    Task,
    get_model,
    nearest_cast_model,
    reference_slot,
    unknown_model_message,
)
from .catalog_data import SETTINGS_KEYS

_RESOLUTION = re.compile(r"^\s*(\d{2,5})\s*[xX]\s*(\d{2,5})\s*$")
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
_VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}
_AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac"}
#: What a picture may really be, by its first bytes (Pillow opens each of these).
_IMAGE_KINDS = {"png", "jpeg", "webp", "bmp", "gif", "tiff"}

#: Settings sent only when set (else the server's per-model default applies).
_OPTIONAL_KEYS = (
    "negative_prompt",
    "resolution",
    "video_length",
    "num_inference_steps",
    "guidance_scale",
    "flow_shift",
    "sample_solver",
)
#: Keys this schema sets itself; ``extra`` may not override them.
_OWN_KEYS = {
    "model_type",
    "prompt",
    "seed",
    *_OPTIONAL_KEYS,
    "image_prompt_type",
    "video_prompt_type",
    "activated_loras",
    "loras_multipliers",
    "client_id",
    "output_filename",
    *MEDIA_KEYS,
}


_FIELD_ERROR = "wan2gp_field:"

#: Names people reach for, mapped to the setting they mean.
_SYNONYMS = {
    "steps": "num_inference_steps",
    "frames": "video_length",
    "num_frames": "video_length",
    "length": "video_length",
    "seconds": "duration",
    "cfg": "guidance_scale",
    "guidance": "guidance_scale",
    "shift": "flow_shift",
    "negative": "negative_prompt",
    "model_type": "model",
    "image": "image_start",
    "image_path": "image_start",
    "start_image": "image_start",
    "end_image": "image_end",
    "control_video": "video_guide",
    "mask": "video_mask",
    "reference_images": "image_refs",
    "width": "resolution",
    "height": "resolution",
    "loras": "activated_loras",
}


def _field_error(field: str, message: str) -> PydanticCustomError:
    """A validation error that remembers which field it is about (pydantic drops that for model checks)."""
    return PydanticCustomError(_FIELD_ERROR + field, message)


def normalize_resolution(value: str) -> str:
    """``"720p"`` -> ``"1280x720"``; ``"832x480"`` stays; anything else raises ``ValueError``."""
    key = value.strip().lower()
    if key in RESOLUTION_PRESETS:
        return RESOLUTION_PRESETS[key]
    match = _RESOLUTION.match(value)
    if not match:
        presets = ", ".join(RESOLUTION_PRESETS)
        raise ValueError(f"resolution must look like '832x480' (width x height) or be one of: {presets}")
    width, height = int(match.group(1)), int(match.group(2))
    for side, size in (("width", width), ("height", height)):
        if not 64 <= size <= 4096:
            raise ValueError(f"resolution {side} {size} is outside 64..4096")
        if size % 16:
            lower, upper = size - size % 16, size - size % 16 + 16
            raise ValueError(f"resolution {side} {size} must be a multiple of 16 (try {lower} or {upper})")
    return f"{width}x{height}"


class GenerationSettings(BaseModel):
    """Everything one Wan2GP generation needs. Field names follow WanGP's settings keys."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, frozen=False)

    model: str = Field(description="WanGP model id (model_type), e.g. 't2v_1.3B'")
    prompt: str = Field(min_length=1, max_length=20_000)
    negative_prompt: str = ""
    resolution: str | None = Field(default=None, description="'WxH' or a preset such as '720p'")
    video_length: int | None = Field(default=None, ge=1, le=2000, description="frames")
    duration: float | None = Field(default=None, gt=0, le=600, description="seconds (alternative to frames)")
    num_inference_steps: int | None = Field(default=None, ge=1, le=200)
    guidance_scale: float | None = Field(default=None, ge=0, le=50)
    flow_shift: float | None = Field(default=None, ge=0, le=100)
    seed: int = Field(default=-1, ge=-1, le=2**32 - 1, description="-1 = random")
    sample_solver: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_+\-]{1,32}$")
    image_start: Path | None = None
    image_end: Path | None = None
    video_guide: Path | None = None
    video_mask: Path | None = None
    video_source: Path | None = None
    audio_guide: Path | None = None
    image_refs: list[Path] = Field(default_factory=list)
    video_prompt_type: str | None = Field(default=None, pattern=r"^[A-Z0-9#]{0,24}$")
    image_prompt_type: str | None = Field(default=None, pattern=r"^[A-Z]{0,8}$")
    activated_loras: list[str] = Field(default_factory=list)
    loras_multipliers: str = ""
    #: Further WanGP settings keys, passed through unchanged (checked against WanGP's key list).
    extra: dict[str, Any] = Field(default_factory=dict)
    #: Accept a model id this catalog does not know (a finetune or plugin model on the server).
    allow_unknown_model: bool = False
    #: What validation changed, in words (e.g. a frame count rounded up to the model's rule).
    notes: list[str] = Field(default_factory=list)

    # --- field checks ------------------------------------------------------------------------------
    @field_validator("prompt")
    @classmethod
    def _prompt_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt is empty; describe the shot")
        return value

    @field_validator("resolution")
    @classmethod
    def _resolution_format(cls, value: str | None) -> str | None:
        return None if value is None else normalize_resolution(value)

    @field_validator("extra")
    @classmethod
    def _extra_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if key in _OWN_KEYS:
                raise ValueError(f"'{key}' is a named setting; pass it directly, not in extra")
            if key not in SETTINGS_KEYS:
                import difflib

                close = difflib.get_close_matches(key, sorted(SETTINGS_KEYS), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ValueError(f"'{key}' is not a Wan2GP setting{hint}")
        return value

    # --- cross-field checks ------------------------------------------------------------------------
    @model_validator(mode="after")
    def _check_model_and_media(self) -> GenerationSettings:
        info = get_model(self.model)
        if info is None:
            if not self.allow_unknown_model:
                raise _field_error("model", unknown_model_message(self.model))
        elif not info.is_video:
            raise _field_error(
                "model",
                f"'{self.model}' is a Wan2GP {info.task.value} model; Movie Director generates video clips "
                "(pick a video model such as 't2v_1.3B')",
            )
        if self.video_length is not None and self.duration is not None:
            raise _field_error("duration", "give video_length (frames) or duration (seconds), not both")
        if info is not None:
            self._apply_frame_rule(info)
            self._check_task_inputs(info.task)
            self._check_references()
        self._check_files()
        return self

    def _apply_frame_rule(self, info: Any) -> None:
        if self.duration is not None:
            frames = info.frames_for_seconds(self.duration)
            self.notes.append(
                f"{self.duration:g} s at {info.fps} fps -> {frames} frames "
                f"({info.family} rule {info.frame_rule})"
            )
            self.video_length = frames
            self.duration = None
        elif self.video_length is not None:
            valid = info.valid_frames(self.video_length)
            if valid != self.video_length:
                self.notes.append(
                    f"video_length {self.video_length} does not fit the {info.family} frame rule "
                    f"{info.frame_rule}; rounded up to {valid}"
                )
                self.video_length = valid

    def _check_task_inputs(self, task: Task) -> None:
        if task in (Task.I2V, Task.FLF2V) and self.image_start is None:
            raise _field_error(
                "image_start", f"model '{self.model}' turns an image into video: set image_start"
            )
        if task == Task.FLF2V and self.image_end is None:
            raise _field_error(
                "image_end", f"model '{self.model}' needs a first and a last frame: set image_end"
            )
        if task == Task.VACE and self.video_guide is None and not self.image_refs:
            raise _field_error(
                "video_guide",
                f"model '{self.model}' is a control (VACE) model: set video_guide or image_refs",
            )
        if self.video_mask is not None and self.video_guide is None:
            raise _field_error(
                "video_mask", "video_mask needs a video_guide (the mask applies to the control video)"
            )

    def _check_references(self) -> None:
        """Reference pictures only where the model takes them (WanGP drops them from any other model without a
        word, catalog_data.REFERENCE_ROWS) and no more than it takes."""
        if not self.image_refs:
            return
        slot = reference_slot(self.model)
        if slot is None:
            other = nearest_cast_model(self.model)
            hint = f" (a model that does: '{other}')" if other else ""
            raise _field_error(
                "image_refs",
                f"model '{self.model}' takes no reference pictures; WanGP would ignore them{hint}",
            )
        if slot.most and len(self.image_refs) > slot.most:
            raise _field_error(
                "image_refs",
                f"model '{self.model}' takes at most {slot.most} reference picture"
                f"{'s' if slot.most > 1 else ''}, not {len(self.image_refs)}",
            )

    def _check_files(self) -> None:
        checks: list[tuple[str, Path, set[str]]] = []
        for key, kinds in (
            ("image_start", _IMAGE_SUFFIXES),
            ("image_end", _IMAGE_SUFFIXES),
            ("video_guide", _VIDEO_SUFFIXES),
            ("video_mask", _VIDEO_SUFFIXES | _IMAGE_SUFFIXES),
            ("video_source", _VIDEO_SUFFIXES),
            ("audio_guide", _AUDIO_SUFFIXES),
        ):
            path = getattr(self, key)
            if path is not None:
                checks.append((key, path, kinds))
        checks += [("image_refs", path, _IMAGE_SUFFIXES) for path in self.image_refs]
        for key, path, kinds in checks:
            if not path.is_file():
                raise _field_error(key, f"input file not found: {path}")
            if path.suffix.lower() not in kinds:
                raise _field_error(
                    key, f"'{path.name}' is not a supported file type ({', '.join(sorted(kinds))})"
                )
            _check_content(key, path, picture=kinds is _IMAGE_SUFFIXES)

    # --- output ------------------------------------------------------------------------------------
    def media(self) -> dict[str, list[Path]]:
        """Input files by settings key (lists, so ``image_refs`` fits the same shape)."""
        found: dict[str, list[Path]] = {}
        for key in MEDIA_KEYS:
            value = getattr(self, key)
            paths = list(value) if isinstance(value, list) else ([value] if value is not None else [])
            if paths:
                found[key] = paths
        return found

    def effective_image_prompt_type(self) -> str:
        if self.image_prompt_type is not None:
            return self.image_prompt_type
        flags = ("S" if self.image_start is not None else "") + ("E" if self.image_end is not None else "")
        if not flags and self.video_source is not None:
            flags = "V"
        return flags

    def effective_video_prompt_type(self) -> str:
        if self.video_prompt_type is not None:
            return self.video_prompt_type
        flags = ""
        if self.video_guide is not None:
            flags += "V"
        if self.video_mask is not None:
            flags += "A"
        if self.image_refs:
            flags += "I"
        return flags

    def to_task(self) -> dict[str, Any]:
        """The WanGP settings dict (media keys hold local paths; the queue builder rewrites them).

        Unset optional values are left out so the server's per-model defaults apply.
        """
        task: dict[str, Any] = dict(self.extra)
        task.update(model_type=self.model, prompt=self.prompt, seed=self.seed)
        for key in _OPTIONAL_KEYS:
            value = getattr(self, key)
            if value not in (None, ""):
                task[key] = value
        image_flags = self.effective_image_prompt_type()
        if image_flags:
            task["image_prompt_type"] = image_flags
        video_flags = self.effective_video_prompt_type()
        if video_flags:
            task["video_prompt_type"] = video_flags
        if self.activated_loras:
            task["activated_loras"] = list(self.activated_loras)
            task["loras_multipliers"] = self.loras_multipliers
        for key, paths in self.media().items():
            task[key] = [str(p) for p in paths] if key == "image_refs" else str(paths[0])
        return task

    def resolved(self) -> dict[str, Any]:
        """Model defaults filled in: what the server will use for resolution, frames, steps and fps."""
        info = get_model(self.model)
        width_height = self.resolution or (info.default_resolution if info else "") or "832x480"
        frames = self.video_length or (info.default_frames if info else 81)
        fps = info.fps if info else 16
        return {
            "model": self.model,
            "resolution": width_height,
            "frames": frames,
            "fps": fps,
            "duration": round(frames / fps, 3) if fps else None,
            "steps": self.num_inference_steps or (info.default_steps if info else None),
        }


def _check_content(key: str, path: Path, *, picture: bool) -> None:
    """Read the file's first bytes: it must be readable and not empty, and a picture must be one by its
    bytes, not only by its name (else WanGP fails on it after the task was sent)."""
    try:
        with path.open("rb") as f:
            head = f.read(64)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise _field_error(key, f"'{path.name}' cannot be read ({why})") from None
    if not head:
        raise _field_error(key, f"'{path.name}' is empty")
    if picture:
        kind = sniff_kind(head)
        if kind not in _IMAGE_KINDS:
            found = f"a {kind.upper()} file" if kind else "not an image file"
            raise _field_error(key, f"'{path.name}' is {found}, not a picture (PNG, JPEG, WebP or BMP)")


def validate_settings(
    settings: GenerationSettings | dict[str, Any] | None = None, **overrides: Any
) -> GenerationSettings:
    """Build (or re-validate with ``overrides``) settings, raising the backend's typed ValidationError.

    The error message names each bad field and says what is expected; ``err.field`` is the first one.
    """
    if isinstance(settings, GenerationSettings):
        data = settings.model_dump(exclude={"notes"})
        data.update(overrides)
    else:
        data = {**(settings or {}), **overrides}
    try:
        return GenerationSettings.model_validate(data)
    except pydantic.ValidationError as exc:
        raise _to_backend_error(exc) from None


def _to_backend_error(exc: pydantic.ValidationError) -> ValidationError:
    problems = []
    first_field = None
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ()))
        kind = str(err.get("type", ""))
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if kind.startswith(_FIELD_ERROR):
            loc = kind[len(_FIELD_ERROR) :]
        elif kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden":
            message = "is not a setting" + (
                f" (did you mean '{_SYNONYMS[loc]}'?)" if loc in _SYNONYMS else ""
            )
        if first_field is None and loc:
            first_field = loc
        problems.append(message if not loc or message.startswith(loc) else f"{loc}: {message}")
    return ValidationError("Invalid Wan2GP settings: " + "; ".join(problems), field=first_field)
