"""Builds the stand-in's ``gr.Blocks``: real component types, event wiring and registration order.

Event wiring is copied from wgp.py's ``generate_media_tab`` (WanGP 12.60, lines ~12615-13100); the
real positions of the events and components come from the captured ``/config`` (see padding.py).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from . import form, handlers
from .knobs import Knobs
from .padding import TOTAL_COMPONENTS, TOTAL_DEPS, Padder, filler_plan, named

WANGP_VERSION = "12.60"
HEADER = (
    '<div align=center><H1>Wan<SUP style="color: #2563eb;">GP</SUP> v{version} '
    "<FONT SIZE=4>by <I>DeepBeepMeep</I></FONT> <FONT SIZE=3>"
)
# Real event indices (fn_index) of the events the stand-in implements, and how many slots each takes.
REAL_EVENTS = {
    93: 1,  # refresh_status_async
    94: 1,  # refresh_gallery (output_trigger.change; registered next in wgp.py, position inferred)
    113: 1,  # abort_generation
    114: 1,  # abort_generation_1
    321: 1,  # init_generate
    322: 1,  # lambda_47 (add to queue button)
    323: 4,  # add-to-queue chain
    327: 9,  # generate chain
    336: 7,  # load queue chain
    351: 3,  # save_queue_action → js download → lambda_50
    354: 2,  # clear_queue_action + lambda_51
    448: 1,  # refresh_status_async_1 (Edit tab)
    467: 1,  # abort_generation_2
    468: 1,  # abort_generation_3
    547: 1,  # clear_queue_action_1
}
# Function names a plugin-like shift duplicates early (renames every client endpoint by +N).
SHIFTED_NAMES = [
    "load_queue_action", "init_process_queue_if_any", "activate_status", "refresh_status_async",
    "process_tasks",
    "finalize_generation_with_state", "finalize_generation", "abort_generation", "clear_queue_action",
    "unload_model_if_needed", "process_prompt_and_add_tasks", "prepare_generate_media", "init_generate",
    "update_status", "save_inputs", "validate_wizard_prompt", "save_queue_action", "refresh_gallery",
    "<lambda>",
]  # fmt: skip


def initial_state(knobs: Knobs) -> dict[str, Any]:
    return {"model_type": knobs.default_model, "all_settings": {}, "validate_success": 0, "gen": {}}


class Ui:
    """Component handles shared by the wiring functions (a plain namespace)."""

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - attribute typo guard
        raise AttributeError(name)


def _main_components(ui: Ui, pad: Padder, knobs: Knobs) -> None:
    pad.components_to(18)
    ui.model_choice = gr.Dropdown(
        choices=form.model_choices(), value=knobs.default_model, label="Model", show_label=False
    )
    pad.components_to(643)
    ui.state = gr.State(initial_state(knobs))
    ui.gen_status = gr.Text(interactive=False, label="Status", lines=1, max_lines=1, autoscroll=False)
    ui.status_trigger = gr.Text(interactive=False, visible=False, elem_id="wangp_main_status_trigger")
    ui.load_queue_trigger = gr.Text(interactive=False, visible=False, elem_id="wangp_main_load_queue_trigger")
    ui.abort_client_id = gr.Text(interactive=False, visible=False, elem_id="wangp_main_abort_client_id")
    ui.current_gallery_tab = gr.Number(0, visible=False)
    with gr.Tabs(selected="video_images") as ui.gallery_tabs, gr.Tab("Video / Images", id="video_images"):
        ui.output = gr.Gallery(
            value=[],
            label="Generated videos",
            preview=True,
            show_label=False,
            elem_id="gallery",
            columns=[3],
            rows=[1],
            object_fit="contain",
            height=450,
            selected_index=0,
            interactive=False,
        )
    pad.components_to(654)
    ui.audio_files_paths = gr.Text("[]", visible=False)
    ui.audio_file_selected = gr.Number(-1, visible=False)
    ui.audio_gallery_refresh_trigger = gr.Text(visible=False)
    pad.components_to(664)
    ui.output_trigger = gr.Text(interactive=False, visible=False, elem_id="wangp_main_output_trigger")
    pad.components_to(666)  # 665: the selected-video-time textbox
    ui.refresh_models_trigger = gr.Text(interactive=False, visible=False)
    ui.mode = gr.Text(value="", visible=False)
    ui.target_state = gr.Text(value="state", interactive=False, visible=False)
    ui.wizard_prompt_activated_var = gr.Text("off", visible=False)
    ui.wizard_variables_var = gr.Text("", visible=False)
    ui.wizard_prompt = gr.Text("", visible=False)
    ui.form_inputs = _form_components()
    pad.components_to(765)
    ui.generate_btn = gr.Button("Generate")
    ui.add_to_queue_btn = gr.Button("Add New Prompt To Queue", visible=False)
    ui.generate_trigger = gr.Text(visible=False)
    ui.add_to_queue_trigger = gr.Text(visible=False)
    pad.components_to(770)  # 769: the edit-refresh JS trigger
    with gr.Column(visible=False) as ui.current_gen_column:
        with gr.Accordion("Preview", open=False):
            gr.HTML(label="Preview", show_label=False)
            ui.preview_trigger = gr.Text(visible=False)  # 773
        ui.gen_info = gr.HTML(visible=False, min_height=1)
        with gr.Row(visible=False) as ui.current_gen_buttons_row:
            pad.components_to(777)  # One More Sample
            ui.onemorewindow_btn = gr.Button("Extend this Sample", visible=False, size="md", min_width=1)
            pad.components_to(781)  # Pause, Resume
            ui.abort_btn = gr.Button("Abort", visible=True, size="md", min_width=1)
            ui.earlystop_btn = gr.Button("Early Stop", visible=True, size="md", min_width=1)
    with gr.Accordion("Queue Management", open=False) as ui.queue_accordion:  # 783
        with gr.Row():
            ui.queue_html = gr.HTML(value=handlers.generate_queue_html([]), elem_id="queue_html_container")
        pad.components_to(788)  # the queue action input and trigger (JS reordering)
        with gr.Row(visible=True):
            ui.queue_zip_download_payload = gr.Text(visible=False)  # 789
            ui.save_queue_btn = gr.DownloadButton("Save Queue", size="sm")
            ui.load_queue_btn = gr.UploadButton("Load Queue", file_types=[".zip", ".json"], size="sm")
            ui.clear_queue_btn = gr.Button("Clear Queue", size="sm", variant="stop")
    pad.components_to(808)
    ui.last_choice = gr.Number(value=-1, interactive=False, visible=False)
    pad.components_to(821)  # the next one is abort_generation's inline gr.State("")


def _form_components() -> list[Any]:
    """The reduced form behind save_inputs (names and relative order of FORM_FIELDS)."""
    return [
        gr.Text("", visible=False, label="client_id"),
        gr.Number(0, visible=False, label="image_mode", precision=0),
        gr.Textbox("", label="prompt", lines=3),
        gr.Textbox("", label="negative_prompt", visible=False),
        gr.Textbox("832x480", label="resolution", visible=False),
        gr.Number(81, label="video_length", precision=0, visible=False),
        gr.Number(-1, label="seed", precision=0, visible=False),
        gr.Number(30, label="num_inference_steps", precision=0, visible=False),
        gr.Number(5.0, label="guidance_scale", visible=False),
        gr.Number(5.0, label="flow_shift", visible=False),
        gr.Text("", label="image_prompt_type", visible=False),
        gr.Image(type="pil", label="image_start", visible=False),
        gr.Image(type="pil", label="image_end", visible=False),
        gr.Text("", label="video_prompt_type", visible=False),
        gr.Video(label="video_guide", visible=False),
        gr.Video(label="video_mask", visible=False),
        gr.Text("", label="output_filename", visible=False),
        gr.Text("", label="mode", visible=False),
    ]


def _finalize_outputs(ui: Ui) -> list[Any]:
    return [
        ui.gallery_tabs,
        ui.current_gallery_tab,
        ui.output,
        ui.audio_files_paths,
        ui.audio_file_selected,
        ui.audio_gallery_refresh_trigger,
        ui.abort_btn,
        ui.earlystop_btn,
        ui.generate_btn,
        ui.add_to_queue_btn,
        ui.current_gen_column,
        ui.gen_info,
    ]


def _wire_status(ui: Ui, status_trigger: Any, gen_status: Any) -> None:
    status_trigger.change(
        handlers.refresh_status_async, inputs=[ui.state], outputs=[gen_status], show_progress_on=[gen_status]
    )


def _wire_refresh_gallery(ui: Ui) -> None:
    ui.output_trigger.change(
        handlers.refresh_gallery,
        inputs=[ui.state],
        outputs=[ui.gallery_tabs, ui.current_gallery_tab, ui.output, ui.last_choice, ui.audio_files_paths,
                 ui.audio_file_selected, ui.audio_gallery_refresh_trigger, ui.gen_info, ui.generate_btn,
                 ui.add_to_queue_btn, ui.current_gen_column, ui.current_gen_buttons_row, ui.queue_html,
                 ui.abort_btn, ui.earlystop_btn, ui.onemorewindow_btn],
        show_progress="hidden",
    )  # fmt: skip


def _wire_abort(ui: Ui, abort_btn: Any, abort_client_id: Any, queue_html: Any) -> None:
    abort_btn.click(
        handlers.abort_generation, [ui.state, gr.State("")], [abort_btn, queue_html], show_progress="hidden"
    )


def _wire_abort_client(ui: Ui, abort_btn: Any, abort_client_id: Any, queue_html: Any) -> None:
    abort_client_id.change(
        handlers.abort_generation,
        [ui.state, abort_client_id],
        [abort_btn, queue_html],
        show_progress="hidden",
    )


def _wizard_inputs(ui: Ui) -> list[Any]:
    prompt = ui.form_inputs[2]
    return [ui.state, ui.wizard_prompt_activated_var, ui.wizard_variables_var, prompt, ui.wizard_prompt]


def _wire_add_to_queue(ui: Ui) -> None:
    ui.add_to_queue_trigger.change(
        fn=form.validate_wizard_prompt,
        inputs=_wizard_inputs(ui),
        outputs=[ui.form_inputs[2]], show_progress="hidden",
    ).then(fn=form.save_inputs, inputs=[ui.target_state, *ui.form_inputs, ui.state], outputs=None,
    ).then(fn=form.process_prompt_and_add_tasks, inputs=[ui.state, ui.current_gallery_tab, ui.model_choice],
           outputs=[ui.queue_html, ui.queue_accordion], show_progress="hidden",
    ).then(fn=form.update_status, inputs=[ui.state])  # fmt: skip


def _wire_generate(ui: Ui) -> None:
    ui.generate_trigger.change(
        fn=form.validate_wizard_prompt,
        inputs=_wizard_inputs(ui),
        outputs=[ui.form_inputs[2]], show_progress="hidden",
    ).then(fn=form.save_inputs, inputs=[ui.target_state, *ui.form_inputs, ui.state], outputs=None,
    ).then(fn=form.process_prompt_and_add_tasks, inputs=[ui.state, ui.current_gallery_tab, ui.model_choice],
           outputs=[ui.queue_html, ui.queue_accordion], show_progress="hidden",
    ).then(fn=form.prepare_generate_media, inputs=[ui.state],
           outputs=[ui.generate_btn, ui.add_to_queue_btn, ui.current_gen_column, ui.current_gen_buttons_row],
    ).then(fn=handlers.activate_status, inputs=[ui.state], outputs=[ui.status_trigger],
    ).then(fn=handlers.process_tasks, inputs=[ui.state],
           outputs=[ui.preview_trigger, ui.output_trigger, ui.refresh_models_trigger], show_progress="hidden",
    ).then(handlers.finalize_generation, inputs=[ui.state], outputs=_finalize_outputs(ui),
    ).then(fn=lambda s: gr.Accordion(open=False) if len(handlers.get_gen_info(s).get("queue", [])) <= 1
           else gr.update(), inputs=[ui.state], outputs=[ui.queue_accordion],
    ).then(handlers.unload_model_if_needed, inputs=[ui.state], outputs=[])  # fmt: skip


def _wire_load_queue(ui: Ui, demo: gr.Blocks) -> None:
    gr.on(
        triggers=[ui.load_queue_btn.upload, demo.load, ui.load_queue_trigger.change],
        fn=handlers.load_queue_action, inputs=[ui.load_queue_btn, ui.state], outputs=[ui.queue_html],
    ).then(
        fn=lambda s: (gr.update(visible=True), gr.Accordion(open=True))
        if bool(handlers.get_gen_info(s).get("queue", []))
        else (gr.update(visible=False), gr.update()),
        inputs=[ui.state], outputs=[ui.current_gen_column, ui.queue_accordion],
    ).then(fn=handlers.init_process_queue_if_any, inputs=[ui.state],
           outputs=[ui.generate_btn, ui.add_to_queue_btn, ui.current_gen_column],
    ).then(fn=handlers.activate_status, inputs=[ui.state], outputs=[ui.status_trigger],
    ).then(fn=handlers.process_tasks, inputs=[ui.state],
           outputs=[ui.preview_trigger, ui.output_trigger, ui.refresh_models_trigger], trigger_mode="once",
    ).then(fn=handlers.finalize_generation_with_state, inputs=[ui.state],
           outputs=[*_finalize_outputs(ui), ui.queue_accordion, ui.state], trigger_mode="always_last",
    ).then(handlers.unload_model_if_needed, inputs=[ui.state], outputs=[])  # fmt: skip


def _wire_save_queue(ui: Ui) -> None:
    ui.save_queue_btn.click(
        fn=handlers.save_queue_action, inputs=[ui.state], outputs=[ui.queue_zip_download_payload]
    ).then(
        fn=None,
        inputs=[ui.queue_zip_download_payload],
        outputs=[ui.queue_zip_download_payload],
        js="(payload) => payload",
    ).then(fn=lambda: "", inputs=None, outputs=[ui.queue_zip_download_payload], show_progress="hidden")


def _wire_clear(ui: Ui, clear_btn: Any, queue_html: Any) -> None:
    clear_btn.click(handlers.clear_queue_action, inputs=[ui.state], outputs=[queue_html]).then(
        fn=lambda: (gr.update(visible=False), gr.Accordion(open=False)),
        inputs=None,
        outputs=[ui.current_gen_column, ui.queue_accordion],
    )


def _edit_components(ui: Ui, pad: Padder) -> None:
    with gr.Tab("Edit", visible=False):
        pad.components_to(1572)
        ui.edit_gen_status = gr.Text(interactive=False, label="Status", lines=1, max_lines=1)
        ui.edit_status_trigger = gr.Text(interactive=False, visible=False)
        pad.components_to(1575)
        ui.edit_abort_client_id = gr.Text(interactive=False, visible=False)
        ui.edit_queue_html = gr.HTML(value=handlers.generate_queue_html([]))
        pad.components_to(1709)
        ui.edit_abort_btn = gr.Button("Abort", size="md", min_width=1)
        pad.components_to(1719)
        ui.edit_load_queue_btn = gr.UploadButton("Load Queue", file_types=[".zip", ".json"], size="sm")
        ui.edit_clear_queue_btn = gr.Button("Clear Queue", size="sm", variant="stop")
    pad.components_to(1749)  # after the Tab closed: closing it creates gr.Form wrappers


def _shift_events(pad: Padder, count: int) -> int:
    """Plugin-like extra events registered first; returns how many were added."""
    added = 0
    for _ in range(count):
        for name in SHIFTED_NAMES:
            pad.placeholder_event(name)
            added += 1
    return added


def build_app(knobs: Knobs) -> gr.Blocks:
    ui = Ui()
    exact = not knobs.compact
    with gr.Blocks(title="WanGP", analytics_enabled=False) as demo:
        # The page header is where a client reads the WanGP version (real: wgp.py create_ui, component 1).
        gr.Markdown(HEADER.format(version=WANGP_VERSION))
        pad = Padder(demo, exact)
        pad.dep_offset = _shift_events(pad, knobs.shift_endpoints)
        _main_components(ui, pad, knobs)
        plan = filler_plan({i + k for i, n in REAL_EVENTS.items() for k in range(n)})

        def at(index: int, register: Any, *args: Any) -> None:
            pad.deps_to(index, plan)
            register(*args)
            pad.advance(REAL_EVENTS[index])

        at(93, _wire_status, ui, ui.status_trigger, ui.gen_status)
        at(94, _wire_refresh_gallery, ui)
        at(113, _wire_abort, ui, ui.abort_btn, ui.abort_client_id, ui.queue_html)
        at(114, _wire_abort_client, ui, ui.abort_btn, ui.abort_client_id, ui.queue_html)
        at(
            321,
            lambda: ui.generate_btn.click(
                fn=form.init_generate,
                inputs=[ui.state, ui.output, ui.last_choice, ui.audio_files_paths, ui.audio_file_selected],
                outputs=[ui.generate_trigger, ui.mode],
            ),
        )
        at(
            322,
            lambda: ui.add_to_queue_btn.click(
                fn=lambda: (form.get_unique_id(), ""), inputs=None, outputs=[ui.add_to_queue_trigger, ui.mode]
            ),
        )
        at(323, _wire_add_to_queue, ui)
        at(327, _wire_generate, ui)
        at(336, _wire_load_queue, ui, demo)
        at(351, _wire_save_queue, ui)
        at(354, _wire_clear, ui, ui.clear_queue_btn, ui.queue_html)
        pad.deps_to(356, plan)
        _edit_components(ui, pad)
        at(448, _wire_status, ui, ui.edit_status_trigger, ui.edit_gen_status)
        at(467, _wire_abort, ui, ui.edit_abort_btn, ui.edit_abort_client_id, ui.edit_queue_html)
        at(468, _wire_abort_client, ui, ui.edit_abort_btn, ui.edit_abort_client_id, ui.edit_queue_html)
        at(
            547,
            lambda: ui.edit_clear_queue_btn.click(
                handlers.clear_queue_action, inputs=[ui.state], outputs=[ui.edit_queue_html]
            ),
        )
        pad.deps_to(TOTAL_DEPS, plan)
        pad.components_to(TOTAL_COMPONENTS)
    return demo


__all__ = ["build_app", "named"]
