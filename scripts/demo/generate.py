"""Generate every shot through the extension's own job path: the N-panel's "Preview All" button
(``moviedir.generate_all``), the job engine's worker threads, and the drain that cuts finished clips into
the Sequencer. The ``bpy`` module has no event loop, so timers never fire: the demo calls the drain itself,
as ``movie_director.wait()`` does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import addon_utils
import bpy

from demo.console import Console

ADDON = "blender_movie_director"
POLL_SECONDS = 0.05
BAR_SECONDS = 0.25
TEST_TIMEOUT_S = 15.0


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why (and what to do)."""


def _raise(exc: BaseException) -> None:
    raise exc


def enable_extension() -> Any:
    """Enable Movie Director (as Blender does for an installed extension); returns its preferences."""
    bpy.context.preferences.system.use_online_access = True
    if addon_utils.enable(ADDON, default_set=True, handle_error=_raise) is None:
        raise DemoError("The Movie Director extension did not enable.")
    return bpy.context.preferences.addons[ADDON].preferences


def disable_extension() -> None:
    """Stops the job engine's threads (unregister), so the process can exit cleanly."""
    addon_utils.disable(ADDON, default_set=True, handle_error=_raise)


def test_connection(prefs: Any, backend: str) -> str:
    """The preferences' "Test Connection" for ``backend``, run here and now; returns its answer, raises
    :class:`DemoError` with it when the server or the key does not work (rather than letting every job
    retry until its deadline)."""
    from blender_movie_director.backend.errors import BackendError
    from blender_movie_director.session import connection

    try:
        if backend == "WAVESPEED":
            ok, text = connection.check_wavespeed(
                prefs.effective_wavespeed_api_key(), prefs.effective_wavespeed_base_url(), TEST_TIMEOUT_S
            )
        else:
            urls = tuple(u.strip() for u in prefs.effective_wan2gp_url().split(",") if u.strip())
            ok, text = connection.check_wan2gp(urls, prefs.wan2gp_username, prefs.wan2gp_password,
                                               TEST_TIMEOUT_S)  # fmt: skip
    except BackendError as exc:
        ok, text = False, exc.user_message
    if not ok:
        raise DemoError(text)
    return text


@dataclass(frozen=True)
class ShotOutcome:
    name: str
    status: str
    error: str
    strip: str
    seconds: float


def generate_all(scene: Any, console: Console, timeout_s: float) -> list[ShotOutcome]:
    """Press "Preview All" and follow the jobs until every clip is in the Sequencer (or failed)."""
    from blender_movie_director.scene import props, shots
    from blender_movie_director.session import drain, submit

    result = bpy.ops.moviedir.generate_all(quality="PREVIEW")
    if result != {"FINISHED"}:
        raise DemoError(f"Preview All did not start ({result}).")
    cams = [c for c in shots.scene_shots(scene) if c.movie_director.in_batch]
    end = time.monotonic() + timeout_s
    next_bar = 0.0
    while True:
        drain.drain()
        busy = [c for c in cams if props.is_active(c.movie_director)]
        now = time.monotonic()
        if not busy and drain.pending_imports() == 0:
            break
        if now >= next_bar:
            fraction, finished, total = submit.batch_progress(scene)
            running = next((c for c in busy if c.movie_director.status == "RUNNING"), None)
            running = running or (busy[0] if busy else None)
            label = f"{finished}/{total} shots"
            detail = ""
            if running is not None:
                settings = running.movie_director
                label += f" · {running.name}"
                detail = settings.progress_text or settings.status.lower()
            console.bar(fraction, label, detail)
            next_bar = now + BAR_SECONDS
        if now > end:
            for cam in busy:
                submit.cancel_shot(cam)
            raise DemoError(
                f"The shots were not all generated within {timeout_s / 60:.0f} minutes "
                f"(still running: {', '.join(c.name for c in busy)}); use --timeout for a slow server."
            )
        time.sleep(POLL_SECONDS)
    _fraction, finished, total = submit.batch_progress(scene)
    console.bar(1.0, f"{finished}/{total} shots", "done")
    console.end_bar()
    return [
        ShotOutcome(
            c.name,
            c.movie_director.status,
            c.movie_director.last_error,
            c.movie_director.strip_name,
            c.movie_director.takes[-1].duration if c.movie_director.takes else 0.0,
        )
        for c in cams
    ]
