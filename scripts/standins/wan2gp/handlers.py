"""The queue-route event functions, with wgp.py's names (Gradio derives the api_names from them).

Behaviour follows WanGP 12.60 (wgp.py, commit 8681e9f) and what the real server did when driven
(shared/research/wgp-real-drive.md §9).
"""

from __future__ import annotations

import html
import logging
import queue as queue_mod
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import gradio as gr

from . import queue_files
from .downloads import register_download
from .generation import generate_media
from .knobs import current
from .queue_zip import save_queue_to_zip
from .session import (
    Globals,
    end_load,
    format_time,
    gen_lock,
    generate_queue_html,
    get_gen_info,
    lock,
    update_global_queue_ref,
    wait_for_load,
)

log = logging.getLogger("wan2gp_standin")
CLEAR_FILE_LIST = 5  # wgp_config.json default "clear_file_list"
ERROR_QUEUE_NAME = "error_queue.zip"


def update_queue_data(queue: list[dict[str, Any]]) -> Any:
    update_global_queue_ref(queue)
    return gr.HTML(value=generate_queue_html(queue))


def load_queue_action(filepath: Any, state: dict[str, Any], evt: gr.EventData) -> Any:
    """Load a queue from a .zip or .json upload; without a trigger id this is the page-load autoload."""
    gen = get_gen_info(state)
    original_queue = gen.get("queue", [])
    if evt.target is None:
        # Autoload only works with an empty queue, and the stand-in has no autosaved queue.zip.
        return None
    if current().upload_delay > 0:  # test knob: a slow or stuck server while a task is sent
        time.sleep(current().upload_delay)
    name = getattr(filepath, "name", None) or (str(filepath) if filepath else None)
    if not name or not Path(name).is_file():
        log.info("[load_queue_action] Warning: No valid file selected or file not found.")
        return update_queue_data(original_queue)
    filename = Path(name)
    if current().record_dir is not None:  # test knob: what the client sent, kept for the test to read
        current().record_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(filename, current().record_dir / f"{time.time_ns()}_{filename.name}")
    try:
        if filename.name.lower().endswith(".json"):
            loaded, error = queue_files.parse_settings_json(filename)
            # Real safety rule: attachment paths in a JSON upload are dropped.
            for task in loaded or []:
                params = task.get("params", {})
                for key in queue_files.ATTACHMENT_KEYS:
                    if key in params:
                        params[key] = None
        else:
            loaded, error = queue_files.parse_queue_zip(filename, current().outputs)
        if error or loaded is None:
            gr.Warning(f"Failed to load queue: {(error or '')[:200]}")
            return update_queue_data(original_queue)
        if original_queue:
            max_id = max([t.get("id", 0) for t in original_queue] + [0])
            for i, task in enumerate(loaded):
                task["id"] = max_id + 1 + i
            Globals.task_id = max_id + len(loaded) + 1
            with lock:
                original_queue.extend(loaded)
                gen["queue"] = original_queue
            message = (
                f"Merged {len(loaded)} task(s) with existing {len(original_queue) - len(loaded)} task(s)"
            )
            merged = original_queue
        else:
            merged = loaded
            message = f"Loaded {len(loaded)} task(s)"
            with lock:
                gen["queue"] = merged
        with lock:
            gen["prompts_max"] = len(merged)
        update_global_queue_ref(merged)
        log.info("[load_queue_action] %s.", message)
        gr.Info(message)
        return update_queue_data(merged)
    except Exception as e:  # wgp.py turns any load error into a warning
        log.exception("[load_queue_action] Caught error")
        gr.Warning(f"Failed to load queue: {f'Error during queue load: {e}'[:200]}")
        return update_queue_data(original_queue)
    finally:
        if filename.exists() and tempfile.gettempdir() in str(filename.resolve()):
            try:
                filename.unlink()
                log.info("[load_queue_action] Removed temporary upload file: %s", filename)
            except OSError as e:
                log.info("[load_queue_action] Info: Could not remove temp file %s: %s", filename, e)


def save_queue_action(state: dict[str, Any]) -> str:
    gen = get_gen_info(state)
    queue = gen.get("queue", [])
    if not queue:
        gr.Info("Queue is empty. Nothing to save.")
        return ""
    snapshot = queue[:]

    def produce(target: Path) -> bool:
        return save_queue_to_zip(snapshot, target)

    return register_download("queue.zip", "application/zip", produce)


def init_process_queue_if_any(state: dict[str, Any]) -> tuple[Any, Any, Any]:
    gen = get_gen_info(state)
    if gen.get("queue"):
        state["validate_success"] = 1
        return gr.Button(visible=False), gr.Button(visible=True), gr.Column(visible=True)
    return gr.Button(visible=True), gr.Button(visible=False), gr.Column(visible=False)


def refresh_status_async(state: dict[str, Any], progress: gr.Progress = gr.Progress()):  # noqa: B008
    gen = get_gen_info(state)
    while True:
        progress_args = gen.get("progress_args")
        if progress_args is not None:
            progress(*progress_args)
            gen["progress_args"] = None
        status = gen.get("status", "")
        if status:
            yield status
            gen["status"] = ""
        if not gen.get("status_display", False):
            return
        time.sleep(0.5)


def activate_status(state: dict[str, Any]) -> float | None:
    if state.get("validate_success", 0) != 1:
        return None
    get_gen_info(state)["status_display"] = True
    return time.time()


def _truncate_file_lists(gen: dict[str, Any]) -> None:
    for names in (("file_list", "file_settings_list"), ("audio_file_list", "audio_file_settings_list")):
        files, settings = gen.get(names[0], []), gen.get(names[1], [])
        keep = max(len(files) - CLEAR_FILE_LIST, 0)
        gen[names[0]], gen[names[1]] = files[keep:], settings[keep:]


def _autosave_error_queue() -> None:
    target = current().outputs.parent / ERROR_QUEUE_NAME
    if Globals.global_queue_ref and save_queue_to_zip(Globals.global_queue_ref, target):
        log.info("Error Queue autosaved successfully to %s", ERROR_QUEUE_NAME)
        gr.Info(f"Error Queue autosaved successfully to {ERROR_QUEUE_NAME}")
    else:
        log.info("Autosave Error Queue failed.")


def _queue_worker(state: dict[str, Any], queue: list[dict[str, Any]], send_cmd) -> None:
    gen = get_gen_info(state)
    gen["prompt_no"] = 0
    try:
        while len(queue) > 0:
            gen["prompt_no"] += 1
            with lock:
                task = queue[0] if queue else None
            if task is None:
                break
            send_cmd("status", "Generating...")
            try:
                success = generate_media(task, send_cmd, state)
            except Exception as e:
                log.exception("generation failed")
                send_cmd("error", str(e))
                return
            if gen.get("abort", False):
                gen["abort"] = False
                send_cmd("status", "Video Generation Aborted")
                send_cmd("output", None)
            if not success:
                break
            with lock:
                queue[:] = [item for item in queue if item["id"] != task["id"]]
            update_global_queue_ref(queue)
    except Exception as e:
        log.exception("queue worker crashed")
        send_cmd("error", f"Queue worker crashed: {e}")
    finally:
        send_cmd("worker_exit", None)


def _release_gen(gen: dict[str, Any]) -> None:
    with gen_lock:
        gen.pop("main_process_running", None)
        gen["process_status"] = None


def process_tasks(state: dict[str, Any]):
    gen = get_gen_info(state)
    queue = gen.get("queue", [])
    if len(queue) == 0:
        gen["status_display"] = False
        return
    with lock:
        _truncate_file_lists(gen)
    with gen_lock:
        gen["main_process_running"] = True
        gen["process_status"] = "process:main"
    start_time = time.time()
    Globals.gen_in_progress = True
    gen["in_progress"] = True
    gen["status"] = "Generating..."
    yield time.time(), time.time(), gr.update()

    messages: queue_mod.Queue[tuple[str, Any]] = queue_mod.Queue()

    def send_cmd(cmd: str, data: Any = None) -> None:
        messages.put((cmd, data))

    threading.Thread(
        target=_queue_worker, args=(state, queue, send_cmd), name="generation", daemon=True
    ).start()
    while True:
        cmd, data = messages.get()
        if cmd == "worker_exit":
            break
        if cmd == "info":
            gr.Info(data)
        elif cmd == "error":
            queue.clear()
            _autosave_error_queue()
            update_global_queue_ref(queue)
            gen["prompts_max"] = 0
            gen["prompt"] = ""
            gen["status_display"] = False
            _release_gen(gen)
            end_load(gen)  # a failed load has ended: waiting aborts and clears now run (still "running")
            raise gr.Error(data, print_exception=False, duration=0)
        elif cmd == "status":
            gen["status"] = data
            text = str(data or "").strip()
            gen["last_progress_args"] = [0, text] if text else None
        elif cmd == "output":
            gen["refresh_tab"] = True
            yield time.time(), time.time(), gr.update()
        elif cmd == "progress":
            gen["last_progress_args"] = gen["progress_args"] = data
    gen["prompts_max"] = 0
    gen["prompt"] = ""
    elapsed = format_time(time.time() - start_time)
    if gen.get("abort", False):
        gen["status"] = f"Video generation was aborted. Total Generation Time: {elapsed}"
    else:
        gen["status"] = f"Total Generation Time: {elapsed}"
    gen["status_display"] = False
    _release_gen(gen)
    end_load(gen)


def _pack_audio_gallery_state(files: list[str] | None, selected: int) -> list[Any]:
    import json

    return [json.dumps(files), selected, time.time()]


def finalize_generation(state: dict[str, Any]) -> tuple[Any, ...]:
    gen = get_gen_info(state)
    gen.pop("in_progress", None)
    file_list = gen.get("file_list", [])
    choice = len(file_list) - 1
    audio_files = gen.get("audio_file_list", [])
    audio_choice = len(audio_files) - 1
    gen["extra_orders"] = 0
    last_was_audio = gen.get("last_was_audio", False)
    gen["current_gallery_source"] = "audio" if last_was_audio else "video"
    gallery_tabs = gr.Tabs(selected="audio" if last_was_audio else "video_images")
    time.sleep(0.2)
    Globals.gen_in_progress = False
    gen["early_stop"] = False
    return (
        gallery_tabs,
        1 if last_was_audio else 0,
        gr.update() if last_was_audio else gr.Gallery(value=list(file_list), selected_index=choice),
        *_pack_audio_gallery_state(audio_files, audio_choice),
        gr.Button(interactive=True),
        gr.Button(interactive=True, visible=False),
        gr.Button(visible=True),
        gr.Button(visible=False),
        gr.Column(visible=False),
        gr.HTML(visible=False, value=""),
    )


def finalize_generation_with_state(current_state: Any) -> tuple[Any, ...]:
    if not isinstance(current_state, dict) or "gen" not in current_state:
        return (
            gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), gr.update(),
            gr.update(interactive=True), gr.update(interactive=True), gr.update(visible=True),
            gr.update(visible=False), gr.update(visible=False), gr.update(visible=False, value=""),
            gr.update(), current_state,
        )  # fmt: skip
    updates = finalize_generation(current_state)
    accordion = (
        gr.Accordion(open=False) if len(get_gen_info(current_state).get("queue", [])) <= 1 else gr.update()
    )
    return (*updates, accordion, current_state)


def refresh_gallery(state: dict[str, Any]) -> tuple[Any, ...]:
    """Gallery, current-task panel and queue HTML (16 outputs, 8 in the API), as wgp.py's refresh_gallery."""
    gen = get_gen_info(state)
    # Before a session's first output the lists do not exist yet: the gallery value is None and the
    # packed audio list reads "null", as on the real server.
    file_list = gen.get("file_list")
    audio_files = gen.get("audio_file_list")
    choice = gen.get("selected", 0)
    if gen.get("last_selected", True) and file_list is not None:
        choice = max(len(file_list) - 1, 0)
    audio_choice = gen.get("audio_selected", -1)
    if gen.get("audio_last_selected", True) and audio_files is not None:
        audio_choice = max(len(audio_files) - 1, -1)
    queue = gen.get("queue", [])
    abort_interactive = not gen.get("abort", False)
    last_was_audio = gen.get("last_was_audio", False)
    if gen.pop("refresh_tab", False):
        tabs = [gr.Tabs(selected="audio" if last_was_audio else "video_images"), 1 if last_was_audio else 0]
    else:
        tabs = [gr.update(), gr.update()]
    files = None if file_list is None else list(file_list)
    if last_was_audio:
        gallery, choice = gr.Gallery(value=files), gr.update()
    else:
        gallery = gr.Gallery(selected_index=choice, value=files)
    audio_state = _pack_audio_gallery_state(audio_files, audio_choice)
    tail = (gr.Button(interactive=abort_interactive), gr.Button(interactive=True, visible=False),
            gr.Button(visible=False))  # fmt: skip
    if "in_progress" not in gen or len(queue) == 0:
        hidden = (gr.Button(visible=False), gr.Row(visible=False), gr.Row(visible=False))
        return (*tabs, gallery, choice, *audio_state, gr.HTML("", visible=False), gr.Button(visible=True),
                *hidden, update_queue_data(queue), *tail)  # fmt: skip
    prompt = html.escape(str(queue[0].get("prompt") or "")).replace("\n", "<BR>")
    panel = f"<TABLE WIDTH=100% ID=PINFO><TR style='height:140px'><TD width=100%>{prompt}</TD></TR></TABLE>"
    return (*tabs, gallery, choice, *audio_state, gr.HTML(panel, visible=True), gr.Button(visible=False),
            gr.Button(visible=True), gr.Row(visible=True), gr.Row(visible=True), update_queue_data(queue),
            *tail)  # fmt: skip


def unload_model_if_needed(state: dict[str, Any]) -> None:
    """Real: releases the model only with the "U" preload policy (off by default)."""
    return None


def abort_generation(state: dict[str, Any], client_id: str = "", notify: bool = True) -> tuple[Any, Any]:
    gen = get_gen_info(state)
    wait_for_load(gen)  # the real server handles an abort only once a model load has ended
    queue = gen.get("queue", [])
    client_id = client_id or ""
    with lock:
        if len(queue):
            if len(client_id):
                for i, task in enumerate(queue):
                    if task["params"].get("client_id", "") == client_id:
                        if i == 0:
                            if "in_progress" not in gen:
                                del queue[0]
                                if "prompt_no" in gen:
                                    gen["prompt_no"] += 1
                                return gr.update(), gr.HTML(value=generate_queue_html(queue))
                            break
                        del queue[i]
                        if "prompt_no" in gen:
                            gen["prompt_no"] += 1
                        return gr.update(), gr.HTML(value=generate_queue_html(queue))
            elif "in_progress" not in gen:
                del queue[0]
                # Real quirk: a session that never ran has no "prompt_no", so this raises KeyError
                # (a generic AppError for the client) after the task was already dropped.
                gen["prompt_no"] += 1
                return gr.update(), gr.HTML(value=generate_queue_html(queue))
    gen["resume"] = True
    if "in_progress" in gen:
        gen["abort"] = True
        msg = "Processing Request to abort Current Generation"
        gen["status"] = msg
        if notify:
            gr.Info(msg)
        return gr.Button(interactive=False), gr.update()
    return gr.Button(interactive=True), gr.update()


def clear_queue_action(state: dict[str, Any]) -> Any:
    gen = get_gen_info(state)
    wait_for_load(gen)  # like abort: handled once a model load has ended
    gen["resume"] = True
    queue = gen.get("queue", [])
    aborted_current = cleared_pending = False
    with lock:
        if gen.get("in_progress"):
            log.info("Clear Queue: Signalling abort for in-progress task.")
            gen["abort"] = True
            gen["extra_orders"] = 0
            aborted_current = True
        if queue and (len(queue) > 1 or (queue[0] is not None and queue[0].get("id") is not None)):
            log.info("Clear Queue: Clearing %s tasks from queue.", len(queue))
            queue.clear()
            cleared_pending = True
        if aborted_current or cleared_pending:
            gen["prompts_max"] = 0
    if aborted_current and cleared_pending:
        gr.Info("Queue cleared and current generation aborted.")
    elif aborted_current:
        gr.Info("Current generation aborted.")
    elif cleared_pending:
        gr.Info("Queue cleared.")
    else:
        gr.Info("Queue is already empty or only contains the active task (which wasn't aborted now).")
    return update_queue_data([])
