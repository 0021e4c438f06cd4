"""Command line: start the server with knobs, announce readiness, stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from .app import App, key_id_of
from .config import INVALID_VALUE_MODES, SYNC_TIMEOUT_REPLIES, Config
from .faults import parse_rule
from .server import StandinServer
from .specs import DEFAULT_SPECS_PATH, load_specs


def build_parser() -> argparse.ArgumentParser:
    d = Config()
    p = argparse.ArgumentParser(
        prog="wavespeed-standin", description="Local stand-in for the WaveSpeed v3 API."
    )
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    p.add_argument("--ready-file", type=Path, help="write {url, port, pid} as JSON here once listening")
    p.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help=f"accepted Bearer key (repeatable; default {d.api_keys[0]!r})",
    )
    p.add_argument("--specs", type=Path, default=DEFAULT_SPECS_PATH, help="model_specs.json to serve")
    p.add_argument("--data-dir", type=Path, help="where uploads and outputs go (default: a temp dir)")
    p.add_argument("--queue-seconds", type=float, default=d.queue_seconds, help="time in 'created'")
    p.add_argument("--task-seconds", type=float, default=d.task_seconds, help="time in 'processing'")
    p.add_argument(
        "--max-concurrency", type=int, default=d.max_concurrency, help="running tasks at once (0: any)"
    )
    p.add_argument(
        "--invalid-values",
        choices=INVALID_VALUE_MODES,
        default=d.invalid_values,
        help="refuse bad values at submit (HTTP 400) or fail the task (code 1401)",
    )
    p.add_argument(
        "--retire",
        action="append",
        dest="retired_models",
        default=[],
        metavar="MODEL_ID",
        help="take a model out of the catalog (repeatable)",
    )
    p.add_argument("--retired-status", type=int, default=d.retired_status)
    p.add_argument("--balance", type=float, default=d.balance, help="account balance in USD")
    p.add_argument("--insufficient-balance-status", type=int, default=d.insufficient_balance_status)
    p.add_argument("--sync-timeout", type=float, default=d.sync_timeout)
    p.add_argument("--sync-timeout-reply", choices=SYNC_TIMEOUT_REPLIES, default=d.sync_timeout_reply)
    p.add_argument("--output-ttl", type=float, default=d.output_ttl, help="seconds an output URL lives")
    p.add_argument("--expired-status", type=int, default=d.expired_status)
    p.add_argument("--fps", type=int, default=d.fps)
    p.add_argument("--max-side", type=int, default=d.max_side, help="longest side of output videos in px")
    p.add_argument("--rate-limit-per-minute", type=int, default=d.rate_limit_per_minute)
    p.add_argument(
        "--rate-limit-window-seconds",
        type=float,
        default=d.rate_limit_window_seconds,
        help="length of the rate-limit window (default: a minute)",
    )
    p.add_argument("--rate-limit-retry-after", type=float, default=d.rate_limit_retry_after)
    p.add_argument("--fault", action="append", default=[], metavar="JSON", help="a fault rule (repeatable)")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return p


def config_from(args: argparse.Namespace) -> Config:
    config = Config()
    config.update(
        {
            name: getattr(args, name)
            for name in (
                "queue_seconds",
                "task_seconds",
                "max_concurrency",
                "invalid_values",
                "retired_models",
                "retired_status",
                "balance",
                "insufficient_balance_status",
                "sync_timeout",
                "sync_timeout_reply",
                "output_ttl",
                "expired_status",
                "fps",
                "max_side",
                "rate_limit_per_minute",
                "rate_limit_window_seconds",
                "rate_limit_retry_after",
            )
        }
    )
    if args.api_keys:
        config.update({"api_keys": args.api_keys})
    return config


def _write_ready(path: Path, url: str, port: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"url": url, "port": port, "pid": os.getpid()}), encoding="utf-8")
    tmp.replace(path)


def _check_videogen() -> None:
    try:
        from .. import videogen  # noqa: F401
    except ImportError as exc:
        print(f"warning: standins.videogen cannot be imported ({exc}); tasks will fail", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_from(args)
        specs = load_specs(args.specs)
        faults = [parse_rule(json.loads(text), key_id_of) for text in args.fault]
    except (ValueError, OSError) as exc:
        print(f"wavespeed-standin: {exc}", file=sys.stderr)
        return 2
    _check_videogen()
    own_dir = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="wavespeed-standin-")) if own_dir else args.data_dir
    server = StandinServer(args.port, verbose=args.verbose)
    port = server.server_address[1]
    server.app = App(config, specs, data_dir, port)
    server.app.faults.add(faults)
    server.app.start_config.api_keys = list(config.api_keys)

    def stop(*_: object) -> None:
        server.app.shutdown()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    url = server.app.base_url
    if args.ready_file:
        _write_ready(args.ready_file, url, port)
    print(f"WaveSpeed stand-in ready on {url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        if own_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0
