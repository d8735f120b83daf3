"""`codesift export`: bench run stores → SFT / DPO / reward JSON Lines for TRL and `datasets`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from codesift.cli.common import user_errors
from codesift.errors import UsageError


def export(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run dirs written by `codesift bench --run-dir`")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for <format>.jsonl and manifest.json")],
    formats: Annotated[
        list[str] | None, typer.Option("--format", help="sft, dpo or rewards; repeatable (default: all three)")
    ] = None,
    per_task: Annotated[int, typer.Option(min=1, help="At most this many distinct programs (pairs) per task")] = 4,
    allow_eval_tasks: Annotated[
        bool, typer.Option(help="Also export tasks outside MBPP's training split (ids 601-974)")
    ] = False,
    data: Annotated[Path | None, typer.Option(help="Benchmark data folder (as for `codesift bench`)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON")] = False,
) -> None:
    """Turn verified runs into training data: programs that passed every hidden test of a training task."""
    from codesift.learn.export import FORMATS, export

    with user_errors():
        chosen = formats or list(FORMATS)
        unknown = [f for f in chosen if f not in FORMATS]
        if unknown:
            raise UsageError(f"--format {unknown[0]!r}: use one of {', '.join(FORMATS)}")
        summary = export(
            run_dirs, output, chosen,  # type: ignore[arg-type]
            per_task=per_task, allow_eval=allow_eval_tasks, data=data,
        )  # fmt: skip
    if as_json:
        print(json.dumps(summary.model_dump(mode="json")))
        return
    counts = ", ".join(f"{n} {f}" for f, n in summary.written.items())
    Console().print(
        f"{summary.samples} graded samples of {summary.tasks} tasks ({summary.tasks_solved} solved, "
        f"{summary.ungraded} ungraded skipped) → {counts} records in {output}"
    )
