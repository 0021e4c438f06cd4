"""Jobs from an earlier session in the Shots panel: "3 jobs from an earlier session: Resume · Discard".

Opening a file starts nothing; these two buttons are the user's word (``md.resume()`` and the CLI's
``--resume`` are the same call). Beside them: the store's notices (damaged lines) and, where Blender itself
does not trust the file, a line saying so. Main thread only; drawing reads a snapshot under a lock.
"""

from __future__ import annotations

from typing import Any

import bpy

from ..backend.lazy import lazy_module, loaded

# Loaded when a button first runs, not when the extension is enabled.
earlier = lazy_module("..session.earlier", __package__)
shots = lazy_module("..scene.shots", __package__)

_ENGINE = f"{__package__.rpartition('.')[0]}.session.engine"
#: Notices shown under the row at most (the rest are counted in the store's last notice).
MAX_NOTICES = 4


def _offer() -> Any:
    """The engine's offer, or None when no engine runs (drawing must not start one)."""
    engine = loaded(_ENGINE)
    if engine is None or engine.current() is None:
        return None
    return engine.earlier()


def _poll_offer(cls: type) -> Any:
    """The offer when it holds jobs (read), else None with the poll message set."""
    offer = _offer()
    if offer is None or not offer.loaded or not offer.count:
        cls.poll_message_set("No jobs from an earlier session")
        return None
    return offer


class MOVIEDIR_OT_resume_jobs(bpy.types.Operator):
    """Resume the jobs an earlier session left, with today's servers, keys and output folder"""

    bl_idname = "moviedir.resume_jobs"
    bl_label = "Resume"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if _poll_offer(cls) is None:
            return False
        offline = shots.offline_reason()
        if offline:
            cls.poll_message_set(offline)
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        from ..backend.errors import BackendError

        count = _offer().count
        try:
            earlier.resume(background=True)  # checked and started off the main thread; shots show progress
        except BackendError as exc:
            self.report({"ERROR"}, exc.user_message)
            return {"CANCELLED"}
        noun = "job" if count == 1 else "jobs"
        self.report({"INFO"}, f"Resuming {count} {noun} from an earlier session (each shot says how it goes)")
        return {"FINISHED"}


class MOVIEDIR_OT_discard_jobs(bpy.types.Operator):
    """Forget the jobs an earlier session left (a paid task that is still running is not stopped)"""

    bl_idname = "moviedir.discard_jobs"
    bl_label = "Discard"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _poll_offer(cls) is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        count = earlier.discard()
        self.report({"INFO"}, f"Discarded {count} jobs from an earlier session")
        return {"FINISHED"}


def draw_earlier(layout: Any) -> None:
    """The row under the online notice: the offer, its buttons, Blender's distrust, the store's notices."""
    offer = _offer()
    if offer is None:
        return
    if not offer.loaded:
        layout.label(text="Reading the jobs of an earlier session…", icon="TIME")
        return
    if not offer.count and not offer.notices:
        return
    box = layout.box()
    col = box.column(align=True)
    if offer.count:
        noun = "job" if offer.count == 1 else "jobs"
        col.label(text=f"{offer.count} {noun} from an earlier session", icon="RECOVER_LAST")
        row = col.row(align=True)
        row.operator(MOVIEDIR_OT_resume_jobs.bl_idname, icon="PLAY")
        row.operator(MOVIEDIR_OT_discard_jobs.bl_idname, icon="TRASH")
        distrust = earlier.untrusted_reason()
        if distrust:
            warn = col.row()
            warn.alert = True
            warn.label(text=distrust, icon="ERROR")
    for notice in offer.notices[:MAX_NOTICES]:
        col.label(text=notice, icon="INFO")
    if len(offer.notices) > MAX_NOTICES:
        col.label(text=f"… and {len(offer.notices) - MAX_NOTICES} more notices about the job store")


classes = (MOVIEDIR_OT_resume_jobs, MOVIEDIR_OT_discard_jobs)
