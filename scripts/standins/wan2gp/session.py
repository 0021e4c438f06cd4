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


def generate_queue_html(queue: list[dict[str, Any]]) -> str:
    """Queue table; like wgp.py, queue[0] is the running slot and is never listed."""
    if len(queue) <= 1:
        return EMPTY_QUEUE_HTML
    rows = []
    for i, item in enumerate(queue):
        if i == 0:
            continue
        prompt = str(item.get("prompt") or "")
        full = html.escape(prompt)
        short = (html.escape(prompt[:97]) + "...") if len(prompt) > 100 else full
        rows.append(
            f'<tr draggable="true" class="draggable-row" data-index="{i - 1}" title="Drag to reorder">'
            f'<td class="center-align">{item.get("repeats", "1")}</td>'
            f'<td><div class="prompt-cell" title="{full}">{short}</div></td>'
            f'<td class="center-align">{item.get("length")}</td>'
            f'<td class="center-align">{item.get("steps")}</td>'
            '<td class="center-align"></td><td class="center-align"></td>'
            "</tr>"
        )
    header = (
        "<table><thead><tr>"
        '<th style="width:5%;" class="center-align">Qty</th>'
        '<th style="width:auto;" class="text-left">Prompt</th>'
        '<th style="width:7%;" class="center-align">Length</th>'
        '<th style="width:7%;" class="center-align">Steps</th>'
        '<th style="width:10%;" class="center-align">Start/Ref</th>'
        '<th style="width:10%;" class="center-align">End</th>'
        "</tr></thead><tbody>"
    )
    table = header + "".join(rows) + "</tbody></table>"
    return f'<div id="queue-scroll-container" style="max-height: 650px; overflow-y: auto;">{table}</div>'
