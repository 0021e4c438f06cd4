"""P11: the client's peak memory growth under each hostile answer of issue 14, beside a normal answer.

A hostile server on 127.0.0.1 (``tests/security/hostile.py``, in this process) answers; the client runs in a
fresh interpreter and reports its peak resident size during the one call (``VmHWM`` after resetting it
through ``/proc/self/clear_refs``) minus the resident size just before, as P5 does. Each hostile answer
is measured against the normal answer of the same call. The hostile answers announce no length, so the
client has to count (an announced length over the limit is refused before reading, cheaper still):

* WaveSpeed poll: a 500 MB answer vs a real-sized task object;
* WaveSpeed error body: a 500 MB HTTP 500 body vs a short one;
* Wan2GP ``/config``: 400 MB vs 2.6 MB (the size of WanGP 12.60's);
* a Wan2GP result download that never ends vs a 64 MB MP4. The download cap is set to 256 MiB for the
  run so a sample takes seconds; the growth does not depend on the cap (one reused 1 MiB buffer).

The target, from the issue: growth < 64 MB under each hostile answer. Before the limits the same answers
peaked at 2.1 GB, 2.5 GB and 1.17 GB (issue 14, item 4), and the endless download was bounded only by
its 1800 s deadline.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from .context import Context, child_env, run_child
from .harness import Row, Stats, ratio

FIG = "P11"
MB = 1e6
MiB = 1 << 20
LIMIT_MB = 64.0
DOWNLOAD_CAP = 256 * MiB

#: scenario -> (what the row says, the normal answer's label)
SCENARIOS = {
    "poll": ("WaveSpeed poll answer of 500 MB", "a 1 KB task object"),
    "error": ("WaveSpeed error body of 500 MB", "a short HTTP 500 body"),
    "config": ("Wan2GP /config of 400 MB", "a 2.6 MB /config"),
    "download": ("Wan2GP download that never ends (cap 256 MiB)", "a 64 MB MP4"),
}


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])  # kB
    raise KeyError(field)


def child(scenario: str, url: str, dest: str) -> dict[str, object]:
    """In a fresh interpreter: import, reset the peak-RSS mark, make the one call, report."""
    import asyncio

    from blender_movie_director.backend.wan2gp.download import ServerFile, fetch_video
    from blender_movie_director.backend.wan2gp.session import Session
    from blender_movie_director.backend.wan2gp.transport import ConnectionSettings
    from blender_movie_director.backend.wavespeed.client import RetryPolicy, WaveSpeedClient
    from blender_movie_director.backend.wavespeed.control import Control

    def call() -> None:
        if scenario in ("poll", "error"):
            client = WaveSpeedClient("sk-bench", url, retry=RetryPolicy(attempts=1))

            async def poll() -> None:
                try:
                    await client.get_result("task-1", Control(timeout=120))
                finally:
                    await client.aclose()

            asyncio.run(poll())
        elif scenario == "config":
            Session(ConnectionSettings(url=url)).close()
        else:
            settings = ConnectionSettings(url=url, download_max_bytes=DOWNLOAD_CAP)
            got = fetch_video(ServerFile(path="/outputs/clip.mp4"), settings, Path(dest))
            got.path.unlink()

    import httpx  # noqa: F401 - imported before the clock, as by a running add-on

    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _status("VmRSS")
    start = time.perf_counter()
    outcome = "ok"
    try:
        call()
    except Exception as exc:  # the hostile answers end in a typed error: that is the expected outcome
        outcome = f"{type(exc).__name__}: {exc}"[:300]
    seconds = time.perf_counter() - start
    peak = _status("VmHWM")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"growth_kb": peak - before, "seconds": seconds, "outcome": outcome, "cpu": usage.ru_utime}


def _normal_config() -> dict[str, object]:
    """A Gradio config of WanGP 12.60's size (2.6 MB): real keys, padding components."""
    components = [{"id": i, "type": "html", "props": {"value": "x" * 1100}} for i in range(2200)]
    return {
        "version": "5.29.0",
        "mode": "blocks",
        "app_id": 1,
        "api_prefix": "/gradio_api",
        "protocol": "sse_v3",
        "connect_heartbeat": False,
        "components": components,
        "dependencies": [],
        "layout": {"id": 0, "children": []},
    }


def _serve(server, scenario: str, hostile: bool, scratch: Path) -> None:
    from tests.security.hostile import Plan

    if scenario == "poll":
        body = {"code": 200, "data": {"id": "task-1", "status": "processing", "outputs": [], "x": "y" * 900}}
        plan = Plan("huge-json", size=500 * MiB, announce=False) if hostile else Plan("json", body=body)
        server.route("/api/v3/predictions/", plan)
    elif scenario == "error":
        body = {"code": 500, "message": "internal error"}
        plan = (
            Plan("huge-json", status=500, size=500 * MiB, announce=False)
            if hostile
            else Plan("json", status=500, body=body)
        )
        server.route("/api/v3/predictions/", plan)
    elif scenario == "config":
        plan = (
            Plan("huge-json", size=400 * MiB, announce=False)
            if hostile
            else Plan("json", body=_normal_config())
        )
        server.route("/config", plan)
        server.route("/gradio_api/info", Plan("json", body={"named_endpoints": {}, "unnamed_endpoints": {}}))
    else:
        clip = scratch / "normal.mp4"
        if not clip.exists():
            from bench.p5_download import make_big_mp4

            make_big_mp4(clip, 64 * MiB)
        server.route("/gradio_api/file=", Plan("endless") if hostile else Plan("file", body=str(clip)))


def measure(ctx: Context, scenario: str, rounds: int) -> Row:
    from tests.security.hostile import Hostile

    scratch = ctx.folder("p11")
    growth: dict[bool, list[float]] = {True: [], False: []}
    outcomes: dict[bool, str] = {}
    for i in range(rounds):
        for hostile in (True, False) if i % 2 == 0 else (False, True):
            with Hostile() as server:
                _serve(server, scenario, hostile, scratch)
                report = run_child(
                    "bench.p11_hostile",
                    "--child",
                    scenario,
                    server.url,
                    str(scratch),
                    timeout=300,
                    env=child_env(),
                )
            growth[hostile].append(report["growth_kb"] * 1024 / MB)
            outcomes[hostile] = str(report["outcome"])
    ours, peer = Stats.of(growth[True]), Stats.of(growth[False])
    what, normal = SCENARIOS[scenario]
    return Row(
        FIG,
        f"Peak memory growth under a {what}",
        "MB",
        ours,
        peer,
        f"the same call, {normal}",
        ratio(ours, peer),
        f"< {LIMIT_MB:.0f} MB",
        ours.high < LIMIT_MB,
        note=f"hostile outcome: {outcomes[True][:160]}; normal: {outcomes[False][:80]}",
    )


def run(ctx: Context) -> list[Row]:
    rounds = max(1, min(ctx.repeat, 3))
    rows = []
    for scenario in SCENARIOS:
        ctx.log(f"P11: {scenario}, {rounds} round(s)")
        rows.append(measure(ctx, scenario, rounds))
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3], sys.argv[4])), flush=True)
    else:
        sys.exit("usage: python -m bench.p11_hostile --child poll|error|config|download URL SCRATCH")
