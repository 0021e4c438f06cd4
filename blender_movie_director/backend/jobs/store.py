"""The job store: one JSON-lines file that survives Blender closing, crashing or being killed.

Every change to a job (submitted, remote id known, state changed, result path) is appended as one line,
written with a single ``write`` and flushed to disk before the call returns, so a paid WaveSpeed task id is on
disk before anything else happens. Reading folds the lines into the latest record per job and ignores a torn
last line. Opening compacts the file (atomically, through a temporary file) so it stays small.

Secrets never reach this file: requests hold none, and error texts are scrubbed before they get here.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .events import JobState
from .request import GenerationRequest

STORE_FILE_NAME = "movie_director_jobs.jsonl"
#: Finished jobs older than this are dropped when the store is compacted.
KEEP_FINISHED_S = 30 * 24 * 3600


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
    def from_json(cls, data: Mapping[str, Any]) -> JobRecord:
        return cls(
            job_id=data["job_id"],
            request=GenerationRequest.from_dict(data["request"]),
            state=JobState(data.get("state", "queued")),
            remote_id=data.get("remote_id", ""),
            remote_kind=data.get("remote_kind", ""),
            server=data.get("server", ""),
            video_path=data.get("video_path", ""),
            error_kind=data.get("error_kind", ""),
            error_message=data.get("error_message", ""),
            submitted_at=data.get("submitted_at", 0.0),
            updated_at=data.get("updated_at", 0.0),
            metadata=data.get("metadata", {}),
        )


class JobStore:
    """Thread-safe. ``path=None`` keeps records in memory only (nothing survives a restart)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._records: dict[str, JobRecord] = {}
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._records = dict(self._read())
            self._compact()

    def __iter__(self) -> Iterator[JobRecord]:
        with self._lock:
            return iter(list(self._records.values()))

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            return self._records.get(job_id)

    def put(self, record: JobRecord) -> JobRecord:
        with self._lock:
            self._records[record.job_id] = record
            self._append(record.to_line())
        return record

    def update(self, job_id: str, **changes: Any) -> JobRecord:
        with self._lock:
            record = replace(self._records[job_id], updated_at=time.time(), **changes)
            self._records[job_id] = record
            self._append(record.to_line())
        return record

    def unfinished(self) -> list[JobRecord]:
        return [r for r in self if not r.state.terminal]

    def _append(self, line: str) -> None:
        if self.path is None:
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def _read(self) -> Iterator[tuple[str, JobRecord]]:
        assert self.path is not None
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        for line in text.splitlines():
            try:
                record = JobRecord.from_json(json.loads(line))
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a crash mid-write, or from an incompatible version
            yield record.job_id, record

    def _compact(self) -> None:
        assert self.path is not None
        cutoff = time.time() - KEEP_FINISHED_S
        self._records = {
            job_id: r for job_id, r in self._records.items() if not r.state.terminal or r.updated_at >= cutoff
        }
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            f.writelines(r.to_line() for r in self._records.values())
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.path)
