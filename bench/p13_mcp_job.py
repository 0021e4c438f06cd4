"""P13: one Wan2GP job end to end over WanGP's MCP server (connection cached), through the product path
(JobManager -> Wan2GPRunner -> Wan2GPClient -> McpJob), against the MCP stand-in with zero-time steps; and
P14: connect + discovery over MCP.

* P13 peer: the same tool calls made raw with httpx on one cached ``httpx.Client``:
  ``wangp_get_model_schema``, ``wangp_get_model_availability``, ``wangp_generate(wait=False)``,
  ``wangp_get_job`` polled on the same schedule as ours (0.05 s doubling to 0.25 s),
  ``wangp_create_gallery_download`` and the GET into a file. Ours adds the job engine (store, events,
  worker), validation, the queue slot and the MP4 check.
* P14: a new ``Wan2GPClient`` connecting (``initialize`` + ``tools/list`` after the 307 from ``/mcp``) vs a
  raw ``initialize`` + ``tools/list`` on a new ``httpx.Client`` that follows the same redirect.

The MCP stand-in is started here (``tests.fixtures.wan2gp_mcp_standin``) and stopped at the end.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .context import Context
from .harness import Row, Stats, interleave, ratio, timed
from .p3_wan2gp_job import MODEL, our_job, task_template

FIG = "P13"
FIG_CONNECT = "P14"
JOB_RATIO = 1.15
CONNECT_RATIO = 1.1
ZERO = {"step_seconds": 0.0, "load_seconds": 0.0}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


class RawPeer:
    """What a script author writes with httpx alone (no project code inside the timed part)."""

    def __init__(self, url: str, folder: Path, *, redirected: bool = True) -> None:
        import httpx

        # Like ours: no CA bundle loaded for a plain-http server (~20 ms per client), no proxy for loopback.
        self.http = httpx.Client(
            timeout=httpx.Timeout(10, read=60), follow_redirects=True, trust_env=False,
            verify=not url.startswith("http://"),
        )  # fmt: skip
        # A new client meets the 307 from /mcp (redirected=False), a cached one asks /mcp/ directly.
        self.url = url.rstrip("/") + ("/" if redirected else "")
        self.origin = url.rsplit("/mcp", 1)[0]
        self.folder = folder
        self.ids = 0

    def rpc(self, method: str, params: dict[str, Any]) -> Any:
        self.ids += 1
        body = {"jsonrpc": "2.0", "id": self.ids, "method": method, "params": params}
        answer = self.http.post(self.url, json=body, headers=HEADERS).json()
        return answer["result"]

    def tool(self, name: str, **arguments: Any) -> Any:
        result = self.rpc("tools/call", {"name": name, "arguments": arguments})
        if result.get("isError"):
            raise RuntimeError(result["content"][0]["text"])
        value = result["structuredContent"]
        return value["result"] if set(value) == {"result"} else value

    def run_one(self, task: dict[str, Any]) -> Path:
        self.tool("wangp_get_model_schema", model_type=MODEL)
        self.tool("wangp_get_model_availability", model_type=MODEL)
        snap = self.tool("wangp_generate", source=task, wait=False)
        interval = 0.05
        while not (snap["done"] and snap["result"] is not None):
            time.sleep(interval)
            interval = min(0.25, interval * 2)
            snap = self.tool("wangp_get_job", job_id=snap["job_id"], event_limit=60)
        item = snap["result"]["gallery_items"][-1]
        ticket = self.tool("wangp_create_gallery_download", gallery_id=item["gallery_id"])
        path = self.folder / f"{snap['job_id']}.mp4"
        with (
            self.http.stream("GET", self.origin + ticket["download_url"]) as response,
            path.open("wb") as out,
        ):
            for chunk in response.iter_bytes(1 << 20):
                out.write(chunk)
        return path

    def connect(self) -> None:
        self.rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                "clientInfo": {"name": "raw", "version": "1"}})  # fmt: skip
        self.rpc("tools/list", {})

    def close(self) -> None:
        self.http.close()


def run(ctx: Context) -> list[Row]:
    from tests.fixtures.wan2gp_mcp_standin import start_mcp_standin
    from tests.fixtures.wan2gp_standin import stop_standin

    ctx.log("P13: starting the MCP stand-in")
    server = start_mcp_standin(ctx.folder("p13-standin"), **ZERO)
    try:
        return _job_rows(ctx, server.url) + _connect_rows(ctx, server.url)
    finally:
        stop_standin(server)


def _job_rows(ctx: Context, url: str) -> list[Row]:
    from blender_movie_director.backend.jobs.manager import JobManager

    out = ctx.folder("p13-ours")
    manager = JobManager(ctx.folder("p13-store") / "jobs.jsonl")
    peer = RawPeer(url, ctx.folder("p13-peer"))
    source = task_template()
    counter = iter(range(10_000))

    def ours() -> float:
        return our_job(FIG, manager, url, out, f"bench shot {next(counter)}")[0]

    def raw() -> float:
        seconds, _ = timed(lambda: peer.run_one(dict(source)))
        return seconds

    try:
        ctx.log("P13: warm-up (connect, discover, first model load)")
        a, b = interleave(ours, raw, ctx.repeat, warmup=1)
    finally:
        manager.shutdown(timeout=10)
        peer.close()
    ours_stats, peer_stats = Stats.of(a).scaled(1000), Stats.of(b).scaled(1000)
    r = ratio(ours_stats, peer_stats)
    return [
        Row(
            FIG,
            "One Wan2GP job end to end over MCP, connection cached (0 s steps, 160x96x9)",
            "ms",
            ours_stats,
            peer_stats,
            "the same tool calls, raw httpx",
            r,
            f"≤ {JOB_RATIO}x",
            r <= JOB_RATIO,
        )
    ]


def _connect_rows(ctx: Context, url: str) -> list[Row]:
    from blender_movie_director.backend.wan2gp import Wan2GPClient

    def ours() -> float:
        client = Wan2GPClient(url)
        seconds, _ = timed(client.connect)
        client.close()
        return seconds

    def raw() -> float:
        def connect() -> RawPeer:
            peer = RawPeer(url, Path(), redirected=False)  # a new httpx.Client, as ours makes
            peer.connect()
            return peer

        seconds, peer = timed(connect)
        peer.close()
        return seconds

    ctx.log("P14: MCP connections")
    a, b = interleave(ours, raw, max(ctx.repeat, 5), warmup=1)
    ours_stats, peer_stats = Stats.of(a).scaled(1000), Stats.of(b).scaled(1000)
    r = ratio(ours_stats, peer_stats)
    return [
        Row(
            FIG_CONNECT,
            "Connect to WanGP's MCP server + discovery (new client; 307 from /mcp followed)",
            "ms",
            ours_stats,
            peer_stats,
            "raw httpx initialize + tools/list",
            r,
            f"≤ {CONNECT_RATIO}x",
            r <= CONNECT_RATIO,
        )
    ]


if __name__ == "__main__":
    print(json.dumps({"figures": [FIG, FIG_CONNECT]}))
