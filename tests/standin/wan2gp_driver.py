"""Drives a Wan2GP server with plain gradio_client, the way a script written for the real WanGP would.

No project code: this is the yardstick the stand-in is measured with (and what the real app answered).
The Load Queue upload needs the UploadButton's ``trigger_id``; plain ``Client.submit`` cannot send one,
so ``submit_with_trigger`` uses gradio_client's endpoint function directly (as wgp-real-drive.md did).
"""

from __future__ import annotations

import json
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from gradio_client import Client, handle_file
from gradio_client.client import Job

READ_TIMEOUT = httpx.Timeout(10, read=60)


def connect(url: str, download_dir: Path, **kwargs: Any) -> Client:
    timeout = {"timeout": READ_TIMEOUT}
    return Client(url, verbose=False, download_files=str(download_dir), httpx_kwargs=timeout, **kwargs)


def dependency(client: Client, api_name: str) -> dict[str, Any]:
    name = api_name.lstrip("/")
    for dep in client.config["dependencies"]:
        if dep.get("api_name") == name:
            return dep
    raise KeyError(api_name)


def upload_trigger_id(client: Client, api_name: str = "/load_queue_action") -> int:
    """Component id of the UploadButton whose upload event runs load_queue_action (real app: 791)."""
    dep = dependency(client, api_name)
    for target_id, event in dep["targets"]:
        if event == "upload":
            return int(target_id)
    raise KeyError("no upload trigger")


def submit_with_trigger(client: Client, api_name: str, *args: Any, trigger_id: int) -> Job:
    fn_index = dependency(client, api_name)["id"]
    helper = client.new_helper(fn_index)
    end_to_end = client.endpoints[fn_index].make_end_to_end_fn(helper)
    future = client.executor.submit(end_to_end, *args, trigger_id=trigger_id)
    return Job(future, communicator=helper)


def logs(job: Job) -> list[tuple[str, str]]:
    """gr.Info / gr.Warning messages the job received (drains its update queue; call once, after done)."""
    found = []
    updates = job.communicator.updates if job.communicator else None
    while updates is not None and not updates.empty():
        update = updates.get_nowait()
        log = getattr(update, "log", None)
        if log:
            found.append((str(log[0]), str(log[1])))
    return found


def load_queue(client: Client, path: Path, api_name: str = "/load_queue_action") -> tuple[Any, list]:
    job = submit_with_trigger(
        client, api_name, handle_file(str(path)), trigger_id=upload_trigger_id(client, api_name)
    )
    result = job.result(timeout=60)
    return result, logs(job)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_queue_zip(path: Path, tasks: list[dict[str, Any]], media: dict[str, Path] | None = None) -> Path:
    """A queue.zip like WanGP's "Save Queue": queue.json plus media files named in the params."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("queue.json", json.dumps(tasks))
        for name, source in (media or {}).items():
            zf.write(source, name)
    return path


@dataclass
class Run:
    load_result: Any
    load_logs: list[tuple[str, str]]
    process_job: Job
    refresh_job: Job | None
    final: Any = None
    process_error: BaseException | None = None
    process_logs: list[tuple[str, str]] = field(default_factory=list)
    progress: list[tuple[Any, Any, str]] = field(default_factory=list)
    elapsed: float = 0.0

    def gallery_videos(self) -> list[str]:
        gallery = self.final[1]
        return [item["video"] for item in gallery.get("value") or []]


def start_queue(client: Client, queue_file: Path, with_status: bool = True) -> Run:
    """Load a queue file and start the load-queue chain up to process_tasks_1 (not waited for)."""
    load_result, load_logs = load_queue(client, queue_file)
    client.predict(api_name="/init_process_queue_if_any")
    client.predict(api_name="/activate_status_1")
    refresh = client.submit(api_name="/refresh_status_async") if with_status else None
    process = client.submit(api_name="/process_tasks_1")
    return Run(load_result, load_logs, process, refresh)


def finish_queue(client: Client, run: Run, timeout: float = 120) -> Run:
    """Wait for process_tasks_1 (sampling progress), then finalize like the real chain does."""
    start = time.monotonic()
    while not run.process_job.done():
        if run.refresh_job is not None:
            status = run.refresh_job.status()
            for unit in status.progress_data or []:
                entry = (unit.index, unit.length, unit.desc or "")
                if not run.progress or run.progress[-1] != entry:
                    run.progress.append(entry)
        if time.monotonic() - start > timeout:
            raise TimeoutError("process_tasks_1 did not finish")
        time.sleep(0.02)
    try:
        run.process_job.result(timeout=5)
    except Exception as e:  # the caller asserts on it
        run.process_error = e
    run.elapsed = time.monotonic() - start
    run.process_logs = logs(run.process_job)
    if run.refresh_job is not None:
        run.refresh_job.result(timeout=30)
    run.final = client.predict(api_name="/finalize_generation_with_state")
    client.predict(api_name="/unload_model_if_needed_1")
    return run


def run_queue(client: Client, queue_file: Path, with_status: bool = True, timeout: float = 120) -> Run:
    return finish_queue(client, start_queue(client, queue_file, with_status), timeout)
