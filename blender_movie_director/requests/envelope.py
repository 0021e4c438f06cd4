"""The request envelope: the one place a request's output folder, shot reference, deadline, request timeout,
servers and credentials come from.

Every request builder (shot preview/final, regenerate, variations, retake, image to video, extend, layout to
video) wraps its backend-specific part (model, prompt, settings, inputs) in an :class:`Envelope` made here
from today's preferences, so a setting added to the preferences reaches every kind of job or none.
Credentials travel beside the request, never inside it. Main thread only (reads the preferences and
``bpy.data``); the envelope and the requests it makes are frozen and safe to hand to worker threads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..backend.files import inside, safe_filename
from ..backend.jobs.request import Backend, Credentials, GenerationRequest, ShotRef
from ..backend.jobs.resume import ResumeContext
from ..backend.limits import MiB
from ..scene.config import get_preferences, output_root

#: How an input's role reads in a message.
ROLE_NAMES = {
    "image_start": "start image",
    "image_end": "end image",
    "video": "source video",
    "image_refs": "a cast reference picture",
}

#: Subfolder of the output folder for clips made from strips that are no shot's.
STRIP_FOLDER = "director"


@dataclass(frozen=True)
class Envelope:
    """Everything a request carries that comes from the preferences or says where the result goes."""

    backend: str  # "WAN2GP" | "WAVESPEED" (the preferences' and shots' spelling)
    output_dir: str
    shot: ShotRef
    deadline_s: float
    request_timeout_s: float
    servers: tuple[str, ...]
    credentials: Credentials
    max_download_bytes: int
    transport: str = "auto"  # Wan2GP: "auto" | "web_ui" | "mcp" (the preference)

    def fields(self) -> dict[str, Any]:
        """The request fields this envelope sets."""
        return {
            "output_dir": self.output_dir,
            "shot": self.shot,
            "deadline_s": self.deadline_s,
            "request_timeout_s": self.request_timeout_s,
            "servers": self.servers,
            "max_download_bytes": self.max_download_bytes,
            "transport": self.transport,
        }

    def request(self, **fields: Any) -> tuple[GenerationRequest, Credentials]:
        """A frozen request of ``fields`` (model, prompt, settings, inputs, quality, priority, label) in this
        envelope, and the credentials to run it with."""
        backend = Backend(self.backend.lower())
        return GenerationRequest(backend=backend, **self.fields(), **fields), self.credentials

    def rewrap(
        self, request: GenerationRequest, *, picked: Iterable[str] = (), **changes: Any
    ) -> tuple[GenerationRequest, Credentials]:
        """A stored request (a take's, or one written on a strip) in this envelope: preferences may have
        changed since it was made, and the .blend it came from may not be the user's. Its input files are
        reused only from inside the output folder or when the user ``picked`` them (the shot's start image,
        shown in the panel); raises :class:`StoredInputError` naming any other."""
        check_stored_inputs(request.inputs, picked=picked)
        return replace(request, **self.fields(), **changes), self.credentials


class StoredInputError(ValueError):
    """A stored request names an input file outside the output folder that the user did not pick again."""


def check_stored_inputs(inputs: Mapping[str, str], *, picked: Iterable[str] = ()) -> None:
    """Raise :class:`StoredInputError` for the first input that is neither inside today's output folder nor
    one of the files the user ``picked``: a path a stored request names is a hint, and uploading it on one
    click would send any local file to the user's own service."""
    root = output_root()
    chosen = {_resolved(path) for path in picked if path}
    for role, value in inputs.items():
        # image_refs holds several paths, one a line (the cast's pictures, issue 17): each is checked.
        for path in value.split("\n") if role == "image_refs" else [value]:
            if not path or inside(path, root) or _resolved(path) in chosen:
                continue
            again = "in the Cast panel" if role == "image_refs" else "(as the shot's start image)"
            raise StoredInputError(
                f"This clip was made from {path} ({ROLE_NAMES.get(role, role)}), which is outside the output "
                f"folder {root}: Movie Director reuses files a stored request names only from there. Pick "
                f"the file again {again} and generate the shot."
            )


def _resolved(path: str) -> str:
    try:
        return str(Path(path).expanduser().resolve())
    except (OSError, RuntimeError, ValueError):
        return path


def credentials_for(backend: str, prefs: Any | None = None) -> Credentials:
    """The secrets for ``backend`` ("WAN2GP" | "WAVESPEED"), read now from the preferences or environment."""
    prefs = prefs or get_preferences()
    if backend.upper() == "WAVESPEED":
        return Credentials(api_key=prefs.effective_wavespeed_api_key())
    return Credentials(username=prefs.wan2gp_username, password=prefs.wan2gp_password)


def servers_for(backend: str, prefs: Any | None = None) -> tuple[str, ...]:
    prefs = prefs or get_preferences()
    if backend.upper() == "WAVESPEED":
        return (prefs.effective_wavespeed_base_url(),)
    return prefs.wan2gp_urls()


def transport_for(backend: str, prefs: Any | None = None) -> str:
    """The Wan2GP transport preference as a request spells it ("auto" | "web_ui" | "mcp"); "auto" for
    WaveSpeed, which has one surface."""
    if backend.upper() != "WAN2GP":
        return "auto"
    prefs = prefs or get_preferences()
    return str(getattr(prefs, "wan2gp_transport", "AUTO")).lower()


def shot_output_dir(obj: Any, prefs: Any | None = None) -> str:
    """The shot's folder in the output folder."""
    # A "/" in an object name is part of the name here, not a folder.
    name = obj.name.replace("/", "_").replace("\\", "_")
    return str(Path(output_root(prefs)) / safe_filename(name, "shot"))


def output_dir(obj: Any | None, prefs: Any | None = None) -> str:
    """The shot's folder, or the folder for clips made from strips that are no shot's (``obj`` None)."""
    if obj is not None:
        return shot_output_dir(obj, prefs)
    return str(Path(output_root(prefs)) / STRIP_FOLDER)


def download_cap(prefs: Any | None = None) -> int:
    """The Download Limit preference, in bytes."""
    prefs = prefs or get_preferences()
    return int(prefs.download_limit_mb) * MiB


def envelope(backend: str, *, shot: ShotRef, obj: Any | None = None, prefs: Any | None = None) -> Envelope:
    """Today's envelope for a ``backend`` job about ``shot``; the results go to ``obj``'s folder (a shot's
    camera), else to the strips' folder."""
    prefs = prefs or get_preferences()
    return Envelope(
        backend=backend.upper(),
        output_dir=output_dir(obj, prefs),
        shot=shot,
        deadline_s=float(prefs.job_deadline_minutes) * 60.0,
        request_timeout_s=float(prefs.request_timeout),
        servers=servers_for(backend, prefs),
        credentials=credentials_for(backend, prefs),
        max_download_bytes=download_cap(prefs),
        transport=transport_for(backend, prefs),
    )


def resume_context(prefs: Any | None = None) -> ResumeContext:
    """Today's context for jobs of an earlier session (the Resume button, ``md.resume()``, ``--resume``):
    the same output folder, servers, credentials, timeout, deadline and download cap as a new job's, never
    the ones a job store records (see backend/jobs/resume.py)."""
    prefs = prefs or get_preferences()
    return ResumeContext(
        output_dir=output_root(prefs),
        wan2gp_servers=servers_for("WAN2GP", prefs),
        wan2gp_transport=transport_for("WAN2GP", prefs),
        wavespeed_url=servers_for("WAVESPEED", prefs)[0],
        credentials={
            Backend.WAN2GP: credentials_for("WAN2GP", prefs),
            Backend.WAVESPEED: credentials_for("WAVESPEED", prefs),
        },
        request_timeout_s=float(prefs.request_timeout),
        deadline_s=float(prefs.job_deadline_minutes) * 60.0,
        max_download_bytes=download_cap(prefs),
    )
