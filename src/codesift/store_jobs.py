"""Service jobs in the run store (`Store.jobs`): a job, its status, answer and event history.

The candidates and executions of a job live in the store's own tables (keyed by the job's problem id),
so a restarted service finds every finished job here and resumes an unfinished one without re-sampling.
Events are kept too: a client that reconnects to a job's event stream, even after a restart, is sent
the history it missed (``Last-Event-ID``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Literal

from pydantic import Field

from codesift.records import Answer, Problem, Record

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
UNFINISHED: tuple[JobStatus, ...] = ("queued", "running")

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, request TEXT NOT NULL, problem TEXT NOT NULL,
    answer TEXT, error TEXT, feedback TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL, result TEXT
);
CREATE TABLE IF NOT EXISTS job_events (
    job_id TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (job_id, seq)
);
"""


class StoredJob(Record):
    """A job as the store keeps it; `request` is the service's request record as JSON."""

    id: str
    kind: str
    status: JobStatus
    request: dict[str, Any]
    problem: Problem
    answer: Answer | None = None
    # The answer of a job of another capability (`ask`), as that capability's record dumps it.
    result: dict[str, Any] | None = None
    error: str | None = None
    # The user's answers (interactive feedback) in order, replayed when a restarted service rebuilds the session.
    feedback: tuple[dict[str, Any], ...] = ()
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)


_COLUMNS = ("id", "kind", "status", "request", "problem", "answer", "error", "feedback", "created", "updated", "result")


def _row(job: StoredJob) -> tuple[object, ...]:
    return (
        job.id, job.kind, job.status, json.dumps(job.request), job.problem.model_dump_json(),
        job.answer.model_dump_json() if job.answer else None, job.error, json.dumps(list(job.feedback)),
        job.created, job.updated, json.dumps(job.result) if job.result is not None else None,
    )  # fmt: skip


def _job(row: tuple[Any, ...]) -> StoredJob:
    fields = dict(zip(_COLUMNS, row, strict=True))
    return StoredJob(
        id=fields["id"],
        kind=fields["kind"],
        status=fields["status"],
        request=json.loads(fields["request"]),
        problem=Problem.model_validate_json(fields["problem"]),
        answer=Answer.model_validate_json(fields["answer"]) if fields["answer"] else None,
        error=fields["error"],
        feedback=tuple(json.loads(fields["feedback"])),
        created=fields["created"],
        updated=fields["updated"],
        result=json.loads(fields["result"]) if fields["result"] else None,
    )


class JobTable:
    """Typed access to the job tables over the Store's connection, lock and error mapping (`errors`: every SQLite
    failure a one-line `StoreError`, as everywhere in the store); every write autocommits."""

    def __init__(
        self, db: sqlite3.Connection, lock: threading.Lock, errors: Callable[[], AbstractContextManager[None]]
    ) -> None:
        self._db, self._lock, self._errors = db, lock, errors
        with self._lock, self._errors():
            self._db.executescript(SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            if "result" not in columns:  # a store written before `ask` jobs existed
                self._db.execute("ALTER TABLE jobs ADD COLUMN result TEXT")

    def _exec(self, sql: str, args: tuple[object, ...]) -> None:
        with self._lock, self._errors():
            self._db.execute(sql, args)

    def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock, self._errors():
            return self._db.execute(sql, args).fetchall()

    def add(self, job: StoredJob) -> None:
        self._exec(f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})", _row(job))

    def get(self, job_id: str) -> StoredJob | None:
        rows = self._rows(f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE id = ?", (job_id,))
        return _job(rows[0]) if rows else None

    def recent(self, statuses: tuple[JobStatus, ...] | None = None, limit: int = 1000) -> list[StoredJob]:
        """Newest first; only those with one of `statuses` when given."""
        where, args = "", tuple[JobStatus, ...]()
        if statuses:
            where, args = f" WHERE status IN ({', '.join('?' * len(statuses))})", statuses
        sql = f"SELECT {', '.join(_COLUMNS)} FROM jobs{where} ORDER BY created DESC LIMIT ?"
        return [_job(r) for r in self._rows(sql, (*args, limit))]

    def set_status(self, job_id: str, status: JobStatus, error: str | None = None) -> None:
        sql = "UPDATE jobs SET status = ?, error = ?, updated = ? WHERE id = ?"
        self._exec(sql, (status, error, time.time(), job_id))

    def set_answer(self, job_id: str, answer: Answer) -> None:
        sql = "UPDATE jobs SET answer = ?, updated = ? WHERE id = ?"
        self._exec(sql, (answer.model_dump_json(), time.time(), job_id))

    def set_result(self, job_id: str, result: dict[str, Any]) -> None:
        sql = "UPDATE jobs SET result = ?, updated = ? WHERE id = ?"
        self._exec(sql, (json.dumps(result), time.time(), job_id))

    def add_feedback(self, job_id: str, item: dict[str, Any]) -> None:
        job = self.get(job_id)
        if job is not None:
            feedback = json.dumps([*job.feedback, item])
            self._exec("UPDATE jobs SET feedback = ?, updated = ? WHERE id = ?", (feedback, time.time(), job_id))

    def candidate_count(self, problem_id: str) -> int:
        """How many candidates a job's problem has in the store (a job listing shows it without reading them)."""
        return int(self._rows("SELECT COUNT(*) FROM candidates WHERE problem_id = ?", (problem_id,))[0][0])

    def add_event(self, job_id: str, seq: int, event: dict[str, Any]) -> None:
        self._exec("INSERT OR REPLACE INTO job_events VALUES (?, ?, ?)", (job_id, seq, json.dumps(event)))

    def events(self, job_id: str, after: int = -1) -> list[tuple[int, dict[str, Any]]]:
        """The job's events with a sequence number above `after`, in order."""
        sql = "SELECT seq, event FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq"
        rows = self._rows(sql, (job_id, after))
        return [(int(seq), json.loads(event)) for seq, event in rows]
