"""P8: connect to a Wan2GP server, endpoint discovery included.

* first: a fresh interpreter, from the import of the backend to a connected, discovered client (what the
  first click in a Blender session costs). Peer: a fresh interpreter importing gradio_client and building
  ``Client(url)``.
* cached: in a warm process that has discovered this server before, a new ``Wan2GPClient`` connecting
  (a new Gradio session; the discovery comes from the per-process cache). Peer: raw ``Client(url)``.
* reuse (informative): ``connect()`` again on the same client (an idle session is reused).

The stand-in serves the full-size ``/config`` (647 events, like WanGP 12.60).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

from .context import Context, run_child
from .harness import Row, Stats, interleave, ratio, timed
from .servers import ZERO_STEPS, ServerSpecs

FIG = "P8"
FIRST_LIMIT_S = 1.0
CACHED_RATIO = 1.1
SERVERS: ServerSpecs = {("wan2gp", "zero"): ZERO_STEPS}


def _close_later(client: Any) -> None:
    """gradio_client's close() joins its heartbeat for up to 1 s: do it off the timed path."""
    threading.Thread(target=client.close, daemon=True).start()


def child(kind: str, url: str) -> dict[str, float]:
    """Runs in a fresh interpreter: the first connection of a session, imports included."""
    start = time.perf_counter()
    if kind == "ours":
        from blender_movie_director.backend.wan2gp import Wan2GPClient

        client = Wan2GPClient(url)
        client.connect()
    else:
        import httpx
        from gradio_client import Client

        client = Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": httpx.Timeout(10)})
    return {"seconds": time.perf_counter() - start}


def run(ctx: Context) -> list[Row]:
    import httpx
    from gradio_client import Client

    from blender_movie_director.backend.wan2gp import Wan2GPClient

    server = ctx.servers.wan2gp("zero", **ZERO_STEPS)
    url = server.url

    def first(kind: str) -> float:
        return float(run_child("bench.p8_connect", "--child", kind, url)["seconds"])

    ctx.log("P8: first connections (fresh interpreters)")
    first_ours, first_raw = interleave(lambda: first("ours"), lambda: first("raw"), ctx.repeat)

    warm = Wan2GPClient(url)
    warm.connect()  # this process now has the server's discovery cached

    def ours_cached() -> float:
        client = Wan2GPClient(url)
        seconds, _ = timed(client.connect)
        client.close()
        return seconds

    def raw_cached() -> float:
        seconds, client = timed(
            lambda: Client(
                url, verbose=False, download_files=False, httpx_kwargs={"timeout": httpx.Timeout(10)}
            )
        )
        _close_later(client)
        return seconds

    ctx.log("P8: cached connections")
    cached_ours, cached_raw = interleave(ours_cached, raw_cached, ctx.repeat, warmup=1)
    reuse = [timed(warm.connect)[0] for _ in range(ctx.repeat)]
    warm.close()

    f_ours, f_raw = Stats.of(first_ours).scaled(1000), Stats.of(first_raw).scaled(1000)
    c_ours, c_raw = Stats.of(cached_ours).scaled(1000), Stats.of(cached_raw).scaled(1000)
    c_ratio = ratio(c_ours, c_raw)
    return [
        Row(
            FIG,
            "Connect to Wan2GP, first in a fresh process (imports + session + discovery)",
            "ms",
            f_ours,
            f_raw,
            "raw gradio_client (import + Client())",
            ratio(f_ours, f_raw),
            f"< {FIRST_LIMIT_S * 1000:.0f} ms",
            f_ours.median < FIRST_LIMIT_S * 1000,
        ),
        Row(
            FIG,
            "Connect to Wan2GP, cached discovery (new client, new session)",
            "ms",
            c_ours,
            c_raw,
            "raw gradio_client.Client()",
            c_ratio,
            f"≤ {CACHED_RATIO}x",
            c_ratio <= CACHED_RATIO,
        ),
        Row(
            FIG,
            "Connect again on the same client (idle session reused; informative)",
            "ms",
            Stats.of(reuse).scaled(1000),
            c_raw,
            "raw gradio_client.Client()",
            ratio(Stats.of(reuse).scaled(1000), c_raw),
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3])), flush=True)
        os._exit(
            0
        )  # skip closing the sessions (gradio_client's close() waits up to 1 s); the server drops them
    else:
        sys.exit("usage: python -m bench.p8_connect --child ours|raw URL")
