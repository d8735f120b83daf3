"""The command line as a user meets it: clear one-line errors, JSON on stdout, real model end to end."""

import json
import os
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent


def codesift(*args: str, cwd: Path = REPO, max_file_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:  # the soft limit only, so the sandbox may still raise its own
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    return subprocess.run(
        [sys.executable, "-m", "codesift", *args], cwd=cwd, capture_output=True, text=True, timeout=900,
        preexec_fn=limit if max_file_bytes else None,
    )  # fmt: skip


def one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit code 2, one line on stderr naming every fragment, no traceback, nothing on stdout."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def locked_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write into, root included (chattr +i; a plain chmod when not root)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not supported here")
    else:
        folder.chmod(0o555)
    yield folder
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


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


DIGIT_SUM = str(REPO / "examples" / "digit_sum.py")
FAST = ("--model", "qwen2.5-coder-0.5b")


@pytest.mark.parametrize("command", ["solve", "bench"])
def test_unknown_model_is_a_clear_error(tmp_path, command):
    target = DIGIT_SUM if command == "solve" else "humaneval"
    where = "--store" if command == "solve" else "--run-dir"
    result = codesift(
        command,
        target,
        "--model",
        "gpt-9",
        where,
        str(tmp_path / "out"),
        "--limit" if command == "bench" else "--seed",
        "1",
    )
    one_line_error(result, "unknown model 'gpt-9'")
    assert not (tmp_path / "out").exists()  # refused before anything was written


@pytest.mark.parametrize("command", ["solve", "bench"])
@pytest.mark.parametrize(
    ("toml", "message"),
    [("[[policy]\n", "not valid TOML"), ("[[policy]]\ntop_p = 2\n", "top_p: Input should be less than or equal to 1")],
)
def test_bad_policies_file_is_one_line(tmp_path, command, toml, message):
    policies = tmp_path / "family.toml"
    policies.write_text(toml)
    target = DIGIT_SUM if command == "solve" else "humaneval"
    one_line_error(codesift(command, target, "--policies", str(policies)), str(policies), message)


def test_a_store_that_is_not_a_database_is_one_line_and_left_alone(tmp_path):
    store = tmp_path / "notes.sqlite"
    store.write_text("my notes, not a database\n" * 200)
    one_line_error(codesift("solve", DIGIT_SUM, *FAST, "--store", str(store)), str(store), "not a codesift run store")
    assert store.read_text() == "my notes, not a database\n" * 200


def test_a_store_from_a_newer_codesift_is_one_line(tmp_path):
    store = tmp_path / "new.sqlite"
    with sqlite3.connect(store) as db:
        db.execute("PRAGMA user_version = 99")
    one_line_error(
        codesift("solve", DIGIT_SUM, *FAST, "--store", str(store)), "written by a newer codesift (store schema 99"
    )


def test_permission_denied_on_the_store_or_run_dir_is_one_line(locked_dir):
    store = locked_dir / "run.sqlite"
    one_line_error(codesift("solve", DIGIT_SUM, *FAST, "--store", str(store)), str(store), "cannot open or write it")
    run_dir = locked_dir / "run"
    result = codesift("bench", "humaneval", *FAST, "--limit", "1", "--run-dir", str(run_dir))
    one_line_error(result, str(run_dir), "cannot")
    result = codesift("bench", "humaneval", "--reference", "--limit", "1", "--run-dir", str(run_dir))
    one_line_error(result, str(run_dir), "cannot")
    assert list(locked_dir.iterdir()) == []


def test_disk_full_while_writing_the_store_is_one_line(tmp_path):
    run_dir = tmp_path / "run"
    result = codesift("bench", "humaneval", "--reference", "--limit", "20", "--run-dir", str(run_dir),
                      max_file_bytes=200_000)  # fmt: skip
    one_line_error(result, str(run_dir / "reference.sqlite"), "disk full")
    with sqlite3.connect(run_dir / "reference.sqlite") as db:  # what was written before is intact
        assert db.execute("SELECT COUNT(*) FROM executions").fetchone()[0] > 0


@pytest.mark.parametrize(
    ("knob", "message"),
    [
        ("w_foo=1", "KEY one of:"),
        ("agreement_power", "expected KEY=VALUE"),
        ("w_size=abc", "valid number"),
        ("votes=families", "'samples' or 'programs'"),
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
    words = select_from_flags(["votes=programs", "test_weights=consensus"])
    assert (words.votes, words.test_weights) == ("programs", "consensus")


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
    assert "[solve: " in out and "[tool: " in out and "[repo: " in out  # each profile's layers, not eaten as markup
    assert "sandbox limits" in out and "cgroup v2: " in out


def test_solve_says_how_many_examples_it_read_and_warns_on_none(tmp_path, caplog):
    from codesift.cli.common import err
    from codesift.cli.solve import say_examples
    from codesift.problems import load_problem

    bare = tmp_path / "bare.py"
    bare.write_text('def f(x):\n    """Twice x."""\n')
    with err.capture() as shown:
        say_examples(load_problem(DIGIT_SUM), Path(DIGIT_SUM), quiet=False)
        say_examples(load_problem(bare), bare, quiet=False)
    # (the warning may be drawn on the same console when an earlier test installed the CLI's log handler)
    assert shown.get().splitlines()[0] == f"{DIGIT_SUM}: 3 visible example(s)"
    assert "bare.py: 0 visible" not in shown.get()
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "no visible examples found" in caplog.records[0].getMessage() and str(bare) in caplog.text


def test_test_writer_flag_gives_the_tests_to_another_model_without_the_adapter(tmp_path):
    from codesift.cli.common import solve_config
    from codesift.pipeline import test_writer

    (tmp_path / "a.gguf").write_bytes(b"an adapter")  # only its existence is checked here
    flags = (None, "qwen2.5-coder-1.5b", 0.8, "plain", "embedded", None, 512, "completion", tmp_path / "a.gguf",
             "structured", 8, 0, 1, 0, None)  # fmt: skip
    plain = solve_config("bench", *flags)
    assert plain.test_writer is None and test_writer(plain) == plain.policies[0]
    config = solve_config("bench", *flags, "qwen2.5-coder-0.5b")
    writer = test_writer(config)
    assert writer.model == "qwen2.5-coder-0.5b" and writer.lora is None and writer.name != plain.policies[0].name
    assert config.policies == plain.policies and writer.temperature == 0.8


def test_test_writers_flag_reaches_the_config():
    """`--test-writers 0` (sampling training data needs only hidden-test verdicts) turns model-written tests off."""
    from codesift.cli.common import solve_config

    flags = (None, "qwen2.5-coder-0.5b", 0.8, "plain", "embedded", None, 512, "completion", None,
             "structured", 4, 0, 1, 0, None, None, None)  # fmt: skip
    assert solve_config("bench", *flags).test_writers == 1
    assert solve_config("bench", *flags, 0).test_writers == 0


@pytest.mark.parametrize("command", ["solve", "bench"])
def test_negative_test_writers_is_a_clear_error(tmp_path, command):
    target = DIGIT_SUM if command == "solve" else "humaneval"
    where = "--store" if command == "solve" else "--run-dir"
    result = codesift(command, target, *FAST, "--test-writers", "-1", where, str(tmp_path / "out"))
    assert result.returncode == 2 and "--test-writers" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["solve", "bench"])
@pytest.mark.parametrize("role", ["--test-writer", "--judge"])
def test_an_unknown_model_for_a_role_is_a_clear_error(tmp_path, command, role):
    target = DIGIT_SUM if command == "solve" else "humaneval"
    where = "--store" if command == "solve" else "--run-dir"
    result = codesift(command, target, *FAST, role, "gpt-9", where, str(tmp_path / "out"))
    one_line_error(result, "unknown model 'gpt-9'")
    assert not (tmp_path / "out").exists()


def test_report_of_a_damaged_run_or_to_a_missing_folder_is_a_clear_error(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text('{"benchmark": "humaneval"}')
    one_line_error(codesift("report", str(run)), "is not the results of a `codesift bench` run")
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"task_id": "HumanEval/0", "completion": "    return False\n"}))
    graded = tmp_path / "graded"
    assert codesift("bench", "humaneval", "--grade", str(samples), "--problems", "0", "--run-dir", str(graded),
                    "--json").returncode == 0  # fmt: skip
    one_line_error(codesift("report", str(graded), "-o", str(tmp_path / "missing" / "r.html")), "cannot write", "-o")
    one_line_error(codesift("bench", "humaneval", "--grade", str(tmp_path / "none.jsonl")), "no such file")
