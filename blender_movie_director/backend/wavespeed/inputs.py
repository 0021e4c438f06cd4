"""Input media for image-to-video and retake: what a local file really is (by its bytes) and whether the
model accepts it, checked before anything is uploaded or paid for."""

from __future__ import annotations

from pathlib import Path

from ..errors import ValidationError
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


def sniff_kind(head: bytes) -> str | None:
    """The file type named by the first bytes of a file, or None if we don't recognise it."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "mov"
        if brand in (b"M4A ", b"M4B "):
            return "m4a"
        return "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head[:64] else "mkv"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


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
