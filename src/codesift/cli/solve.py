"""`codesift solve`: one problem, its chosen program and the evidence for it."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from codesift.backends.models import DEFAULT_MODEL
from codesift.cli.common import (
    ADAPTIVE_HELP,
    GRAMMAR_HELP,
    JUDGE_HELP,
    SELECT_HELP,
    TEST_WRITER_HELP,
    TEST_WRITERS_HELP,
    answer_counts,
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
from codesift.records import Answer, Problem, digest

log = logging.getLogger(__name__)


def answer_json(answer: Answer, problem: Problem, isolation: str) -> dict[str, Any]:
    best = answer.submissions[0] if answer.submissions else None
    return {
        "problem": problem.id,
        "program": best.code if best else None,
        "examples_passed": best.examples_passed if best else 0,
        "examples_total": len(problem.examples),
        **answer_counts(answer),
        "executions": answer.executions,
        "seconds": round(answer.seconds, 3),
        "isolation": isolation,
        "separating_inputs": list(answer.separating_inputs),
        "timings": {stage: round(seconds, 3) for stage, seconds in answer.timings.items()},
        "submissions": [s.model_dump() for s in answer.submissions],
    }


def print_answer(console: Console, answer: Answer, problem: Problem) -> None:
    if not answer.submissions:
        console.print(
            f"[bold red]No program passed any of the {len(problem.examples)} visible example(s)[/bold red] "
            f"out of {answer.samples} samples ({answer.distinct} distinct). Try more --samples, "
            "--repair-tokens, or the default (larger) model."
        )
        return
    best = answer.submissions[0]
    console.print(Panel(Syntax(best.code, "python"), title=f"{problem.id}: chosen program", expand=False))
    if best.examples_passed < best.examples_total:
        console.print(
            f"[bold yellow]No program passed every visible example; this one passes {best.examples_passed} of "
            f"{best.examples_total}.[/bold yellow] Check the examples (a wrong one rejects every right program), or "
            "try more --samples, --repair-tokens, or the default (larger) model."
        )
    table = Table(title="evidence", show_header=False)
    table.add_row("visible examples passed", f"{best.examples_passed}/{best.examples_total}")
    table.add_row("samples / distinct / passing", f"{answer.samples} / {answer.distinct} / {answer.passing}")
    table.add_row("behaviour clusters", str(answer.clusters))
    table.add_row("chosen cluster", f"{best.cluster_size} samples, this program {best.samples}")
    scores = best.scores.model_dump(exclude_none=True)
    table.add_row("scores", ", ".join(f"{k}={v:.3g}" for k, v in scores.items()))
    table.add_row("tokens (prompt + completion)", f"{answer.prompt_tokens} + {answer.completion_tokens}")
    table.add_row("executions / seconds", f"{answer.executions} / {answer.seconds:.1f}")
    console.print(table)


def say_examples(problem: Problem, path: Path, quiet: bool) -> None:
    """How many visible examples were read (a statement parsed wrongly shows here first); none is a warning."""
    if not problem.examples:
        log.warning(
            "%s: no visible examples found; nothing filters the samples, so the answer is the most common program "
            "unchecked. Add doctest examples (>>> f(x) / result) or Input/Output blocks.",
            path,
        )
    elif not quiet:
        err.print(f"{path}: {len(problem.examples)} visible example(s)", highlight=False)


def solve(
    path: Annotated[
        Path | None, typer.Argument(help="Problem: .py stub with doctests, .md/.txt statement, .json task, or .jsonl")
    ] = None,
    task: Annotated[str | None, typer.Option(help="Record of a .jsonl file (task_id or id)")] = None,
    model: Annotated[
        str, typer.Option(help="qwen2.5-coder-1.5b, qwen2.5-coder-0.5b, a .gguf path, or a server's model")
    ] = DEFAULT_MODEL,
    samples: Annotated[int, typer.Option(min=1, help="Samples to draw")] = 16,
    seed: Annotated[int, typer.Option(help="First sampling seed")] = 0,
    temperature: Annotated[float, typer.Option(min=0.0)] = 0.8,
    max_tokens: Annotated[int, typer.Option(min=16)] = 768,
    prompt: Annotated[str, typer.Option(help="Prompt variant: plain or examples-first")] = "plain",
    submissions: Annotated[int, typer.Option(min=1, help="Programs to return, one per cluster")] = 3,
    policies: Annotated[Path | None, typer.Option(help="TOML file with a family of policies")] = None,
    backend: Annotated[str, typer.Option(help="embedded or openai")] = "embedded",
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL (backend openai)")] = None,
    api: Annotated[str, typer.Option(help="Server endpoint: completion (pre-filled) or chat")] = "completion",
    lora: Annotated[Path | None, typer.Option(help="LoRA adapter (GGUF) for the embedded model")] = None,
    grammar: Annotated[str, typer.Option(help=GRAMMAR_HELP)] = "structured",
    repair_tokens: Annotated[int, typer.Option(min=0, help="Token budget for repairing failing samples")] = 0,
    sandbox: Annotated[str, typer.Option(help="auto, strict (refuse below full isolation) or limits")] = "auto",
    executor: Annotated[str, typer.Option(help="local or ray")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (executor ray)")] = None,
    store: Annotated[
        Path | None, typer.Option(help="SQLite run store (default: .codesift/<problem id>-<digest>.sqlite)")
    ] = None,
    interactive: Annotated[bool, typer.Option(help="Show disagreeing clusters and let you pick")] = False,
    knobs: Annotated[list[str] | None, typer.Option("--select", help=SELECT_HELP)] = None,
    test_writer: Annotated[str | None, typer.Option(help=TEST_WRITER_HELP)] = None,
    test_writers: Annotated[int, typer.Option(min=0, help=TEST_WRITERS_HELP)] = 1,
    judge: Annotated[str | None, typer.Option(help=JUDGE_HELP)] = None,
    adaptive: Annotated[bool, typer.Option(help=ADAPTIVE_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object, nothing else on stdout")] = False,
    repo: Annotated[Path | None, typer.Option(help="Repository mode: the repository root (with --target)")] = None,
    target: Annotated[
        str | None, typer.Option(help="Repository mode: pkg/module.py::function or ::Class.method")
    ] = None,
    apply: Annotated[bool, typer.Option(help="Repository mode: write the chosen body into the file")] = False,
) -> None:
    """Solve one problem and print the chosen program with its evidence."""
    from codesift.pipeline import solve as run_solve
    from codesift.problems import load_problem
    from codesift.store import Store

    with user_errors():
        check_backend(backend)
        if (repo is None) != (target is None) or (repo is None) == (path is None):
            raise UsageError("pass a problem file, or --repo DIR with --target FILE::NAME (repository mode)")
        config = solve_config(
            "solve", policies, model, temperature, prompt, backend, base_url, max_tokens, api, lora, grammar,
            samples, seed, submissions, repair_tokens, knobs, test_writer, judge, test_writers, adaptive,
        )  # fmt: skip
        if repo is not None and target is not None:
            from codesift.cli.repo_map import solve_in_repo_command

            return solve_in_repo_command(
                repo, target, config=config, store=store, sandbox=sandbox, apply=apply, as_json=as_json
            )
        assert path is not None
        problem = load_problem(path, task)
        check_models(config.policies)
        slug = f"{problem.id.replace('/', '_')}-{digest(problem.model_dump_json())[:8]}"
        store_path = store or Path(".codesift") / f"{slug}.sqlite"
        with (
            Store(store_path) as run_store,
            open_executor(executor, sandbox, ray_address) as ex,
            open_backends(executor, ray_address) as pool,
        ):
            say_examples(problem, path, as_json)
            changed = run_store.check_settings("solve", config.model_dump(mode="json"), keep=False)
            if changed:
                log.warning("settings changed since the last solve with %s (%s): the stages that depend on them "
                            "run again, the rest is reused", store_path, "; ".join(changed))  # fmt: skip
            with progress_events(not as_json and sys.stderr.isatty()) as events:
                answer, selection = run_solve(
                    problem, config, executor=ex, store=run_store, backend_for=pool, events=events
                )
            if interactive:
                answer = interact(problem, config, selection, ex, run_store, pool)
            isolation = ex.isolation
    if as_json:
        print(json.dumps(answer_json(answer, problem, isolation)))
    else:
        print_answer(Console(), answer, problem)
    if not answer.submissions:
        raise typer.Exit(1)


def interact(problem, config, selection, ex, store, pool):  # type: ignore[no-untyped-def]
    """Let the user settle disagreements between the top clusters, then answer with their choice."""
    from codesift.interactive import Session, run_interactive
    from codesift.pipeline import solve as run_solve
    from codesift.pipeline import written_tests

    groups = [g for c in selection.clusters for g in c.groups]
    written = written_tests(problem, config, store, pool) if config.test_writers else None
    session = Session(
        problem, groups, executor=ex, config=config.select, submissions=config.submissions,
        model_tests=written.tests if written else (),
    )  # fmt: skip

    def resample(hinted: Problem):  # type: ignore[no-untyped-def]
        _, again = run_solve(hinted, config.model_copy(update={"seed": config.seed + 10_000}),
                             executor=ex, store=store, backend_for=pool)  # fmt: skip
        return [g for c in again.clusters for g in c.groups]

    chosen = run_interactive(session, resample=resample)
    answer = store.answer(problem.id)
    return answer.model_copy(update={"submissions": chosen.submissions, "clusters": len(chosen.clusters)})
