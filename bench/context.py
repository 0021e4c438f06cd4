"""What every figure gets: the repeat count, a scratch folder, the shared stand-ins, a logger to stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .servers import Servers

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Context:
    repeat: int
    workdir: Path
    servers: Servers

    def log(self, message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def folder(self, name: str) -> Path:
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a measuring child process: the repo importable, telemetry off, no proxies."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    env.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def run_child(module: str, *args: str, timeout: float = 300.0, env: dict[str, str] | None = None) -> Any:
    """Run ``python -m <module> <args>`` in a fresh interpreter; its last stdout line is JSON, returned."""
    cmd = [sys.executable, "-m", module, *args]
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env or child_env(), cwd=ROOT, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"{' '.join(cmd)} failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
    return json.loads(lines[-1])
