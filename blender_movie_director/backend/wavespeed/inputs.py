"""Input media for image-to-video and retake: what a local file really is (by its bytes, with
:func:`..media.sniff_kind`) and whether the model accepts it, checked before anything is uploaded or paid for.

Threading: reads a few bytes of a local file; no state, safe from any worker thread."""

from __future__ import annotations

from pathlib import Path

from ..errors import ValidationError
from ..media import sniff_kind
from .models import InputLimit

_MIME = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
}


def content_type(kind: str) -> str:
    return _MIME.get(kind, "application/octet-stream")


def check_local_input(path: Path, field: str, media_kind: str, limit: InputLimit) -> str:
    """Validate a local input file; return its sniffed kind (``png``, ``mp4``…)."""
    if not path.is_file():
        raise ValidationError(f"The {field} file '{path.name}' does not exist.", field=field)
    size = path.stat().st_size
    if size == 0:
        raise ValidationError(f"The {field} file '{path.name}' is empty.", field=field)
    if size > limit.max_bytes:
        raise ValidationError(
            f"The {field} file '{path.name}' is {size / 1e6:.1f} MB; WaveSpeed accepts at most "
            f"{limit.max_bytes / 1e6:.0f} MB for a {media_kind}.",
            field=field,
        )
    with path.open("rb") as f:
        head = f.read(64)
    kind = sniff_kind(head)
    if kind not in limit.kinds:
        found = f"a {kind.upper()} file" if kind else "not a file type we recognise"
        raise ValidationError(
            f"The {field} file '{path.name}' is {found}; allowed {media_kind} types: "
            f"{', '.join(k.upper() for k in limit.kinds)}.",
            field=field,
            allowed=limit.kinds,
        )
    return kind
