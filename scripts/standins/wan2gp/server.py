"""Starts the stand-in: knobs → Blocks → launch (like wgp.py: queue on, no auth, no show_error)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr
from starlette.middleware import Middleware

from . import knobs as knobs_mod
from .downloads import install_routes
from .layout import build_app
from .middleware import HeaderCheck, SlowFiles

log = logging.getLogger("wan2gp_standin")


def _middleware(knobs: knobs_mod.Knobs) -> list[Middleware]:
    stack = []
    if knobs.require_header:
        stack.append(Middleware(HeaderCheck, name=knobs.require_header[0], value=knobs.require_header[1]))
    if knobs.file_delay > 0 or knobs.file_rate_kbps > 0:
        stack.append(Middleware(SlowFiles, delay=knobs.file_delay, rate_kbps=knobs.file_rate_kbps))
    return stack


def main(knobs: knobs_mod.Knobs | None = None) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    knobs = knobs or knobs_mod.parse_args()
    knobs_mod.install(knobs)
    knobs.outputs.mkdir(parents=True, exist_ok=True)
    demo = build_app(knobs)
    install_routes()
    demo.launch(
        server_name=knobs.host,
        server_port=knobs.port,
        prevent_thread_lock=True,
        quiet=True,
        auth=knobs.auth,
        allowed_paths=[str(knobs.outputs)],
        app_kwargs={"middleware": _middleware(knobs)},
    )
    HeaderCheck.armed = True
    url = f"http://{knobs.host}:{knobs.port}"
    if knobs.ready_file is not None:
        tmp = Path(str(knobs.ready_file) + ".tmp")
        tmp.write_text(url + "\n", encoding="utf-8")
        tmp.replace(knobs.ready_file)
    log.info("gradio %s, %s events", gr.__version__, demo.default_config.fn_id)
    print(f"Wan2GP stand-in ready on {url}", flush=True)
    demo.block_thread()
    return 0
