"""SQLite (WAL) run store: every candidate and execution is written the moment it exists.

Candidates are keyed by (problem, policy, seed, origin), so a killed run resumes without re-sampling;
executions by (program hash, test key), a pure cache shared by every stage and every rerun.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from codesift.records import Answer, Candidate, Execution
from codesift.store_jobs import JobTable

if TYPE_CHECKING:
    from codesift.select.written import WrittenTests

SCHEMA = """
CREATE TABLE IF NOT EXISTS candidates (
    problem_id TEXT NOT NULL, policy TEXT NOT NULL, seed INTEGER NOT NULL, origin TEXT NOT NULL,
    completion TEXT NOT NULL, code TEXT NOT NULL, program TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    mean_logprob REAL, seconds REAL NOT NULL,
    PRIMARY KEY (problem_id, policy, seed, origin)
);
CREATE TABLE IF NOT EXISTS executions (
    program TEXT NOT NULL, test TEXT NOT NULL, status TEXT NOT NULL, output TEXT NOT NULL,
    error TEXT, seconds REAL NOT NULL,
    PRIMARY KEY (program, test)
);
CREATE TABLE IF NOT EXISTS answers (problem_id TEXT PRIMARY KEY, answer TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_CANDIDATE_FIELDS = (
    "problem_id", "policy", "seed", "origin", "completion", "code", "program",
    "prompt_tokens", "completion_tokens", "mean_logprob", "seconds",
)  # fmt: skip


class Store:
    """Thread-safe; one connection, autocommit, so a SIGKILL loses at most the row being written."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(sql, rows)
            self._db.execute("COMMIT")

    def add_candidates(self, candidates: Iterable[Candidate]) -> None:
        rows = [(*(getattr(c, f) for f in _CANDIDATE_FIELDS),) for c in candidates]
        self._write(
            f"INSERT OR IGNORE INTO candidates ({', '.join(_CANDIDATE_FIELDS)}) "
            f"VALUES ({', '.join('?' * len(_CANDIDATE_FIELDS))})",
            rows,
        )

    def add_candidate(self, candidate: Candidate) -> None:
        self.add_candidates([candidate])

    def candidates(self, problem_id: str | None = None) -> list[Candidate]:
        sql = f"SELECT {', '.join(_CANDIDATE_FIELDS)} FROM candidates"
        args: tuple[str, ...] = ()
        if problem_id is not None:
            sql += " WHERE problem_id = ?"
            args = (problem_id,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY rowid", args).fetchall()
        return [
            Candidate(**{f: v for f, v in zip(_CANDIDATE_FIELDS, row, strict=True) if f != "program"}) for row in rows
        ]

    def add_executions(self, executions: Iterable[Execution]) -> None:
        rows = [(e.program, e.test, e.status, e.output, e.error, e.seconds) for e in executions]
        self._write("INSERT OR REPLACE INTO executions VALUES (?, ?, ?, ?, ?, ?)", rows)

    def add_execution(self, execution: Execution) -> None:
        self.add_executions([execution])

    def execution(self, program: str, test: str) -> Execution | None:
        with self._lock:
            row = self._db.execute(
                "SELECT program, test, status, output, error, seconds FROM executions WHERE program = ? AND test = ?",
                (program, test),
            ).fetchone()
        if row is None:
            return None
        return Execution(program=row[0], test=row[1], status=row[2], output=row[3], error=row[4], seconds=row[5])

    def execution_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM executions").fetchone()[0])

    def add_answer(self, answer: Answer) -> None:
        self._write("INSERT OR REPLACE INTO answers VALUES (?, ?)", [(answer.problem_id, answer.model_dump_json())])

    def answer(self, problem_id: str) -> Answer | None:
        with self._lock:
            row = self._db.execute("SELECT answer FROM answers WHERE problem_id = ?", (problem_id,)).fetchone()
        return None if row is None else Answer.model_validate_json(row[0])

    def answers(self) -> list[Answer]:
        with self._lock:
            rows = self._db.execute("SELECT answer FROM answers ORDER BY rowid").fetchall()
        return [Answer.model_validate_json(r[0]) for r in rows]

    def set_meta(self, key: str, value: object) -> None:
        self._write("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(key, json.dumps(value))])

    def meta(self, key: str) -> object | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def written_tests(self, problem_id: str, seed: int, writers: int) -> WrittenTests | None:
        """Model-written tests of a problem drawn with `writers` seeds from `seed`, if stored."""
        from codesift.select.written import WrittenTests

        cached = self.meta(_written_key(problem_id, seed, writers))
        return None if cached is None else WrittenTests.model_validate(cached)

    def add_written_tests(self, problem_id: str, seed: int, writers: int, written: WrittenTests) -> None:
        self.set_meta(_written_key(problem_id, seed, writers), written.model_dump(mode="json"))

    # --- service jobs (codesift serve): their own tables and typed methods, in codesift.store_jobs ---------

    @cached_property
    def jobs(self) -> JobTable:
        """The service's jobs and their event history (tables created on first use)."""
        return JobTable(self._db, self._lock)


def _written_key(problem_id: str, seed: int, writers: int) -> str:
    return f"written-tests:{problem_id}:{seed}:{writers}"
