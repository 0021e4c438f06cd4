"""The Wan2GP stand-in (``scripts/wan2gp-standin``) in its own process, for the demo's clips.

Started on a free port of 127.0.0.1 with a ready file and a deadline, stopped by its PID (SIGTERM, then
SIGKILL). Its log stays in its work folder so a failure can show the end of it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "scripts" / "wan2gp-standin"
START_DEADLINE_S = 120.0
#: Seconds per denoising step and per model load: slow enough to watch the progress bar move.
STEP_SECONDS = 0.1
LOAD_SECONDS = 0.5


@dataclass
class Standin:
    url: str
    pid: int
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    workdir: Path, *, step_seconds: float = STEP_SECONDS, load_seconds: float = LOAD_SECONDS
) -> Standin:
    """Start the stand-in with its outputs and log in ``workdir``; returns once it serves."""
    workdir.mkdir(parents=True, exist_ok=True)
    ready = workdir / "ready.txt"
    ready.unlink(missing_ok=True)
    log_path = workdir / "server.log"
    cmd = [
        str(LAUNCHER),
        "--port", str(free_port()),
        "--outputs", str(workdir / "outputs"),
        "--ready-file", str(ready),
        "--step-seconds", str(step_seconds),
        "--load-seconds", str(load_seconds),
    ]  # fmt: skip
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env)
    standin = Standin("", process.pid, log_path, process)
    deadline = time.monotonic() + START_DEADLINE_S
    while not ready.exists():
        if process.poll() is not None:
            raise RuntimeError(
                f"The Wan2GP stand-in exited with code {process.returncode}:\n{standin.log_tail()}"
            )
        if time.monotonic() > deadline:
            stop(standin)
            raise TimeoutError(
                f"The Wan2GP stand-in did not start within {START_DEADLINE_S:.0f} s:\n{standin.log_tail()}"
            )
        time.sleep(0.1)
    standin.url = ready.read_text(encoding="utf-8").strip()
    return standin


def stop(standin: Standin) -> None:
    process = standin.process
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
