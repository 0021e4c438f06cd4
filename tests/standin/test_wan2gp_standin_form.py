"""The Generate-button chain (form route), called step by step as the browser would."""

from __future__ import annotations

import pytest
from gradio_client.exceptions import AppError

from scripts.standins import videogen
from tests.standin import wan2gp_driver as drv

pytestmark = pytest.mark.standin


def form(prompt: str) -> list:
    # client_id, image_mode, prompt, negative_prompt, resolution, video_length, seed, num_inference_steps,
    # guidance_scale, flow_shift, image_prompt_type, image_start, image_end, video_prompt_type, video_guide,
    # video_mask, output_filename, mode
    return ["", 0, prompt, "", "96x64", 9, 21, 2, 5.0, 5.0, "", None, None, "", None, None, "", ""]


def test_generate_button_chain(wan2gp_standin, tmp_path):
    client = drv.connect(wan2gp_standin.url, tmp_path / "dl")
    try:
        trigger, mode = client.predict([], -1, "[]", -1, api_name="/init_generate")
        assert trigger and mode == ""
        prompt = client.predict("off", "", "a lighthouse at night", "", api_name="/validate_wizard_prompt_16")
        assert prompt == "a lighthouse at night"
        client.predict("state", *form(prompt), api_name="/save_inputs_16")
        with pytest.raises(AppError, match="Webform can not be used as the App has been restarted"):
            client.predict(0, "t2v_1.3B", api_name="/process_prompt_and_add_tasks_1")
        client.predict("off", "", prompt, "", api_name="/validate_wizard_prompt_16")
        client.predict("state", *form(prompt), api_name="/save_inputs_16")
        client.predict(0, "t2v", api_name="/process_prompt_and_add_tasks_1")
        client.predict(api_name="/prepare_generate_media")
        assert client.predict(api_name="/activate_status") is not None
        job = client.submit(api_name="/process_tasks")
        job.result(timeout=60)
        final = client.predict(api_name="/finalize_generation")
        videos = [item["video"] for item in final[1]["value"]]
        assert len(videos) == 1 and videos[0].endswith("_seed21_a lighthouse at night.mp4")
        stats = videogen.probe(videos[0])
        assert (stats.width, stats.height, stats.frames) == (96, 64, 9)
    finally:
        client.close()
