"""`POST /v1/ask`: a data file upload and a question, answered by `codesift.ask` as a job like any other.

The upload is kept under the store's folder, named by its content hash, so a restarted service can resume
the job on the same bytes; each ask job gets a sandbox of the ``tool`` profile that may read that one file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from codesift.ask import AskAnswer, AskConfig, Question, Table, load_table, make_question
from codesift.ask.pipeline import task_problem
from codesift.cli.common import policies_from_flags, settings
from codesift.errors import UsageError
from codesift.events import Event
from codesift.records import Problem, Record
from codesift.store_jobs import StoredJob

if TYPE_CHECKING:
    from codesift.serve.service import Service


class AskRequest(Record):
    """What a job of kind ``ask`` was asked (the data file by its stored path)."""

    question: str
    format: str | None = None
    data: str
    model: str
    samples: int = 8
    seed: int = 0
    temperature: float = 0.8
    max_tokens: int = 512
    retries: int = 1
    timeout: float = 20.0


def keep_upload(root: Path, filename: str, content: bytes) -> Path:
    """The uploaded bytes under ``root/<sha256[:16]>/<name>`` (the name's suffix tells the format)."""
    name = Path(filename or "").name
    if not name or name.startswith("."):
        raise UsageError("data: the upload needs a file name with its format's suffix (e.g. sales.csv)")
    folder = root / hashlib.sha256(content).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.is_file():
        partial = folder / f".{name}.part"
        partial.write_bytes(content)
        partial.replace(path)
    return path


def prepare(request: AskRequest, backend: str, base_url: str | None, api: str) -> tuple[Table, Question, AskConfig]:
    """The table, question and config of an ask job; a bad file or question is a one-line `CodesiftError`."""
    table = load_table(request.data)
    question = make_question(request.question, format=request.format)
    config = settings(
        AskConfig, "ask",
        policies=policies_from_flags(
            None, request.model, request.temperature, "plain", backend, base_url, request.max_tokens, api
        ),
        samples=request.samples, seed=request.seed, retries=request.retries, timeout=request.timeout,
    )  # fmt: skip
    return table, question, config


def problem_of(table: Table, question: Question) -> Problem:
    """The Problem an ask job is stored under (its id covers the data, the question and the prompt)."""
    return task_problem(table, question)


def run(job: StoredJob, service: Service, sink: Callable[[Event], None]) -> AskAnswer:
    """Answer an ask job (resuming from the store): sample, run on the data, retry with errors, cluster."""
    from codesift.ask import ask
    from codesift.ask.program import tool_executor

    request = AskRequest.model_validate(job.request)
    table, question, config = prepare(request, service.config.backend, service.config.base_url, service.config.api)
    with tool_executor([table.path], service.config.sandbox, config.timeout) as ex:
        answer, _ = ask(
            table, question, config, executor=ex, store=service.store, backend_for=service.backend_for, events=sink
        )
    return answer
