"""Code blocks of the Markdown documentation (README.md and docs/**/*.md), with how each is to be run.

Convention (docs/README.md, "Code examples"): every fenced ```python block runs in the doc test. An HTML
comment on the line just above the fence says what it needs:

    <!-- doc-test: blender wan2gp -->  in Blender with the extension enabled, against the Wan2GP stand-in
    <!-- doc-test: wavespeed -->       against the WaveSpeed stand-in (WAVESPEED_API_KEY/_BASE_URL set)
    <!-- doc-test: blender wan2gp-mcp -->  against WanGP's MCP stand-in (WAN2GP_URL is its /mcp address)
    <!-- doc-test: skip: why -->       not run (a fragment, or it needs what no test has); say why

Without a comment the block runs in plain Python. Shell blocks (```bash, ```sh) are not run; the commands
they name are checked to exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEEDS = frozenset({"blender", "wan2gp", "wan2gp-mcp", "wavespeed"})
PYTHON_FENCES = frozenset({"python", "py", "python3"})
SHELL_FENCES = frozenset({"bash", "sh", "shell", "console"})
_MARKER = re.compile(r"^<!--\s*doc-test:\s*(?P<body>.*?)\s*-->\s*$")
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[\w+-]*)")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    needs: frozenset[str] = frozenset()
    skip: str = ""  # the reason, when the block is marked not to run
    marker_error: str = ""  # a marker that cannot be understood

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"


def doc_files(root: Path = ROOT) -> list[Path]:
    files = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    return [f for f in files if f.is_file()]


def _parse_marker(text: str) -> tuple[frozenset[str], str, str]:
    """(needs, skip reason, error) of a marker's body."""
    if text.startswith("skip"):
        reason = text[4:].lstrip(" :—-").strip()
        return frozenset(), reason or "?", "" if reason else "a skip marker must say why"
    words = frozenset(text.split())
    unknown = words - NEEDS
    if unknown or not words:
        return words & NEEDS, "", f"unknown doc-test marker words: {sorted(unknown) or '(none)'}"
    return words, "", ""


def blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path``, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, language, start = match["fence"], match["info"].lower(), i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(match["indent"]) :])
            i += 1
        i += 1  # the closing fence
        previous = next((lines[j].strip() for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        marker = _MARKER.match(previous)
        needs, skip, error = _parse_marker(marker["body"]) if marker else (frozenset(), "", "")
        out.append(Block(path, start + 1, language, "\n".join(body) + "\n", needs, skip, error))
    return out


def all_blocks(languages: frozenset[str]) -> list[Block]:
    return [b for f in doc_files() for b in blocks(f) if b.language in languages]
