"""`codesift repo-map`: what the model would see of a repository; and `codesift solve --repo --target`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from codesift.cli.common import answer_counts, err, progress_events, user_errors
from codesift.errors import UsageError

DEFAULT_INDEX = Path(".codesift") / "repo-index.sqlite"


def repo_map(
    repo: Annotated[Path, typer.Argument(help="Repository root")],
    focus: Annotated[
        str | None, typer.Option(help="A file (pkg/mod.py) or a target (pkg/mod.py::Class.method) to rank for")
    ] = None,
    tokens: Annotated[int, typer.Option(min=50, help="Token budget of the map")] = 2000,
    mode: Annotated[str, typer.Option(help="repo-map or in-file (with a target)")] = "repo-map",
    store: Annotated[Path, typer.Option(help="SQLite store caching the index by file hash")] = DEFAULT_INDEX,
) -> None:
    """Print the repository map: with a target, exactly the context its prompt gets."""
    from codesift.repo.context import MODES, map_blocks, nested, pack
    from codesift.repo.index import RepoError, index_repo
    from codesift.repo.rank import Focus, ranked
    from codesift.repo.target import locate, parse_spec
    from codesift.store import Store

    with user_errors(), Store(store) as index_store:
        if mode not in MODES:
            raise UsageError(f"--mode {mode!r}: use one of {', '.join(MODES)}")
        files = index_repo(repo, index_store)
        if focus and "::" in focus:
            path, qualname = parse_spec(focus)
            if not (repo / path).is_file():
                raise RepoError(f"{path}: no such file in {repo}")
            target = locate((repo / path).read_text(encoding="utf-8"), path, qualname)
            sources = {f.path: (repo / f.path).read_text(encoding="utf-8", errors="replace") for f in files}
            context = pack(files, target, sources, tokens, mode)  # type: ignore[arg-type]
            print(f"{context.text}\n# the function to write ({context.tokens} context tokens):\n{target.stub}", end="")
            return
        if focus and not any(f.path == Path(focus).as_posix() for f in files):
            raise RepoError(f"--focus {focus}: not an indexed Python file of {repo} (tests are not indexed)")
        best = ranked(files, Focus(path=Path(focus).as_posix() if focus else None))
        blocks, _ = map_blocks([d for d, _ in best if not nested(d)], tokens)
        print("\n".join(blocks), end="")


def solve_in_repo_command(
    repo: Path, target_spec: str, *, config: Any, store: Path | None, sandbox: str, apply: bool, as_json: bool
) -> None:
    """`codesift solve --repo DIR --target FILE::NAME`: prints the chosen body as a unified diff."""
    from codesift.cli.common import check_models, open_backends
    from codesift.records import digest
    from codesift.repo.sandbox import open_repo_executor
    from codesift.repo.solve import apply as write_back
    from codesift.repo.solve import solve_in_repo, with_regression
    from codesift.repo.target import find_target
    from codesift.repo.task import build_task
    from codesift.store import Store

    with user_errors():
        target = find_target(repo, target_spec)
        check_models(config.policies)
        with Store(store or DEFAULT_INDEX) as index_store:
            task = build_task(repo, target, cache=index_store)
        slug = f"repo-{digest(task.problem.model_dump_json())[:12]}"
        with (
            Store(store or Path(".codesift") / f"{slug}.sqlite") as run_store,
            open_repo_executor(repo, sandbox) as ex,
            open_backends("local", None) as pool,
        ):
            task, broken = with_regression(task, ex)
            if broken:
                unused = " ".join(broken)
                message = f"{len(broken)} test(s) fail before any change, not used: {unused}"
                err.print(f"[yellow]warning:[/yellow] {message}", highlight=False, soft_wrap=True)
            with progress_events(not as_json and sys.stderr.isatty()) as events:
                result = solve_in_repo(task, config, executor=ex, store=run_store, backend_for=pool, events=events)
            isolation = getattr(ex, "isolation", "")
        if apply and result.module is not None:
            write_back(repo, result, target)
    if as_json:
        print(json.dumps(answer_json(result, isolation, applied=apply)))
    else:
        show(result, applied=apply)
    if not result.diff:
        raise typer.Exit(1)


def answer_json(result: Any, isolation: str, applied: bool) -> dict[str, Any]:
    answer = result.answer
    return {
        "target": result.target,
        "diff": result.diff,
        "applied": applied and bool(result.diff),
        "checks": [{"check": name, "passed": ok} for name, ok in result.checks],
        "context_tokens": result.context_tokens,
        **answer_counts(answer),
        "seconds": round(answer.seconds, 3),
        "isolation": isolation,
        "submissions": [s.model_dump() for s in answer.submissions],
    }


def show(result: Any, applied: bool) -> None:
    answer = result.answer
    if not result.diff:
        err.print(f"[bold red]No usable program for {result.target}[/bold red] out of {answer.samples} samples.")
        return
    print(result.diff, end="")
    table = Table(title="evidence", show_header=False)
    for name, ok in result.checks:
        table.add_row(name, "[green]passed[/green]" if ok else "[red]failed[/red]")
    best = answer.submissions[0]
    table.add_row("samples / distinct / passing", f"{answer.samples} / {answer.distinct} / {answer.passing}")
    table.add_row("chosen cluster", f"{best.cluster_size} samples")
    table.add_row(
        "tokens (context, prompt + completion)",
        f"{result.context_tokens}, {answer.prompt_tokens} + {answer.completion_tokens}",
    )
    table.add_row("seconds", f"{answer.seconds:.1f}")
    table.add_row("written", "yes (--apply)" if applied else "no (pass --apply to write it)")
    Console(stderr=True).print(table)
