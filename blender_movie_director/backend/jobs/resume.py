"""Today's context for jobs an earlier session left in the store, and the rules that rebuild them from it.

A stored record is a hint, never authority: it may come from a .blend someone else wrote. Servers,
credentials, the output folder, the request timeout, the job deadline and the download cap come from the
caller (the preferences of today's session) through :class:`ResumeContext`; :func:`rebuild` keeps from the
record only what says *which* work it was (model, prompt, settings, the remote id) and checks the rest:

- a Wan2GP server named by the record is contacted only if it is one of today's servers;
- WaveSpeed work goes to today's WaveSpeed address, whatever the record names;
- an input file (or a local path hidden in the settings) is used only when it resolves (links followed)
  inside today's output folder;
- the job's output folder is the stored one only when it resolves inside today's output folder, else the
  output folder itself (a project moved to another disk still resumes); never a folder outside it;
- a Wan2GP server file must be a plain file name (it is joined to the server's output folder).

Plain data and path arithmetic, no I/O beyond resolving paths, no threads: safe on any thread.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..errors import BackendError, ErrorKind
from .events import JobState
from .request import Backend, Credentials, GenerationRequest
from .store import JobRecord

#: The request field that carries the download cap (added with the transfer limits); copied when present.
DOWNLOAD_CAP_FIELD = "max_download_bytes"
_CAP_FIELD = next((f for f in fields(GenerationRequest) if f.name == DOWNLOAD_CAP_FIELD), None)


@dataclass(frozen=True)
class ResumeContext:
    """Everything a resumed job runs with that is not the work itself, from today's preferences."""

    #: Today's output folder (absolute). Results, and the inputs a job may use, must lie inside it.
    output_dir: str
    #: Today's Wan2GP server addresses (the preferences' list, in order).
    wan2gp_servers: tuple[str, ...] = ()
    #: Today's Wan2GP transport preference ("auto" | "web_ui" | "mcp"), never the stored one.
    wan2gp_transport: str = "auto"
    #: Today's WaveSpeed base URL; empty: the client's default.
    wavespeed_url: str = ""
    credentials: Mapping[Backend, Credentials] = field(default_factory=dict)
    request_timeout_s: float = 60.0
    deadline_s: float = 3600.0
    #: The largest download accepted, in bytes (the preference; 0: no cap). None: the request's built-in
    #: default. Never the stored value: a crafted record must not lift the cap.
    max_download_bytes: int | None = None
    _resolved: dict[str, Path | None] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "wan2gp_servers", tuple(self.wan2gp_servers))
        object.__setattr__(self, "credentials", {Backend(k): v for k, v in dict(self.credentials).items()})

    def credentials_for(self, backend: Backend | str) -> Credentials:
        return self.credentials.get(Backend(backend), Credentials())

    def resolved(self, path: str | os.PathLike[str]) -> Path | None:
        """``path`` with links followed and ``..`` applied (None if it cannot be), remembered for this
        context's life (one click): many stored jobs share their folders."""
        key = os.fspath(path)
        if key not in self._resolved:
            try:
                self._resolved[key] = Path(key).expanduser().resolve()
            except (OSError, RuntimeError, ValueError):
                self._resolved[key] = None
        return self._resolved[key]

    def inside(self, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` resolves inside today's output folder (or is it)."""
        target, root = self.resolved(path), self.resolved(self.output_dir)
        return target is not None and root is not None and (target == root or target.is_relative_to(root))


class NotResumableError(BackendError):
    """Why a stored job cannot run with today's context, in words for the user."""

    kind = ErrorKind.INTERRUPTED


def server_key(url: str) -> tuple[str, str, int, str]:
    """A server address reduced to what identifies it: scheme, host, port, path (trailing ``/`` dropped)."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")


def rebuild(record: JobRecord, context: ResumeContext) -> GenerationRequest:
    """The stored job's request with today's values; raises :class:`NotResumableError` saying why not."""
    request = record.request
    root = context.output_dir
    if not root or not Path(root).is_absolute() or context.resolved(root) is None:
        raise NotResumableError("The output folder is not set: jobs from an earlier session cannot resume.")
    kept = request.output_dir if request.output_dir and context.inside(request.output_dir) else root
    changes: dict[str, object] = {
        "output_dir": str(context.resolved(kept)),
        "request_timeout_s": float(context.request_timeout_s),
        "deadline_s": float(context.deadline_s),
        "servers": _servers(record, context),
        "transport": context.wan2gp_transport,
    }
    if _CAP_FIELD is not None:
        cap = context.max_download_bytes
        changes[DOWNLOAD_CAP_FIELD] = _CAP_FIELD.default if cap is None else int(cap)
    if _submits_again(record):
        inputs = request.inputs.items()
        paths = [p for role, v in inputs for p in (v.split("\n") if role == "image_refs" else [v])]
        paths += [p for p in _strings(request.settings) if _looks_like_a_path(p)]  # a file hidden in settings
        for path in paths:
            if path and not context.inside(path):
                raise NotResumableError(
                    f"The stored job's input file '{path}' is outside the output folder '{root}', so "
                    "it was not used. Pick the file again on the shot and generate it."
                )
    if record.request.backend == Backend.WAN2GP and record.remote_id and not _plain_name(record.remote_id):
        raise NotResumableError(
            f"The stored job names the server file '{record.remote_id}', which is not a plain file name; "
            "it was not fetched."
        )
    # A copy with today's values: they are plain data already, so the constructor's JSON check (most of the
    # cost of resuming thousands of jobs) is not needed again.
    rebuilt = object.__new__(GenerationRequest)
    rebuilt.__dict__.update(request.__dict__, **changes)
    return rebuilt


def _submits_again(record: JobRecord) -> bool:
    """A job that never reached the service is submitted afresh (with its inputs); others are fetched."""
    return record.state == JobState.QUEUED and not record.remote_id


def _servers(record: JobRecord, context: ResumeContext) -> tuple[str, ...]:
    backend = record.request.backend
    if backend == Backend.WAVESPEED:
        return (context.wavespeed_url,) if context.wavespeed_url else ()
    today = context.wan2gp_servers
    if _submits_again(record):
        return today  # fresh work: today's servers, as for any Generate
    named = record.request.servers or tuple(s for s in record.server.split(",") if s)
    if not named:
        return today
    known = {server_key(s): s for s in today}
    kept = tuple(dict.fromkeys(known[server_key(s)] for s in named if server_key(s) in known))
    if not kept:
        listed = ", ".join(named)
        raise NotResumableError(
            f"The stored job names the Wan2GP server {listed}, which is not in your preferences, so it was "
            "not contacted. Add the server in the preferences if you trust it, then resume again."
        )
    return kept


def _strings(value: object) -> list[str]:
    """Every text inside a settings value (maps and lists walked; stored settings are JSON)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _looks_like_a_path(text: str) -> bool:
    """A local path a backend would read (and upload): absolute, home-relative or ``file:``; not a URL."""
    text = text.strip()
    if text.startswith("file:"):
        return True
    drive = text[1:3] in (":\\", ":/")  # C:\ on any system: the file may have been written on Windows
    return "://" not in text and (Path(text).is_absolute() or text.startswith("~") or drive)


def _plain_name(name: str) -> bool:
    return bool(name) and not {"/", "\\", "\0"} & set(name) and name not in (".", "..")
