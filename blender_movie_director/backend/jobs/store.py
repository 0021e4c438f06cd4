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
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import BackendError, ErrorKind
from .events import JobState
from .request import GenerationRequest, StoredDataError

log = logging.getLogger(__name__)

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


class JobStoreError(BackendError):
    """The job store's folder cannot be written (a file where the folder should be, no permission, full)."""

    kind = ErrorKind.VALIDATION


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
        record = object.__new__(cls)  # fields set at once: building is most of a large store's load
        record.__dict__.update(
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
        return record


_STATES = frozenset(str(s) for s in JobState)
_TERMINAL = frozenset(str(s) for s in JobState if s.terminal)


@dataclass(frozen=True)
class _Line:
    """A finished job as read from the file, not yet parsed nor built into a :class:`JobRecord`."""

    line: bytes


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
        #: The file's own line for a record read and not changed since: compaction writes it back as is.
        self._lines: dict[str, bytes] = {}
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
            self._lines.pop(record.job_id, None)
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
                self._lines.pop(job_id, None)
                done.append(record)
            self._dead += len(done)
            self._append("".join(r.to_line() for r in done), strict=False)
        return done

    def discard(self, job_ids: Iterable[str]) -> int:
        """Forget these jobs and compact the file; returns how many were known."""
        self._ready.wait()
        with self._lock:
            gone = [job_id for job_id in set(job_ids) if self._records.pop(job_id, None) is not None]
            for job_id in gone:
                self._lines.pop(job_id, None)
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
                value = JobRecord.from_json(_parse(value.line))
                if value.job_id != job_id:
                    raise StoredDataError("the job id is not where it belongs")
                self._records[job_id] = value
            except (StoredDataError, RecursionError):
                del self._records[job_id]
                self._dead += 1
                return None
        return value

    def _append(self, text: str, *, strict: bool = True) -> None:
        """Append and flush to disk. A folder that cannot be written raises :class:`JobStoreError` naming it
        (``strict``, a new job: the caller says so); a later change of a job already running is kept in
        memory and logged (``strict=False``: the job's result still reaches Blender through its events)."""
        if self.path is None or not text:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, text.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            error = JobStoreError(
                f"The job store cannot be written in the output folder '{self.path.parent}' "
                f"({exc.strerror or exc}): choose an output folder you can write to in the preferences."
            )
            if strict:
                raise error from None
            log.warning("%s", error.user_message)

    def _load_locked(self) -> LoadReport:
        assert self.path is not None
        name = self.path.name
        notices: list[str] = []
        damaged: list[int] = []
        last: dict[str, tuple[int, bytes]] = {}  # job id -> its newest line (number, bytes)
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
                    job_id = _scan_job_id(line)
                    if job_id is None:
                        damaged.append(lines)
                    else:
                        self._dead += job_id in last
                        last[job_id] = (lines, line)
                if read > MAX_STORE_BYTES:
                    notices.append(
                        f"{name} is larger than {MAX_STORE_BYTES // (1024 * 1024)} MB; "
                        f"the lines after line {lines} were ignored."
                    )
                    break
        cutoff = time.time() - KEEP_FINISHED_S
        records: dict[str, JobRecord | _Line] = {}
        old = 0
        for job_id, (number, line) in last.items():
            finished = _scan_finished(line)
            if finished is not None:  # kept as its line, built (and checked) when asked for
                if finished < cutoff:
                    old += 1  # finished long ago: dropped by this compaction
                else:
                    records[job_id] = _Line(line)
                continue
            try:
                record = JobRecord.from_json(_parse(line))
                if record.job_id != job_id:
                    raise StoredDataError("the job id is not where it belongs")
                records[job_id] = record
                self._lines[job_id] = line
            except (StoredDataError, RecursionError):
                damaged.append(number)
        damaged.sort()
        notices[:0] = [f"line {n} of {name} is damaged and was ignored" for n in damaged[:MAX_NAMED_LINES]]
        if len(damaged) > MAX_NAMED_LINES:
            more = len(damaged) - MAX_NAMED_LINES
            notices.insert(MAX_NAMED_LINES, f"{more} more damaged lines of {name} were ignored")
        self._records = records
        self._dead += len(damaged) + old
        compacted = False
        # Damaged lines go at once (a torn last line would glue itself to the next append); otherwise only
        # when dead lines are many, so opening a large healthy store does not rewrite it.
        many_dead = self._dead > COMPACT_DEAD_LINES and self._dead >= len(records)
        if damaged or old or many_dead:
            try:
                self._rewrite()
                compacted = True
            except OSError as exc:
                notices.append(f"{name} could not be compacted ({exc.strerror or exc}).")
        return LoadReport(len(records), lines, len(damaged), compacted, 0.0, tuple(notices))

    def _rewrite(self) -> None:
        assert self.path is not None
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for job_id, record in self._records.items():
                line = record.line if isinstance(record, _Line) else self._lines.get(job_id)
                f.write(_text(line) if line is not None else record.to_line())
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.path)
        self._dead = 0


#: Lines as this version writes them (keys sorted): the top-level job id is the first ``"job_id"`` key (only
#: text fields sort before it), the state and the time of the last change the last ``"state"`` and
#: ``"updated_at"`` keys (only numbers and text sort after them). A quote inside a JSON string is always
#: escaped, so these cannot match inside a value. A line that does not fit is parsed in full.
_JOB_ID = re.compile(rb'"job_id":\s*"([^"\\]{1,200})"')
_STATE = re.compile(rb'"state":\s*"([a-z_]{1,20})"')
_UPDATED = re.compile(rb'"updated_at":\s*(-?[0-9][0-9.eE+-]{0,30})[,}\s]')


def _scan_job_id(line: bytes) -> str | None:
    """The line's job id, cheaply (a regular expression) or by parsing it; None when it has none."""
    found = _JOB_ID.search(line)
    if found is not None:
        try:
            return found.group(1).decode("utf-8")
        except UnicodeDecodeError:
            return None
    data = _parse(line)
    job_id = data.get("job_id") if isinstance(data, dict) else None
    return job_id if isinstance(job_id, str) and job_id else None


def _scan_finished(line: bytes) -> float | None:
    """When the line's job finished (its last change), if it is finished; None if not, or not clear.

    A guess from the text that can only err towards building the record (which then decides), or towards
    leaving a finished job unbuilt until it is asked for."""
    states = _STATE.findall(line)
    if not states or states[-1].decode() not in _TERMINAL:
        return None
    times = _UPDATED.findall(line)
    try:
        return float(times[-1]) if times else None
    except ValueError:
        return None


def _text(line: bytes) -> str:
    text = line.decode("utf-8")
    return text if text.endswith("\n") else text + "\n"


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
