"""`codesift ask`: a question about a data file, answered by pandas programs that were run and cross-checked."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table as RichTable

from codesift.backends.models import DEFAULT_MODEL
from codesift.cli.common import (
    check_backend,
    check_models,
    open_backends,
    policies_from_flags,
    progress_events,
    settings,
    user_errors,
)
from codesift.errors import CodesiftError

if TYPE_CHECKING:  # the CLI imports pandas-heavy modules only when `ask` runs
    from codesift.ask import AskAnswer


RETRY_WHEN_HELP = "no-answer (retry only when no program answered; default) or failures (whenever a program failed)"
ASK_GRAMMAR_HELP = (
    "Constrained decoding: off, structured (the answer formatter writes the @name[value] lines a program that ran "
    "left out; default) or python (also the code)"
)


class NoAnswerError(CodesiftError):
    """No sample printed a well-formed answer."""


class OutputDirError(CodesiftError):
    """The figures' output folder cannot be written."""


def _no_answer(answer: AskAnswer) -> NoAnswerError:
    what = ", ".join(f"{n} {status}" for status, n in sorted(answer.failures.items(), key=lambda kv: -kv[1]))
    return NoAnswerError(
        f"none of the {answer.samples} programs printed a well-formed answer ({what}); rephrase the question "
        "(say what to compute and how to round), or try more --samples or the default (larger) model"
    )


def write_figures(answer: AskAnswer, out: Path) -> list[str]:
    """Write the chosen program's figures into `out` (created); each file is written whole, then renamed."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputDirError(f"-o {out}: cannot create the folder ({e.strerror}); pick a writable folder") from None
    paths = []
    for i, figure in enumerate(answer.figures):
        suffix = Path(figure.name).suffix or ".png"
        target = out / (f"figure{suffix}" if i == 0 else f"figure-{i + 1}{suffix}")
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            tmp.write_bytes(figure.content())
            os.replace(tmp, target)
        except OSError as e:
            raise OutputDirError(f"-o {out}: cannot write {target.name} ({e.strerror})") from None
        paths.append(str(target))
    return paths


def answer_json(answer: AskAnswer, figures: list[str], isolation: str) -> dict[str, Any]:
    return {
        "answer": answer.answer,
        "response": answer.response,
        "program": answer.program,
        "agreement": answer.agreement,
        "answered": answer.answered,
        "low_confidence": answer.low_confidence,
        "alternatives": [a.model_dump() for a in answer.alternatives],
        "samples": answer.samples,
        "errors_fed_back": answer.errors_fed_back,
        "failures": answer.failures,
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "seconds": round(answer.seconds, 3),
        "timings": {k: round(v, 3) for k, v in answer.timings.items()},
        "figures": figures,
        "isolation": isolation,
        "formatted": answer.formatted,
        "formatted_names": list(answer.formatted_names),
    }


def print_answer(console: Console, answer: AskAnswer, figures: list[str]) -> None:
    console.print(Panel(answer.response, title="answer", expand=False))
    if answer.formatted_names:
        console.print(
            f"The answer line{'s' if len(answer.formatted_names) > 1 else ''} for {', '.join(answer.formatted_names)} "
            "was written by the formatter from the program's output (the program printed the value, not the line).",
            highlight=False,
        )
    if answer.program:
        console.print(Panel(Syntax(answer.program, "python"), title="program", expand=False))
    table = RichTable(title="evidence", show_header=False)
    table.add_row("agreement", f"{answer.agreement} of {answer.samples} programs ({answer.answered} answered)")
    for alt in answer.alternatives[:5]:
        table.add_row("  runner-up", f"{alt.count}× " + "; ".join(f"{k}={v}" for k, v in alt.answer.items()))
    if answer.failures:
        table.add_row("failed programs", ", ".join(f"{n} {s}" for s, n in answer.failures.items()))
    table.add_row("errors fed back", str(answer.errors_fed_back))
    if answer.formatted:
        table.add_row("answers formatted", f"{answer.formatted} (answer lines written from a program's output)")
    table.add_row("tokens (prompt + completion)", f"{answer.prompt_tokens} + {answer.completion_tokens}")
    table.add_row("seconds", f"{answer.seconds:.1f}")
    for path in figures:
        table.add_row("figure", path)
    console.print(table)
    if answer.low_confidence:
        console.print("[bold yellow]Low confidence: only one program gave this answer.[/bold yellow]")


def ask(
    data: Annotated[Path, typer.Argument(help="Data file: .csv, .tsv, .parquet, .xlsx, .json or .jsonl")],
    question: Annotated[str, typer.Argument(help="The question, in plain words")],
    model: Annotated[str, typer.Option(help="qwen2.5-coder-1.5b, qwen2.5-coder-0.5b, a .gguf path, ...")] = (
        DEFAULT_MODEL
    ),
    samples: Annotated[int, typer.Option(min=1, help="Programs to sample")] = 8,
    seed: Annotated[int, typer.Option(help="First sampling seed")] = 0,
    temperature: Annotated[float, typer.Option(min=0.0)] = 0.8,
    max_tokens: Annotated[int, typer.Option(min=16)] = 512,
    retries: Annotated[int, typer.Option(min=0, help="Rounds of feeding a failing program's error back")] = 1,
    retry_when: Annotated[str, typer.Option(help=RETRY_WHEN_HELP)] = "no-answer",
    answer_format: Annotated[
        str | None, typer.Option("--format", help="Answer format, e.g. '@mean_fare\\[value] rounded to 2 decimals'")
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Folder for the figures")] = None,
    backend: Annotated[str, typer.Option(help="embedded or openai")] = "embedded",
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL (backend openai)")] = None,
    api: Annotated[str, typer.Option(help="Server endpoint: completion (pre-filled) or chat")] = "completion",
    sandbox: Annotated[str, typer.Option(help="auto, strict (refuse below full isolation) or limits")] = "auto",
    timeout: Annotated[float, typer.Option(min=1.0, help="Seconds per program run")] = 20.0,
    grammar: Annotated[str, typer.Option(help=ASK_GRAMMAR_HELP)] = "structured",
    store: Annotated[Path | None, typer.Option(help="SQLite run store (default: .codesift/ask-<hash>.sqlite)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object, nothing else on stdout")] = False,
) -> None:
    """Answer a question about a data file with pandas programs that were run and agree."""
    from codesift.ask import AskConfig, load_table, make_question
    from codesift.ask import ask as run_ask
    from codesift.ask.program import tool_executor
    from codesift.store import Store

    with user_errors():
        check_backend(backend)
        table = load_table(data)
        q = make_question(question, format=answer_format)
        config = settings(
            AskConfig,
            "ask",
            policies=policies_from_flags(None, model, temperature, "plain", backend, base_url, max_tokens, api),
            samples=samples, seed=seed, retries=retries, timeout=timeout, grammar=grammar,
            retry_when=retry_when,
        )  # fmt: skip
        if output is not None and output.exists() and not output.is_dir():
            raise OutputDirError(f"-o {output}: exists and is not a folder; give a folder for the figures")
        check_models(config.policies)
        store_path = store or Path(".codesift") / f"{q.id}-{table.sha256[:8]}.sqlite"
        with (
            Store(store_path) as run_store,
            tool_executor([table.path], sandbox, timeout) as ex,
            open_backends("local", None) as pool,
        ):
            with progress_events(not as_json and sys.stderr.isatty()) as events:
                answer, _ = run_ask(table, q, config, executor=ex, store=run_store, backend_for=pool, events=events)
            isolation = ex.isolation
        if answer.answer is None:
            raise _no_answer(answer)
        figures = write_figures(answer, output) if output is not None else []
    if as_json:
        print(json.dumps(answer_json(answer, figures, isolation)))
    else:
        print_answer(Console(), answer, figures)


def print_dabench(run: Any, run_dir: Path) -> None:
    names = {"majority": "answer-majority", "filter_random": "filter + random", "oracle": "oracle@n"}
    problems = run.problems
    samples = sum(p.samples for p in problems) / max(len(problems), 1)
    table = RichTable(title=f"DABench: {len(problems)} questions, {samples:.1f} programs per question")
    for column in ("method", "ABQ [95% CI]", "PSAQ", "UASQ", "easy", "medium", "hard"):
        table.add_column(column)
    for row in run.rows:
        levels = [f"{100 * row.by_level[lv]:.1f}" if lv in row.by_level else "-" for lv in ("easy", "medium", "hard")]
        table.add_row(names[row.method], str(row.abq), f"{100 * row.psaq:.1f}", f"{100 * row.uasq:.1f}", *levels)
    console = Console()
    console.print(table)
    n = max(len(problems), 1)
    tokens = sum(p.prompt_tokens + p.completion_tokens for p in problems) / n
    console.print(
        f"per question: {tokens:.0f} tokens, {sum(p.model_seconds for p in problems) / n:.1f} s sampling, "
        f"{sum(p.seconds for p in problems) / n:.1f} s wall; {sum(p.formatted for p in problems)} answers written by "
        f"the formatter; run dir: {run_dir}"
    )


def bench_dabench(
    data: Path | None, model: str, samples: int, temperature: float, seed: int, max_tokens: int, retries: int,
    problems: str | None, every: int, limit: int | None, run_dir: Path | None, sandbox: str, timeout: float,
    as_json: bool, grammar: str = "structured", retry_when: str = "no-answer",
) -> None:  # fmt: skip
    """`codesift bench dabench`: the DABench questions through `ask`, scored by the official rules."""
    from codesift.ask import AskConfig
    from codesift.ask.dabench import load_dabench, pick, run_dabench
    from codesift.ask.program import tool_executor

    with user_errors():
        tasks = pick(load_dabench(data), problems, every, limit)
        config = settings(
            AskConfig, "bench",
            policies=policies_from_flags(None, model, temperature, "plain", "embedded", None, max_tokens),
            samples=samples, seed=seed, retries=retries, timeout=timeout, grammar=grammar,
            retry_when=retry_when,
        )  # fmt: skip
        check_models(config.policies)
        run_dir = run_dir or Path("runs") / f"dabench-{Path(model).stem}-n{samples}-t{temperature:g}-r{retries}"
        with (
            tool_executor(sorted({t.table for t in tasks}), sandbox, timeout) as ex,
            open_backends("local", None) as pool,
            progress_events(not as_json and sys.stderr.isatty()) as events,
        ):
            run = run_dabench(tasks, run_dir, config, executor=ex, backend_for=pool, isolation=ex.isolation,
                              events=events)  # fmt: skip
    if as_json:
        print(json.dumps({"run_dir": str(run_dir), **run.model_dump(mode="json", exclude={"problems"})}))
    else:
        print_dabench(run, run_dir)
