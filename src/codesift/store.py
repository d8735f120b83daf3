"""SQLite (WAL) run store: every candidate and execution is written the moment it exists.

The store is the one cache, so every key is derived from everything its stage depends on:

- candidates (samples and repair attempts) by (problem, `call_key`, seed, origin): `call_key` digests the
  prompt and every sampling setting of the policy, so a changed setting draws new samples and an
  unchanged one (even under a new policy name) reuses the stored ones;
- model-written tests by (problem, a digest of their prompt, policy and seeds);
- executions by (program hash, test key): a pure cache shared by every stage and every rerun;
- answers by problem: always recomputed by `solve`, read back by `bench` (whose settings `check_settings`
  pins for the whole run dir);
- records other packages define, each behind its own typed pair of methods (their `meta` keys are spelled
  here and nowhere else; the `meta` table has no public reader or writer, so no caller can spell a key that
  nothing writes any more): a benchmark's graded result per problem (DABench, repository mode), the repository
  index's parsed files by parser version, file hash and path, the `ask` formatter's completions by problem,
  `call_key` and seed, the pairwise judge's verdicts, which problems were repaired, and each run kind's settings.

Every SQLite failure (disk full, permission denied, not a database, a newer schema) is a one-line
`StoreError`, because the fix is the user's (free space, another --store or --run-dir).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from codesift.errors import StoreError
from codesift.records import Answer, Candidate, Completion, Execution, WrittenTests
from codesift.store_jobs import JobTable

R = TypeVar("R", bound=BaseModel)

# PRAGMA user_version. 0: before versioning (candidates keyed by policy name); 1: keyed by call_key.
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS candidates (
    problem_id TEXT NOT NULL, policy TEXT NOT NULL, seed INTEGER NOT NULL, origin TEXT NOT NULL,
    completion TEXT NOT NULL, code TEXT NOT NULL, program TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    mean_logprob REAL, seconds REAL NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (problem_id, key, seed, origin)
);
CREATE TABLE IF NOT EXISTS executions (
    program TEXT NOT NULL, test TEXT NOT NULL, status TEXT NOT NULL, output TEXT NOT NULL,
    error TEXT, seconds REAL NOT NULL,
    PRIMARY KEY (program, test)
);
CREATE TABLE IF NOT EXISTS written_tests (
    problem_id TEXT NOT NULL, key TEXT NOT NULL, tests TEXT NOT NULL, PRIMARY KEY (problem_id, key)
);
CREATE TABLE IF NOT EXISTS answers (problem_id TEXT PRIMARY KEY, answer TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_CANDIDATE_FIELDS = (
    "problem_id", "policy", "seed", "origin", "completion", "code", "program",
    "prompt_tokens", "completion_tokens", "mean_logprob", "seconds", "key",
)  # fmt: skip

# Version 0 stores keyed candidates by policy name: their samples are kept readable under the key
# "legacy:<name>", which no call_key equals, so they are never reused as if their settings were known.
_MIGRATE_0 = f"""
ALTER TABLE candidates RENAME TO candidates_v0;
{SCHEMA.split(";")[0]};
INSERT INTO candidates
    SELECT {", ".join(_CANDIDATE_FIELDS[:-1])}, 'legacy:' || policy FROM candidates_v0 ORDER BY rowid;
DROP TABLE candidates_v0;
"""


def _settings_key(command: str) -> str:
    return "bench" if command == "bench" else f"settings/{command}"  # "bench": as run dirs before schema 1


def _graded_key(problem_id: str) -> str:
    return f"result:{problem_id}"


def _formatted_key(problem_id: str, key: str, seed: int) -> str:
    return f"ask-format:{problem_id}:{key}:{seed}"


def _judged_key(problem_id: str, key: str) -> str:
    return f"judge:{problem_id}:{key}"


def _file_index_key(version: int, sha256: str, path: str) -> str:
    return f"repo-index:{version}:{sha256}:{path}"


def _reason(e: sqlite3.Error) -> str:
    text = str(e)
    if "disk is full" in text or "disk I/O error" in text:
        return "disk full (or a file size limit) while writing it; free space, then re-run the same command to resume"
    if "readonly" in text or "unable to open" in text:
        return "cannot open or write it; check that its folder exists and is writable by you"
    if "not a database" in text or "malformed" in text:
        return "not a codesift run store (not an SQLite database); use another --store or --run-dir"
    return f"{text}; use another --store or --run-dir"


def differences(old: Any, new: Any, path: str = "") -> list[str]:
    """The settings that differ, as 'dotted.path was X, now Y' (None counts as absent: knobs added later
    default to None, so older runs still compare equal)."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted({*old, *new})
        return [d for k in keys for d in differences(old.get(k), new.get(k), f"{path}.{k}" if path else k)]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for i, (a, b) in enumerate(zip(old, new, strict=True)) for d in differences(a, b, f"{path}[{i}]")]
    return [] if old == new else [f"{path or 'settings'} was {json.dumps(old)}, now {json.dumps(new)}"]


class Store:
    """Thread-safe; one connection, autocommit, so a SIGKILL loses at most the row being written."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(
                    f"{Path(self.path).parent}: cannot create the run store's folder ({e.strerror}); "
                    "use another --store or --run-dir"
                ) from None
        self._lock = threading.Lock()
        with self._errors():
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        try:
            with self._lock, self._errors():
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path}: written by a newer codesift (store schema {version}, this one reads up to "
                        f"{SCHEMA_VERSION}); upgrade codesift or use another --store or --run-dir"
                    )
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                if version < SCHEMA_VERSION:
                    self._migrate()
                self._db.executescript(SCHEMA)
        except StoreError:
            self._db.close()
            raise

    def _migrate(self) -> None:
        """Bring an older (or new, empty) store to SCHEMA_VERSION in one write transaction; the version is
        read again inside it, so two processes opening the same old store migrate it once."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self._db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                columns = [row[1] for row in self._db.execute("PRAGMA table_info(candidates)")]
                script = _MIGRATE_0 if columns and "key" not in columns else ""
                for statement in f"{script};{SCHEMA};PRAGMA user_version = {SCHEMA_VERSION}".split(";"):
                    if statement.strip():
                        self._db.execute(statement)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            raise StoreError(f"run store {self.path}: {_reason(e)}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        with self._lock, self._errors():
            try:
                self._db.execute("BEGIN")
                self._db.executemany(sql, rows)
                self._db.execute("COMMIT")
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _read(self, sql: str, args: tuple[object, ...] = ()) -> list[Any]:
        with self._lock, self._errors():
            return self._db.execute(sql, args).fetchall()

    # --- candidates: samples and repair attempts -----------------------------------------------------

    def add_candidates(self, candidates: Iterable[Candidate]) -> None:
        """Insert; a candidate already stored (same key and seed) gets the code of this extraction."""
        rows = [(*(getattr(c, f) for f in _CANDIDATE_FIELDS),) for c in candidates]
        self._write(
            f"INSERT INTO candidates ({', '.join(_CANDIDATE_FIELDS)}) "
            f"VALUES ({', '.join('?' * len(_CANDIDATE_FIELDS))}) "
            "ON CONFLICT DO UPDATE SET code = excluded.code, program = excluded.program",
            rows,
        )

    def add_candidate(self, candidate: Candidate) -> None:
        self.add_candidates([candidate])

    def candidates(self, problem_id: str | None = None) -> list[Candidate]:
        """Every stored candidate (of one problem), in the order written, whatever settings drew it."""
        where, args = ("WHERE problem_id = ?", (problem_id,)) if problem_id is not None else ("", ())
        return self._candidates(where, args)

    def drawn(self, problem_id: str, key: str, origin: str) -> dict[int, Candidate]:
        """The candidates of one model call setting (`records.call_key`), by seed."""
        found = self._candidates("WHERE problem_id = ? AND key = ? AND origin = ?", (problem_id, key, origin))
        return {c.seed: c for c in found}

    def _candidates(self, where: str, args: tuple[object, ...]) -> list[Candidate]:
        rows = self._read(f"SELECT {', '.join(_CANDIDATE_FIELDS)} FROM candidates {where} ORDER BY rowid", args)
        return [
            Candidate(**{f: v for f, v in zip(_CANDIDATE_FIELDS, row, strict=True) if f != "program"}) for row in rows
        ]

    def mark_repaired(self, problem_id: str) -> None:
        """Note that the problem had a repair pass (even one that fixed nothing); attempts are candidates."""
        self._set_meta(f"repaired/{problem_id}", True)

    def repairs(self, problem_id: str) -> list[Candidate] | None:
        """Every repair attempt stored for the problem, or None when no repair pass ever ran on it."""
        if self._meta(f"repaired/{problem_id}") is None:
            return None
        return [c for c in self.candidates(problem_id) if c.origin == "repair"]

    # --- model-written tests -------------------------------------------------------------------------

    def add_written_tests(self, problem_id: str, key: str, written: WrittenTests) -> None:
        row = (problem_id, key, written.model_dump_json())
        self._write("INSERT OR REPLACE INTO written_tests VALUES (?, ?, ?)", [row])

    def written_tests(self, problem_id: str, key: str) -> WrittenTests | None:
        """The tests written with exactly this prompt, policy and seeds (`pipeline.written_tests_key`)."""
        rows = self._read("SELECT tests FROM written_tests WHERE problem_id = ? AND key = ?", (problem_id, key))
        return WrittenTests.model_validate_json(rows[0][0]) if rows else None

    def any_written_tests(self, problem_id: str) -> WrittenTests | None:
        """The first tests stored for the problem whatever their settings (research replaying one run's store);
        stores from before schema 1 kept them in meta."""
        rows = self._read("SELECT tests FROM written_tests WHERE problem_id = ? ORDER BY rowid LIMIT 1", (problem_id,))
        if rows:
            return WrittenTests.model_validate_json(rows[0][0])
        legacy = self._read(
            "SELECT value FROM meta WHERE key = ? OR key LIKE ? ORDER BY rowid LIMIT 1",
            (f"written-tests/{problem_id}", f"written-tests:{problem_id}:%"),
        )
        if not legacy:
            return None
        value = json.loads(legacy[0][0])
        if "tokens" in value:  # scripts/sample_store.py's old format: one total of tokens
            value = {"tests": value["tests"], "completion_tokens": value["tokens"]}
        return WrittenTests.model_validate(value)

    # --- executions ----------------------------------------------------------------------------------

    def add_executions(self, executions: Iterable[Execution]) -> None:
        rows = [(e.program, e.test, e.status, e.output, e.error, e.seconds) for e in executions]
        self._write("INSERT OR REPLACE INTO executions VALUES (?, ?, ?, ?, ?, ?)", rows)

    def add_execution(self, execution: Execution) -> None:
        self.add_executions([execution])

    def execution(self, program: str, test: str) -> Execution | None:
        rows = self._read(
            "SELECT program, test, status, output, error, seconds FROM executions WHERE program = ? AND test = ?",
            (program, test),
        )
        if not rows:
            return None
        row = rows[0]
        return Execution(program=row[0], test=row[1], status=row[2], output=row[3], error=row[4], seconds=row[5])

    def execution_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM executions")[0][0])

    # --- answer lines the `ask` formatter wrote (`codesift.ask.formatter`) --------------------------------

    def formatted(self, problem_id: str, key: str, seed: int) -> Completion | None:
        """The formatter's completion for one call (`records.call_key` of its prompt and policy, and the seed)."""
        return self._record(_formatted_key(problem_id, key, seed), Completion)

    def add_formatted(self, problem_id: str, key: str, completion: Completion) -> None:
        self._set_meta(_formatted_key(problem_id, key, completion.seed), completion.model_dump(mode="json"))

    # --- the pairwise judge's verdicts (`codesift.select.judge`) ------------------------------------------

    def judged(self, problem_id: str, key: str) -> Completion | None:
        """The judge's completion for one call (`records.call_key` of its prompt and greedy policy)."""
        return self._record(_judged_key(problem_id, key), Completion)

    def add_judged(self, problem_id: str, key: str, completion: Completion) -> None:
        self._set_meta(_judged_key(problem_id, key), completion.model_dump(mode="json"))

    # --- answers and settings ------------------------------------------------------------------------

    def add_answer(self, answer: Answer) -> None:
        self._write("INSERT OR REPLACE INTO answers VALUES (?, ?)", [(answer.problem_id, answer.model_dump_json())])

    def answer(self, problem_id: str) -> Answer | None:
        rows = self._read("SELECT answer FROM answers WHERE problem_id = ?", (problem_id,))
        return Answer.model_validate_json(rows[0][0]) if rows else None

    def answers(self) -> list[Answer]:
        return [Answer.model_validate_json(r[0]) for r in self._read("SELECT answer FROM answers ORDER BY rowid")]

    def settings(self, command: str) -> dict[str, Any] | None:
        """The settings `command` recorded on this store ("bench": the run dir's `{benchmark, config}`)."""
        value = self._meta(_settings_key(command))
        return value if isinstance(value, dict) else None

    def set_settings(self, command: str, spec: dict[str, Any]) -> None:
        self._set_meta(_settings_key(command), spec)

    def check_settings(self, command: str, spec: dict[str, Any], *, keep: bool) -> list[str]:
        """How `spec` differs from the settings `command` last ran with on this store (first run: none).

        ``keep=True`` keeps the first run's settings (`bench` refuses to mix runs); otherwise the new
        settings replace them (`solve` only says what changed: its stage keys make mixing safe).
        """
        previous = self.settings(command)
        changed = differences(previous, spec) if previous is not None else []
        if previous is None or not keep:
            self.set_settings(command, spec)
        return changed

    # --- records other packages define: typed by the caller, keyed here ----------------------------------

    def graded(self, problem_id: str, record: type[R]) -> R | None:
        """A benchmark's graded result of one problem, as stored by `add_graded`; None before it is graded."""
        return self._record(_graded_key(problem_id), record)

    def add_graded(self, problem_id: str, result: BaseModel) -> None:
        """Keep a problem's graded result, so a resumed run neither answers nor grades it again."""
        self._set_meta(_graded_key(problem_id), result.model_dump(mode="json"))

    def file_index(self, version: int, sha256: str, path: str, record: type[R]) -> R | None:
        """A repository file's parsed index (`repo.index`), by parser version, file hash and path."""
        return self._record(_file_index_key(version, sha256, path), record)

    def add_file_index(self, version: int, sha256: str, path: str, index: BaseModel) -> None:
        self._set_meta(_file_index_key(version, sha256, path), index.model_dump(mode="json"))

    def _record(self, key: str, record: type[R]) -> R | None:
        value = self._meta(key)
        return None if value is None else record.model_validate(value)

    def _set_meta(self, key: str, value: object) -> None:
        self._write("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(key, json.dumps(value))])

    def _meta(self, key: str) -> object | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    # --- service jobs (codesift serve): their own tables and typed methods, in codesift.store_jobs ---------

    @cached_property
    def jobs(self) -> JobTable:
        """The service's jobs and their event history (tables created on first use)."""
        return JobTable(self._db, self._lock, self._errors)
