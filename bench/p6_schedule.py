"""P6: 24 shots over two Wan2GP stand-ins and WaveSpeed, submitted at once like "Generate all".

Ours: one ``JobManager`` (the product path), Wan2GP shots naming both servers (a ``Wan2GPPool``), WaveSpeed
shots on the WaveSpeed stand-in. The main row uses the add-on's default limits (preferences: 1 Wan2GP job per
server, so 2 here, and 8 WaveSpeed jobs at once); the informative row sends 2 jobs to each Wan2GP server.

Limit: the ideal schedule, i.e. each backend's total server time divided by its servers (two Wan2GP GPUs,
each running one job at a time like WanGP; WaveSpeed with the account concurrency of 2 that the stand-in
enforces), taking the slower backend. Server time is the stand-ins' own clock: steps x seconds per step
(model loads are 0 here), and the WaveSpeed task time. Rendering the tiny clips is left out of the ideal,
which makes it slightly stricter than the truth.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .context import Context
from .harness import Row, Stats
from .servers import ServerSpecs

FIG = "P6"
TARGET = 1.1
WAN_SHOTS = 16
WS_SHOTS = 8
STEP_SECONDS = 0.1
STEPS = 12
WS_TASK_SECONDS = 2.4
WS_CONCURRENCY = 2
WAN_SETTINGS: dict[str, Any] = {"resolution": "160x96", "video_length": 9, "num_inference_steps": STEPS}
WAN_MODEL = "t2v_1.3B"
WS_MODEL = "wavespeed-ai/hunyuan-video-1.5/text-to-video"
WS_SETTINGS: dict[str, Any] = {"size": "832*480", "duration": 5}
WAN_KNOBS: dict[str, Any] = {"step_seconds": STEP_SECONDS, "load_seconds": 0.0}
WS_KNOBS: dict[str, Any] = {
    "task_seconds": WS_TASK_SECONDS,
    "queue_seconds": 0.0,
    "max_concurrency": WS_CONCURRENCY,
}
SERVERS: ServerSpecs = {
    ("wan2gp", "p6a"): WAN_KNOBS,
    ("wan2gp", "p6b"): WAN_KNOBS,
    ("wavespeed", "p6"): WS_KNOBS,
}


def ideal_seconds() -> float:
    wan = WAN_SHOTS * STEPS * STEP_SECONDS / 2
    ws = WS_SHOTS * WS_TASK_SECONDS / WS_CONCURRENCY
    return max(wan, ws)


def run_batch(
    wan_urls: tuple[str, ...], ws: Any, folder: Path, limits: dict[str, int] | None, tag: str
) -> float:
    from blender_movie_director.backend.jobs.events import JobState
    from blender_movie_director.backend.jobs.manager import JobManager
    from blender_movie_director.backend.jobs.request import (
        PRIORITY_BATCH,
        Backend,
        Credentials,
        GenerationRequest,
    )

    manager = JobManager(folder / "jobs.jsonl", limits=limits)
    ws_credentials = Credentials(api_key=ws.api_key)
    requests: list[tuple[GenerationRequest, Credentials | None]] = []
    for i in range(WAN_SHOTS + WS_SHOTS):
        # Interleaved like a storyboard mixing both backends.
        if i % 3 == 2 and sum(1 for r, _ in requests if r.backend == Backend.WAVESPEED) < WS_SHOTS:
            req = GenerationRequest(
                backend=Backend.WAVESPEED, model=WS_MODEL, prompt=f"{tag} shot {i}", output_dir=str(folder),
                settings={**WS_SETTINGS, "seed": i}, servers=(ws.url,), priority=PRIORITY_BATCH,
            )  # fmt: skip
            requests.append((req, ws_credentials))
        else:
            req = GenerationRequest(
                backend=Backend.WAN2GP, model=WAN_MODEL, prompt=f"{tag} shot {i}", output_dir=str(folder),
                settings=WAN_SETTINGS, servers=wan_urls, priority=PRIORITY_BATCH,
            )  # fmt: skip
            requests.append((req, None))
    counts = {b: sum(1 for r, _ in requests if r.backend == b) for b in Backend}
    if counts != {Backend.WAN2GP: WAN_SHOTS, Backend.WAVESPEED: WS_SHOTS}:
        raise RuntimeError(f"P6: wrong shot mix {counts}")
    try:
        start = time.perf_counter()
        ids = [manager.submit(req, cred) for req, cred in requests]
        if not manager.wait(ids, timeout=300):
            raise RuntimeError("P6: the batch did not finish within 300 s")
        seconds = time.perf_counter() - start
        bad = [info for info in manager.jobs() if info.state != JobState.SUCCEEDED]
        if bad:
            raise RuntimeError(f"P6: {len(bad)} shot(s) failed: {bad[0].error_message}")
        return seconds
    finally:
        manager.shutdown(timeout=10)


def run(ctx: Context) -> list[Row]:
    ctx.servers.start_all(SERVERS)
    wan_urls = (ctx.servers.wan2gp("p6a", **WAN_KNOBS).url, ctx.servers.wan2gp("p6b", **WAN_KNOBS).url)
    ws = ctx.servers.wavespeed("p6", **WS_KNOBS)
    ideal = ideal_seconds()
    from blender_movie_director.backend.jobs.manager import DEFAULT_LIMITS
    from blender_movie_director.backend.jobs.request import Backend

    # What the add-on's engine sets with default preferences: 1 job per Wan2GP server times the servers
    # (prefs.wan2gp_limit), and the WaveSpeed default.
    defaults = {
        "wan2gp": DEFAULT_LIMITS[Backend.WAN2GP] * len(wan_urls),
        "wavespeed": DEFAULT_LIMITS[Backend.WAVESPEED],
    }
    variants: list[tuple[str, dict[str, int], int]] = [
        (
            f"default limits (Wan2GP 1 per server = {defaults['wan2gp']}, WaveSpeed {defaults['wavespeed']})",
            defaults,
            max(1, min(ctx.repeat, 2)),
        ),
        ("Wan2GP 2 jobs per server (one waits in each server's queue)", {**defaults, "wan2gp": 4}, 1),
    ]
    rows: list[Row] = []
    for n, (label, limits, rounds) in enumerate(variants):
        walls: list[float] = []
        for r in range(rounds):
            ws.reset()
            ctx.log(f"P6: {label}, round {r + 1}/{rounds}")
            walls.append(run_batch(wan_urls, ws, ctx.folder(f"p6-{n}-{r}"), limits, f"v{n}r{r}"))
        stats = Stats.of(walls)
        r_ideal = stats.median / ideal
        main = n == 0
        rows.append(
            Row(
                FIG,
                f"24 shots (16 Wan2GP over 2 servers, 8 WaveSpeed), {label}",
                "s",
                stats,
                Stats.of([ideal]),
                "ideal schedule",
                r_ideal,
                f"≤ {TARGET}x ideal" if main else "",
                (r_ideal <= TARGET) if main else None,
            )
        )
    return rows
