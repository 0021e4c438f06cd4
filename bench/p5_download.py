"""P5: download a 1 GiB result from each stand-in: throughput and peak memory growth, against ``curl``.

The file is a real MP4 (a small H.264 clip) followed by a 1 GiB-filling ``free`` box, so our downloaders
run their full path, including the container check at the end. How each stand-in serves it:

* Wan2GP: the file sits in the stand-in's outputs folder and is fetched from ``/gradio_api/file=<path>``,
  the route every Wan2GP result comes from (our client streams it when the server is not on this machine;
  here the local-copy shortcut is switched off so the network path is what is measured).
* WaveSpeed: task outputs are small renders with no size knob, so the bytes are put on the stand-in's own
  storage through its two-step upload (ticket + PUT, sent chunked because a Content-Length body is capped
  at 512 MiB) and fetched from the ``download_url`` it hands out, which the same download route serves.

Ours runs in a fresh interpreter (imports done before the clock starts); its memory growth is the peak
resident size during the download (``VmHWM`` after resetting it through ``/proc/self/clear_refs``) minus the
resident size just before. curl's peak resident size (whole process) is shown for reference. Both write
to tmpfs when there is room, so the machine's disk write-back (shared, noisy) is not part of the figure.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .context import Context, child_env, run_child
from .harness import Row, Stats, ratio
from .servers import ZERO_STEPS, ServerSpecs, WaveSpeedStandin

FIG = "P5"
SIZE = 1 << 30
THROUGHPUT_RATIO = 0.8
MEMORY_LIMIT_MB = 64.0
MB = 1e6
SERVERS: ServerSpecs = {("wan2gp", "zero"): ZERO_STEPS, ("wavespeed", "p5"): {}}


def make_big_mp4(path: Path, size: int = SIZE) -> Path:
    """A playable MP4 of exactly ``size`` bytes: a tiny clip plus one large ``free`` box (sparse on disk)."""
    from scripts.standins import videogen

    clip = path.with_suffix(".clip.mp4")
    videogen.text_video(clip, prompt="bench 1 GiB", seed=1, width=160, height=96, frames=9, fps=16)
    head = clip.read_bytes()
    clip.unlink()
    filler = size - len(head)
    with path.open("wb") as out:
        out.write(head)
        out.write(struct.pack(">I4sQ", 1, b"free", filler))  # 64-bit "largesize" box header
        out.truncate(size)
    return path


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])  # kB
    raise KeyError(field)


def child(kind: str, url: str, dest_dir: str, size: int) -> dict[str, float]:
    """In a fresh interpreter: import, reset the peak-RSS mark, download once, report."""
    dest = Path(dest_dir)
    if kind == "wan2gp":
        import urllib.parse

        from blender_movie_director.backend.wan2gp.download import ServerFile, fetch_video
        from blender_movie_director.backend.wan2gp.transport import ConnectionSettings

        base, _, quoted = url.partition("/gradio_api/file=")
        server_file = ServerFile(path=urllib.parse.unquote(quoted), url=url, size=size)
        settings = ConnectionSettings(url=base)

        def download() -> Path:
            return fetch_video(server_file, settings, dest, allow_local_copy=False).path

    else:
        import asyncio

        from blender_movie_director.backend.wavespeed.client import WaveSpeedClient
        from blender_movie_director.backend.wavespeed.control import Control
        from blender_movie_director.backend.wavespeed.download import download_video

        client = WaveSpeedClient("unused-for-downloads", base_url=url.split("/files/")[0])

        async def fetch() -> Path:
            try:
                got = await download_video(
                    client, url, dest / "ws.mp4", Control(timeout=600), task_id="bench"
                )
                return got.path
            finally:
                await client.aclose()

        def download() -> Path:
            return asyncio.run(fetch())

    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _status("VmRSS")
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    path = download()
    seconds = time.perf_counter() - start
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    peak = _status("VmHWM")
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    got = path.stat().st_size
    path.unlink()
    return {"seconds": seconds, "bytes": got, "rss_before_kb": before, "hwm_kb": peak, "cpu": cpu}


def _peak_rss_kb(pid: int) -> int:
    """VmHWM of a running process in kB (0 once it has exited)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def curl(url: str, dest: Path) -> tuple[float, int, int, float]:
    """(seconds by curl's own clock, bytes, curl's peak RSS in kB, curl's CPU seconds).

    The peak is read from /proc while curl runs (every 20 ms; VmHWM only grows): the rusage of a child
    would count the pages of this Python process that it was forked from.
    """
    cmd = [
        "curl",
        "-sS",
        "--fail",
        "--noproxy",
        "*",
        "-o",
        str(dest),
        "-w",
        "%{time_total} %{size_download}",
        url,
    ]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _peak_rss_kb(process.pid))
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    out = process.stdout.read().decode() if process.stdout else ""
    err = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"curl failed ({process.returncode}): {err}")
    seconds, size = out.split()
    dest.unlink(missing_ok=True)
    return float(seconds), int(size), peak, usage.ru_utime + usage.ru_stime


def download_dir(ctx: Context) -> Path:
    """Where both sides write: tmpfs when it has room (takes disk write-back, a large noise source on a
    shared machine, out of the comparison), else the scratch folder."""
    shm = Path("/dev/shm")
    if shm.is_dir() and shutil.disk_usage(shm).free > 3 * SIZE:
        path = Path(tempfile.mkdtemp(prefix="bench-p5-", dir=shm))
        return path
    return ctx.folder("p5")


def _wavespeed_url(server: WaveSpeedStandin, big: Path) -> str:
    import httpx

    with httpx.Client(timeout=httpx.Timeout(60, read=600), trust_env=False) as http:
        ticket = http.post(
            server.api_url("media/uploads"),
            headers=server.headers(),
            json={"filename": "bench-1g.mp4", "size": big.stat().st_size, "content_type": "video/mp4"},
        )
        ticket.raise_for_status()
        data = ticket.json()["data"]

        def chunks() -> Iterator[bytes]:
            with big.open("rb") as f:
                while block := f.read(8 << 20):
                    yield block

        put = http.put(data["upload"]["url"], content=chunks(), headers=data["upload"]["headers"])
        put.raise_for_status()
    return str(data["download_url"])


def measure(label: str, kind: str, url: str, dest: Path, rounds: int) -> list[Row]:
    """Ours (fresh interpreter) and curl, alternating, ``rounds`` times each."""
    ours_rate: list[float] = []
    growth: list[float] = []
    curl_rate: list[float] = []
    curl_rss: list[float] = []
    cpu_ours: list[float] = []
    cpu_curl: list[float] = []

    def ours() -> None:
        args = ("--child", kind, url, str(dest), str(SIZE))
        report = run_child("bench.p5_download", *args, timeout=600, env=child_env())
        if report["bytes"] != SIZE:
            raise RuntimeError(f"P5 {label}: got {report['bytes']} bytes, expected {SIZE}")
        growth.append((report["hwm_kb"] - report["rss_before_kb"]) * 1024 / MB)
        cpu_ours.append(report["cpu"])
        ours_rate.append(SIZE / report["seconds"] / MB)

    def peer() -> None:
        seconds, size, rss_kb, cpu = curl(url, dest / "curl.bin")
        cpu_curl.append(cpu)
        if size != SIZE:
            raise RuntimeError(f"P5 {label}: curl got {size} bytes")
        curl_rss.append(rss_kb * 1024 / MB)
        curl_rate.append(SIZE / seconds / MB)

    for i in range(rounds):
        for fn in (ours, peer) if i % 2 == 0 else (peer, ours):
            fn()
    o, p, g = Stats.of(ours_rate), Stats.of(curl_rate), Stats.of(growth)
    r = ratio(o, p)
    return [
        Row(
            FIG,
            f"Download 1 GiB from the {label} stand-in: throughput",
            "MB/s",
            o,
            p,
            "curl",
            r,
            f"≥ {THROUGHPUT_RATIO}x curl",
            r >= THROUGHPUT_RATIO,
            note=(
                f"client CPU per GiB: ours {statistics.median(cpu_ours):.2f} s, "
                f"curl {statistics.median(cpu_curl):.2f} s"
            ),
        ),
        Row(
            FIG,
            f"Download 1 GiB from the {label} stand-in: peak memory growth",
            "MB",
            g,
            Stats.of(curl_rss),
            "curl's whole peak RSS",
            None,
            f"< {MEMORY_LIMIT_MB:.0f} MB",
            g.high < MEMORY_LIMIT_MB,
        ),
    ]


def run(ctx: Context) -> list[Row]:
    import urllib.parse

    wan = ctx.servers.wan2gp("zero", **ZERO_STEPS)
    ws = ctx.servers.wavespeed("p5")
    big = make_big_mp4(wan.outputs / "bench-1g.mp4")
    dest = download_dir(ctx)
    rounds = max(1, min(ctx.repeat, 2))  # 4 GiB move per round
    rows: list[Row] = []
    try:
        sources = {
            "Wan2GP": ("wan2gp", f"{wan.url}/gradio_api/file=" + urllib.parse.quote(str(big), safe="/"))
        }
        ctx.log("P5: putting 1 GiB on the WaveSpeed stand-in (two-step upload)")
        sources["WaveSpeed"] = ("wavespeed", _wavespeed_url(ws, big))
        for label, (kind, url) in sources.items():
            ctx.log(f"P5: {label}, {rounds} round(s)")
            rows += measure(label, kind, url, dest, rounds)
    finally:
        big.unlink(missing_ok=True)
        if dest.parent == Path("/dev/shm"):
            shutil.rmtree(dest, ignore_errors=True)
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))), flush=True)
    else:
        sys.exit("usage: python -m bench.p5_download --child wan2gp|wavespeed URL DEST_DIR SIZE")
