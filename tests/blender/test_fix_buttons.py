"""The button that fixes a failure (scene/fixes.py, ui/fix_ops.py), drawn under a failed shot's or strip
job's message with a strict recording layout, and pressed for real.

The failures come from real jobs: the job engine runs the local clip runner (tests/blender/local_runner.py)
made to raise a typed backend error, and the drain brings the failure to the shot.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from blender_movie_director.backend.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    ErrorKind,
    RateLimitError,
    ServerError,
)
from tests.blender.local_runner import ClipRunner
from tests.blender.recording_layout import RecordingLayout
from tests.fixtures.blender import ADDON_MODULE, add_shot, drain_until

pytestmark = pytest.mark.blender
MESSAGE = "Something went wrong on the way."


@dataclass
class FailingRunner(ClipRunner):
    """The local clip runner; its next job raises ``error`` (a typed backend error) instead of a clip."""

    error: BackendError | None = None

    def run(self, ctx: Any) -> Any:
        if self.error is not None:
            error, self.error = self.error, None
            self.runs.append(ctx.job_id)
            raise error
        return super().run(ctx)


@pytest.fixture
def failing_engine(blender: ModuleType, tmp_path: Path) -> Iterator[FailingRunner]:
    from blender_movie_director.backend.jobs.manager import JobManager
    from blender_movie_director.backend.jobs.request import Backend
    from blender_movie_director.session import engine

    blender.context.preferences.addons[ADDON_MODULE].preferences.output_folder = str(tmp_path / "out")
    runner = FailingRunner()
    runners = {Backend.WAN2GP: runner, Backend.WAVESPEED: runner}
    engine.use_manager(JobManager(tmp_path / "out" / "jobs.jsonl", runners=runners))
    try:
        yield runner
    finally:
        engine.shutdown()


def _shot(bpy: ModuleType, name: str = "Shot_010") -> Any:
    scene = bpy.context.scene
    cam = add_shot(bpy, scene, name, 1, prompt="a lighthouse in a storm")
    scene.movie_director.active_shot_index = list(scene.objects).index(cam)
    return cam


def _draw_shot(bpy: ModuleType) -> RecordingLayout:
    from blender_movie_director.ui import shot_panels

    layout = RecordingLayout(bpy)
    shot_panels.draw_shot(layout, bpy.context)
    return layout


def _fix_buttons(layout: RecordingLayout) -> list[tuple[str, str, dict[str, Any]]]:
    """The buttons drawn inside the state box (under the message), not the shot's own buttons."""
    return [
        (c.kwargs["operator"], c.text, dict(c.result.values))
        for c in layout.find("operator")
        if c.owner.path.startswith("layout.box")
    ]


def _fail(bpy: ModuleType, runner: FailingRunner, cam: Any, error: BackendError, quality: str) -> None:
    runner.error = error
    assert bpy.ops.moviedir.generate_shot(quality=quality) == {"FINISHED"}
    drain_until(lambda: cam.movie_director.status == "FAILED")
    assert cam.movie_director.error_kind == error.kind.value


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_a_failed_shot_of_each_kind_draws_its_fix(blender: ModuleType, kind: ErrorKind) -> None:
    from blender_movie_director.scene import fixes

    cam = _shot(blender)
    settings = cam.movie_director
    settings.status, settings.error_kind, settings.last_error = "FAILED", kind.value, MESSAGE
    settings.remote_id, settings.job_id, settings.job_quality = "task-7", "job-7", "FINAL"
    layout = _draw_shot(blender)
    buttons = _fix_buttons(layout)
    fix = fixes.FIXES.get(kind)
    fetch = ("moviedir.fetch_result", "Fetch Result Again", {"shot": "Shot_010"})
    if fix is None:  # no button for this kind; the service named the task, so it can still be fetched
        assert kind in fixes.NO_FIX
        assert buttons == [fetch]
        return
    expected = (fix.operator, fix.label, fixes.properties(fix, shot="Shot_010", quality="FINAL"))
    assert buttons[0] == expected
    # Fetch Result Again once, whether it is the kind's own fix or offered beside it.
    assert buttons.count(fetch) == 1 and len(buttons) == (1 if fix.operator == fetch[0] else 2)
    # Under the message: the error's last line comes before the button.
    calls = layout.calls
    message_at = max(i for i, c in enumerate(calls) if c.method == "label" and c.text in MESSAGE)
    button_at = next(i for i, c in enumerate(calls) if c.method == "operator" and c.text == fix.label)
    assert message_at < button_at
    # Without a task id there is nothing to fetch: a fetch fix is not drawn, other fixes still are.
    settings.remote_id = ""
    buttons = _fix_buttons(_draw_shot(blender))
    assert buttons == ([] if fix.needs_remote_id else [expected])


def test_cancelled_shot_offers_generate_again_and_a_done_shot_nothing(blender: ModuleType) -> None:
    cam = _shot(blender)
    cam.movie_director.status, cam.movie_director.job_quality = "CANCELLED", "PREVIEW"
    assert _fix_buttons(_draw_shot(blender)) == [
        ("moviedir.generate_shot", "Generate Again", {"shot": "Shot_010", "quality": "PREVIEW"})
    ]
    for status in ("IDLE", "DONE", "RUNNING"):
        cam.movie_director.status = status
        assert _fix_buttons(_draw_shot(blender)) == []
    cam.movie_director.status, cam.movie_director.error_kind = "FAILED", "import"  # not an ErrorKind
    assert _fix_buttons(_draw_shot(blender)) == []


def test_retry_runs_the_failed_job_again_at_its_quality(blender: ModuleType, failing_engine) -> None:
    cam = _shot(blender)
    _fail(blender, failing_engine, cam, RateLimitError("WaveSpeed is busy (429)."), "FINAL")
    ((operator, label, properties),) = _fix_buttons(_draw_shot(blender))
    assert (operator, label) == ("moviedir.generate_shot", "Retry")
    cam.movie_director.quality = "PREVIEW"  # the button keeps the failed job's quality, not the batch one
    assert blender.ops.moviedir.generate_shot(**properties) == {"FINISHED"}
    assert cam.movie_director.job_quality == "FINAL"
    drain_until(lambda: cam.movie_director.status == "DONE")
    assert len(failing_engine.runs) == 2 and len(cam.movie_director.takes) == 1
    assert _fix_buttons(_draw_shot(blender)) == []


def test_check_timeouts_opens_the_add_ons_preferences(blender: ModuleType, failing_engine) -> None:
    cam = _shot(blender)
    _fail(blender, failing_engine, cam, BackendTimeoutError("No answer within 60 s."), "PREVIEW")
    ((operator, label, properties),) = _fix_buttons(_draw_shot(blender))
    assert (operator, label) == ("moviedir.open_preferences", "Check Timeouts")
    prefs, wm = blender.context.preferences, blender.context.window_manager
    prefs.active_section, wm.addon_search = "INTERFACE", ""
    module, name = operator.split(".")
    assert getattr(getattr(blender.ops, module), name)(**properties) == {"FINISHED"}
    assert prefs.active_section == "ADDONS"
    assert wm.addon_search == "Movie Director"


def test_failed_strip_job_offers_only_fixes_that_fit_a_strip_job(blender: ModuleType, failing_engine) -> None:
    from blender_movie_director.requests import shot as shot_requests
    from blender_movie_director.session import strip_jobs
    from blender_movie_director.ui import strip_panels

    def draw() -> RecordingLayout:
        layout = RecordingLayout(blender)
        strip_panels.draw_director(layout, blender.context)
        return layout

    cam = _shot(blender)
    request, credentials = shot_requests.build_request(cam, "PREVIEW", seed=1)
    try:
        for error in (AuthenticationError("The WaveSpeed key was refused."), ServerError("HTTP 500.")):
            failing_engine.error = error  # a strip tool's job, run by the engine, ends on this error
            job = strip_jobs.submit(request, credentials, action="regenerate", scene=cam.users_scene[0].name,
                                    shot=cam.name)  # fmt: skip
            drain_until(lambda job=job: job.finished)
            assert (job.state, job.error_kind) == ("failed", error.kind.value)
        ops = draw().operators()
        assert ("moviedir.open_preferences", "Check Keys and Login", {"setting": _setting("auth")}) in ops
        # Retry would submit the shot's own job, not the strip tool's: no button for the server error.
        assert [op for op in ops if op[0] == "moviedir.generate_shot"] == []
    finally:
        strip_jobs.reset()


def _setting(kind: str) -> str:
    from blender_movie_director.scene import fixes

    return dict(fixes.FIXES[ErrorKind(kind)].properties)["setting"]
