"""The job store: one JSON-lines file that survives Blender closing, crashing or being killed.

Every change to a job (submitted, remote id known, state changed, result path) is appended as one line,
written with a single ``write`` and flushed to disk before the call returns, so a paid WaveSpeed task id is on
disk before anything else happens. Reading folds the lines into the latest record per job.

The file is untrusted input (it sits beside a .blend that anyone may have written): a line that is not a
record this version writes — bad JSON, bad bytes, a wrong type, nesting too deep, too long — is skipped and
named in :attr:`JobStore.notices` ("line 7 of movie_director_jobs.jsonl is damaged and was ignored"), and the
file is compacted without it; reading never raises for what the file holds. Records are hints for the job
engine, never authority (see ``manager.JobManager.resume``).

Threading: every method is thread-safe. :meth:`JobStore.load` reads and compacts the file and is meant for a
worker thread (a large store takes a fraction of a second); until it has run, the other methods wait for it.
Reading is linear in the file's size; the file is compacted (atomically, through a temporary file) when it
has more dead lines than live ones, when old finished jobs are dropped, or when jobs are discarded.

Secrets never reach this file: requests hold none, and error texts are scrubbed before they get here.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .events import JobState
from .request import GenerationRequest, StoredDataError

STORE_FILE_NAME = "movie_director_jobs.jsonl"
#: Finished jobs older than this are dropped when the store is compacted.
KEEP_FINISHED_S = 30 * 24 * 3600
#: A line longer than this is damaged (a real record is a few KiB; prompts are short).
MAX_LINE_BYTES = 256 * 1024
#: Bytes of the file that are read at most; the rest is named as ignored (a real store stays far below).
MAX_STORE_BYTES = 512 * 1024 * 1024
#: Damaged lines named one by one; beyond this they are counted in one more notice.
MAX_NAMED_LINES = 20
#: Compact on load when there are more dead (superseded or damaged) lines than this and than live records.
COMPACT_DEAD_LINES = 200

_RECORD_TEXT = ("job_id", "remote_id", "remote_kind", "server", "video_path", "error_kind", "error_message")


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    request: GenerationRequest
    state: JobState = JobState.QUEUED
    remote_id: str = ""
    remote_kind: str = ""
    server: str = ""
    video_path: str = ""
    error_kind: str = ""
    error_message: str = ""
    submitted_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_line(self) -> str:
        data = {
            "job_id": self.job_id,
            "request": self.request.to_dict(),
            "state": str(self.state),
            "remote_id": self.remote_id,
            "remote_kind": self.remote_kind,
            "server": self.server,
            "video_path": self.video_path,
            "error_kind": self.error_kind,
            "error_message": self.error_message,
            "submitted_at": self.submitted_at,
            "updated_at": self.updated_at,
            "metadata": dict(self.metadata),
        }
        return json.dumps(data, sort_keys=True, default=str) + "\n"

    @classmethod
    def from_json(cls, data: Any) -> JobRecord:
        """A record from one parsed line, every field's type checked; raises StoredDataError."""
        if not isinstance(data, Mapping):
            raise StoredDataError("the line is not an object")
        for name in _RECORD_TEXT:
            if name in data and not isinstance(data[name], str):
                raise StoredDataError(f"{name} is not text")
        job_id = data.get("job_id")
        if not job_id:
            raise StoredDataError("the line has no job id")
        for name in ("submitted_at", "updated_at"):
            value = data.get(name, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise StoredDataError(f"{name} is not a number")
        metadata = data.get("metadata", {})
        if not isinstance(metadata, Mapping):
            raise StoredDataError("metadata is not a map")
        state = data.get("state", "queued")
        if state not in _STATES:
            raise StoredDataError("state is not a job state")
        return cls(
            job_id=job_id,
            request=GenerationRequest.from_dict(data.get("request")),
            state=JobState(state),
            remote_id=data.get("remote_id", ""),
            remote_kind=data.get("remote_kind", ""),
            server=data.get("server", ""),
            video_path=data.get("video_path", ""),
            error_kind=data.get("error_kind", ""),
            error_message=data.get("error_message", ""),
            submitted_at=float(data.get("submitted_at", 0.0)),
            updated_at=float(data.get("updated_at", 0.0)),
            metadata=dict(metadata),
        )


_STATES = frozenset(str(s) for s in JobState)
_TERMINAL = frozenset(str(s) for s in JobState if s.terminal)


@dataclass(frozen=True)
class _Line:
    """A finished job as read from the file, not yet built into a :class:`JobRecord`."""

    data: dict[str, Any]
    line: bytes

    def text(self) -> str:
        text = self.line.decode("utf-8")
        return text if text.endswith("\n") else text + "\n"


@dataclass(frozen=True)
class LoadReport:
    """What :meth:`JobStore.load` found: counts, and the notices for the user (damaged lines)."""

    records: int = 0
    lines: int = 0
    damaged: int = 0
    compacted: bool = False
    seconds: float = 0.0
    notices: tuple[str, ...] = ()


class JobStore:
    """Thread-safe. ``path=None`` keeps records in memory only (nothing survives a restart).

    ``load=True`` (the default) reads the file in the constructor, on the caller's thread; the job engine
    passes ``load=False`` and calls :meth:`load` on a worker thread.
    """

    def __init__(self, path: str | Path | None, *, load: bool = True) -> None:
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        #: Finished jobs read from the file stay as their line until asked for (``_Line``): most of a large
        #: store is finished work that no one looks at again, and building records is most of a load.
        self._records: dict[str, JobRecord | _Line] = {}
        self._dead = 0  # lines in the file that no longer describe a record (superseded, damaged)
        self.report = LoadReport()
        if self.path is None:
            self._ready.set()
        elif load:
            self.load()

    @property
    def notices(self) -> tuple[str, ...]:
        return self.report.notices

    @property
    def loaded(self) -> bool:
        return self._ready.is_set()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def load(self) -> LoadReport:
        """Read the file (skipping and naming damaged lines) and compact it if it is mostly dead lines.

        Never raises for what the file holds; an unreadable file is a notice too. Call once."""
        started = time.perf_counter()
        try:
            with self._lock:
                if self._ready.is_set():
                    return self.report
                report = self._load_locked()
                self.report = replace(report, seconds=time.perf_counter() - started)
                return self.report
        finally:
            self._ready.set()

    def __iter__(self) -> Iterator[JobRecord]:
        self._ready.wait()
        with self._lock:
            built = [self._built(job_id) for job_id in list(self._records)]
            return iter([r for r in built if r is not None])

    def __len__(self) -> int:
        self._ready.wait()
        with self._lock:
            return len(self._records)

    def get(self, job_id: str) -> JobRecord | None:
        self._ready.wait()
        with self._lock:
            return self._built(job_id)

    def put(self, record: JobRecord) -> JobRecord:
        self._ready.wait()
        with self._lock:
            self._dead += record.job_id in self._records
            self._records[record.job_id] = record
            self._append(record.to_line())
        return record

    def update(self, job_id: str, **changes: Any) -> JobRecord:
        (record,) = self.update_many([(job_id, changes)])
        return record

    def update_many(self, changes: Iterable[tuple[str, Mapping[str, Any]]]) -> list[JobRecord]:
        """Several updates in one write and one flush to disk (resuming many jobs stays linear)."""
        self._ready.wait()
        done: list[JobRecord] = []
        with self._lock:
            now = time.time()
            for job_id, change in changes:
                current = self._built(job_id)
                if current is None:
                    raise KeyError(job_id)
                record = replace(current, updated_at=now, **change)
                self._records[job_id] = record
                done.append(record)
            self._dead += len(done)
            self._append("".join(r.to_line() for r in done))
        return done

    def discard(self, job_ids: Iterable[str]) -> int:
        """Forget these jobs and compact the file; returns how many were known."""
        self._ready.wait()
        with self._lock:
            gone = [self._records.pop(job_id) for job_id in set(job_ids) if job_id in self._records]
            if gone and self.path is not None:
                self._rewrite()
        return len(gone)

    def unfinished(self) -> list[JobRecord]:
        """Jobs not finished (finished ones are not built: this stays cheap on a large store)."""
        self._ready.wait()
        with self._lock:
            return [r for r in self._records.values() if isinstance(r, JobRecord) and not r.state.terminal]

    # -- internals (lock held) ----------------------------------------------------------------------------
    def _built(self, job_id: str) -> JobRecord | None:
        """The record, built from its line on first use; a line that does not build is dropped."""
        value = self._records.get(job_id)
        if isinstance(value, _Line):
            try:
                value = self._records[job_id] = JobRecord.from_json(value.data)
            except (StoredDataError, RecursionError):
                del self._records[job_id]
                self._dead += 1
                return None
        return value

    def _append(self, text: str) -> None:
        if self.path is None or not text:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, text.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def _load_locked(self) -> LoadReport:
        assert self.path is not None
        name = self.path.name
        notices: list[str] = []
        damaged: list[int] = []
        raw: dict[str, tuple[int, dict[str, Any], bytes]] = {}
        lines = 0
        try:
            f = self.path.open("rb")
        except FileNotFoundError:
            return LoadReport()
        except OSError as exc:
            return LoadReport(notices=(f"{name} could not be read ({exc.strerror or exc}); it was ignored.",))
        with f:
            read = 0
            while True:
                line = f.readline(MAX_LINE_BYTES + 1)
                if not line:
                    break
                lines += 1
                read += len(line)
                if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                    damaged.append(lines)
                    read += _skip_rest_of_line(f)
                elif line.strip():
                    data = _parse(line)
                    job_id = data.get("job_id") if isinstance(data, dict) else None
                    if isinstance(job_id, str) and job_id:
                        previous = raw.get(job_id)
                        raw[job_id] = (lines, data, line)
                        if previous is not None:
                            self._dead += 1
                    else:
                        damaged.append(lines)
                if read > MAX_STORE_BYTES:
                    notices.append(
                        f"{name} is larger than {MAX_STORE_BYTES // (1024 * 1024)} MB; "
                        f"the lines after line {lines} were ignored."
                    )
                    break
        cutoff = time.time() - KEEP_FINISHED_S
        records: dict[str, JobRecord | _Line] = {}
        old = 0
        for job_id, (number, data, line) in raw.items():
            state, updated = data.get("state"), data.get("updated_at", 0.0)
            if state in _TERMINAL and isinstance(updated, (int, float)) and not isinstance(updated, bool):
                if updated < cutoff:
                    old += 1  # finished long ago: dropped by this compaction
                else:
                    records[job_id] = _Line(data, line)
                continue
            try:
                records[job_id] = JobRecord.from_json(data)
            except (StoredDataError, RecursionError):
                damaged.append(number)
        damaged.sort()
        notices[:0] = [f"line {n} of {name} is damaged and was ignored" for n in damaged[:MAX_NAMED_LINES]]
        if len(damaged) > MAX_NAMED_LINES:
            more = len(damaged) - MAX_NAMED_LINES
            notices.insert(MAX_NAMED_LINES, f"{more} more damaged lines of {name} were ignored")
        kept = records
        self._records = kept
        self._dead += len(damaged) + old
        compacted = False
        # Damaged lines go at once (a torn last line would glue itself to the next append); otherwise only
        # when dead lines are many, so opening a large healthy store does not rewrite it.
        many_dead = self._dead > COMPACT_DEAD_LINES and self._dead > len(kept)
        if damaged or old or many_dead:
            try:
                self._rewrite()
                compacted = True
            except OSError as exc:
                notices.append(f"{name} could not be compacted ({exc.strerror or exc}).")
        return LoadReport(len(kept), lines, len(damaged), compacted, 0.0, tuple(notices))

    def _rewrite(self) -> None:
        assert self.path is not None
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            f.writelines(r.text() if isinstance(r, _Line) else r.to_line() for r in self._records.values())
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.path)
        self._dead = 0


def _parse(line: bytes) -> Any:
    """One line's JSON, or None when it is not JSON this version can read (bad bytes, too deep, torn)."""
    try:
        return json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _skip_rest_of_line(f: Any) -> int:
    skipped = 0
    while True:
        chunk = f.readline(MAX_LINE_BYTES)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped
