"""OpenAI-compatible facade: a codesift pipeline that looks like a chat model.

The last user message is the problem (a Python stub, fenced or not, or a statement with Input/Output
examples); the reply is the chosen program in a code block plus one evidence line. With
``stream: true`` the progress (stages, candidates, verdicts) arrives as ``reasoning_content`` deltas,
which chat clients show apart from the answer, and the answer as ``content``. Every chat request is a
job like any other: queued (429 when full), stored, listed at /v1/jobs.
"""

from __future__ import annotations

import ast
import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from codesift import syntax
from codesift.errors import UsageError
from codesift.records import Answer
from codesift.serve.api import ErrorBody, JobView, SolveRequest
from codesift.serve.app import error_response
from codesift.serve.service import Service
from codesift.store_jobs import UNFINISHED

ALIAS = "codesift"  # the service's default model, for clients that want one fixed name
POLL_SECONDS = 0.1
_FENCE = re.compile(r"```[ \t]*(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(str(part.get("text", "")) for part in self.content if part.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """The OpenAI fields codesift uses; others (temperature, n, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = ALIAS
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    samples: int | None = Field(default=None, ge=1, description="codesift extension: samples to draw")


def _defines_function(code: str) -> bool:
    try:
        return any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) for n in syntax.parse(code).body)
    except SyntaxError:
        return False


def problem_of(messages: list[ChatMessage]) -> tuple[str, str]:
    """The last user message as (problem text, a file name whose suffix picks the reader)."""
    user = [m.text() for m in messages if m.role == "user" and m.text().strip()]
    if not user:
        raise UsageError("messages: no user message with text; the last user message is the problem")
    text = user[-1]
    fenced = next((block for block in _FENCE.findall(text) if _defines_function(block)), None)
    if fenced is not None:
        return fenced, "chat.py"
    return (text, "chat.py") if _defines_function(text) else (text, "chat.md")


def evidence(answer: Answer) -> str:
    best = answer.submissions[0]
    return (
        f"Checked by execution: passes {best.examples_passed}/{best.examples_total} visible examples; "
        f"{answer.samples} samples, {answer.distinct} distinct programs, {answer.passing} passing; "
        f"the chosen behaviour cluster holds {best.cluster_size} of {answer.samples} samples "
        f"({answer.clusters} clusters)."
    )


def reply(view: JobView) -> str:
    answer = view.answer
    if answer is None or not answer.submissions:
        samples = answer.samples if answer else 0
        return f"No program passed any visible example out of {samples} samples (job {view.id})."
    return f"```python\n{answer.submissions[0].code.strip()}\n```\n\n{evidence(answer)} (job {view.id})"


def progress(event: dict[str, Any]) -> str | None:
    """One line of progress for a streamed event, or None for events not worth a line."""
    kind = event.get("kind")
    if kind == "stage-started":
        return f"{event['stage']}: started ({event['total']})\n"
    if kind == "stage-finished":
        return f"{event['stage']}: done in {event['seconds']:.1f}s\n"
    if kind == "candidate":
        return f"candidate seed {event['seed']}: {event['completion_tokens']} tokens\n"
    if kind == "verdicts":
        passing = sum(all(s == "passed" for s in p["statuses"]) for p in event["programs"])
        return f"verdicts: {passing} of {len(event['programs'])} distinct programs pass every visible example\n"
    return None


def _chunk(job_id: str, model: str, delta: dict[str, Any], finish: str | None = None) -> str:
    body = {
        "id": f"chatcmpl-{job_id}", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }  # fmt: skip
    return f"data: {json.dumps(body)}\n\n"


def _usage(answer: Answer | None) -> dict[str, int]:
    prompt, completion = (answer.prompt_tokens, answer.completion_tokens) if answer else (0, 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def mount(app: FastAPI, service: Service) -> None:
    def model_name(requested: str) -> str:
        return service.config.model if requested == ALIAS else requested

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        ids = (ALIAS, *service.config.offered_models())
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "codesift"} for m in ids]
        return {"object": "list", "data": data}

    async def finished(job_id: str) -> JobView:
        while await run_in_threadpool(service.status, job_id) in UNFINISHED:
            await asyncio.sleep(POLL_SECONDS)
        return service.view(job_id)

    errors: dict[int | str, dict[str, Any]] = {400: {"model": ErrorBody}, 429: {"model": ErrorBody}}

    @app.post("/v1/chat/completions", responses=errors, response_model=None)
    async def completions(request: ChatRequest) -> JSONResponse | StreamingResponse:
        """The chosen program for the last user message, as a chat completion (``stream`` for progress)."""
        text, filename = problem_of(request.messages)
        model = model_name(request.model)
        solve = SolveRequest(problem=text, filename=filename, model=model, samples=request.samples or 8)
        job = await run_in_threadpool(service.submit, solve, "chat")
        if request.stream:
            return StreamingResponse(_stream(service, job.id, model), media_type="text/event-stream")
        view = await finished(job.id)
        if view.status != "done":
            return error_response(400, f"job {view.id} {view.status}: {view.error or 'no answer'}", "job_failed")
        message = {"role": "assistant", "content": reply(view)}
        return JSONResponse(
            {
                "id": f"chatcmpl-{view.id}",
                "object": "chat.completion",
                "created": int(view.created),
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": _usage(view.answer),
                "codesift": {"job": view.id, "answer": view.answer.model_dump(mode="json") if view.answer else None},
            }
        )


async def _stream(service: Service, job_id: str, model: str) -> AsyncIterator[str]:
    yield _chunk(job_id, model, {"role": "assistant", "content": ""})
    after = -1
    while True:
        batch, ended = await run_in_threadpool(service.events, job_id, after)
        for seq, event in batch:
            after = seq
            line = progress(event)
            if line:
                yield _chunk(job_id, model, {"reasoning_content": line})
        if ended and not batch:
            break
        await asyncio.sleep(POLL_SECONDS)
    view = service.view(job_id)
    content = reply(view) if view.status == "done" else f"job {view.id} {view.status}: {view.error or 'no answer'}"
    yield _chunk(job_id, model, {"content": content})
    yield _chunk(job_id, model, {}, finish="stop")
    yield "data: [DONE]\n\n"
