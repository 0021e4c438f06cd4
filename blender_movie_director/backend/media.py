"""Media files by their bytes, without decoding them: what kind of file the first bytes say it is
(:func:`sniff_kind`, the one signature table both backends check inputs with), and a small, dependency-free
MP4 (ISO-BMFF) box reader for downloaded videos (:func:`probe_video`, :func:`video_metadata`).

Blender's Python has no video decoder we can rely on in a worker thread, and a result that is truncated,
empty or not a video at all must be caught before it reaches the VSE. The container tells enough:
size, frame count, duration (hence fps), codec and whether there is an audio track.

Threading: pure functions over files, no state; they read from disk, so prefer a worker thread.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .errors import ServerError


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


_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"udta"}


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    frames: int
    duration: float  # seconds, of the video track
    has_audio: bool
    video_codec: str  # sample entry fourcc, e.g. "avc1", "mp4v", "hvc1"


def video_metadata(info: VideoInfo) -> dict[str, Any]:
    """What a result's metadata says about its video, spelt the same by every backend and every path (a new
    generation, a resumed task, a recovered file)."""
    return {
        "width": info.width,
        "height": info.height,
        "frames": info.frames,
        "fps": info.fps,
        "duration": round(info.duration, 3),
        "has_audio": info.has_audio,
        "video_codec": info.video_codec,
    }


class InvalidVideoError(ServerError):
    """The file is not a complete, playable MP4."""


@dataclass
class _Track:
    handler: bytes = b""
    timescale: int = 0
    duration: int = 0
    width: float = 0.0
    height: float = 0.0
    codec: str = ""
    samples: int = 0
    #: Sum of the sample durations (stts), in ``timescale`` units: the track's own length. The media
    #: header's duration can include an encoder delay from the edit list, which is not picture time.
    sample_time: int = 0


def _boxes(f: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield (type, payload_start, box_end) for the boxes in [start, end)."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        payload = pos + 8
        if size == 1:
            size = struct.unpack(">Q", f.read(8))[0]
            payload += 8
        elif size == 0:
            size = end - pos
        if size < payload - pos:
            raise InvalidVideoError("The video file is damaged (a box has an impossible size).")
        box_end = pos + size
        if box_end > end:
            raise InvalidVideoError(
                f"The video file is truncated: the '{kind.decode('latin-1')}' box needs {box_end} bytes, "
                f"the file has {end}."
            )
        yield kind, payload, box_end
        pos = box_end


def _read_full_box(f: BinaryIO, payload: int, n: int) -> tuple[int, bytes]:
    f.seek(payload)
    data = f.read(4 + n)
    return data[0], data[4:]


def _parse_track(f: BinaryIO, start: int, end: int, track: _Track) -> None:
    for kind, payload, box_end in _boxes(f, start, end):
        if kind in _CONTAINERS:
            _parse_track(f, payload, box_end, track)
        elif kind == b"tkhd":
            version, _ = _read_full_box(f, payload, 0)
            offset = payload + (88 if version == 1 else 76)
            f.seek(offset)
            w, h = struct.unpack(">II", f.read(8))
            track.width, track.height = w / 65536, h / 65536
        elif kind == b"mdhd":
            version, data = _read_full_box(f, payload, 32)
            if version == 1:
                track.timescale, track.duration = struct.unpack(">IQ", data[16:28])
            else:
                track.timescale, track.duration = struct.unpack(">II", data[8:16])
        elif kind == b"hdlr":
            _, data = _read_full_box(f, payload, 8)
            track.handler = data[4:8]
        elif kind == b"stsd":
            _, data = _read_full_box(f, payload, 12)
            track.codec = data[8:12].decode("latin-1")
        elif kind == b"stsz":
            _, data = _read_full_box(f, payload, 8)
            track.samples = struct.unpack(">I", data[4:8])[0]
        elif kind == b"stts":
            _, data = _read_full_box(f, payload, 4)
            (entries,) = struct.unpack(">I", data[:4])
            table = f.read(8 * entries)
            track.sample_time = sum(
                count * delta for count, delta in struct.iter_unpack(">II", table[: len(table) // 8 * 8])
            )


def probe_video(path: str | Path) -> VideoInfo:
    """Read the container of an MP4/MOV file. Raises :class:`InvalidVideoError` if it is not one."""
    path = Path(path)
    try:
        size = path.stat().st_size
        f = path.open("rb")
    except OSError as exc:
        raise InvalidVideoError(f"The video file cannot be read: {exc.strerror or exc}.") from exc
    with f:
        head = f.read(12)
        if len(head) < 12 or head[4:8] not in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
            raise InvalidVideoError(f"'{path.name}' is not an MP4 video.")
        tracks: list[_Track] = []
        has_mdat = False
        for kind, payload, box_end in _boxes(f, 0, size):
            if kind == b"mdat":
                has_mdat = True
            elif kind == b"moov":
                for sub, sub_payload, sub_end in _boxes(f, payload, box_end):
                    if sub == b"trak":
                        track = _Track()
                        _parse_track(f, sub_payload, sub_end, track)
                        tracks.append(track)
    video = next((t for t in tracks if t.handler == b"vide"), None)
    if video is None or not has_mdat:
        raise InvalidVideoError(f"'{path.name}' has no video track.")
    if video.samples == 0 or video.timescale == 0 or video.duration == 0:
        raise InvalidVideoError(f"'{path.name}' has no video frames.")
    duration = (video.sample_time or video.duration) / video.timescale
    return VideoInfo(
        width=round(video.width),
        height=round(video.height),
        fps=round(video.samples / duration, 3),
        frames=video.samples,
        duration=duration,
        has_audio=any(t.handler == b"soun" and t.samples > 0 for t in tracks),
        video_codec=video.codec,
    )


def check_video(path: str | Path, *, expected_size: int | None = None) -> VideoInfo:
    """Probe ``path`` and also check its size against what the server announced."""
    if expected_size is not None:
        actual = Path(path).stat().st_size
        if actual != expected_size:
            raise InvalidVideoError(f"The download is incomplete: {actual} of {expected_size} bytes arrived.")
    return probe_video(path)
