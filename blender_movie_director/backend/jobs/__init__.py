"""The job engine: frozen requests in, worker threads per backend, immutable events out.

Threading contract
------------------
- The main thread owns every ``bpy`` object. Workers receive a frozen :class:`GenerationRequest` (plain data:
  strings, paths, names) plus in-memory :class:`Credentials`; they never touch ``bpy``, never read
  preferences and never hold Blender pointers.
- The only channel from workers to Blender is the event queue; the only reader is ``JobManager.drain()``,
  called by the Blender layer's one timer (and by tests and ``wait()`` in background mode).
- Cancel is an Event per job plus the backend's real remote cancel where the service has one.
- ``shutdown()`` stops every worker thread; jobs still running stay in the store, offered to the next
  session (``earlier()``) and started only by its ``resume()``.
"""

from .events import (
    Cancelled,
    Failed,
    JobEvent,
    JobState,
    Log,
    Progress,
    Queued,
    RemoteId,
    Started,
    Succeeded,
)
from .request import (
    PRIORITY_BATCH,
    PRIORITY_FINAL,
    PRIORITY_PREVIEW,
    Backend,
    Credentials,
    GenerationRequest,
    Quality,
    ShotRef,
)

__all__ = [
    "PRIORITY_BATCH",
    "PRIORITY_FINAL",
    "PRIORITY_PREVIEW",
    "Backend",
    "Cancelled",
    "Credentials",
    "Failed",
    "GenerationRequest",
    "JobEvent",
    "JobState",
    "Log",
    "Progress",
    "Quality",
    "Queued",
    "RemoteId",
    "ShotRef",
    "Started",
    "Succeeded",
]
