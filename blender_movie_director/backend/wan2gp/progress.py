"""Job status snapshots and how WanGP's status stream maps onto them.

WanGP reports progress only through ``refresh_status_async``: yielded status strings ("Generating...",
"Loading model …", "Prompt 1/1 | Denoising | 3.2s / 9.6s") and ``gr.Progress`` updates whose ``index`` /
``length`` are the denoising step and step count. Nothing is reported while a model loads or downloads,
so the snapshot always carries elapsed time as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Phase(StrEnum):
    PENDING = "pending"
    CONNECTING = "connecting"
    UPLOADING = "uploading"
    QUEUED = "queued"  # waiting for the server (another session's generation holds the GPU)
    LOADING = "loading"  # loading / downloading the model, encoding the prompt
    GENERATING = "generating"  # denoising steps
    DECODING = "decoding"  # VAE decoding, saving
    FINALIZING = "finalizing"
    DOWNLOADING = "downloading"
    ABORTING = "aborting"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: Fraction of the whole job at the start of each phase (denoising fills 0.05 .. 0.90).
_PHASE_FLOOR = {
    Phase.PENDING: 0.0,
    Phase.CONNECTING: 0.0,
    Phase.UPLOADING: 0.01,
    Phase.QUEUED: 0.02,
    Phase.LOADING: 0.03,
    Phase.GENERATING: 0.05,
    Phase.DECODING: 0.90,
    Phase.FINALIZING: 0.93,
    Phase.DOWNLOADING: 0.95,
    Phase.DONE: 1.0,
}
TERMINAL = frozenset({Phase.DONE, Phase.FAILED, Phase.CANCELLED})


@dataclass(frozen=True)
class RemoteIds:
    """Where a job lives on the server, known as soon as its task is loaded.

    ``server_file`` is fixed before the run (WanGP names the output after the task's ``output_filename``),
    so a job engine can persist it and find the video after a restart with ``Wan2GPClient.recover``.
    """

    server_url: str
    session_hash: str
    client_id: str
    server_file: str
    outputs_dir: str | None = None  # the server's output folder, when known
    server_path: str | None = None  # full path of the output on the server, once it exists
    transport: str = "web_ui"  # "web_ui" | "mcp"
    job_id: str | None = None  # the MCP server's job id (transport "mcp"); server_file is then unknown


@dataclass(frozen=True)
class JobStatus:
    phase: Phase
    fraction: float
    text: str
    elapsed: float
    step: int | None = None
    total: int | None = None
    queue_position: int | None = None
    remote: RemoteIds | None = None

    @property
    def done(self) -> bool:
        return self.phase in TERMINAL


def phase_from_text(text: str, default: Phase) -> Phase:
    lowered = text.lower()
    if "abort" in lowered:
        return Phase.ABORTING
    if "decoding" in lowered or "saving" in lowered:
        return Phase.DECODING
    if "denoising" in lowered:
        return Phase.GENERATING
    if "loading model" in lowered or "encoding prompt" in lowered or "downloading" in lowered:
        return Phase.LOADING
    return default


def fraction_for(phase: Phase, step: int | None = None, total: int | None = None) -> float:
    if phase == Phase.GENERATING and step is not None and total:
        return 0.05 + 0.85 * max(0.0, min(1.0, step / total))
    return _PHASE_FLOOR.get(phase, 0.0)


def read_progress_units(units: Any) -> tuple[int | None, int | None, str]:
    """(step, total, text) from gradio_client's ``progress_data`` (a list of ProgressUnit)."""
    if not units:
        return None, None, ""
    unit = units[-1]
    index, length = getattr(unit, "index", None), getattr(unit, "length", None)
    desc = str(getattr(unit, "desc", "") or "")
    progress = getattr(unit, "progress", None)
    if index is None and isinstance(progress, (int, float)) and length:
        index = round(progress * length)
    return (int(index) if index is not None else None), (int(length) if length else None), desc
