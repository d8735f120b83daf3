"""The command line as a user meets it: clear one-line errors, JSON on stdout, real model end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent


def codesift(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codesift", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("def broken(:\n", ".py", "not valid Python"),
        ("Statement without examples.\n", ".md", "no examples found"),
        ('{"prompt": 3}\n', ".jsonl", "not a problem record"),
    ],
)
def test_bad_problem_file_is_one_line_exit_2(tmp_path, content, suffix, message):
    path = tmp_path / f"problem{suffix}"
    path.write_text(content)
    result = codesift("solve", str(path))
    assert result.returncode == 2
    assert message in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert path.read_text() == content  # the user's file is untouched


def test_unknown_model_is_a_clear_error(tmp_path):
    result = codesift("solve", str(REPO / "examples" / "digit_sum.py"), "--model", "gpt-9",
                      "--store", str(tmp_path / "s.sqlite"))  # fmt: skip
    assert result.returncode == 2
    assert "unknown model 'gpt-9'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("knob", "message"),
    [
        ("w_foo=1", "KEY one of:"),
        ("agreement_power", "expected KEY=VALUE"),
        ("w_size=abc", "not a number"),
        ("agreement_power=-1", "greater than 0"),
    ],
)
@pytest.mark.parametrize("command", ["solve", "bench"])
def test_bad_select_knob_is_a_clear_error(tmp_path, knob, message, command):
    target = str(REPO / "examples" / "digit_sum.py") if command == "solve" else "humaneval"
    result = codesift(command, target, "--select", knob, "--select", "w_logprob=0")
    assert result.returncode == 2
    assert "--select" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_select_knobs_override_the_defaults():
    from codesift.cli import select_from_flags
    from codesift.select import SelectConfig

    config = select_from_flags(["agreement_power=1", "w_logprob=0", "typed=false", "max_probes=12"])
    assert config == SelectConfig(agreement_power=1.0, w_logprob=0.0, typed=False, max_probes=12)
    assert select_from_flags(["agreement_power=none"]).agreement_power is None
    assert select_from_flags([]) == SelectConfig()


@pytest.mark.model
@pytest.mark.parametrize("example", ["digit_sum.py", "sum_of_pairs.md"])
def test_solve_json_with_the_real_fast_model(tmp_path, example):
    store = tmp_path / "run.sqlite"
    args = ["solve", str(REPO / "examples" / example), "--model", "qwen2.5-coder-0.5b", "--samples", "8",
            "--json", "--store", str(store)]  # fmt: skip
    result = codesift(*args)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["samples"] == 8 and 1 <= answer["distinct"] <= 8
    assert answer["examples_passed"] == answer["examples_total"] > 0
    compile(answer["program"], example, "exec")
    again = json.loads(codesift(*args).stdout)  # resumed from the store: nothing re-sampled or re-run
    assert again["program"] == answer["program"]
    assert again["executions"] == 0


def test_doctor_reports_models_llama_and_isolation():
    result = codesift("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "model qwen2.5-coder-0.5b" in out and "ok sha256 1d9614638d18" in out
    assert "llama-cpp-python 0.3.36" in out
    assert "sandbox" in out and ("full" in out or "bubblewrap" in out or "limits" in out)
