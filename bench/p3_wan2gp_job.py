"""P3: one Wan2GP job end to end (connection cached: submit, progress, download) against the stand-in with
zero-time steps, through the product path (JobManager -> Wan2GPRunner -> Wan2GPClient).

Peer: a minimal script calling the same endpoints of the same server with raw ``gradio_client`` (one cached
``Client``; Load Queue upload with its trigger id, the .then chain, the status stream, finalize, unload, and
gradio_client's own download of the gallery video over HTTP). Both make the same task (same settings,
random seed). Ours copies the file from disk instead when the server is on this machine (its default).
"""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

from .context import Context
from .harness import Row, Stats, interleave, ratio, timed
from .servers import ZERO_STEPS, ServerSpecs

FIG = "P3"
#: Small video, few steps: the server's own work is near zero (steps take 0 s), so overhead shows.
SETTINGS: dict[str, Any] = {"resolution": "160x96", "video_length": 9, "num_inference_steps": 4}
MODEL = "t2v_1.3B"
TARGET_RATIO = 1.15
SERVERS: ServerSpecs = {("wan2gp", "zero"): ZERO_STEPS}


class RawPeer:
    """What a script author writes with gradio_client alone (no project code inside the timed part)."""

    def __init__(self, url: str, download_dir: Path, task_template: dict[str, Any]) -> None:
        import httpx
        from gradio_client import Client

        self.client = Client(
            url,
            verbose=False,
            download_files=str(download_dir),
            httpx_kwargs={"timeout": httpx.Timeout(10, read=60)},
        )
        self.template = task_template
        self.deps = {d.get("api_name"): d for d in self.client.config["dependencies"] if d.get("api_name")}
        load = self.deps["load_queue_action"]
        self.load_index = int(load["id"])
        self.trigger_id = next(int(t) for t, event in load["targets"] if event == "upload")
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-p3-peer-", dir=download_dir))

    def run_one(self) -> str:
        # gradio_client leaves an empty <tempdir>/<40 hex> folder for every file it downloads: keep them in
        # the run's own folder (nothing else runs while the peer does).
        previous, tempfile.tempdir = tempfile.tempdir, str(self.tmp)
        try:
            return self._run_one()
        finally:
            tempfile.tempdir = previous

    def _run_one(self) -> str:
        from gradio_client import handle_file
        from gradio_client.client import Job

        token = f"peer_{uuid.uuid4().hex[:12]}"
        task = {**self.template, "output_filename": token, "client_id": token}
        queue_file = self.tmp / f"{token}.json"
        queue_file.write_text(json.dumps(task), encoding="utf-8")
        client = self.client
        helper = client.new_helper(self.load_index)
        end_to_end = client.endpoints[self.load_index].make_end_to_end_fn(helper)
        future = client.executor.submit(end_to_end, handle_file(str(queue_file)), trigger_id=self.trigger_id)
        Job(future, communicator=helper).result(timeout=60)
        client.predict(api_name="/init_process_queue_if_any")
        client.predict(api_name="/activate_status_1")
        refresh = client.submit(api_name="/refresh_status_async")
        process = client.submit(api_name="/process_tasks_1")
        process.result(timeout=120)
        if not refresh.done():
            refresh.status()  # the progress a script would show; it does not wait for the stream to end
        final = client.predict(api_name="/finalize_generation_with_state")
        client.predict(api_name="/unload_model_if_needed_1")
        videos = [item["video"] for item in final[1].get("value") or []]
        ours = [v for v in videos if token in Path(v if isinstance(v, str) else v["video"]).name]
        if not ours:
            raise RuntimeError(f"raw gradio_client run produced no video named {token}: {videos}")
        return str(ours[-1])

    def close(self) -> None:
        self.client.close()


def task_template() -> dict[str, Any]:
    """The WanGP task our client would upload for SETTINGS (built outside any timed region; P13 too)."""
    from blender_movie_director.backend.wan2gp.schemas import validate_settings

    task = validate_settings({"model": MODEL, "prompt": "bench peer", **SETTINGS}).to_task()
    task["seed"] = -1
    return task


def our_job(fig: str, manager: Any, url: str, out: Path, prompt: str) -> tuple[float, list[Any]]:
    """One job for SETTINGS through the product path on ``manager`` (JobManager -> Wan2GPRunner ->
    Wan2GPClient), timed from submit to its end; raises unless it succeeded. The seconds and the events
    drained after it (P3, and P13 over MCP)."""
    from blender_movie_director.backend.jobs.events import JobState
    from blender_movie_director.backend.jobs.request import Backend, GenerationRequest

    request = GenerationRequest(
        backend=Backend.WAN2GP,
        model=MODEL,
        prompt=prompt,
        output_dir=str(out),
        settings=SETTINGS,
        servers=(url,),
    )

    def one() -> str:
        job_id = manager.submit(request)
        if not manager.wait([job_id], timeout=120):
            raise RuntimeError(f"{fig}: our job did not finish within 120 s")
        return job_id

    seconds, job_id = timed(one)
    info = manager.job(job_id)
    if info.state != JobState.SUCCEEDED:
        raise RuntimeError(f"{fig}: our job ended {info.state}: {info.error_message}")
    return seconds, manager.drain()


def run(ctx: Context) -> list[Row]:
    from blender_movie_director.backend.jobs.manager import JobManager

    server = ctx.servers.wan2gp("zero", **ZERO_STEPS)
    out = ctx.folder("p3-ours")
    manager = JobManager(ctx.folder("p3-store") / "jobs.jsonl")
    peer = RawPeer(server.url, ctx.folder("p3-peer"), task_template())
    counter = iter(range(10_000))
    progress_seen: list[int] = []

    def ours() -> float:
        seconds, events = our_job(FIG, manager, server.url, out, f"bench shot {next(counter)}")
        progress_seen.append(sum(1 for e in events if e.kind == "progress"))
        return seconds

    def raw() -> float:
        seconds, _ = timed(peer.run_one)
        return seconds

    try:
        ctx.log("P3: warm-up (connect, discover, first model load)")
        a, b = interleave(ours, raw, ctx.repeat, warmup=1)
    finally:
        manager.shutdown(timeout=10)
        peer.close()
    ours_stats, peer_stats = Stats.of(a).scaled(1000), Stats.of(b).scaled(1000)
    r = ratio(ours_stats, peer_stats)
    return [
        Row(
            FIG,
            "One Wan2GP job end to end, connection cached (0 s steps, 160x96x9)",
            "ms",
            ours_stats,
            peer_stats,
            "raw gradio_client",
            r,
            f"≤ {TARGET_RATIO}x",
            r <= TARGET_RATIO,
            note=f"progress events per job: {min(progress_seen[1:] or progress_seen)}-{max(progress_seen)}",
        )
    ]
