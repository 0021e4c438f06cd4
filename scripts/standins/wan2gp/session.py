"""Per-session ``gen`` dict helpers and the process-wide state wgp.py keeps in globals.

Mirrors wgp.py: ``state["gen"]`` holds the queue, outputs and status of one Gradio session; the task id
counter, the loaded model and the "last loaded queue" used by the error-queue autosave are process-wide.
"""

from __future__ import annotations

import html
import threading
from typing import Any

lock = threading.Lock()  # wgp.py's `lock`: guards queue edits
gen_lock = threading.Lock()  # process_locks.gen_lock


class Globals:
    """Process-wide values wgp.py keeps as module globals."""

    task_id = 0
    loaded_model: str | None = None
    global_queue_ref: list[dict[str, Any]] = []
    gen_in_progress = False


# Model loads in progress, by session (id of its ``gen`` dict). The real WanGP handles an abort or a Clear
# Queue only once a load has ended (a failing load: once its error has been handled), so those handlers
# wait here (wgp-standin-fidelity.md item 7). Kept outside ``gen`` so Gradio never copies an Event.
_loads: dict[int, threading.Event] = {}
_loads_lock = threading.Lock()


def begin_load(gen: dict[str, Any]) -> None:
    with _loads_lock:
        _loads[id(gen)] = threading.Event()


def end_load(gen: dict[str, Any]) -> None:
    with _loads_lock:
        event = _loads.pop(id(gen), None)
    if event is not None:
        event.set()


def wait_for_load(gen: dict[str, Any], timeout: float = 3600.0) -> None:
    """Block (an abort or clear handler) until this session's model load, if any, has ended."""
    with _loads_lock:
        event = _loads.get(id(gen))
    if event is not None:
        event.wait(timeout)


def get_gen_info(state: dict[str, Any]) -> dict[str, Any]:
    cache = state.get("gen")
    if cache is None:
        cache = {}
        state["gen"] = cache
    return cache


def update_global_queue_ref(queue: list[dict[str, Any]]) -> None:
    with lock:
        Globals.global_queue_ref = queue[:]


def format_time(seconds: float) -> str:
    hours = int(seconds // 3600)
    minutes = int((seconds % 3600) // 60)
    secs = int(seconds % 60)
    if hours > 0:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if seconds >= 60:
        return f"{minutes}m {secs:02d}s"
    return f"{seconds:.1f}s"


def merge_status_context(status: str = "", context: str = "") -> str:
    if len(status) == 0:
        return context
    if len(context) == 0:
        return status
    if "|" in context:
        parts = context.split("|")
        return f"{status} - {parts[0].strip()} | {parts[1].strip()}"
    return f"{status} - {context}"


def get_generation_status(prompt_no: int, prompts_max: int, repeat_no: int, repeat_max: int) -> str:
    if prompts_max == 1:
        return "" if repeat_max <= 1 else f"Sample {repeat_no}/{repeat_max}"
    if repeat_max <= 1:
        return f"Prompt {prompt_no}/{prompts_max}"
    return f"Prompt {prompt_no}/{prompts_max}, Sample {repeat_no}/{repeat_max}"


def get_latest_status(state: dict[str, Any], context: str = "") -> str:
    gen = get_gen_info(state)
    status = get_generation_status(
        gen.get("prompt_no", 0),
        gen.get("prompts_max", 0),
        gen.get("repeat_no", 0),
        gen.get("total_generation", 1) + gen.get("extra_orders", 0),
    )
    return merge_status_context(status, context)


EMPTY_QUEUE_HTML = "<div style='text-align: center; color: grey; padding: 20px;'>Queue is empty.</div>"


# Queue table columns: (width, class, text, title); the last two hold the Edit and Remove buttons.
_QUEUE_COLUMNS = [
    ("5%", "center-align", "Qty", ""), ("auto", "text-left", "Prompt", ""),
    ("7%", "center-align", "Length", ""), ("7%", "center-align", "Steps", ""),
    ("10%", "center-align", "Start/Ref", ""), ("10%", "center-align", "End", ""),
    ("4%", "center-align", "", "Edit"), ("4%", "center-align", "", "Remove"),
]  # fmt: skip
_ICON_BUTTON = (
    '<button onclick="updateAndTrigger(\'{action}_{task}\')" class="action-button" title="{title}">'
    '<img src="/gradio_api/file=icons/{action}.svg" style="width: 20px; height: 20px;"></button>'
)


def _indent(level: int, text: str) -> str:
    return " " * level + text + "\n"


def _queue_header() -> str:
    cells = "".join(
        _indent(16, f'<th style="width:{width};" class="{css}"' + (f' title="{title}"' if title else "")
                + f">{text}</th>")
        for width, css, text, title in _QUEUE_COLUMNS
    )  # fmt: skip
    return (
        "\n"
        + _indent(4, "<table>")
        + _indent(8, "<thead>")
        + _indent(12, "<tr>")
        + cells
        + (_indent(12, "</tr>") + _indent(8, "</thead>") + _indent(8, "<tbody>") + "    ")
    )


def _queue_row(row_index: int, item: dict[str, Any]) -> str:
    """One pending task: the 8 cells of wgp.py's table, with its default "pastel" colour scheme."""
    task_id = item["id"]
    prompt = str(item.get("prompt") or "")
    full = html.escape(prompt)
    short = (html.escape(prompt[:97]) + "...") if len(prompt) > 100 else full
    hue = (task_id * 137.508 + 22241) % 360
    is_edit_task = str((item.get("params") or {}).get("mode", "") or "").startswith("edit_")
    centered = [
        str(item.get("repeats", "1")), str(item.get("length")), str(item.get("steps")), "", "",
        "" if is_edit_task else _ICON_BUTTON.format(action="edit", task=task_id, title="Edit"),
        _ICON_BUTTON.format(action="remove", task=task_id, title="Remove"),
    ]  # fmt: skip
    cells = [f'<td class="center-align">{value}</td>' for value in centered]
    cells.insert(1, f'<td><div class="prompt-cell" title="{full}">{short}</div></td>')
    opening = (
        f'<tr draggable="true" class="draggable-row pastel-row" data-index="{row_index}" '
        f'style="--item-hue: {hue:.0f};" title="Drag to reorder">'
    )
    return "\n" + _indent(8, opening) + "".join(_indent(12, c) for c in cells) + _indent(8, "</tr>") + " " * 8


def generate_queue_html(queue: list[dict[str, Any]]) -> str:
    """Queue table, in wgp.py's exact form; queue[0] is the running slot and is never listed.

    Not reproduced: the start/end image thumbnails and the scroll buttons above 11 tasks.
    """
    if len(queue) <= 1:
        return EMPTY_QUEUE_HTML
    rows = "".join(_queue_row(i - 1, item) for i, item in enumerate(queue) if i > 0)
    table = _queue_header() + rows + "</tbody></table>"
    return f'<div id="queue-scroll-container" style="max-height: 650px; overflow-y: auto;">{table}</div>'
