"""Abort, clear queue, client-id abort, two sessions and job.cancel() against the stand-in."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from gradio_client.exceptions import AppError
from gradio_client.utils import Status

from tests.standin import wan2gp_driver as drv

pytestmark = pytest.mark.standin

STEP_S = 0.05  # the session server's --step-seconds


@pytest.fixture
def clients(wan2gp_standin, tmp_path):
    made = []

    def make():
        client = drv.connect(wan2gp_standin.url, tmp_path / f"dl{len(made)}")
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def task(prompt: str, steps: int, **extra) -> dict:
    return {
        "model_type": "t2v_1.3B",
        "prompt": prompt,
        "resolution": "64x48",
        "video_length": 5,
        "num_inference_steps": steps,
        "seed": 1,
        **extra,
    }


def outputs_named(folder: Path, prompt: str) -> list[Path]:
    return [p for p in folder.glob("*.mp4") if p.name.endswith(f"_{prompt}.mp4")]


def wait_progress(run: drv.Run, timeout: float = 10) -> None:
    """Until the run is in its denoising steps (the status stream shows step progress)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = run.refresh_job.status()
        if status.progress_data and status.progress_data[0].length:
            return
        time.sleep(0.02)
    raise TimeoutError("no denoising progress")


def test_abort_stops_the_running_task_within_a_step(clients, wan2gp_standin, tmp_path):
    client = clients()
    prompt = "abort me"
    run = drv.start_queue(client, drv.write_json(tmp_path / "a.json", task(prompt, steps=400)))
    wait_progress(run)
    during = client.predict(api_name="/refresh_gallery")
    assert len(during) == 8 and during[6]["visible"] is True and prompt in during[6]["value"]
    job = client.submit(api_name="/abort_generation")
    result = job.result(timeout=10)
    aborted_at = time.monotonic()
    assert drv.logs(job) == [("Processing Request to abort Current Generation", "info")]
    assert result == {"__type__": "update"}  # the Abort button update (State outputs dropped)
    run.process_job.result(timeout=10)
    assert time.monotonic() - aborted_at < 1.0  # 400 steps would take 20 s
    drv.finish_queue(client, run)
    assert run.process_error is None
    assert run.gallery_videos() == []
    assert outputs_named(wan2gp_standin.outputs, prompt) == []
    after = client.predict(api_name="/refresh_gallery")
    assert after[1]["value"] == []
    assert "Queue is empty." in after[7]["value"]


def test_clear_queue_aborts_and_empties(clients, wan2gp_standin, tmp_path):
    client = clients()
    tasks = [task("clear one", 400), task("clear two", 400)]
    run = drv.start_queue(client, drv.write_json(tmp_path / "c.json", tasks))
    assert run.load_logs == [("Loaded 2 task(s)", "info")]
    wait_progress(run)
    job = client.submit(api_name="/clear_queue_action")
    html = job.result(timeout=10)
    assert drv.logs(job) == [("Queue cleared and current generation aborted.", "info")]
    assert "Queue is empty." in html["value"]
    start = time.monotonic()
    run.process_job.result(timeout=10)
    assert time.monotonic() - start < 1.0
    drv.finish_queue(client, run)
    assert run.gallery_videos() == []
    assert outputs_named(wan2gp_standin.outputs, "clear one") == []
    assert outputs_named(wan2gp_standin.outputs, "clear two") == []
    again = client.submit(api_name="/clear_queue_action")
    again.result(timeout=10)
    assert drv.logs(again) == [
        ("Queue is already empty or only contains the active task (which wasn't aborted now).", "info")
    ]


def test_idle_abort_and_client_id_abort(clients, wan2gp_standin, tmp_path):
    client = clients()
    tasks = [task(f"cid task {i}", 1, client_id=f"cid-{i}") for i in (1, 2, 3)]
    _, logs = drv.load_queue(client, drv.write_json(tmp_path / "m.json", tasks))
    assert logs == [("Loaded 3 task(s)", "info")]
    html = client.predict("cid-3", api_name="/abort_generation_1")
    assert "cid task 2" in html["value"] and "cid task 3" not in html["value"]
    assert client.predict("nope", api_name="/abort_generation_1") == {"__type__": "update"}
    # Idle abort in a session that never ran: drops queue[0], then fails like the real app (KeyError).
    with pytest.raises(AppError, match="verbose error reporting"):
        client.predict(api_name="/abort_generation")
    run = drv.run_queue(client, tmp_path / "m.json", with_status=False)  # reload the 3 → merged behind task 2
    assert run.load_logs == [("Merged 3 task(s) with existing 1 task(s)", "info")]
    names = [Path(v).name for v in run.gallery_videos()]
    assert len(names) == 4 and names[0].endswith("_cid task 2.mp4")


def test_two_sessions_keep_separate_queues_and_share_the_worker(clients, tmp_path):
    a, b = clients(), clients()
    run_a = drv.start_queue(a, drv.write_json(tmp_path / "a.json", task("session A", 100)), with_status=False)
    _, logs = drv.load_queue(
        b, drv.write_json(tmp_path / "b.json", [task("session B1", 1), task("session B2", 1)])
    )
    assert logs == [("Loaded 2 task(s)", "info")]
    b.predict(api_name="/init_process_queue_if_any")
    b.predict(api_name="/activate_status_1")
    job_b = b.submit(api_name="/process_tasks_1")
    seen_waiting = False
    while not run_a.process_job.done():
        status = job_b.status()
        if status.code == Status.IN_QUEUE and status.rank == 0:
            seen_waiting = True
        time.sleep(0.02)
    assert seen_waiting, "session B's process_tasks_1 never waited behind session A's"
    job_b.result(timeout=30)
    drv.finish_queue(a, run_a)
    final_b = b.predict(api_name="/finalize_generation_with_state")
    videos_a = [Path(item["video"]).name for item in run_a.final[1]["value"]]
    videos_b = [Path(item["video"]).name for item in final_b[1]["value"]]
    assert len(videos_a) == 1 and videos_a[0].endswith("_session A.mp4")
    assert len(videos_b) == 2 and {n.rsplit("_", 1)[1] for n in videos_b} == {
        "session B1.mp4",
        "session B2.mp4",
    }


def test_job_cancel_does_not_stop_the_generation(clients, wan2gp_standin, tmp_path):
    client = clients()
    prompt = "cancel does not stop me"
    run = drv.start_queue(client, drv.write_json(tmp_path / "k.json", task(prompt, 30)), with_status=False)
    deadline = time.monotonic() + 15
    while run.process_job.status().code != Status.ITERATING and time.monotonic() < deadline:
        time.sleep(0.01)  # cancel only once the generator runs (a queued job would just be dropped)
    assert run.process_job.status().code == Status.ITERATING
    run.process_job.cancel()
    deadline = time.monotonic() + 15
    while not outputs_named(wan2gp_standin.outputs, prompt) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outputs_named(wan2gp_standin.outputs, prompt), "the worker thread should finish the video"
    final = client.predict(api_name="/finalize_generation_with_state")
    assert [Path(item["video"]).name for item in final[1]["value"]][-1].endswith(f"_{prompt}.mp4")


def test_fresh_session_views_match_the_real_app(clients, tmp_path):
    """refresh_gallery before any run, Clear Queue's follow-up and the queue table of pending tasks.

    Clear Queue's follow-up (lambda_51) returns only layout updates, which gradio_client drops; its two
    outputs are checked in test_wan2gp_standin_config.py.
    """
    client = clients()
    first = client.predict(api_name="/refresh_gallery")
    assert len(first) == 8 and first[2] == 0 and first[3] == "null"  # no audio list yet: json.dumps(None)
    assert client.predict(api_name="/lambda_51") == ()  # hides the current-task column, closes the queue
    tasks = [task("pending 1", 2), task("pending <2>", 2), task("pending 3", 2)]
    html, logs = drv.load_queue(client, drv.write_json(tmp_path / "p.json", tasks))
    assert logs == [("Loaded 3 task(s)", "info")]
    rows = html["value"].split("<tr draggable")[1:]
    assert len(rows) == 2  # queue[0] is the running slot
    assert 'title="Edit"></th>' in html["value"] and 'title="Remove"></th>' in html["value"]
    for index, row in enumerate(rows):
        assert f'data-index="{index}"' in row and 'class="draggable-row pastel-row"' in row
        assert "--item-hue: " in row and "updateAndTrigger('edit_" in row
        assert "updateAndTrigger('remove_" in row
    assert "pending &lt;2&gt;" in rows[0]
    client.predict(api_name="/clear_queue_action")
