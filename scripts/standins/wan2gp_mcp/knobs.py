"""Command-line knobs of the MCP stand-in: the web-UI stand-in's server and timing knobs plus MCP ones.

Shared with ``standins.wan2gp.knobs`` (same names, same defaults): --port, --host, --outputs, --step-seconds,
--load-seconds, --fail-load, --ready-file. MCP only: --available (model types whose 'weights' the server has;
default ``models.DEFAULT_AVAILABLE``, ``all`` for every model; env WAN2GP_STANDIN_AVAILABLE), --loras
(``model_type:name.safetensors`` items, comma separated; env WAN2GP_STANDIN_LORAS), --real-timing (WanGP-like
timing measured in the capture: 10 s start-up is not imitated, 1.4 s model load, 0.5 s per step).

Threading: parsed once in the main thread before the server starts; read-only afterwards.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from standins.wan2gp.knobs import Knobs

from .models import DEFAULT_AVAILABLE, Lora, Options, model_types

DEFAULT_LORAS = (
    "t2v_1.3B:standin_film_grain.safetensors,t2v_1.3B:standin_anime_style.safetensors,"
    "i2v:standin_slow_pan.safetensors"
)
REAL_LOAD_S, REAL_STEP_S = 1.4, 0.5


def _available(text: str) -> frozenset[str]:
    if text.strip().lower() == "all":
        return frozenset(model_types())
    return frozenset(t.strip() for t in text.split(",") if t.strip())


def _loras(text: str) -> tuple[Lora, ...]:
    out = []
    for item in text.split(","):
        if ":" not in item:
            continue
        model_type, name = item.split(":", 1)
        out.append(Lora(model_type.strip(), name.strip()))
    return tuple(out)


def parse_args(argv: list[str] | None = None) -> tuple[Knobs, Options]:
    p = argparse.ArgumentParser(prog="wan2gp-standin --mcp", description="WanGP 12.60 MCP stand-in server")
    p.add_argument("--port", type=int, default=7866)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--outputs", type=Path, default=Path("outputs"))
    p.add_argument("--step-seconds", type=float, default=0.2, help="seconds per denoising step")
    p.add_argument("--load-seconds", type=float, default=0.5, help="seconds to 'load' a model")
    p.add_argument(
        "--real-timing", action="store_true", help=f"{REAL_LOAD_S} s load, {REAL_STEP_S} s per step"
    )
    p.add_argument("--fail-load", action="store_true", help="every model load fails (no weights, offline)")
    p.add_argument("--ready-file", type=Path, default=None, help="write the URL here once serving")
    p.add_argument(
        "--available",
        default=os.environ.get("WAN2GP_STANDIN_AVAILABLE", ",".join(DEFAULT_AVAILABLE)),
        help="comma-separated model types reported available (with weights), or 'all'",
    )
    p.add_argument(
        "--loras",
        default=os.environ.get("WAN2GP_STANDIN_LORAS", DEFAULT_LORAS),
        help="comma-separated model_type:lora_file items that wangp_list_loras reports",
    )
    a = p.parse_args(argv)
    knobs = Knobs(
        port=a.port,
        host=a.host,
        outputs=a.outputs.resolve(),
        step_seconds=REAL_STEP_S if a.real_timing else max(0.0, a.step_seconds),
        load_seconds=REAL_LOAD_S if a.real_timing else max(0.0, a.load_seconds),
        fail_load=a.fail_load,
        ready_file=a.ready_file,
    )
    return knobs, Options(available=_available(a.available), loras=_loras(a.loras))
