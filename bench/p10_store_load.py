"""P10: what a large job store beside a .blend costs Blender's main thread when the file is opened.

One fresh interpreter with the ``bpy`` module and the extension enabled (online access on, a WaveSpeed key
set: everything an attack would need). Two saved .blend files, each with a job store beside it: ours holds
40,000 unfinished records written by an earlier session (every one of them offered to the user, the worst
case: each is checked and built), the peer's store is empty. A sample is one ``wm.open_mainfile`` call on the
main thread, which runs the extension's load handler (the engine re-attach); ours and the peer's are
interleaved (ABBA). The engine is shut down between samples (not timed), so each open starts from scratch.

Rows on the store's own thread: reading 40,000 records of which 100 are unfinished (a large store: finished
work is kept 30 days), reading and compacting 80,000 such lines (every record updated once), and, for
information, reading 40,000 unfinished records (every one checked and built). No row asserts a time.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .context import Context, child_env, run_child
from .harness import Row, Stats, interleave, ratio

FIG = "P10"
RECORDS = 40_000
#: Unfinished jobs in a typical large store (the rest is finished work kept for 30 days).
TYPICAL_UNFINISHED = 100
LIMIT_MS = 50.0
ADDON = "blender_movie_director"


def write_store(path: Path, records: int, *, unfinished: int | None = None, updates: int = 0) -> None:
    """``records`` WaveSpeed jobs with task ids, each line as the engine writes it: the first ``unfinished``
    (default: all) still running, the others finished (succeeded, with a video) within the last day.
    ``updates``: lines each job had before its last one (a store that was never compacted)."""
    from blender_movie_director.backend.jobs.request import GenerationRequest
    from blender_movie_director.backend.jobs.store import JobRecord

    unfinished = records if unfinished is None else unfinished
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    with path.open("w", encoding="utf-8") as f:
        for i in range(records):
            request = GenerationRequest(
                backend="wavespeed",
                model="hunyuan-video-1.5",
                prompt=f"shot {i}: a harbour at night, rain on the quay, a lighthouse sweeping the fog",
                output_dir=str(path.parent / f"Shot_{i:05d}"),
                settings={"duration": 5, "resolution": "480p", "seed": i},
                servers=("https://api.wavespeed.ai",),
                shot={"scene": "Scene", "shot": f"Shot_{i:05d}"},
                label=f"Shot_{i:05d} · preview",
            )
            job_id = f"job{i:06d}"
            for _ in range(updates):
                f.write(JobRecord(job_id, request, "running", submitted_at=now, updated_at=now).to_line())
            done = i >= unfinished
            record = JobRecord(
                job_id,
                request,
                "succeeded" if done else "running",
                remote_id=f"task-{i:06d}",
                remote_kind="task",
                video_path=str(path.parent / f"{job_id}.mp4") if done else "",
                submitted_at=now,
                updated_at=now,
            )
            f.write(record.to_line())


def child(workdir: str, repeat: int) -> dict[str, Any]:
    import importlib

    import bpy

    addon_utils = importlib.import_module("addon_utils")  # importable only once bpy has set up its paths

    def fail(exc: BaseException) -> None:
        raise exc

    from blender_movie_director.backend.jobs.store import STORE_FILE_NAME, JobStore

    work = Path(workdir)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.preferences.system.use_online_access = True
    addon_utils.enable(ADDON, default_set=True, handle_error=fail)
    prefs = bpy.context.preferences.addons[ADDON].preferences
    prefs.wavespeed_api_key = "bench-key-never-sent"
    prefs.wavespeed_base_url = "http://127.0.0.1:9"  # nothing listens: a request would show as an error
    prefs.output_folder = "//movie_director/"
    blends = {}
    for name, records in (("ours", RECORDS), ("peer", 0)):
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        blends[name] = folder / "film.blend"
        bpy.ops.wm.save_as_mainfile(filepath=str(blends[name]))
        write_store(folder / "movie_director" / STORE_FILE_NAME, records)

    from blender_movie_director.session import engine

    offered: dict[str, int] = {}

    def sample(name: str) -> float:
        start = time.perf_counter()
        bpy.ops.wm.open_mainfile(filepath=str(blends[name]))
        seconds = time.perf_counter() - start
        offered[name] = engine.earlier(timeout=120).count
        engine.shutdown()
        return seconds * 1000

    ours, peer = interleave(lambda: sample("ours"), lambda: sample("peer"), repeat, warmup=1)

    def click() -> float:
        """Press Resume on the 40k offer: the main thread's part (the jobs are checked on the engine's
        thread; they fail at once against the address nothing listens on, and are stopped)."""
        bpy.ops.wm.open_mainfile(filepath=str(blends["ours"]))
        engine.earlier(timeout=120)
        start = time.perf_counter()
        bpy.ops.moviedir.resume_jobs()
        seconds = time.perf_counter() - start
        engine.shutdown(timeout=120)
        write_store(work / "ours" / "movie_director" / STORE_FILE_NAME, RECORDS)  # offered again next time
        return seconds * 1000

    clicks = [click() for _ in range(repeat)]

    def read(unfinished: int, updates: int) -> tuple[float, bool]:
        path = work / f"read-{unfinished}-{updates}" / STORE_FILE_NAME
        write_store(path, RECORDS, unfinished=unfinished, updates=updates)
        report = JobStore(path, load=False).load()
        return report.seconds, report.compacted

    kinds = {"typical": (TYPICAL_UNFINISHED, 0), "worst": (RECORDS, 0), "compact": (TYPICAL_UNFINISHED, 1)}
    reads = {kind: [read(*args) for _ in range(repeat)] for kind, args in kinds.items()}
    return {
        "ours_ms": ours,
        "click_ms": clicks,
        "peer_ms": peer,
        "offered": offered,
        **{f"{kind}_s": [s for s, _ in samples] for kind, samples in reads.items()},
        "compacted": all(c for _, c in reads["compact"]) and not any(c for _, c in reads["typical"]),
        "blender": bpy.app.version_string,
    }


def run(ctx: Context) -> list[Row]:
    ctx.log(f"P10: open a .blend with a {RECORDS}-record job store beside it, vs an empty store")
    user = Path(tempfile.mkdtemp(prefix="bench-blender-user-", dir=ctx.workdir))
    folders = ("CONFIG", "SCRIPTS", "EXTENSIONS", "DATAFILES")
    env = child_env(**{f"BLENDER_USER_{k}": str(user / k.lower()) for k in folders})
    report = run_child(
        "bench.p10_store_load", "--child", str(ctx.folder("p10")), str(ctx.repeat), env=env, timeout=900
    )
    o, p = Stats.of(report["ours_ms"]), Stats.of(report["peer_ms"])
    added = o.median - p.median
    typical, worst, compact = (Stats.of(report[f"{k}_s"]) for k in ("typical", "worst", "compact"))
    k = RECORDS // 1000
    return [
        Row(
            FIG,
            f"Open a .blend with a {k}k-record job store: main thread (bpy {report['blender']})",
            "ms",
            o,
            p,
            "empty store",
            ratio(o, p),
            f"+ < {LIMIT_MS:.0f} ms",
            added < LIMIT_MS,
            note=f"adds {added:.1f} ms; {report['offered'].get('ours', 0)} jobs offered, none started",
        ),
        Row(
            FIG,
            f"Press Resume on {k}k offered jobs: main thread",
            "ms",
            Stats.of(report["click_ms"]),
            target=f"< {LIMIT_MS:.0f} ms",
            met=Stats.of(report["click_ms"]).median < LIMIT_MS,
            note="the jobs are checked and started on the engine's own thread",
        ),
        Row(
            FIG,
            f"Read {k}k records ({TYPICAL_UNFINISHED} unfinished) on the store's thread",
            "s",
            typical,
            target="< 1 s",
            met=typical.median < 1.0,
        ),
        Row(
            FIG,
            f"Read and compact {2 * k}k lines ({k}k records) on the store's thread",
            "s",
            compact,
            target="< 1 s",
            met=compact.median < 1.0 and report["compacted"],
        ),
        Row(
            FIG,
            f"Read {k}k unfinished records (worst case: each checked and built) on the store's thread",
            "s",
            worst,
            target="—",
            note="informative: only a huge failed batch or a crafted store",
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]))), flush=True)
        os._exit(0)  # Blender's module teardown at exit is slow and irrelevant here
    else:
        sys.exit("usage: python -m bench.p10_store_load --child WORKDIR REPEAT")
