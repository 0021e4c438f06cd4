"""The button that fixes a failed job: one table from each :class:`ErrorKind` to a :class:`Fix`.

The idea is dream-textures' ``FixItError`` (an error that carries its own fix), kept as data instead of
as exception classes: the backends raise plain typed errors, the shot keeps only the error's kind
(``settings.error_kind``, a strip-tool job ``DirectorJob.error_kind``), and the panels look the kind up
here to draw the fix as a button under the message (:mod:`..ui.fix_ops`). Every kind is either in
:data:`FIXES` or in :data:`NO_FIX` with the reason there is no button (a unit test checks both).

A fix names an existing operator where one exists (Allow Online Access, Test Connection, Choose Model,
Fetch Result, Generate); only "open the add-on's preferences" is the extension's own
(``moviedir.open_preferences``: Blender's ``preferences.addon_show`` does nothing for an add-on that is
not in Blender's add-on list, see ui/fix_ops.py). Values that depend on the failed job (the shot's name,
the job's quality) are :class:`Fill` markers, filled in by the drawing.

Threading: plain frozen data and pure functions, bpy-free; safe from any thread. Imports only
``backend.errors`` (stdlib only), so enabling the extension stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from ..backend.errors import ErrorKind


class Fill(Enum):
    """A property value the drawing takes from the failed job."""

    SHOT = "shot"  # the shot's camera name
    QUALITY = "quality"  # the failed job's quality, PREVIEW or FINAL


@dataclass(frozen=True)
class Fix:
    operator: str  # the operator's idname, e.g. "moviedir.test_connection"
    label: str
    icon: str
    #: (property name, value or Fill) pairs set on the button.
    properties: tuple[tuple[str, object], ...] = ()
    #: Offered only when the service named the task (there is something to fetch).
    needs_remote_id: bool = False
    #: Acts on a shot's own last job (Generate, Fetch Result): not offered for a strip-tool job.
    shot_only: bool = False

    @property
    def fills(self) -> frozenset[Fill]:
        return frozenset(value for _name, value in self.properties if isinstance(value, Fill))


OPEN_PREFERENCES = "moviedir.open_preferences"
_SHOT = (("shot", Fill.SHOT),)
_TEST_CONNECTION = Fix("moviedir.test_connection", "Test Connection", "URL")
_FETCH = Fix(
    "moviedir.fetch_result", "Fetch Result Again", "IMPORT", _SHOT, needs_remote_id=True, shot_only=True
)
_RETRY = (("shot", Fill.SHOT), ("quality", Fill.QUALITY))

#: ErrorKind -> the button under the failed job's message.
FIXES: Mapping[ErrorKind, Fix] = MappingProxyType(
    {
        ErrorKind.OFFLINE: Fix("moviedir.allow_online_access", "Allow Online Access", "WORLD"),
        ErrorKind.AUTH: Fix(
            OPEN_PREFERENCES, "Check Keys and Login", "PREFERENCES",
            (("setting", "the WaveSpeed API key or the Wan2GP login"),),
        ),
        ErrorKind.TIMEOUT: Fix(
            OPEN_PREFERENCES, "Check Timeouts", "PREFERENCES",
            (("setting", "Request Timeout and Job Deadline"),),
        ),
        # No documented top-up page (docs/backends/wavespeed.md, research notes): the preferences, where
        # another key can be entered, and the report says to top up the account at wavespeed.ai.
        ErrorKind.INSUFFICIENT_BALANCE: Fix(
            OPEN_PREFERENCES, "Check WaveSpeed Account", "PREFERENCES",
            (("setting", "the WaveSpeed API key (top up the account at wavespeed.ai, or use another key)"),),
        ),
        ErrorKind.CONNECTION: _TEST_CONNECTION,
        ErrorKind.UNSUPPORTED_SERVER: _TEST_CONNECTION,
        ErrorKind.MODEL_UNAVAILABLE: Fix(
            "moviedir.choose_model", "Choose Another Model", "DOWNARROW_HLT", _SHOT
        ),
        # The task may exist (and be billed): fetch it by its id, never submit again blindly.
        ErrorKind.SUBMISSION_UNCERTAIN: _FETCH,
        ErrorKind.INTERRUPTED: _FETCH,
        ErrorKind.RATE_LIMIT: Fix("moviedir.generate_shot", "Retry", "FILE_REFRESH", _RETRY, shot_only=True),
        ErrorKind.SERVER: Fix("moviedir.generate_shot", "Retry", "FILE_REFRESH", _RETRY, shot_only=True),
        ErrorKind.CANCELLED: Fix(
            "moviedir.generate_shot", "Generate Again", "FILE_REFRESH", _RETRY, shot_only=True
        ),
    }
)  # fmt: skip

#: ErrorKind -> why the panel offers no button for it.
NO_FIX: Mapping[ErrorKind, str] = MappingProxyType(
    {
        ErrorKind.VALIDATION: (
            "the message names the setting to change; the failed job keeps no field to point a button at"
        ),
        ErrorKind.MODERATION: (
            "the service refused the prompt or image: they must change; the same again is refused again"
        ),
    }
)


def fix_for(kind: str, *, remote_id: str = "", shot: str = "", shot_job: bool = True) -> Fix | None:
    """The button for a failure of ``kind`` (an ErrorKind value; anything else, e.g. "import": None).

    ``remote_id``: the service's task id, if known; ``shot``: the shot the job belongs to ("" for a strip
    job on a plain strip); ``shot_job``: False for a strip-tool job (Generate and Fetch act on the shot's
    own job).
    """
    try:
        fix = FIXES.get(ErrorKind(kind))
    except ValueError:
        return None
    if fix is None:
        return None
    if fix.needs_remote_id and not remote_id:
        return None
    if fix.shot_only and not shot_job:
        return None
    if Fill.SHOT in fix.fills and not shot:
        return None
    return fix


def properties(fix: Fix, *, shot: str = "", quality: str = "") -> dict[str, object]:
    """The button's properties with the :class:`Fill` markers filled in."""
    fills = {Fill.SHOT: shot, Fill.QUALITY: quality or "PREVIEW"}
    return {name: fills[value] if isinstance(value, Fill) else value for name, value in fix.properties}
