"""Command-line knobs of the Wan2GP stand-in (test controls and server options)."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

# The message huggingface_hub raises when a model file is neither cached nor downloadable; the real
# WanGP 12.60 sends exactly this to the client when it has no weights (captured, wgp-real-drive.md §3).
LOAD_FAILURE_MESSAGE = (
    "An error happened while trying to locate the file on the Hub and we cannot find the requested files in "
    "the local cache. Please check your connection and try again or make sure your Internet connection is on."
)


@dataclass
class Knobs:
    port: int = 7860
    host: str = "127.0.0.1"
    outputs: Path = field(default_factory=lambda: Path("outputs").resolve())
    step_seconds: float = 0.2
    load_seconds: float = 0.5
    fail_load: bool = False
    fail_at_step: int = 0
    fail_message: str = ""
    crash_at_step: int = 0
    file_delay: float = 0.0
    upload_delay: float = 0.0
    file_rate_kbps: float = 0.0
    auth: tuple[str, str] | None = None
    require_header: tuple[str, str] | None = None
    shift_endpoints: int = 0
    compact: bool = False
    ready_file: Path | None = None
    default_model: str = "t2v"
    #: Test knob (not WanGP): keep a copy of every queue file a client uploads here, to check what it sent.
    record_dir: Path | None = None

    def step_failure_message(self, step: int) -> str:
        return self.fail_message or f"Stand-in failure injected at denoising step {step}"


def _pair(text: str, sep: str, what: str) -> tuple[str, str]:
    if sep not in text:
        raise argparse.ArgumentTypeError(f"{what} must look like A{sep}B")
    left, right = text.split(sep, 1)
    return left.strip(), right.strip()


def parse_args(argv: list[str] | None = None) -> Knobs:
    p = argparse.ArgumentParser(prog="wan2gp-standin", description="Wan2GP (WanGP 12.60) stand-in server")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--outputs", type=Path, default=Path("outputs"), help="output folder (real: save_path)")
    p.add_argument("--step-seconds", type=float, default=0.2, help="seconds per denoising step")
    p.add_argument("--load-seconds", type=float, default=0.5, help="seconds to 'load' a model on first use")
    p.add_argument(
        "--fail-load", action="store_true", help="fail every model load like WanGP without weights"
    )
    p.add_argument(
        "--fail-at-step", type=int, default=0, help="raise a generation error at this step (1-based)"
    )
    p.add_argument("--fail-message", default="", help="message of the --fail-at-step error")
    p.add_argument("--crash-at-step", type=int, default=0, help="kill the server process at this step")
    p.add_argument(
        "--file-delay", type=float, default=0.0, help="seconds before each /gradio_api/file= reply"
    )
    p.add_argument("--file-rate-kbps", type=float, default=0.0, help="throttle file downloads to KiB/s")
    p.add_argument(
        "--upload-delay", type=float, default=0.0, help="seconds before load_queue_action answers an upload"
    )
    p.add_argument("--auth", default=None, help="USER:PASSWORD (or set WAN2GP_STANDIN_AUTH)")
    p.add_argument("--require-header", default=None, help="NAME:VALUE every request must carry (else 401)")
    p.add_argument(
        "--shift-endpoints",
        type=int,
        default=0,
        help="register N extra events per client function "
        "early, so /process_tasks_1 becomes /process_tasks_{1+N} etc.",
    )
    p.add_argument(
        "--compact",
        action="store_true",
        help="skip the placeholder components/events that give the "
        "real component ids and fn_index values (smaller /config, same api names)",
    )
    p.add_argument("--ready-file", type=Path, default=None, help="write the URL here once serving")
    p.add_argument("--default-model", default="t2v", help="model type of a new session (real: last used)")
    p.add_argument("--record-dir", type=Path, default=None, help="test knob: keep received queue files")
    a = p.parse_args(argv)
    auth_text = a.auth or os.environ.get("WAN2GP_STANDIN_AUTH") or None
    return Knobs(
        port=a.port,
        host=a.host,
        outputs=a.outputs.resolve(),
        step_seconds=max(0.0, a.step_seconds),
        load_seconds=max(0.0, a.load_seconds),
        fail_load=a.fail_load,
        fail_at_step=a.fail_at_step,
        fail_message=a.fail_message,
        crash_at_step=a.crash_at_step,
        file_delay=max(0.0, a.file_delay),
        upload_delay=max(0.0, a.upload_delay),
        file_rate_kbps=max(0.0, a.file_rate_kbps),
        auth=_pair(auth_text, ":", "--auth") if auth_text else None,
        require_header=_pair(a.require_header, ":", "--require-header") if a.require_header else None,
        shift_endpoints=max(0, a.shift_endpoints),
        compact=a.compact,
        ready_file=a.ready_file,
        default_model=a.default_model,
        record_dir=a.record_dir.resolve() if a.record_dir else None,
    )


_current = Knobs()


def current() -> Knobs:
    return _current


def install(knobs: Knobs) -> None:
    global _current
    _current = knobs
