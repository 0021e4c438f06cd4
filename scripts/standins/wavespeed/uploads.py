"""Media upload: the documented multipart endpoint and the SDK's two-step (ticket + PUT) upload."""

from __future__ import annotations

import email.parser
import email.policy
from typing import TYPE_CHECKING, Any

from .faults import FaultRule
from .media import StoredFile, media_type
from .protocol import envelope, error_envelope

if TYPE_CHECKING:
    from .handler import Handler


def handle_api(h: Handler, rule: FaultRule | None) -> None:
    if rule is not None and h.apply_fault(rule):
        return
    if h.url_path.rstrip("/").endswith("/upload/binary"):
        _binary(h)
    else:
        _ticket(h)


def _describe(h: Handler, stored: StoredFile, size: int) -> dict[str, Any]:
    return {
        "type": media_type(stored.filename, stored.content_type),
        "download_url": f"{h.app.base_url}{stored.url_path}",
        "filename": stored.filename,
        "size": size,
    }


def _binary(h: Handler) -> None:
    ctype = h.headers.get("Content-Type") or ""
    if not ctype.lower().startswith("multipart/form-data"):
        h.send_json(400, error_envelope(400, "expected multipart/form-data with a 'file' field"))
        return
    part = _file_part(ctype, h.body)
    if part is None:
        h.send_json(400, error_envelope(400, "missing form field 'file'"))
        return
    filename, content_type, data = part
    stored = h.app.media.add_upload(filename, content_type, data)
    h.send_json(200, envelope(_describe(h, stored, len(data))))


def _file_part(ctype: str, body: bytes) -> tuple[str, str | None, bytes] | None:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            data = part.get_payload(decode=True) or b""
            filename = part.get_filename() or "upload"
            content_type = part.get_content_type() if part.get("Content-Type") else None
            return filename, content_type, data
    return None


def _ticket(h: Handler) -> None:
    try:
        body = h.json_body()
    except ValueError as exc:
        h.send_json(400, error_envelope(400, str(exc)))
        return
    if not isinstance(body, dict) or not isinstance(body.get("filename"), str):
        h.send_json(400, error_envelope(400, "filename is required"))
        return
    size = body.get("size")
    if not isinstance(size, int) or size < 0:
        h.send_json(400, error_envelope(400, "size must be a non-negative integer"))
        return
    content_type = body.get("content_type") if isinstance(body.get("content_type"), str) else None
    stored = h.app.media.add_upload(body["filename"], content_type, None)
    token = h.app.media.storage_token(stored)
    data = _describe(h, stored, size)
    data["upload"] = {
        "method": "PUT",
        "url": f"{h.app.base_url}/storage/{token}",
        "headers": {"Content-Type": stored.content_type},
    }
    h.send_json(200, envelope(data))
