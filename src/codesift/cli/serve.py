"""`codesift serve`: the HTTP API, the web page and the OpenAI-compatible endpoint on one port."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from codesift.backends.models import DEFAULT_MODEL
from codesift.cli.common import check_backend, err, settings, user_errors
from codesift.errors import UsageError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_exposure(host: str, token: str | None) -> None:
    """The service runs untrusted code: off loopback it needs a token, and an empty one is no token."""
    if token is not None and not token.strip():
        raise UsageError("--token is empty; pass a long random string (e.g. `openssl rand -hex 24`)")
    if token is None and not is_loopback(host):
        raise UsageError(
            f"refusing to serve on {host} without a token: the service runs generated code; "
            "pass --token or set CODESIFT_TOKEN (or bind to 127.0.0.1)"
        )


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; off loopback a token is required")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8000,
    token: Annotated[
        str | None, typer.Option(envvar="CODESIFT_TOKEN", help="Bearer token required on every endpoint but /health")
    ] = None,
    store: Annotated[Path, typer.Option(help="SQLite store of jobs, candidates and executions")] = Path(
        ".codesift/serve.sqlite"
    ),
    model: Annotated[str, typer.Option(help="Default model (requests may name another offered one)")] = DEFAULT_MODEL,
    backend: Annotated[str, typer.Option(help="embedded or openai")] = "embedded",
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL (backend openai)")] = None,
    api: Annotated[str, typer.Option(help="Server endpoint: completion (pre-filled) or chat")] = "completion",
    workers: Annotated[int, typer.Option(min=1, help="Jobs run at once (each model samples one job at a time)")] = 2,
    queue: Annotated[int, typer.Option(min=0, help="Jobs that may wait; more get HTTP 429")] = 16,
    max_samples: Annotated[int, typer.Option(min=1, help="Largest samples a request may ask for")] = 64,
    test_writers: Annotated[int, typer.Option(min=0, help="Model-written tests when a request does not say")] = 1,
    max_request_bytes: Annotated[int, typer.Option(min=1024, help="Largest request body")] = 1_000_000,
    sandbox: Annotated[str, typer.Option(help="auto, strict (refuse below full isolation) or limits")] = "auto",
    runs: Annotated[Path | None, typer.Option(help="Folder of `codesift bench` run dirs to show at /runs/NAME")] = None,
) -> None:
    """Serve the HTTP API, the web page at / and an OpenAI-compatible /v1/chat/completions."""
    import uvicorn

    from codesift.serve.app import create_app, guarded
    from codesift.serve.service import ServeConfig, Service

    with user_errors():
        check_backend(backend)
        check_exposure(host, token)
        config = settings(
            ServeConfig, "serve", store=store, model=model, backend=backend, base_url=base_url, api=api,
            workers=workers, queue=queue, max_samples=max_samples, test_writers=test_writers, sandbox=sandbox,
            runs=runs,
        )  # fmt: skip
        service = Service(config)
    try:
        resumed = service.queued()
        err.print(
            f"codesift serve on http://{host}:{port} (sandbox: {escape(service.isolation)}; store {store}; "
            f"{resumed} unfinished job(s) resumed){'; token required' if token else ''}",
            highlight=False,
        )
        app = guarded(create_app(service, token=token), token, max_request_bytes, host)
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        service.close()
