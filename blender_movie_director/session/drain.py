"""The one place job events reach Blender: the plain :func:`drain` function, the timer that calls it, and
the one wait loop for scripts.

The drain is generic: it pulls the job engine's events, coalesces progress, and offers each event to the
registered consumers in order until one takes it (:mod:`.strip_jobs` for the strip actions' jobs, then
:mod:`.shot_jobs`, which takes the rest); then, while no save or render runs, it gives each consumer its
idle step (their Sequencer edits) and redraws the sidebars once if anything changed. The composition root
(registration.py) registers the consumers when the ticker first starts.

Threading contract
------------------
- Worker threads never touch ``bpy``. They post immutable events; the only reader is :func:`drain`, which
  runs on the main thread (from the persistent timer, or called directly by :func:`wait_for` and tests —
  timers never fire in the ``bpy`` module or in ``blender -b``).
- Sequencer edits (importing a finished clip) wait while a file is being saved or a render runs.

Cost per tick: one lock-protected ``deque`` pop on the manager, progress coalesced to the last value per job,
at most ``max_imports`` clip imports per consumer, and a redraw only of the sidebars that show shots, only
when something changed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import bpy

from ..backend.jobs.events import Cancelled, Failed, JobEvent, Progress, Succeeded
from ..blender import ticker
from . import engine

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_EVENTS_PER_TICK = 512
#: One clip per tick: a new_movie alone is 5-7 ms of a 16.7 ms frame; ticks with two took 27-50 ms (P1).
MAX_IMPORTS_PER_TICK = 1


@dataclass
class DrainReport:
    events: int = 0
    applied: int = 0  # events that reached a shot (progress coalesced: at most one per job per tick)
    imported: list[str] = field(default_factory=list)  # strip names
    shots: set[str] = field(default_factory=set)  # shot names whose state changed
    deferred: int = 0  # imports still waiting (busy, or over the per-tick cap)
    changed: bool = False  # a consumer changed something a sidebar shows
    max_imports: int = MAX_IMPORTS_PER_TICK  # clips each consumer may cut in this tick


@dataclass(frozen=True)
class Consumer:
    #: Offered each event (in registration order); True: taken, later consumers do not see it.
    consume: Callable[[JobEvent, DrainReport], bool]
    #: Once per drain while no save or render runs: the consumer's Sequencer edits.
    idle: Callable[[DrainReport], None]
    #: Finished clips still waiting to be cut in.
    pending: Callable[[], int]


_consumers: list[Consumer] = []


def _nothing_pending() -> int:
    return 0


def add_consumer(
    consume: Callable[[JobEvent, DrainReport], bool],
    idle: Callable[[DrainReport], None],
    pending: Callable[[], int] = _nothing_pending,
) -> None:
    """Offer events to ``consume`` after the consumers registered before it (idempotent)."""
    if all(c.consume is not consume for c in _consumers):
        _consumers.append(Consumer(consume, idle, pending))


def remove_consumer(consume: Callable[[JobEvent, DrainReport], bool]) -> None:
    _consumers[:] = [c for c in _consumers if c.consume is not consume]


def pending_imports() -> int:
    """Finished clips still waiting to be cut in, over every consumer."""
    return sum(c.pending() for c in _consumers)


def reset() -> None:
    """Forget the consumers (unregister; each resets its own state)."""
    ticker.clear_busy()
    _consumers.clear()


def coalesce(events: list[JobEvent]) -> list[JobEvent]:
    """The events in order, but only the newest progress of each job (older ones are overwritten anyway);
    a progress followed by its job's end is dropped."""
    out: list[JobEvent] = []
    latest_progress: dict[str, Progress] = {}
    for event in events:
        if isinstance(event, Progress):
            latest_progress[event.job_id] = event
            continue
        pending = latest_progress.pop(event.job_id, None)
        if pending is not None and not isinstance(event, Succeeded | Failed | Cancelled):
            out.append(pending)
        out.append(event)
    out.extend(latest_progress.values())
    return out


# --- redraw -----
_REDRAW_SPACES = frozenset({"VIEW_3D", "SEQUENCE_EDITOR"})


def redraw_sidebars() -> int:
    """Redraw the sidebars (UI regions) of 3D views and Sequencers; returns how many were tagged."""
    tagged = 0
    wm = bpy.context.window_manager
    if wm is None:
        return 0
    for window in wm.windows:
        for area in window.screen.areas:
            if area.type in _REDRAW_SPACES:
                for region in area.regions:
                    if region.type == "UI":
                        region.tag_redraw()
                        tagged += 1
    return tagged


# --- the drain -----
def drain(max_events: int = MAX_EVENTS_PER_TICK, max_imports: int = MAX_IMPORTS_PER_TICK) -> DrainReport:
    """Hand pending job events to the consumers and let them cut finished clips in. Cheap when there is
    nothing to do."""
    report = DrainReport(max_imports=max_imports)
    manager = engine.current()
    consumers = list(_consumers)
    if manager is not None:
        events = manager.drain(max_events)
        report.events = len(events)
        for event in coalesce(events):
            for consumer in consumers:
                if consumer.consume(event, report):
                    break
    if not ticker.is_busy():  # the save/render guard: set by handlers that run before the drain loads
        for consumer in consumers:
            consumer.idle(report)
    else:
        report.deferred = sum(c.pending() for c in consumers)
    offer_changed = manager is not None and _earlier().tick()  # the store was read: mark shots, show it
    if report.shots or report.changed or offer_changed:
        redraw_sidebars()
    return report


def wait_for(
    jobs: Iterable[T],
    done: Callable[[T], bool],
    name: Callable[[T], str],
    timeout: float | None = None,
    poll: float = 0.05,
) -> list[T]:
    """Drain until ``done(job)`` holds for every job (scripts, ``md.wait``: no timers fire there); after
    ``timeout`` s (None: no limit) a TimeoutError names those still running."""
    waiting = list(jobs)
    end = None if timeout is None else time.monotonic() + timeout
    while True:
        drain()
        if all(done(job) for job in waiting):
            return waiting
        if end is not None and time.monotonic() > end:
            left = ", ".join(name(job) for job in waiting if not done(job))
            raise TimeoutError(f"Still running after {timeout} s: {left}")
        time.sleep(poll)


def _earlier() -> Any:
    from . import earlier  # the offer of jobs from an earlier session; loaded with the first manager

    return earlier


def redraw_preferences() -> None:
    wm = bpy.context.window_manager
    for window in wm.windows if wm is not None else ():
        for area in window.screen.areas:
            if area.type == "PREFERENCES":
                area.tag_redraw()


def timer() -> float:
    """One tick of :func:`.ticker.timer` once started (never raises: a dead timer would stop every update)."""
    from . import connection, wan2gp_offer

    try:
        drain()
        if connection.take_changed():
            redraw_preferences()
        if wan2gp_offer.take_changed():  # what the Wan2GP servers offer came in: the shot panel shows it
            redraw_sidebars()
    except Exception:
        log.exception("Movie Director: the job update failed; it will retry")
    return ticker.ACTIVE_INTERVAL if pending_imports() or engine.has_active() else ticker.IDLE_INTERVAL
