"""The Generate-button (form) route, reduced: same function names and chain, a small subset of the form.

Real ``save_inputs`` takes 129 form values; the stand-in's takes the FORM_FIELDS below (same names,
same relative order) so the chain init_generate → validate_wizard_prompt → save_inputs →
process_prompt_and_add_tasks → prepare_generate_media → activate_status → process_tasks →
finalize_generation runs end to end.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import gradio as gr

from . import catalog, queue_files
from .session import Globals, generate_queue_html, get_gen_info, get_latest_status, lock

FORM_FIELDS = [
    "client_id", "image_mode", "prompt", "negative_prompt", "resolution", "video_length", "seed",
    "num_inference_steps", "guidance_scale", "flow_shift", "image_prompt_type", "image_start", "image_end",
    "video_prompt_type", "video_guide", "video_mask", "output_filename", "mode",
]  # fmt: skip


def get_unique_id() -> str:
    return str(uuid.uuid4())


def init_generate(
    state: dict[str, Any],
    input_file_list: Any,
    last_choice: Any,
    audio_files_paths: Any,
    audio_file_selected: Any,
) -> tuple[str, str]:
    gen = get_gen_info(state)
    file_list = gen.get("file_list", [])
    last_choice = int(last_choice if last_choice is not None else -1)
    if file_list:
        last_choice = max(last_choice, 0)
    gen["last_selected"] = (last_choice + 1) >= len(file_list)
    gen["selected"] = last_choice
    return get_unique_id(), ""


def validate_wizard_prompt(
    state: dict[str, Any],
    wizard_prompt_activated: str,
    wizard_variables_names: str,
    prompt: str,
    wizard_prompt: str,
    *args: Any,
) -> str:
    state["validate_success"] = 0
    if wizard_prompt_activated != "on":
        state["validate_success"] = 1
        return prompt
    # The stand-in has no prompt wizard: a wizard prompt is taken as the prompt.
    state["validate_success"] = 1
    return wizard_prompt or prompt


def save_inputs(target: str, *args: Any) -> None:
    *values, state = args
    if target != "state" or not isinstance(state, dict):
        return None
    inputs = dict(zip(FORM_FIELDS, values, strict=False))
    model_type = state.get("model_type")
    state.setdefault("all_settings", {})[model_type] = {k: v for k, v in inputs.items() if v is not None}
    return None


def process_prompt_and_add_tasks(state: dict[str, Any], current_gallery_tab: Any, model_choice: str):
    gen = get_gen_info(state)
    gen["last_was_audio"] = current_gallery_tab == 1
    if state.get("validate_success", 0) != 1:
        return gr.update(), gr.update()
    state["validate_success"] = 0
    model_type = state.get("model_type")
    inputs = state.get("all_settings", {}).get(model_type)
    if model_choice != model_type or inputs is None:
        raise gr.Error(
            "Webform can not be used as the App has been restarted since the form was displayed. "
            "Please refresh the page"
        )
    prompts = [p.strip() for p in str(inputs.get("prompt") or "").split("\n") if p.strip()] or [""]
    added = 0
    for prompt in prompts:
        params = dict(inputs, model_type=model_type, prompt=prompt)
        if params.get("video_length") is not None:
            params["video_length"] = int(params["video_length"])
        params, error = queue_files.validate_task({"params": params})
        if error or params is None:
            gr.Info(error)
            return gr.update(), gr.update()
        Globals.task_id += 1
        with lock:
            gen.setdefault("queue", []).append(queue_files.build_runtime_task(Globals.task_id, params, {}))
        added += 1
    queue = gen.get("queue", [])
    gen["prompts_max"] = len(queue)
    state["validate_success"] = 1
    return gr.HTML(value=generate_queue_html(queue)), gr.update(open=True) if added > 1 else gr.update()


def update_status(state: dict[str, Any]) -> None:
    gen = get_gen_info(state)
    gen["progress_status"] = get_latest_status(state)
    gen["refresh"] = time.time()


def prepare_generate_media(state: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    if state.get("validate_success", 0) != 1:
        return (
            gr.Button(visible=True),
            gr.Button(visible=False),
            gr.Column(visible=False),
            gr.update(visible=False),
        )
    return (
        gr.Button(visible=False),
        gr.Button(visible=True),
        gr.Column(visible=True),
        gr.update(visible=False),
    )


def model_choices() -> list[str]:
    return catalog.model_ids()
