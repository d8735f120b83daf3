"""`codesift solve` and a small bench run end to end through llama-cpp-python's real server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_server import API_KEY, LlamaServer, llama_server
from typer.testing import CliRunner

from codesift.backends import BackendPool
from codesift.backends.openai_http import HTTPSettings
from codesift.bench.run import run_bench
from codesift.bench.tasks import load_tasks, select
from codesift.cli import app
from codesift.execute import make_executor
from codesift.pipeline import SolveConfig
from codesift.policies import load_policies
from codesift.store import Store

pytestmark = [pytest.mark.server, pytest.mark.model]

FAMILY = """
[defaults]
backend = "openai"
model = "qwen2.5-coder-0.5b"
base_url = "{url}"
api = "completion"
temperature = 0.2
max_tokens = 32

[[policy]]
name = "plain"
prompt = "plain"

[[policy]]
name = "examples-first"
prompt = "examples-first"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    with llama_server(tmp_path_factory.mktemp("llama") / "server.log") as s:
        yield s


@pytest.fixture
def family(tmp_path: Path, server: LlamaServer) -> Path:
    path = tmp_path / "policies.toml"
    path.write_text(FAMILY.format(url=server.url))
    return path


def test_cli_solve_through_the_server_with_a_policy_family(
    tmp_path: Path, family: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODESIFT_API_KEY", API_KEY)
    problem = tmp_path / "add.py"
    problem.write_text('def add(a: int, b: int) -> int:\n    """Sum.\n    >>> add(2, 3)\n    5\n    """\n')
    store = tmp_path / "run.sqlite"
    args = [
        "solve",
        str(problem),
        "--policies",
        str(family),
        "--samples",
        "2",
        "--json",
        "--store",
        str(store),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["samples"] == 2 and answer["examples_passed"] == 1
    namespace: dict[str, object] = {}
    exec(answer["program"], namespace)
    assert namespace["add"](20, 22) == 42  # type: ignore[operator]
    with Store(store) as s:
        assert sorted(c.policy for c in s.candidates("add")) == ["examples-first", "plain"]
    assert API_KEY.encode() not in store.read_bytes()


def test_small_bench_through_the_server_reports_every_policy(tmp_path: Path, family: Path, server: LlamaServer) -> None:
    tasks = select(load_tasks("humaneval"), "2")
    config = SolveConfig(policies=load_policies(family), samples=2, test_writers=0, submissions=1)
    pool = BackendPool(http=HTTPSettings(base_url=server.url, api_key=API_KEY))
    with make_executor(workers=2) as executor:
        results = run_bench("humaneval", tasks, tmp_path / "run", config, executor=executor, backend_for=pool)
    assert [p.id for p in results.problems] == ["HumanEval/2"]
    assert set(results.policies) == {"plain", "examples-first"}  # per-policy solve rates and costs
    assert results.summary.problems == 1 and results.summary.samples == 2
    assert results.problems[0].policies.keys() == {"plain", "examples-first"}
    for path in (tmp_path / "run").iterdir():
        assert API_KEY.encode() not in path.read_bytes()
