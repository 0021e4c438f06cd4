"""The fix table (scene/fixes.py) in plain Python: each ErrorKind has a button or a stated reason for none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from blender_movie_director.backend.errors import ErrorKind
from blender_movie_director.scene import fixes
from blender_movie_director.scene.fixes import Fill


def test_every_kind_has_a_fix_or_a_reason_for_none() -> None:
    mapped, unfixable = set(fixes.FIXES), set(fixes.NO_FIX)
    assert mapped | unfixable == set(ErrorKind), f"no entry for {set(ErrorKind) - mapped - unfixable}"
    assert not mapped & unfixable, f"both a fix and a reason for none: {mapped & unfixable}"
    for kind, reason in fixes.NO_FIX.items():
        assert len(reason.split()) >= 5, f"{kind}: say why there is no button"


def test_the_table_is_plain_data_without_bpy() -> None:
    # A fresh interpreter: this process may have imported bpy for other tests.
    script = (
        "import sys, blender_movie_director.scene.fixes\nprint(sorted(m for m in sys.modules if 'bpy' in m))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    for kind, fix in fixes.FIXES.items():
        module, _, name = fix.operator.partition(".")
        assert module and name and fix.operator == fix.operator.lower(), (kind, fix.operator)
        assert fix.label and fix.icon.isupper(), kind
        names = [name for name, _value in fix.properties]
        assert len(names) == len(set(names)), kind


@pytest.mark.parametrize(
    ("kind", "operator"),
    [
        (ErrorKind.OFFLINE, "moviedir.allow_online_access"),
        (ErrorKind.AUTH, fixes.OPEN_PREFERENCES),
        (ErrorKind.TIMEOUT, fixes.OPEN_PREFERENCES),
        (ErrorKind.INSUFFICIENT_BALANCE, fixes.OPEN_PREFERENCES),
        (ErrorKind.CONNECTION, "moviedir.test_connection"),
        (ErrorKind.UNSUPPORTED_SERVER, "moviedir.test_connection"),
        (ErrorKind.MODEL_UNAVAILABLE, "moviedir.choose_model"),
        (ErrorKind.SUBMISSION_UNCERTAIN, "moviedir.fetch_result"),
        (ErrorKind.INTERRUPTED, "moviedir.fetch_result"),
        (ErrorKind.RATE_LIMIT, "moviedir.generate_shot"),
        (ErrorKind.SERVER, "moviedir.generate_shot"),
        (ErrorKind.CANCELLED, "moviedir.generate_shot"),
    ],
)
def test_each_kind_gets_its_button(kind: ErrorKind, operator: str) -> None:
    fix = fixes.fix_for(str(kind), remote_id="task-1", shot="Shot_010")
    assert fix is not None and fix.operator == operator


def test_a_task_that_may_exist_is_fetched_never_submitted_blindly() -> None:
    # Without the service's task id there is nothing to fetch, and submitting again could bill twice.
    assert fixes.fix_for("submission_uncertain", shot="Shot_010") is None
    assert fixes.fix_for("interrupted", shot="Shot_010") is None
    assert fixes.fix_for("submission_uncertain", remote_id="t", shot="Shot_010") is not None


def test_strip_jobs_get_only_the_fixes_that_do_not_act_on_a_shots_own_job() -> None:
    for kind in ("rate_limit", "server", "cancelled", "submission_uncertain"):
        assert fixes.fix_for(kind, remote_id="t", shot="Shot_010", shot_job=False) is None
    assert fixes.fix_for("auth", shot_job=False).operator == fixes.OPEN_PREFERENCES
    assert fixes.fix_for("model_unavailable", shot="Shot_010", shot_job=False) is not None
    assert fixes.fix_for("model_unavailable", shot="", shot_job=False) is None  # a plain strip: no shot


def test_unknown_and_unfixable_kinds_draw_nothing() -> None:
    for kind in ("", "import", "no-such-kind", "validation", "moderation"):
        assert fixes.fix_for(kind, remote_id="t", shot="Shot_010") is None


def test_properties_fill_in_the_failed_job() -> None:
    retry = fixes.FIXES[ErrorKind.SERVER]
    assert {Fill.SHOT, Fill.QUALITY} == retry.fills
    filled = fixes.properties(retry, shot="Shot_010", quality="FINAL")
    assert filled == {"shot": "Shot_010", "quality": "FINAL"}
    assert fixes.properties(retry, shot="Shot_010")["quality"] == "PREVIEW"  # a job from before job_quality
    prefs = fixes.FIXES[ErrorKind.TIMEOUT]
    assert fixes.properties(prefs) == {"setting": "Request Timeout and Job Deadline"}
