"""The HTTP app: REST jobs, Server-Sent Events, the OpenAI-compatible facade and the web page.

Errors are JSON in one shape (OpenAI's ``{"error": {"message", "type"}}``) whose message is the same
one line the CLI prints. A guard in front of every route enforces the bearer token (all paths but
``/health``) and the request size limit before any handler reads a byte.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import FastAPI, File, Form, Header, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException

from codesift.errors import CodesiftError
from codesift.serve.api import ClustersView, ErrorBody, ErrorDetail, Feedback, JobList, JobView, SolveRequest
from codesift.serve.service import JobConflict, JobNotFound, QueueFull, Service

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "codesift_token"
OPEN_PATHS = ("/health",)
POLL_SECONDS = 0.05
HEARTBEAT_SECONDS = 15.0


def error_response(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(message=" ".join(message.split()), type=kind, code=str(status)))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _status(e: CodesiftError) -> tuple[int, str]:
    if isinstance(e, QueueFull):
        return 429, "queue_full"
    if isinstance(e, JobNotFound):
        return 404, "not_found"
    if isinstance(e, JobConflict):
        return 409, "conflict"
    return 400, "invalid_request_error"


def _one_line(e: RequestValidationError) -> str:
    first = e.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    shown = repr(first.get("input"))
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    got = f" (got {shown})" if "input" in first and not isinstance(first["input"], dict) else ""
    return f"{where}: {first['msg']}{got}"


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_name(scope: Scope) -> str:
    """The Host header without its port (``[::1]:8000`` → ``::1``)."""
    host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"host"), "")
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    """Bearer token on every path but /health (header, or the web page's cookie), a body size limit, and
    on loopback without a token the Host header must be a loopback name: a web page whose DNS name
    rebinds to 127.0.0.1 gets no access to a service that runs the code it submits."""

    def __init__(self, app: ASGIApp, token: str | None, max_body: int, hosts: frozenset[str] | None = None) -> None:
        self.app, self.token, self.max_body, self.hosts = app, token, max_body, hosts

    def _authorised(self, scope: Scope) -> bool:
        if self.token is None or scope["path"] in OPEN_PATHS:
            return True
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        offered = []
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            offered.append(value.strip())
        cookie = SimpleCookie(headers.get("cookie", ""))
        if COOKIE in cookie:
            offered.append(cookie[COOKIE].value)
        if scope["method"] == "GET" and not scope["path"].startswith("/v1/"):
            offered += parse_qs(scope.get("query_string", b"").decode()).get("token", [])  # the page's login link
        return any(hmac.compare_digest(o.encode(), self.token.encode()) for o in offered)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.hosts is not None and host_name(scope) not in self.hosts:
            refused = error_response(
                421, f"this service answers only to {', '.join(sorted(self.hosts))} (got Host {host_name(scope)!r}); "
                "bind another address with a token to serve other names", "misdirected_request",
            )  # fmt: skip
            await refused(scope, receive, send)
            return
        if not self._authorised(scope):
            response = error_response(
                401, "missing or wrong token: send `Authorization: Bearer <token>` with the token the service was "
                "started with (--token or CODESIFT_TOKEN)", "authentication_error", {"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
            await response(scope, receive, send)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:  # read the body here, up to the limit, so no handler ever holds more than that
            message = await receive()
            body += message.get("body", b"")
            if len(body) > self.max_body:
                too_big = error_response(
                    413, f"request body is larger than this service's limit of {self.max_body} bytes", "too_large"
                )
                await too_big(scope, receive, send)
                return
            if not message.get("more_body"):
                break
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


def sse(seq: int, event: dict[str, Any]) -> str:
    return f"id: {seq}\nevent: {event.get('kind', 'message')}\ndata: {json.dumps(event)}\n\n"


def create_app(service: Service, *, token: str | None = None, max_body: int = 1_000_000) -> FastAPI:
    """The app over a running `Service`; the caller closes the service when the server stops."""
    app = FastAPI(
        title="codesift",
        summary="Programs sampled from a language model, executed in a sandbox, checked and ranked.",
        version="0.1.0",
    )
    app.state.service = service

    @app.exception_handler(CodesiftError)
    async def user_error(request: Request, e: CodesiftError) -> JSONResponse:
        status, kind = _status(e)
        headers = {"Retry-After": "5"} if status == 429 else None
        return error_response(status, str(e), kind, headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, e: RequestValidationError) -> JSONResponse:
        return error_response(422, _one_line(e), "invalid_request_error")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> JSONResponse:
        return error_response(e.status_code, str(e.detail), "http_error")

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "isolation": service.isolation, "queued": service.queued()}

    @app.post("/v1/solve", status_code=202, responses={429: {"model": ErrorBody}, 400: {"model": ErrorBody}})
    def submit(request: SolveRequest) -> JobView:
        """Queue a solve; the job id comes back at once (watch it at /v1/jobs/{id}/events)."""
        return service.submit(request)

    @app.post("/v1/ask", status_code=202, responses={429: {"model": ErrorBody}, 400: {"model": ErrorBody}})
    async def ask(
        data: Annotated[UploadFile, File(description="The data file: .csv, .tsv, .parquet, .xlsx, .json or .jsonl")],
        question: Annotated[str, Form(description="The question, in plain words")],
        format: Annotated[str | None, Form(description="Answer format, e.g. '@mean_fare[value]'")] = None,
        model: Annotated[str | None, Form()] = None,
        samples: Annotated[int, Form(ge=1)] = 8,
        seed: Annotated[int, Form()] = 0,
        retries: Annotated[int, Form(ge=0, le=4)] = 1,
    ) -> JobView:
        """Queue a question about a data file: pandas programs are sampled, run on it, and clustered by answer."""
        content = await data.read()
        fields = {"question": question, "format": format, "model": model, "samples": samples, "seed": seed}
        return await run_in_threadpool(service.ask, data.filename or "", content, fields | {"retries": retries})

    @app.get("/v1/jobs")
    def jobs(limit: int = 100) -> JobList:
        return service.jobs(limit)

    @app.get("/v1/jobs/{job_id}", responses={404: {"model": ErrorBody}})
    def job(job_id: str) -> JobView:
        return service.view(job_id)

    @app.delete("/v1/jobs/{job_id}", responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}})
    def cancel(job_id: str) -> JobView:
        return service.cancel(job_id)

    @app.get("/v1/jobs/{job_id}/clusters", responses={409: {"model": ErrorBody}})
    def clusters(job_id: str) -> ClustersView:
        """The ranked clusters of a finished job and the input on which the top ones disagree."""
        return service.clusters(job_id)

    @app.post("/v1/jobs/{job_id}/feedback", responses={409: {"model": ErrorBody}})
    def feedback(job_id: str, item: Feedback) -> ClustersView | JobView:
        """Pick the right output on a separating input, add a test (re-rank), or give a hint (re-sample)."""
        return service.feedback(job_id, item)

    @app.get("/v1/jobs/{job_id}/events", response_class=StreamingResponse)
    async def events(
        job_id: str, request: Request, after: int = -1, last_event_id: str | None = Header(None)
    ) -> StreamingResponse:
        """Server-Sent Events: the job's events in order (``id`` = its number) from after `after` (or
        ``Last-Event-ID``) until the job has ended; each run ends with a ``done`` event."""
        service.view(job_id)  # 404 before the stream starts
        if last_event_id and last_event_id.strip().isdigit():
            after = max(after, int(last_event_id))

        async def stream() -> AsyncIterator[str]:
            nonlocal after
            idle = 0.0
            while not await request.is_disconnected():
                batch, ended = await run_in_threadpool(service.events, job_id, after)  # off the event loop
                for seq, event in batch:
                    after = seq
                    yield sse(seq, event)
                if ended and not batch:  # a hint re-queues a done job, so "done" alone does not end the stream
                    return
                idle = 0.0 if batch else idle + POLL_SECONDS
                if idle >= HEARTBEAT_SECONDS:
                    idle = 0.0
                    yield ": keep-alive\n\n"
                await asyncio.sleep(POLL_SECONDS)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )

    from codesift.serve import chat, web

    chat.mount(app, service)
    web.mount(app, service)
    return app


def guarded(app: FastAPI, token: str | None, max_body: int, host: str = "127.0.0.1") -> Guard:
    """The app behind its guard, for a server bound to `host`: what uvicorn serves.

    Without a token the service is only on loopback (`codesift serve` refuses otherwise), and then only
    loopback Host names are answered.
    """
    hosts = LOOPBACK_NAMES | {host.strip("[]")} if token is None else None
    return Guard(app, token, max_body, hosts)
