"""`codesift bench` and `codesift report`: whole benchmarks, resumable, graded on hidden tests only."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from codesift.backends.models import DEFAULT_MODEL
from codesift.cli.common import (
    ADAPTIVE_HELP,
    GRAMMAR_HELP,
    JUDGE_HELP,
    SELECT_HELP,
    TEST_WRITER_HELP,
    TEST_WRITERS_HELP,
    check_backend,
    check_models,
    err,
    open_backends,
    open_executor,
    progress_events,
    solve_config,
    user_errors,
)
from codesift.errors import UsageError

if TYPE_CHECKING:
    from codesift.bench.run import ReferenceResult
    from codesift.records import Problem

MANIFEST = Path("bench") / "repo_manifest.toml"
TASKS = Path("bench") / "data" / "repo_tasks.jsonl"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _print_summary(results: Any, run_dir: Path) -> None:
    s = results.summary
    table = Table(title=f"{results.benchmark}: {s.problems} problems, {s.samples} samples", show_header=False)
    table.add_row("raw pass@1 (a random sample)", _pct(s.raw_pass_at_1))
    table.add_row("selected pass@1 (first submission)", _pct(s.selected_pass_at_1))
    table.add_row("oracle (some sample correct)", _pct(s.oracle))
    table.add_row("selection efficiency", _pct(s.selection_efficiency))
    for k, v in s.pass_at_k.items():
        table.add_row(f"pass@{k}", _pct(v))
    for n, v in s.n_at_k.items():
        table.add_row(f"{n}@{s.samples // max(s.problems, 1)}", _pct(v))
    cost = s.cost
    per = cost.per_solved("completion_tokens")
    table.add_row("completion tokens per solved", "-" if per is None else f"{per:.0f}")
    secs = cost.per_solved("seconds")
    table.add_row("seconds per solved", "-" if secs is None else f"{secs:.1f}")
    Console().print(table)
    Console().print(f"run dir: {run_dir} (codesift report {run_dir} -o report.html)")


def default_run_dir(name: str, model: str, samples: int, temperature: float, mode: str) -> Path:
    return Path("runs") / f"{_label(name)}-{mode}-{_label(model)}-n{samples}-t{temperature:g}"


def _label(name: str) -> str:
    """A file's stem, or a name whole: the ".5b" of qwen2.5-coder-1.5b is no file suffix."""
    path = Path(name)
    return path.stem if path.suffix in (".gguf", ".json", ".jsonl") else path.name


def _refuse(given: dict[str, bool], why: str) -> None:
    """Flags this kind of run would ignore are a mistake to say, not to swallow."""
    if any(given.values()):
        with user_errors():
            raise UsageError(f"{', '.join(f for f, on in given.items() if on)}: {why}")


def bench(
    name: Annotated[
        str, typer.Argument(help="humaneval, mbpp(-sanitized), apps, fresh, dabench, repo, or a .jsonl file")
    ],
    model: Annotated[str, typer.Option(help="qwen2.5-coder-1.5b, qwen2.5-coder-0.5b, a .gguf path, ...")] = (
        DEFAULT_MODEL
    ),
    samples: Annotated[int, typer.Option(min=1, help="Samples per problem (1 + --temperature 0: greedy)")] = 10,
    temperature: Annotated[float, typer.Option(min=0.0)] = 0.8,
    seed: Annotated[int, typer.Option(help="First sampling seed")] = 0,
    max_tokens: Annotated[int, typer.Option(min=16)] = 768,
    prompt: Annotated[str, typer.Option(help="Prompt variant: plain or examples-first")] = "plain",
    policies: Annotated[Path | None, typer.Option(help="TOML file with a family of policies")] = None,
    backend: Annotated[str, typer.Option(help="embedded or openai")] = "embedded",
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL")] = None,
    api: Annotated[str, typer.Option(help="Server endpoint: completion (pre-filled) or chat")] = "completion",
    lora: Annotated[Path | None, typer.Option(help="LoRA adapter (GGUF) for the embedded model")] = None,
    grammar: Annotated[str, typer.Option(help=GRAMMAR_HELP)] = "structured",
    repair_tokens: Annotated[int, typer.Option(min=0, help="Token budget per problem for repairing samples")] = 0,
    knobs: Annotated[list[str] | None, typer.Option("--select", help=SELECT_HELP)] = None,
    test_writer: Annotated[str | None, typer.Option(help=TEST_WRITER_HELP)] = None,
    test_writers: Annotated[int, typer.Option(min=0, help=TEST_WRITERS_HELP)] = 1,
    judge: Annotated[str | None, typer.Option(help=JUDGE_HELP)] = None,
    adaptive: Annotated[bool, typer.Option(help=ADAPTIVE_HELP)] = False,
    submissions: Annotated[int, typer.Option(min=1, help="Submissions per problem (n of n@k)")] = 10,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first K problems")] = None,
    problems: Annotated[str | None, typer.Option(help="Only these ids (HumanEval/0 or 0), comma-separated")] = None,
    run_dir: Annotated[Path | None, typer.Option(help="Run store and results (resumable)")] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Data folder (default $CODESIFT_DATA or ../shared/benchmarks)"),
    ] = None,
    reference: Annotated[bool, typer.Option(help="Grade the dataset's own reference solutions")] = False,
    grade: Annotated[
        Path | None, typer.Option(help="Grade a human-eval/EvalPlus samples JSONL made by another tool")
    ] = None,
    sandbox: Annotated[str, typer.Option(help="auto, strict or limits")] = "auto",
    executor: Annotated[str, typer.Option(help="local or ray (sampling and execution on Ray actors)")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (executor ray)")] = None,
    export_bank: Annotated[
        Path | None,
        typer.Option(
            help="Sample-bank folder (bank/): the run resumes from its bank file and rewrites it after each problem"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object, nothing else on stdout")] = False,
    retries: Annotated[int, typer.Option(min=0, help="dabench: rounds of feeding a failing program's error back")] = 1,
    retry_when: Annotated[str, typer.Option(help="dabench: retry only on no-answer (default) or on failures")] = (
        "no-answer"
    ),
    every: Annotated[int, typer.Option(min=1, help="dabench: every K-th question (a fixed subset)")] = 1,
    timeout: Annotated[float, typer.Option(min=1.0, help="dabench: seconds per program run")] = 20.0,
    context: Annotated[str, typer.Option(help="repo: the context packing, in-file or repo-map")] = "repo-map",
    tokens: Annotated[int, typer.Option(min=50, help="repo: context budget (tokens)")] = 1500,
    stage: Annotated[str, typer.Option(help="repo: all, prepare (contexts), sample (model only) or grade")] = "all",
    manifest: Annotated[Path, typer.Option(help="repo: the manifest of pinned sdists")] = MANIFEST,
    tasks_file: Annotated[Path, typer.Option("--tasks", help="repo: the task list built from the manifest")] = TASKS,
    build: Annotated[bool, typer.Option(help="repo: build the task list from the manifest (pip downloads)")] = False,
    per_package: Annotated[int, typer.Option(min=1, help="repo --build: targets per package at most")] = 40,
    package: Annotated[str | None, typer.Option(help="repo --build: rebuild one package's tasks only")] = None,
    recall: Annotated[bool, typer.Option(help="repo: retrieval recall of both packings (no model)")] = False,
    table: Annotated[
        list[Path] | None, typer.Option(help="repo: the table of graded runs (run dirs or their folder; repeatable)")
    ] = None,
) -> None:
    """Run a benchmark (resumable): solve every problem, grade on hidden tests, print pass@k and friends."""
    from codesift.bench.tasks import load_tasks, select

    repo_only = {
        "--context": context != "repo-map", "--tokens": tokens != 1500, "--stage": stage != "all",
        "--manifest": manifest != MANIFEST, "--tasks": tasks_file != TASKS, "--build": build,
        "--per-package": per_package != 40, "--package": package is not None, "--recall": recall,
        "--table": bool(table),
    }  # fmt: skip
    dabench_only = {
        "--retries": retries != 1, "--retry-when": retry_when != "no-answer", "--every": every != 1,
        "--timeout": timeout != 20.0,
    }  # fmt: skip
    if name != "dabench":
        _refuse(dabench_only, "only for `codesift bench dabench`")
    if name == "repo":
        from codesift.cli.bench_repo import bench_repo

        bench_repo(
            model=model, samples=samples, temperature=temperature, seed=seed, max_tokens=max_tokens, prompt=prompt,
            policies=policies, backend=backend, base_url=base_url, api=api, lora=lora, grammar=grammar,
            repair_tokens=repair_tokens, knobs=knobs, submissions=submissions, limit=limit, problems=problems,
            run_dir=run_dir, sandbox=sandbox, as_json=as_json, reference=reference, context=context, tokens=tokens,
            stage=stage, manifest=manifest, tasks_file=tasks_file, build=build, per_package=per_package,
            package=package, recall=recall, table=table or [],
            other={"--data": data is not None, "--grade": grade is not None, "--executor": executor != "local",
                   "--export-bank": export_bank is not None, "--test-writer": test_writer is not None,
                   "--judge": judge is not None, "--test-writers": test_writers != 1, "--adaptive": adaptive},
        )  # fmt: skip
        return
    _refuse(repo_only, "only for `codesift bench repo`")

    if name == "dabench":
        from codesift.cli.ask import bench_dabench

        _refuse(
            {"--test-writer": test_writer is not None, "--judge": judge is not None,
             "--test-writers": test_writers != 1, "--select": bool(knobs), "--adaptive": adaptive},
            "dabench ranks answers by agreement, not clusters; drop them",
        )  # fmt: skip
        _refuse(
            {"--policies": policies is not None, "--backend": backend != "embedded", "--base-url": base_url is not None,
             "--api": api != "completion", "--lora": lora is not None, "--prompt": prompt != "plain",
             "--repair-tokens": repair_tokens != 0, "--submissions": submissions != 10, "--grade": grade is not None,
             "--reference": reference, "--export-bank": export_bank is not None, "--executor": executor != "local"},
            "not supported by `codesift bench dabench` (the embedded model, its own retries); drop them",
        )  # fmt: skip

        bench_dabench(data, model, samples, temperature, seed, max_tokens, retries, problems, every, limit, run_dir,
                      sandbox, timeout, as_json, grammar, retry_when)  # fmt: skip
        return

    with user_errors():
        tasks = select(load_tasks(name, data), problems, limit)
        show = not as_json and sys.stderr.isatty()
        if reference:
            _reference(tasks, run_dir, sandbox, as_json, show)
            return
        check_backend(backend)
        mode = "graded" if grade else "run"
        run_dir = run_dir or default_run_dir(name, str(grade) if grade else model, samples, temperature, mode)
        with open_executor(executor, sandbox, ray_address) as ex, progress_events(show) as events:
            if grade is not None:
                from codesift.bench.run import grade_samples

                results = grade_samples(name, tasks, grade, run_dir, ex, ex.isolation, events)
            else:
                from codesift.bench.run import run_bench

                config = solve_config(
                    "bench", policies, model, temperature, prompt, backend, base_url, max_tokens, api, lora, grammar,
                    samples, seed, submissions, repair_tokens, knobs, test_writer, judge, test_writers, adaptive,
                )  # fmt: skip
                check_models(config.policies)
                with open_backends(executor, ray_address) as pool:
                    results = run_bench(
                        name, tasks, run_dir, config, executor=ex, backend_for=pool, isolation=ex.isolation,
                        events=events, bank=export_bank,
                    )  # fmt: skip
                if export_bank is not None:
                    from codesift.bench.bank import bank_path

                    err.print(f"sample bank: {bank_path(export_bank, name, results.config)}")
    if as_json:
        print(json.dumps({"run_dir": str(run_dir), **results.model_dump(mode="json", exclude={"problems"})}))
    else:
        _print_summary(results, run_dir)


def _reference(tasks: list[Any], run_dir: Path | None, sandbox: str, as_json: bool, show: bool) -> None:
    from codesift.bench.run import grade_references
    from codesift.store import Store

    path = run_dir / "reference.sqlite" if run_dir else ":memory:"
    with (
        Store(path) as store,
        open_executor("local", sandbox, None) as ex,
        progress_events(show) as events,
    ):
        results = grade_references(tasks, ex, store, events)
    print_references(results, [t.problem for t in tasks], as_json)


def print_references(results: Sequence[ReferenceResult], problems: Sequence[Problem], as_json: bool) -> None:
    """What `--reference` prints (any benchmark): how many references pass, which fail and why, and the
    visible examples a reference fails (examples inconsistent with the grader)."""
    passed = sum(r.passed for r in results)
    failures = [r for r in results if not r.passed]
    inconsistent = [r for r in results if r.bad_examples]
    examples = sum(len(p.examples) for p in problems)
    without = sum(not p.examples for p in problems)
    bad = sum(len(r.bad_examples) for r in results)
    if as_json:
        print(json.dumps({
            "passed": passed, "total": len(results), "examples": examples, "without_examples": without,
            "failures": [r.model_dump() for r in failures],
            "inconsistent_examples": [r.model_dump() for r in inconsistent],
        }))  # fmt: skip
        return
    out = Console()
    out.print(f"reference solutions passing the hidden tests: [bold]{passed}/{len(results)}[/bold]")
    out.print(f"visible examples: {examples} ({without} problems have none); the references fail {bad} of them")
    if failures:
        table = Table("problem", "why the reference fails", title="failing references")
        for r in failures:
            table.add_row(r.id, r.why or "")
        out.print(table)
    if inconsistent:
        table = Table("problem", "visible example the reference fails", title="inconsistent visible examples")
        for r in inconsistent:
            table.add_row(r.id, "\n".join(r.bad_examples)[:500])
        out.print(table)


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run dir written by `codesift bench`")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write")] = Path("report.html"),
) -> None:
    """Write one self-contained HTML report (plots inline) for a benchmark run."""
    from codesift.bench.report import write_report
    from codesift.bench.run import read_results

    with user_errors():
        results = read_results(run_dir)
        write_report(results, output)
    Console().print(f"wrote {output}")
