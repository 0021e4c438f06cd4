"""Write a measured run into docs/performance.md, between two markers; the analysis around them is kept."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path

from .context import ROOT

DOC = ROOT / "docs" / "performance.md"
BEGIN = "<!-- bench:results:begin (written by `python -m bench --write-docs`; edit outside these markers) -->"
END = "<!-- bench:results:end -->"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, load average at the end {load}"
    )


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def results_block(table: str, *, command: str, seconds: float, repeat: int) -> str:
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    return "\n".join(
        [
            BEGIN,
            "",
            f"Measured {when} at commit `{commit()}` with `{command}` ({repeat} samples per measurement, "
            f"{seconds:.0f} s in total) on {machine()}.",
            "",
            table,
            "",
            END,
        ]
    )


def write_docs(table: str, *, command: str, seconds: float, repeat: int, path: Path = DOC) -> Path:
    block = results_block(table, command=command, seconds=seconds, repeat=repeat)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = (text.rstrip() + "\n\n" if text else "# Performance\n\n") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
