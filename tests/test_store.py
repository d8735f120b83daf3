import json

import pytest

from codesift.errors import StoreError
from codesift.records import Answer, Candidate, Execution
from codesift.store import Store


def _candidate(seed: int) -> Candidate:
    return Candidate(problem_id="p", policy="a", seed=seed, completion="c", code=f"x = {seed}\n",
                     prompt_tokens=3, completion_tokens=4, mean_logprob=None, seconds=0.5)  # fmt: skip


def test_candidates_survive_reopen_and_are_not_duplicated(tmp_path):
    path = tmp_path / "run.sqlite"
    with Store(path) as store:
        store.add_candidates([_candidate(0), _candidate(1)])
        store.add_candidate(_candidate(1))
    with Store(path) as store:
        assert [c.seed for c in store.candidates("p")] == [0, 1]
        assert store.candidates("other") == []
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_executions_are_a_cache_by_program_and_test(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        assert store.execution("prog", "t") is None
        store.add_execution(Execution(program="prog", test="t", status="failed", output="1"))
        store.add_execution(Execution(program="prog", test="t", status="passed", output="2"))
        latest = store.execution("prog", "t")
        assert latest is not None and latest.status == "passed"
        assert store.execution_count() == 1


def test_answers_round_trip(tmp_path):
    answer = Answer(problem_id="p", submissions=(), samples=1, distinct=1, passing=0, clusters=0,
                    prompt_tokens=1, completion_tokens=2, executions=3, seconds=0.1)  # fmt: skip
    with Store(tmp_path / "s.sqlite") as store:
        store.add_answer(answer)
        assert store.answer("p") == answer
        assert store.answers() == [answer]
        assert store.answer("missing") is None


def _old_row(store: Store, key: str, value: object) -> None:
    """A meta row as an earlier codesift wrote it (its methods are gone; the store reads the row back typed)."""
    store._db.execute("INSERT INTO meta VALUES (?, ?)", (key, json.dumps(value)))


def test_records_of_other_packages_come_back_typed_from_the_rows_earlier_runs_wrote(tmp_path):
    """A DABench run dir and a repo-index cache written before the typed methods existed resume as they did."""
    from codesift.repo.index import Definition, FileIndex

    definition = Definition(path="m.py", qualname="f", kind="function", lineno=1, def_lineno=1, end_lineno=2,
                            signature="def f():\n")  # fmt: skip
    index = FileIndex(path="m.py", sha256="ab" * 32, definitions=(definition,))
    answer = Answer(problem_id="DABench/3", submissions=(), samples=1, distinct=1, passing=0, clusters=0,
                    prompt_tokens=1, completion_tokens=2, executions=3, seconds=0.1)  # fmt: skip
    with Store(tmp_path / "s.sqlite") as store:
        _old_row(store, "result:DABench/3", answer.model_dump(mode="json"))  # as run_dabench wrote it
        _old_row(store, f"repo-index:2:{index.sha256}:m.py", index.model_dump(mode="json"))  # as index_file did
        assert store.graded("DABench/3", Answer) == answer
        assert store.file_index(2, index.sha256, "m.py", FileIndex) == index
        assert store.graded("DABench/4", Answer) is None
        assert store.file_index(3, index.sha256, "m.py", FileIndex) is None  # another parser version
        store.add_graded("DABench/4", answer)
        store.add_file_index(3, index.sha256, "m.py", index)
        assert store.graded("DABench/4", Answer) == answer
        assert store.file_index(3, index.sha256, "m.py", FileIndex) == index


def test_settings_are_checked_on_resume(tmp_path):
    """bench keeps its first settings and gets what differs; solve's new settings replace the old ones."""
    first, second = {"samples": 8, "select": {"w_size": 1.0}}, {"samples": 16, "select": {"w_size": 1.0, "new": None}}
    with Store(tmp_path / "s.sqlite") as store:
        assert store.check_settings("bench", first, keep=True) == []
        assert store.check_settings("bench", second, keep=True) == ["samples was 8, now 16"]  # None = absent
        assert store.settings("bench") == first
        assert store.check_settings("solve", first, keep=False) == []
        assert store.check_settings("solve", second, keep=False) == ["samples was 8, now 16"]
        assert store.check_settings("solve", second, keep=False) == []
        assert store.settings("solve") == second


def test_a_write_that_fails_is_a_store_error_and_rolls_back(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.add_candidates([_candidate(0)])
        store._db.execute("PRAGMA query_only = ON")  # every write now fails inside SQLite
        with pytest.raises(StoreError, match="cannot open or write it; check that its folder exists") as caught:
            store.add_candidates([_candidate(1)])
        assert str(caught.value).startswith(f"run store {path}: ")
        store._db.execute("PRAGMA query_only = OFF")
        store.add_candidates([_candidate(2)])  # the failed transaction was rolled back: the store still works
        assert [c.seed for c in store.candidates("p")] == [0, 2]


def test_a_foreign_jobs_table_is_a_store_error_not_a_sqlite_traceback(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store._db.execute("CREATE TABLE jobs (something TEXT)")  # a table of that name that is not the service's
        with pytest.raises(StoreError, match=f"run store {path}"):
            store.jobs.get("job-1")
