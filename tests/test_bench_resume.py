"""A benchmark run killed with SIGKILL and started again loses nothing and duplicates nothing.

Runs the real `bench` command with the real 0.5B model in a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROBLEMS = "0,2,4"
SAMPLES = 1


def _command(run_dir: Path) -> list[str]:
    return [
        sys.executable, "-c", "from codesift.cli import app; app()", "bench", "humaneval",
        "--model", "qwen2.5-coder-0.5b", "--problems", PROBLEMS, "--samples", str(SAMPLES),
        "--temperature", "0", "--max-tokens", "160", "--run-dir", str(run_dir), "--json",
    ]  # fmt: skip


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        con.close()


@pytest.mark.model
def test_sigkill_and_resume(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    db = run_dir / "store.sqlite"
    proc = subprocess.Popen(_command(run_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 1200
    while not _rows(db, "SELECT problem_id FROM answers"):
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _rows(db, "SELECT problem_id, policy, seed, origin, code FROM candidates")
    answers_before = _rows(db, "SELECT problem_id, answer FROM answers")
    executions_before = _rows(db, "SELECT program, test, status FROM executions")
    assert 1 <= len(answers_before) < len(PROBLEMS.split(","))

    done = subprocess.run(_command(run_dir), capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["summary"]["problems"] == len(PROBLEMS.split(","))
    assert summary["summary"]["samples"] == SAMPLES * len(PROBLEMS.split(","))

    after = _rows(db, "SELECT problem_id, policy, seed, origin, code FROM candidates")
    assert set(before) <= set(after)  # nothing lost, nothing rewritten
    keys = [row[:4] for row in after]
    assert len(keys) == len(set(keys)) == SAMPLES * len(PROBLEMS.split(","))  # nothing sampled twice
    assert set(answers_before) <= set(_rows(db, "SELECT problem_id, answer FROM answers"))  # not re-solved
    assert set(executions_before) <= set(_rows(db, "SELECT program, test, status FROM executions"))
    results = json.loads((run_dir / "results.json").read_text())
    ids = [p["id"] for p in results["problems"]]
    assert ids == [f"HumanEval/{i}" for i in PROBLEMS.split(",")]
    exported = (run_dir / "samples.jsonl").read_text().splitlines()
    assert len(exported) == SAMPLES * len(ids)


def test_a_run_dir_from_before_a_new_knob_still_resumes(tmp_path: Path) -> None:
    from codesift.bench.run import BenchDataError, check_run
    from codesift.pipeline import SolveConfig
    from codesift.store import Store

    spec = {"benchmark": "humaneval", "config": SolveConfig().model_dump(mode="json")}
    older = json.loads(json.dumps(spec))
    del older["config"]["select"]["agreement_power"]  # as written before that knob existed
    with Store(tmp_path / "store.sqlite") as store:
        check_run(store, older, tmp_path)
        check_run(store, spec, tmp_path)  # None == absent: same run
        changed = json.loads(json.dumps(spec))
        changed["config"]["select"]["agreement_power"] = 1.0
        changed["config"]["policies"][0]["temperature"] = 0.2
        with pytest.raises(BenchDataError) as refused:
            check_run(store, changed, tmp_path)
    message = str(refused.value)
    assert "config.policies[0].temperature was 0.8, now 0.2; config.select.agreement_power was null, now 1.0" in message
    assert "--select KEY=VALUE" in message
