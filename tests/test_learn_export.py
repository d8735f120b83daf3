"""`codesift export`: SFT / DPO / reward records from graded runs, dedup, k per task, provenance, split guard."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from learn_runs import EVAL_RECORDING, TRAIN_RECORDING, bench_run_dir, recorded
from typer.testing import CliRunner

from codesift.backends.models import MODELS
from codesift.bench.tasks import data_dir
from codesift.cli import app
from codesift.execute import make_executor
from codesift.extract import normalise
from codesift.learn.export import export
from codesift.learn.splits import EvalSplitError, split_of
from codesift.prompt import build_prompt


def _has_data() -> bool:
    try:
        data_dir()
    except Exception:
        return False
    return True


pytestmark = pytest.mark.skipif(not _has_data(), reason="benchmark data (../shared/benchmarks) not present")


@pytest.fixture(scope="module")
def executor() -> Iterator[Any]:
    with make_executor(workers=2) as ex:
        yield ex


@pytest.fixture(scope="module")
def train_run(tmp_path_factory: pytest.TempPathFactory, executor: Any) -> Path:
    return bench_run_dir(tmp_path_factory.mktemp("train") / "run", TRAIN_RECORDING, executor)


@pytest.fixture(scope="module")
def eval_run(tmp_path_factory: pytest.TempPathFactory, executor: Any) -> Path:
    return bench_run_dir(tmp_path_factory.mktemp("eval") / "run", EVAL_RECORDING, executor)


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_split_rule() -> None:
    assert split_of("mbpp", "Mbpp/601") == split_of("mbpp-sanitized", "Mbpp/974") == "train"
    for bench, task in [
        ("mbpp", "Mbpp/600"), ("mbpp", "Mbpp/975"), ("mbpp", "Mbpp/11"), ("mbpp", "Mbpp/510"), ("mbpp", "Mbpp/1"),
        ("humaneval", "HumanEval/0"), ("apps", "APPS/4000"), ("jsonl", "Mbpp/700"), ("fresh", "fresh/1"),
    ]:  # fmt: skip
        assert split_of(bench, task) == "eval", (bench, task)


def test_sft_records_are_verified_training_programs(train_run: Path, tmp_path: Path) -> None:
    summary = export([train_run], tmp_path, ["sft", "dpo", "rewards"], per_task=2)
    sft = _rows(tmp_path / "sft.jsonl")
    rewards = _rows(tmp_path / "rewards.jsonl")
    items = recorded(TRAIN_RECORDING)
    assert summary.samples == len(rewards) == sum(len(c) for _, _, c in items)
    assert summary.written["sft"] == len(sft) > 0
    passing = {r["completion"][0]["content"] for r in rewards if r["passed"]}
    by_task: dict[str, list[dict[str, Any]]] = {}
    for rec in sft:
        by_task.setdefault(rec["provenance"]["task_id"], []).append(rec)
        assert rec["completion"][0]["content"] in passing  # every hidden test passed
        assert rec["completion"][0]["content"].startswith("```python\n")
        assert rec["completion"][0]["content"].endswith("\n```")
    assert all(len(recs) <= 2 for recs in by_task.values())
    for task, policy, _ in items:
        for rec in by_task.get(task.id, []):
            expected = [{"role": r, "content": c} for r, c in build_prompt(task.problem, policy.prompt).messages]
            assert rec["prompt"] == expected
            prov = rec["provenance"]
            assert prov["split"] == "train" and prov["policy"] == policy.name and prov["run"] == str(train_run)
            assert prov["model_sha256"] == MODELS[policy.model].sha256 and prov["lora"] is None
    programs = [normalise(r["completion"][0]["content"].removeprefix("```python\n").removesuffix("```")) for r in sft]
    assert len(programs) == len(set(programs))  # duplicates are one example


def test_more_per_task_keeps_more_distinct_programs(train_run: Path, tmp_path: Path) -> None:
    one = export([train_run], tmp_path / "one", ["sft"], per_task=1).written["sft"]
    many = export([train_run], tmp_path / "many", ["sft"], per_task=100).written["sft"]
    solved = export([train_run], tmp_path / "x", ["rewards"]).tasks_solved
    assert one == solved < many


def test_dpo_pairs_pass_against_fail_for_the_same_prompt(train_run: Path, tmp_path: Path) -> None:
    export([train_run], tmp_path, ["dpo", "rewards"])
    verdict = {r["completion"][0]["content"]: r for r in _rows(tmp_path / "rewards.jsonl")}
    pairs = _rows(tmp_path / "dpo.jsonl")
    assert pairs
    for pair in pairs:
        assert verdict[pair["chosen"][0]["content"]]["passed"]
        bad = verdict[pair["rejected"][0]["content"]]
        assert not bad["passed"] and bad["reward"] == pair["rejected_reward"] < 1
        assert pair["rejected_failure"].split(":")[0] in ("failed", "error", "timeout", "syntax", "memory")
        assert pair["provenance"]["task_id"] == pair["rejected_provenance"]["task_id"]


def test_rewards_log_every_sample(train_run: Path, tmp_path: Path) -> None:
    export([train_run], tmp_path, ["rewards"])
    rows = _rows(tmp_path / "rewards.jsonl")
    for row in rows:
        assert row["passed"] == all(v == "passed" for v in row["verdicts"]) == (row["reward"] == 1.0)
        assert 0 <= row["reward"] <= 1 and row["completion_tokens"] > 0
    assert {r["passed"] for r in rows} == {True, False}


def test_eval_tasks_are_refused_unless_allowed(eval_run: Path, tmp_path: Path) -> None:
    with pytest.raises(EvalSplitError, match="Mbpp/594"):
        export([eval_run], tmp_path / "refused")
    assert not (tmp_path / "refused").exists()  # nothing written
    summary = export([eval_run], tmp_path / "allowed", ["sft"], allow_eval=True)
    assert summary.written["sft"] > 0
    assert {r["provenance"]["split"] for r in _rows(tmp_path / "allowed" / "sft.jsonl")} == {"eval"}


def test_cli_one_line_errors(eval_run: Path, tmp_path: Path) -> None:
    env = {"CODESIFT_DATA": os.environ.get("CODESIFT_DATA", str(data_dir()))}
    runner = CliRunner()
    refused = runner.invoke(app, ["export", str(eval_run), "-o", str(tmp_path / "o")], env=env)
    assert refused.exit_code == 2 and "--allow-eval-tasks" in refused.output
    assert "Traceback" not in refused.output
    missing = runner.invoke(app, ["export", str(tmp_path / "nope"), "-o", str(tmp_path / "o")], env=env)
    assert missing.exit_code == 2 and "store.sqlite" in missing.output
    bad = runner.invoke(app, ["export", str(eval_run), "-o", str(tmp_path / "o"), "--format", "ppo"], env=env)
    assert bad.exit_code == 2 and "sft, dpo, rewards" in bad.output
    ok = runner.invoke(
        app, ["export", str(eval_run), "-o", str(tmp_path / "o"), "--allow-eval-tasks", "--json"], env=env
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["written"]["sft"] > 0


def test_datasets_and_trl_read_the_files(train_run: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    data_utils = pytest.importorskip("trl.data_utils")
    export([train_run], tmp_path)
    for name in ("sft", "dpo", "rewards"):
        rows = datasets.load_dataset("json", data_files=str(tmp_path / f"{name}.jsonl"), split="train")
        assert len(rows) > 0
        assert data_utils.is_conversational(rows[0])
