"""The spending cap (issue 18), in real Blender against the WaveSpeed stand-in: a batch over the project's
budget creates no task at all (the stand-in's submit log), one under it exactly one task per shot; a job
that would pass what is left is refused with the numbers, whichever path it takes (a shot, the batch, a
strip tool's request straight into the engine); bad budgets and unknown prices are refused with a message.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fixtures.blender import add_shot, drain_until

pytestmark = [pytest.mark.blender, pytest.mark.standin]
ADDON = "blender_movie_director"
MODEL = "wavespeed-ai/hunyuan-video-1.5/text-to-video"  # preview 832*480: $0.02 per second (its price rule)


@pytest.fixture
def cloud(blender: ModuleType, wavespeed_standin_clean: Any, tmp_path: Path) -> Any:
    prefs = blender.context.preferences.addons[ADDON].preferences
    prefs.wavespeed_api_key = wavespeed_standin_clean.api_key
    prefs.wavespeed_base_url = wavespeed_standin_clean.url
    prefs.output_folder = str(tmp_path / "out")
    return wavespeed_standin_clean


def _shots(bpy: ModuleType, count: int, model: str = MODEL) -> tuple[Any, list[Any]]:
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 320, 192, 100
    scene.frame_start, scene.frame_end = 1, 24 * count
    cams = []
    for i in range(count):
        cam = add_shot(bpy, scene, f"Shot_{i + 1:02d}0", 1 + 24 * i, prompt=f"a kite, part {i + 1}")
        cam.movie_director.backend = "WAVESPEED"
        cam.movie_director.wavespeed_model = model
        cams.append(cam)
    return scene, cams


def _price(scene: Any) -> float:
    """The batch's estimate, checked against the price rule by hand: 3 shots of 5 s (its shortest) at 480p."""
    from blender_movie_director.session import submit

    estimate = submit.batch_estimate(scene, "PREVIEW")
    assert estimate.count == 3 and not estimate.unknown
    assert estimate.usd == pytest.approx(3 * 5 * 0.02)
    return estimate.usd


def test_batch_over_budget_creates_no_task_under_it_one_per_shot(blender: ModuleType, cloud: Any) -> None:
    import blender_movie_director as md
    from blender_movie_director.session import submit

    scene, cams = _shots(blender, 3)
    total = _price(scene)  # $0.30
    md.set_budget(scene, 0.25)
    with pytest.raises(md.ShotNotReadyError) as refused:
        md.generate_all(scene)
    assert str(refused.value).startswith(
        "This batch would cost ≈$0.30; the project has $0.25 of its $0.25 budget left."
    )
    # The operator takes the same path (no prompt when not invoked from the UI).
    with pytest.raises(RuntimeError, match=r"This batch would cost ≈\$0\.30"):
        blender.ops.moviedir.generate_all(quality="PREVIEW")
    assert cloud.submit_count() == 0 and all(c.movie_director.status == "IDLE" for c in cams)

    md.set_budget(scene, 0.35)
    submitted, skipped = submit.submit_all(scene, "PREVIEW")
    assert len(submitted) == 3 and skipped == []
    # While they run, their estimates count against the budget: a 4th shot of $0.10 would pass it.
    extra = add_shot(blender, scene, "Shot_040", 73, prompt="the kite lands")
    extra.movie_director.backend, extra.movie_director.wavespeed_model = "WAVESPEED", MODEL
    with pytest.raises(
        md.ShotNotReadyError, match=r"This shot would cost ≈\$0\.10; the project has \$0\.05 of"
    ):
        md.generate_shot(extra)
    drain_until(lambda: all(c.movie_director.status in ("DONE", "FAILED") for c in cams), timeout=60)
    assert [c.movie_director.status for c in cams] == ["DONE"] * 3, [
        c.movie_director.last_error for c in cams
    ]
    assert cloud.submit_count() == 3  # exactly one task per shot
    costs = [c.movie_director.takes[0].cost for c in cams]
    assert md.spent(scene) == pytest.approx(sum(costs)) == pytest.approx(total)
    from blender_movie_director.scene import budget

    assert budget.summary(scene) == "Project: ≈$0.30 of $0.35"
    # The storyboard shows each take's cost and the project's total.
    from blender_movie_director.scene import storyboard

    board = storyboard.write_storyboard(
        scene,
        Path(blender.context.preferences.addons[ADDON].preferences.output_folder) / "b.png",
        cell_width=96,
    )
    assert board.header.endswith(" · Project: ≈$0.30 of $0.35")
    assert [cell.details.rsplit(" · ", 1)[-1] for cell in board.cells] == ["≈$0.10"] * 3 + [
        "not generated yet"
    ]
    # The takes' own costs now stand for the finished jobs: $0.05 left, the 4th shot still does not fit.
    with pytest.raises(
        md.ShotNotReadyError, match=r"≈\$0\.10; the project has \$0\.05 of its \$0\.35 budget"
    ):
        md.generate_shot(extra)
    assert cloud.submit_count() == 3


def test_a_strip_tool_request_is_checked_where_every_job_enters(blender: ModuleType, cloud: Any) -> None:
    # The strip tools hand their requests to strip_jobs.submit -> engine.submit: the same check applies.
    import blender_movie_director as md
    from blender_movie_director.backend.jobs.request import GenerationRequest, ShotRef
    from blender_movie_director.requests.envelope import credentials_for
    from blender_movie_director.session import budget, strip_jobs

    scene, _cams = _shots(blender, 1)
    md.set_budget(scene, 0.10)
    prefs = blender.context.preferences.addons[ADDON].preferences
    request = GenerationRequest(
        backend="wavespeed", model=MODEL, prompt="extend the kite", output_dir=str(Path(prefs.output_folder)),
        settings={"duration": 5}, shot=ShotRef(scene=scene.name, strip="Shot_010"),
    )  # fmt: skip
    with pytest.raises(budget.BudgetError, match=r"This job would cost ≈\$0\.20; the project has \$0\.10"):
        strip_jobs.submit(request, credentials_for("WAVESPEED", prefs), action="extend", scene=scene.name)
    assert strip_jobs.jobs() == [] and cloud.submit_count() == 0


def test_bad_budgets_and_unknown_prices_are_refused_with_a_message(blender: ModuleType, cloud: Any) -> None:
    import blender_movie_director as md
    from blender_movie_director.scene import budget

    scene, cams = _shots(
        blender, 1, model="wavespeed-ai/ltx-2-19b/text-to-video"
    )  # its price rule has no rate: "ask the endpoint"
    for bad in (0, -2.5, float("nan"), "5"):
        with pytest.raises(ValueError, match="budget"):
            md.set_budget(scene, bad)
    assert budget.limit(scene) is None  # nothing was set
    md.set_budget(scene, 5.0)
    with pytest.raises(
        md.ShotNotReadyError, match=r"a budget is set and the price of 1 job.* is unknown"
    ) as why:
        md.generate_shot(cams[0])
    assert "LTX-2 19B (open weights) has no documented price for these settings" in str(why.value)
    with pytest.raises(md.ShotNotReadyError, match="price of 1 job"):
        md.generate_all(scene)
    # A batch limit below zero is refused as such; without any budget or limit the job runs.
    with pytest.raises(md.ShotNotReadyError, match=r"cost limit of \$0\.00"):
        md.generate_all(scene, max_cost=0)
    assert cloud.submit_count() == 0 and cams[0].movie_director.status == "IDLE"
    md.set_budget(scene, None)
    assert budget.limit(scene) is None and md.spent(scene) == 0.0
    job = md.generate_shot(cams[0])
    md.wait(job, timeout=60)
    assert cams[0].movie_director.status == "DONE" and cloud.submit_count() == 1


def test_wan2gp_costs_nothing_and_a_batch_limit_caps_the_batch(
    blender: ModuleType, cloud: Any, local_engine: Any
) -> None:
    import blender_movie_director as md
    from blender_movie_director.session import engine, submit

    scene, cams = _shots(blender, 3)
    cams[0].movie_director.backend = "WAN2GP"  # self-hosted: $0
    assert submit.batch_estimate(scene, "PREVIEW").usd == pytest.approx(0.20)
    with pytest.raises(
        md.ShotNotReadyError, match=r"≈\$0\.20, above the limit of \$0\.19; nothing was submitted"
    ):
        md.generate_all(scene, max_cost=0.19)
    assert engine.active_jobs() == [] and all(c.movie_director.status == "IDLE" for c in cams)
    md.set_budget(scene, 0.01)
    wan = md.generate_shot(cams[0])  # a budget of 1 cent still takes a Wan2GP shot
    assert wan.id and cams[0].movie_director.status == "QUEUED"


def test_preview_all_asks_above_the_threshold_and_runs_below_it(blender: ModuleType, cloud: Any) -> None:
    # A click (invoke): above "Confirm Batches Above ($)" Blender's confirm popup shows the estimate first
    # (the bpy module has no window to show it in, so the question itself is checked); below it the batch
    # is queued at once. Scripts (execute) never ask.
    from blender_movie_director.ui.shot_ops import batch_question

    scene, cams = _shots(blender, 3)  # $0.30
    prefs = blender.context.preferences.addons[ADDON].preferences
    prefs.confirm_batch_above = 0.20
    assert batch_question(blender.context, "PREVIEW") == "3 job(s), ≈$0.30. Project: $0.00."
    scene.movie_director.budget.use_limit, scene.movie_director.budget.limit_usd = True, 2.0
    assert batch_question(blender.context, "PREVIEW") == "3 job(s), ≈$0.30. Project: $0.00 of $2.00."
    prefs.confirm_batch_above = 0.30
    assert batch_question(blender.context, "PREVIEW") == ""
    assert cloud.submit_count() == 0 and all(c.movie_director.status == "IDLE" for c in cams)
    assert blender.ops.moviedir.generate_all("INVOKE_DEFAULT", quality="PREVIEW") == {"FINISHED"}
    assert all(c.movie_director.status == "QUEUED" for c in cams)


def test_cli_max_cost_refuses_the_whole_run_before_any_submit(
    blender: ModuleType, cloud: Any, tmp_path: Path
) -> None:
    from tests.blender.test_cli import _film, _run

    blend = _film(blender, tmp_path / "film.blend")  # two 1 s shots: 5 s each at $0.02/s on WaveSpeed
    env = {"WAVESPEED_API_KEY": cloud.api_key, "WAVESPEED_BASE_URL": cloud.url}
    args = ("generate", str(blend), "--backend", "wavespeed", "--no-save", "--output", str(tmp_path / "out"))
    over = _run(*args, "--max-cost", "0.15", env=env)
    assert over.returncode == 1, over.stderr
    assert "would cost ≈$0.20, above the limit of $0.15; nothing was submitted" in over.stderr
    zero = _run(*args, "--max-cost", "0", env=env)
    assert zero.returncode == 2 and "--max-cost 0: give an amount in dollars above 0" in zero.stderr
    assert cloud.submit_count() == 0
    under = _run(*args, "--max-cost", "0.25", env=env)
    assert under.returncode == 0, under.stderr
    assert cloud.submit_count() == 2  # one task per shot
