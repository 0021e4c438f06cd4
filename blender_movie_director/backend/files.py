"""File-system helpers for results: safe names from untrusted servers, atomic writes, unique paths, and
whether a path named by untrusted data lies inside the folder the user chose. Plain functions: any thread."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def safe_filename(name: str | None, default: str = "video.mp4", max_length: int = 120) -> str:
    """Turn a server-given name into one plain file name: no folders, no ``..``, no control characters.

    Servers are not trusted: ``../../.bashrc`` becomes ``.bashrc`` -> ``bashrc``, an empty result becomes
    ``default``.
    """
    if not name:
        return default
    name = unicodedata.normalize("NFC", name.replace("\\", "/")).split("/")[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        return default
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    if not stem or stem.upper() in _WINDOWS_RESERVED:
        stem = Path(default).stem if not stem else f"_{stem}"
    if len(stem) + len(suffix) + 1 > max_length:
        stem = stem[: max(1, max_length - len(suffix) - 1)]
    result = f"{stem}.{suffix}" if suffix else stem
    return result or default


def unique_path(folder: str | Path, stem: str, suffix: str) -> Path:
    """``folder/stem.suffix``, or ``stem_2``, ``stem_3``… if that exists. ``suffix`` includes the dot."""
    folder = Path(folder)
    candidate = folder / f"{stem}{suffix}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}_{n}{suffix}"
        n += 1
    return candidate


@contextmanager
def atomic_output(final_path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``final_path``; move it into place only if the block succeeds.

    A reader never sees a half-written result, and a failed or cancelled download leaves nothing behind.
    """
    final_path = Path(final_path)
    final_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final_path.stem}.", suffix=".part", dir=final_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        tmp.replace(final_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """Whether ``path`` resolves (links followed, ``..`` applied) inside ``folder`` (or is it).

    The check every path named by a .blend, a job store or strip metadata passes before it is opened,
    read, uploaded or written: such a path is a hint, and only today's output folder is authority.
    """
    if not str(path) or not str(folder):
        return False
    try:
        target = Path(path).expanduser().resolve()
        root = Path(folder).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        return False
    return target == root or target.is_relative_to(root)


def folder_problem(folder: str | os.PathLike[str]) -> str:
    """Why results cannot be written to ``folder``, in words naming it; "" when they can.

    Creates the folder when it is missing (a local ``mkdir``: cheap, safe on the main thread) and checks that
    it is a folder this user may write in, so a bad Output Folder preference is reported on the shot before
    a job starts, instead of failing later on a worker thread with a raw ``OSError``.
    """
    path = Path(folder)
    if not str(folder).strip():
        return "The output folder is not set: choose one in the preferences (Output Folder)."
    if path.exists() and not path.is_dir():
        return f"The output folder {path} is a file, not a folder: choose another in the preferences."
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or exc
        return f"The output folder {path} cannot be created ({reason}): choose another in the preferences."
    if not os.access(path, os.W_OK | os.X_OK):
        return f"The output folder {path} cannot be written to: choose another in the preferences."
    return ""
