"""Text for panel labels: a message cut into lines that fit the sidebar (no classes; main thread, draw())."""

from __future__ import annotations


def wrap(text: str, width: int, most: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken between words (a longer word keeps its own
    line), at most ``most`` lines."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines[:most]
