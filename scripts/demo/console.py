"""What the demo prints: numbered steps, a progress bar, notes, the summary.

On a terminal the bar is redrawn in place; in a log (not a terminal) a bar line is printed only when the
label changes or the bar grows by a twentieth, so CI logs stay short but still show the run moving.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

BAR_CELLS = 28


def format_bar(fraction: float, cells: int = BAR_CELLS) -> str:
    """``[##########----------]  50%`` for ``fraction`` in [0, 1] (clamped)."""
    fraction = min(1.0, max(0.0, fraction))
    filled = round(fraction * cells)
    return f"[{'#' * filled}{'-' * (cells - filled)}] {fraction * 100:3.0f}%"


def format_seconds(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


class Console:
    def __init__(self, stream: TextIO | None = None, steps: int = 0) -> None:
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.steps = steps
        self.step_number = 0
        self.started = time.monotonic()
        self._bar_open = False
        self._last_key: tuple[str, int] | None = None

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def line(self, text: str = "") -> None:
        self.end_bar()
        self._write(text + "\n")

    def step(self, text: str) -> None:
        self.step_number += 1
        total = f"/{self.steps}" if self.steps else ""
        self.line(f"[{self.step_number}{total}] {text}")

    def note(self, text: str) -> None:
        self.line(f"      {text}")

    def bar(self, fraction: float, label: str, detail: str = "") -> None:
        """Show progress ``fraction`` of the current step; ``label`` names what runs, ``detail`` how far."""
        text = f"      {format_bar(fraction)}  {label}" + (f": {detail}" if detail else "")
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self._write("\r" + text[:width].ljust(width))
            self._bar_open = True
            return
        key = (label, int(min(1.0, max(0.0, fraction)) * 10))
        if key != self._last_key:
            self._last_key = key
            self._write(text + "\n")

    def end_bar(self) -> None:
        if self._bar_open:
            self._write("\n")
            self._bar_open = False
        self._last_key = None

    def elapsed(self) -> float:
        return time.monotonic() - self.started
