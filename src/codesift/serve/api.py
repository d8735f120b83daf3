"""The service's typed records: requests, job views, the events it adds to the pipeline's, errors.

FastAPI builds the OpenAPI schema from these, so the schema and the code cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from codesift.ask import AskAnswer
from codesift.records import Answer, Record, Test
from codesift.store_jobs import JobStatus


class SolveRequest(Record):
    """A problem in any format `codesift solve` reads, as the text of a file, plus the solve settings."""

    problem: str = Field(description="Text of a problem file: a Python stub, a statement, or JSONL records")
    filename: str = Field(default="problem.py", description="Its suffix picks the reader: .py, .md/.txt or .jsonl")
    task: str | None = Field(default=None, description="Record of a JSONL text (task_id or id)")
    model: str | None = Field(default=None, description="A model the service offers (GET /v1/models)")
    samples: int = Field(default=8, ge=1)
    seed: int = 0
    temperature: float = Field(default=0.8, ge=0.0)
    max_tokens: int = Field(default=768, ge=16)
    prompt: str = "plain"
    submissions: int = Field(default=3, ge=1, le=50)
    test_writers: int | None = Field(
        default=None, ge=0, le=8, description="Seeds of model-written tests; default: the service's"
    )
    repair_tokens: int = Field(default=0, ge=0)
    select: dict[str, Any] = Field(default_factory=dict, description="SelectConfig knobs")
    policies: list[dict[str, Any]] | None = Field(
        default=None,
        description="A family of policies (the [[policy]] tables of a --policies file); overrides model, "
        "temperature, max_tokens and prompt; the backend is the service's",
    )


class JobView(Record):
    """What GET /v1/jobs/{id} returns."""

    id: str
    kind: str
    status: JobStatus
    problem_id: str
    model: str
    answer: Answer | None = None
    ask: AskAnswer | None = Field(default=None, description="The answer of an ask job (POST /v1/ask)")
    error: str | None = None
    candidates: int = 0
    created: float
    updated: float


class JobList(Record):
    jobs: tuple[JobView, ...]


class ChooseOutput(Record):
    """The user says `behaviour` is right on `probe` (both as GET /v1/jobs/{id}/clusters shows them)."""

    action: Literal["choose"] = "choose"
    probe: Test
    behaviour: str


class AddTest(Record):
    """A test the user wrote, with its expected output: programs that fail it are dropped."""

    action: Literal["test"] = "test"
    test: Test


class GiveHint(Record):
    """A hint appended to the problem; the job samples again with it (a model job, queued like any other)."""

    action: Literal["hint"] = "hint"
    text: str = Field(min_length=1, max_length=2000)


Feedback = Annotated[ChooseOutput | AddTest | GiveHint, Field(discriminator="action")]


class ClusterView(Record):
    """One behaviour cluster: its size, its best program, and how it behaves on the disagreement input."""

    rank: int
    samples: int
    programs: int
    score: float
    code: str
    behaviour: str | None = None
    shown: str | None = None


class DisagreementView(Record):
    """The probe input on which the top clusters differ; answer it with a `choose` feedback."""

    probe: Test
    behaviours: tuple[str, ...]
    shown: tuple[str, ...]


class ClustersView(Record):
    """GET /v1/jobs/{id}/clusters: the ranked clusters and the question to settle, if any."""

    clusters: tuple[ClusterView, ...]
    disagreement: DisagreementView | None = None
    separating_inputs: tuple[str, ...] = ()


# --- events the service adds to the pipeline's (codesift.events) ------------------------------------------


class StatusChanged(Record):
    kind: Literal["status"] = "status"
    status: JobStatus
    error: str | None = None


class ProgramVerdicts(Record):
    program: str
    votes: int
    statuses: tuple[str, ...]
    code: str


class Verdicts(Record):
    """Every distinct program's verdicts on the visible examples, once the examples have run."""

    kind: Literal["verdicts"] = "verdicts"
    examples: tuple[str, ...]
    programs: tuple[ProgramVerdicts, ...]


class Clusters(Record):
    kind: Literal["clusters"] = "clusters"
    view: ClustersView


class JobDone(Record):
    """The last event of a run: the job's final status and answer."""

    kind: Literal["done"] = "done"
    status: JobStatus
    answer: Answer | None = None
    error: str | None = None


class ErrorDetail(Record):
    message: str
    type: str
    code: str | None = None


class ErrorBody(Record):
    """Every error: one line, as the CLI prints it (OpenAI's error shape, so its clients read it too)."""

    error: ErrorDetail
