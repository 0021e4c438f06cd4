"""P4: ten WaveSpeed jobs (3 s of server time each on the stand-in): wall time and HTTP requests per job.

Ours: the product path, ten requests submitted at once to a ``JobManager`` with its default limits
(WaveSpeedRunner -> WaveSpeedProvider: catalog check (cached 10 min), submit, polls, verified download;
a price quote only when a budget is set).
Peer: the official ``wavespeed`` SDK with its defaults (``Client.run``: submit, then a poll every second),
running the ten one after another, each followed by a plain streamed download of its output (the SDK has
no download; a user needs the file). Requests are counted by the stand-in itself (its request log covers
every API, download and storage request), so neither side counts its own.
"""

from __future__ import annotations

import time
from pathlib import Path

from .context import Context
from .harness import Row, Stats, ratio
from .servers import ServerSpecs, WaveSpeedStandin

FIG = "P4"
JOBS = 10
MODEL = "wavespeed-ai/hunyuan-video-1.5/text-to-video"
PARAMS = {"size": "832*480", "duration": 5}
KNOBS = {"task_seconds": 3.0, "queue_seconds": 0.0}
SERVERS: ServerSpecs = {("wavespeed", "p4"): KNOBS}
WALL_TARGET = 0.3
REQUESTS_TARGET = 1.0


def run_ours(
    server: WaveSpeedStandin, folder: Path, round_no: int, limits: dict[str, int] | None = None
) -> float:
    from blender_movie_director.backend.jobs.events import JobState
    from blender_movie_director.backend.jobs.manager import JobManager
    from blender_movie_director.backend.jobs.request import Backend, Credentials, GenerationRequest

    manager = JobManager(folder / f"jobs-{round_no}.jsonl", limits=limits)
    credentials = Credentials(api_key=server.api_key)
    try:
        start = time.perf_counter()
        ids = [
            manager.submit(
                GenerationRequest(
                    backend=Backend.WAVESPEED,
                    model=MODEL,
                    prompt=f"bench shot {round_no}-{i}",
                    output_dir=str(folder),
                    settings={**PARAMS, "seed": 1000 * round_no + i},
                    servers=(server.url,),
                ),
                credentials,
            )
            for i in range(JOBS)
        ]
        if not manager.wait(ids, timeout=600):
            raise RuntimeError("P4: our jobs did not finish within 600 s")
        seconds = time.perf_counter() - start
        bad = [info for info in manager.jobs() if info.state != JobState.SUCCEEDED]
        if bad:
            raise RuntimeError(f"P4: {len(bad)} of our jobs failed: {bad[0].error_message}")
        return seconds
    finally:
        manager.shutdown(timeout=10)


def run_peer(server: WaveSpeedStandin, folder: Path, round_no: int) -> float:
    import requests
    import wavespeed

    sdk = wavespeed.Client(api_key=server.api_key, base_url=server.url)
    start = time.perf_counter()
    for i in range(JOBS):
        result = sdk.run(
            MODEL, {"prompt": f"bench shot {round_no}-{i}", **PARAMS, "seed": 1000 * round_no + i}
        )
        with requests.get(result["outputs"][0], stream=True, timeout=60) as response:
            response.raise_for_status()
            with open(folder / f"peer-{round_no}-{i}.mp4", "wb") as out:
                for chunk in response.iter_content(1 << 20):
                    out.write(chunk)
    return time.perf_counter() - start


def _requests_per_job(server: WaveSpeedStandin) -> float:
    return len(server.requests()) / JOBS


def run(ctx: Context) -> list[Row]:
    server = ctx.servers.wavespeed("p4", **KNOBS)
    rounds = max(1, min(ctx.repeat, 2))  # a round takes ~1 min; two give a spread within the time budget
    wall_ours: list[float] = []
    wall_peer: list[float] = []
    req_ours: list[float] = []
    req_peer: list[float] = []
    routes: dict[str, dict[str, int]] = {}
    for r in range(rounds):
        order = ("ours", "peer") if r % 2 == 0 else ("peer", "ours")
        for who in order:
            server.reset()
            folder = ctx.folder(f"p4-{who}-{r}")
            ctx.log(f"P4: round {r + 1}/{rounds}, {who}")
            if who == "ours":
                wall_ours.append(run_ours(server, folder, r))
                req_ours.append(_requests_per_job(server))
            else:
                wall_peer.append(run_peer(server, folder, r))
                req_peer.append(_requests_per_job(server))
            routes[who] = _route_counts(server)
    server.reset()
    ctx.log("P4: ours with the WaveSpeed limit at 10 (informative)")
    wide = run_ours(server, ctx.folder("p4-wide"), 99, limits={"wavespeed": JOBS})
    wide_requests = _requests_per_job(server)
    w_ours, w_peer = Stats.of(wall_ours), Stats.of(wall_peer)
    q_ours, q_peer = Stats.of(req_ours), Stats.of(req_peer)
    w_ratio, q_ratio = ratio(w_ours, w_peer), ratio(q_ours, q_peer)

    def per_job(who: str) -> str:
        return ", ".join(f"{route} {n / JOBS:g}" for route, n in sorted(routes[who].items()))

    return [
        Row(
            FIG,
            f"{JOBS} WaveSpeed jobs (3 s each): wall time, default limits",
            "s",
            w_ours,
            w_peer,
            "wavespeed SDK, one after another",
            w_ratio,
            f"≤ {WALL_TARGET}x",
            w_ratio <= WALL_TARGET,
        ),
        Row(
            FIG,
            "HTTP requests per WaveSpeed job (counted by the stand-in)",
            "requests",
            q_ours,
            q_peer,
            "wavespeed SDK + download",
            q_ratio,
            f"≤ {REQUESTS_TARGET}x",
            q_ratio <= REQUESTS_TARGET,
            note=f"per job, ours: {per_job('ours')}; SDK: {per_job('peer')}",
        ),
        Row(
            FIG,
            f"{JOBS} WaveSpeed jobs with the WaveSpeed limit at {JOBS} (informative)",
            "s",
            Stats.of([wide]),
            w_peer,
            "wavespeed SDK, one after another",
            wide / w_peer.median,
            note=f"{wide_requests:g} requests per job",
        ),
    ]


def _route_counts(server: WaveSpeedStandin) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in server.requests():
        counts[entry.get("route") or "?"] = counts.get(entry.get("route") or "?", 0) + 1
    return counts
