"""Start and stop the Wan2GP stand-in (``scripts/wan2gp-standin``) in its own process.

One launcher for the test fixtures, the demo and the benchmarks: a free port of 127.0.0.1, a ready file
and a deadline (the first start creates the stand-ins' venv: minutes), then stopped by its PID (SIGTERM,
then SIGKILL). Outputs, log and ready file live in the work folder, so a failure can show the log's end.
Knob names are the launcher's options with ``_`` for ``-`` (``step_seconds=0.2``, ``fail_at_step=3``,
``auth="u:p"``, ``gradio6=True``, ...).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "scripts" / "wan2gp-standin"
PREPARE_DEADLINE_S = 900.0  # first use: venv creation + pip install of gradio
START_DEADLINE_S = 90.0


@dataclass
class Wan2GPStandin:
    url: str
    outputs: Path
    pid: int
    log_path: Path
    port: int
    process: subprocess.Popen[bytes] = field(repr=False)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_text()[-chars:]
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def knob_args(knobs: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in knobs.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is False or value is None:
            continue
        else:
            args += [flag, str(value)]
    return args


def prepare_venv(gradio6: bool = False) -> None:
    cmd = [str(LAUNCHER), "--prepare"] + (["--gradio6"] if gradio6 else [])
    subprocess.run(cmd, check=True, timeout=PREPARE_DEADLINE_S, stdout=subprocess.DEVNULL)


def start_standin(workdir: Path, *, deadline: float = START_DEADLINE_S, **knobs: Any) -> Wan2GPStandin:
    """Start a stand-in in ``workdir`` and wait (at most ``deadline`` seconds) until it serves."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = int(knobs.pop("port", 0) or free_port())
    outputs = Path(knobs.pop("outputs", workdir / "outputs"))
    ready = workdir / "ready.txt"
    ready.unlink(missing_ok=True)
    log_path = workdir / "server.log"
    gradio6 = bool(knobs.pop("gradio6", False))
    prepare_venv(gradio6)
    cmd = [str(LAUNCHER), "--port", str(port), "--outputs", str(outputs), "--ready-file", str(ready)]
    cmd += (["--gradio6"] if gradio6 else []) + knob_args(knobs)
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env)
    standin = Wan2GPStandin("", outputs, process.pid, log_path, port, process)
    end = time.monotonic() + deadline
    while not ready.exists():
        if process.poll() is not None:
            raise RuntimeError(
                f"The Wan2GP stand-in exited with code {process.returncode}:\n{standin.log_tail()}"
            )
        if time.monotonic() > end:
            stop_standin(standin)
            raise TimeoutError(
                f"The Wan2GP stand-in did not start within {deadline:.0f} s:\n{standin.log_tail()}"
            )
        time.sleep(0.1)
    standin.url = ready.read_text(encoding="utf-8").strip()
    return standin


def stop_standin(standin: Wan2GPStandin) -> None:
    process = standin.process
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
