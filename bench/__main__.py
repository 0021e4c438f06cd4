"""``python -m bench [--only P3,P4] [--repeat N] [--write-docs]``: run the figures, print the table.

Each figure lives in its own module (``bench/p<N>_*.py``) with ``run(ctx) -> list[Row]``. Stand-ins are
started on first use and stopped at the end (also on failure). A figure that fails is reported as not
measured, with the reason, and the others still run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .context import Context
from .harness import Row, render_table
from .report import write_docs
from .servers import Servers

FIGURES: dict[str, str] = {
    "P1": "bench.p1_drain",
    "P2": "bench.p2_enable",
    "P3": "bench.p3_wan2gp_job",
    "P4": "bench.p4_wavespeed",
    "P5": "bench.p5_download",
    "P6": "bench.p6_schedule",
    "P7": "bench.p7_vse_import",
    "P8": "bench.p8_connect",
    "P9": "bench.p9_thumbnails",
    "P10": "bench.p10_store_load",
    "P11": "bench.p11_hostile",
    "P12": "bench.p12_zip_size",
    "P13": "bench.p13_mcp_job",  # also gives P14 (connect + discovery over MCP)
    "P15": "bench.p15_cast",  # also gives P16 (Render References)
}
WHAT: dict[str, str] = {
    "P1": "Main-thread time of one drain tick (16 jobs x 10 Hz progress, plus an import)",
    "P2": "Enable the extension in real Blender; heavy modules imported",
    "P3": "One Wan2GP job end to end, connection cached",
    "P4": "10 WaveSpeed jobs (3 s each): wall time, HTTP requests per job",
    "P5": "Download a 1 GB result: throughput, peak memory growth",
    "P6": "24 shots over two Wan2GP stand-ins and WaveSpeed",
    "P7": "Import 100 finished clips into the VSE",
    "P8": "Connect to a Wan2GP server (discovery included), first and cached",
    "P9": "A take's thumbnail: main-thread cost (Blender's MOVIE preview vs the old render in a timer)",
    "P10": "Open a .blend with a 40k-record job store: main-thread cost; the store's own read and compaction",
    "P11": "Peak memory growth under each hostile answer (huge poll, error body, /config; endless download)",
    "P12": "Extension zip size per platform: the slim bundle vs the bundle before issue 16",
    "P13": "One Wan2GP job over WanGP's MCP server vs the same tool calls raw; P14: MCP connect + discovery",
    "P15": "Cast detection, 10 shots x 20 members x 240 frames (vs frame_set alone); P16: Render References",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated figure ids, e.g. P3,P4 (default: all)")
    parser.add_argument("--repeat", type=int, default=5, help="samples per measurement (default 5)")
    parser.add_argument("--write-docs", action="store_true", help="write the table into docs/performance.md")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (for debugging)")
    args = parser.parse_args(argv)
    wanted = [f.strip().upper() for f in args.only.split(",") if f.strip()] or list(FIGURES)
    unknown = [f for f in wanted if f not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(unknown)} (known: {', '.join(FIGURES)})")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.figures = wanted
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "scripts/bench.sh " + shlex.join(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    workdir = Path(tempfile.mkdtemp(prefix="movie-director-bench-"))
    ctx = Context(args.repeat, workdir, Servers(workdir, log=lambda m: None))
    ctx.servers._log = ctx.log
    rows: list[Row] = []
    started = time.monotonic()
    try:
        modules = {fig: importlib.import_module(FIGURES[fig]) for fig in args.figures}
        prestarted = False
        for fig in args.figures:
            specs = getattr(modules[fig], "SERVERS", None)
            if specs and not prestarted:
                # Every stand-in the remaining figures need starts now, in parallel, after the Blender-only
                # figures (whose main-thread timings would feel the servers' start-up).
                prestarted = True
                wanted: dict = {}
                for later in args.figures[args.figures.index(fig) :]:
                    wanted.update(getattr(modules[later], "SERVERS", {}))
                ctx.log(f"starting {len(wanted)} stand-in(s)")
                try:
                    ctx.servers.start_all(wanted)
                except Exception:
                    traceback.print_exc()  # each figure then reports its own server failure
            t0 = time.monotonic()
            ctx.log(f"{fig}: start")
            try:
                rows.extend(modules[fig].run(ctx))
            except Exception as exc:
                traceback.print_exc()
                rows.append(Row(fig, WHAT[fig], "", note=f"failed: {type(exc).__name__}: {exc}"[:300]))
            ctx.log(f"{fig}: done in {time.monotonic() - t0:.1f} s")
    finally:
        ctx.servers.close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    total = time.monotonic() - started
    table = render_table(rows)
    print(table)
    print(f"\n{len(args.figures)} figure(s) in {total:.0f} s; command: {command}")
    if args.write_docs:
        path = write_docs(table, command=command, seconds=total, repeat=args.repeat)
        print(f"wrote {path}")
    return 0 if all(r.ours is not None for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
