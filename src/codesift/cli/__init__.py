"""The `codesift` command: one module per command, mounted on one typer app."""

from __future__ import annotations

import sys

import typer

from codesift.cli import ask, bench, doctor, export, repo_map, serve, solve, train
from codesift.cli.common import err, select_from_flags

app = typer.Typer(
    help="Sample programs from a language model, run them in a sandbox, and return the ones that work.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(solve.solve)
app.command()(doctor.doctor)
app.command()(bench.bench)
app.command()(bench.report)
app.command()(export.export)
app.command("repo-map")(repo_map.repo_map)
app.command()(serve.serve)
app.command()(ask.ask)
app.command()(train.train)

__all__ = ["app", "main", "select_from_flags"]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted: everything sampled and run so far is in the store; run the same command to resume")
        sys.exit(130)
