"""Stand-in servers for the benchmarks, started once per run and shared by the figures that need them.

Starting, readiness and stopping by PID are the test fixtures' own functions (imported, not copied):
``tests.fixtures.wan2gp_standin.start_standin`` and ``tests.fixtures.wavespeed_standin.start_standin``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.fixtures import wan2gp_standin as wan2gp_fixtures
from tests.fixtures import wavespeed_standin as wavespeed_fixtures

Wan2GPStandin = wan2gp_fixtures.Wan2GPStandin
WaveSpeedStandin = wavespeed_fixtures.WaveSpeedStandin
WAVESPEED_KEY = wavespeed_fixtures.API_KEY
#: The Wan2GP stand-in with zero-time steps and model loads (P3, P5, P8 share it).
ZERO_STEPS: dict[str, Any] = {"step_seconds": 0.0, "load_seconds": 0.0}
#: A figure's servers: {("wan2gp" | "wavespeed", name): knobs}.
ServerSpecs = dict[tuple[str, str], dict[str, Any]]


class Servers:
    """Named stand-ins, started on first request with the given knobs and stopped together at the end."""

    def __init__(self, workdir: Path, log: Callable[[str], None]) -> None:
        self.workdir = workdir
        self._log = log
        self._lock = threading.Lock()
        self._wan2gp: dict[str, Wan2GPStandin] = {}
        self._wavespeed: dict[str, WaveSpeedStandin] = {}
        self._knobs: dict[tuple[str, str], dict[str, Any]] = {}

    def _check_knobs(self, kind: str, name: str, knobs: dict[str, Any]) -> None:
        """One name, one set of knobs: a figure must not silently get a server started for another."""
        with self._lock:
            known = self._knobs.setdefault((kind, name), dict(knobs))
        if known != knobs:
            raise ValueError(f"{kind} stand-in '{name}' was asked for with {knobs}, started with {known}")

    def start_all(self, specs: ServerSpecs) -> None:
        """Start every server of ``specs`` at once (a Wan2GP stand-in takes seconds to import gradio)."""
        if any(kind == "wan2gp" for kind, _ in specs):
            wan2gp_fixtures.prepare_venv()  # once, before parallel starts race for its lock
        with ThreadPoolExecutor(max_workers=max(1, len(specs))) as pool:
            futures = [
                pool.submit(self.wan2gp if kind == "wan2gp" else self.wavespeed, name, **knobs)
                for (kind, name), knobs in specs.items()
            ]
            for future in futures:
                future.result()

    def wan2gp(self, name: str, **knobs: Any) -> Wan2GPStandin:
        self._check_knobs("wan2gp", name, knobs)
        with self._lock:
            server = self._wan2gp.get(name)
        if server is None:
            self._log(f"starting Wan2GP stand-in '{name}' {knobs}")
            server = wan2gp_fixtures.start_standin(self.workdir / f"wan2gp-{name}", **knobs)
            with self._lock:
                self._wan2gp[name] = server
        return server

    def wavespeed(self, name: str, **knobs: Any) -> WaveSpeedStandin:
        self._check_knobs("wavespeed", name, knobs)
        with self._lock:
            server = self._wavespeed.get(name)
        if server is None:
            self._log(f"starting WaveSpeed stand-in '{name}' {knobs}")
            server = wavespeed_fixtures.start_standin(knobs)
            with self._lock:
                self._wavespeed[name] = server
        return server

    def close(self) -> None:
        with self._lock:
            wan, self._wan2gp = list(self._wan2gp.values()), {}
            ws, self._wavespeed = list(self._wavespeed.values()), {}
        for server in wan:
            try:
                wan2gp_fixtures.stop_standin(server)
            except Exception as exc:  # keep stopping the others; say which one failed
                print(f"[bench] could not stop Wan2GP stand-in pid {server.pid}: {exc!r}", file=sys.stderr)
        for server in ws:
            try:
                server.stop()
            except Exception as exc:
                print(f"[bench] could not stop WaveSpeed stand-in pid {server.pid}: {exc!r}", file=sys.stderr)
