"""Test helpers: llama-cpp-python's real OpenAI-compatible server, and small HTTP servers that misbehave.

Imported by the server and Ray tests (each module starts its own server: one module kills it).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from codesift.backends.models import FAST_MODEL, resolve_model

API_KEY = "sk-codesift-test-7f3a9c"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LlamaServer:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)


def start_llama_server(
    log: Path, port: int | None = None, api_key: str | None = API_KEY, n_ctx: int = 1024
) -> LlamaServer:
    """Start the server on the 0.5B model and wait until it lists its model (or fail with its log)."""
    port = port or free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_model(FAST_MODEL)),
        "--model_alias", FAST_MODEL, "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx), "--n_threads", "2", "--verbose", "False",
    ]  # fmt: skip
    if api_key:
        command += ["--api_key", api_key]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = LlamaServer(port, process, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama server exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return server
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"llama server did not start in 120 s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def llama_server(log: Path, **kwargs: object) -> Iterator[LlamaServer]:
    server = start_llama_server(log, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.kill()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers like a misbehaving server; `server.behave(handler)` decides what each request gets."""

    server: _Server

    def do_GET(self) -> None:
        self.server.behave(self)

    def do_POST(self) -> None:
        self.server.behave(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def behave(self, handler: _Handler) -> None:
        raise NotImplementedError


class SlowServer(_Server):
    """Lists the model at once, then sits on every completion request for `delay` seconds."""

    def __init__(self, delay: float, model: str = FAST_MODEL) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay, self.model, self.requests = delay, model, 0

    def behave(self, handler: _Handler) -> None:
        if handler.path.endswith("/models"):
            _send(handler, 200, {"object": "list", "data": [{"id": self.model, "object": "model"}]})
            return
        self.requests += 1
        time.sleep(self.delay)
        _send(handler, 503, {"error": {"message": "too slow"}})


class RefusingServer(_Server):
    """Lists the model, then refuses every completion request with `status` (and `headers`), noting when."""

    def __init__(self, status: int, headers: dict[str, str] | None = None, model: str = FAST_MODEL) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status, self.headers, self.model = status, headers or {}, model
        self.times: list[float] = []

    def behave(self, handler: _Handler) -> None:
        if handler.path.endswith("/models"):
            _send(handler, 200, {"object": "list", "data": [{"id": self.model, "object": "model"}]})
            return
        self.times.append(time.monotonic())
        _send(handler, self.status, {"error": {"message": "not now"}}, self.headers)


class FlakyProxy(_Server):
    """Forwards to a real server, but answers the first `failures` completion requests with `status`."""

    def __init__(self, upstream: str, failures: int, status: int = 503) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream, self.failures, self.status = upstream.rstrip("/"), failures, status
        self.seen: list[int] = []
        self._lock = threading.Lock()

    def behave(self, handler: _Handler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if not handler.path.endswith("/models"):
            with self._lock:
                fail = len([s for s in self.seen if s != 200]) < self.failures
                self.seen.append(self.status if fail else 200)
            if fail:
                _send(handler, self.status, {"error": {"message": "overloaded, try again"}})
                return
        path = handler.path.removeprefix("/v1")
        request = urllib.request.Request(
            self.upstream + path,
            data=body or None,
            method=handler.command,
            headers={k: v for k, v in handler.headers.items() if k.lower() in ("authorization", "content-type")},
        )
        with urllib.request.urlopen(request, timeout=120) as answer:
            _send(handler, answer.status, json.loads(answer.read()))


def _send(handler: _Handler, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        handler.wfile.write(data)


@contextlib.contextmanager
def serving(server: _Server) -> Iterator[str]:
    """Run a misbehaving server in a thread; yields its /v1 base URL."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
