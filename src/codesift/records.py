"""Typed, immutable records that flow forward through the pipeline.

Hidden (grading) tests are deliberately absent from `Problem`: they live only in
`codesift.bench.tasks.Task`, so no prompting, filtering, probing or ranking code
can reach them.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Style = Literal["function", "stdio"]
TestKind = Literal["call", "stdio", "assert"]
Status = Literal["passed", "failed", "error", "timeout", "memory", "syntax", "output-limit", "killed"]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def digest(text: str) -> str:
    """Short content hash used as a stable key in the store."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Test(Record):
    """One check of a program.

    - ``call``: ``input`` is the source of the argument list (``"1, [2, 3]"``),
      ``output`` the source of the expected value (``None`` for a probe input,
      whose output is only observed).
    - ``stdio``: ``input`` is stdin, ``output`` the expected stdout (token-wise,
      float-tolerant comparison).
    - ``assert``: ``input`` is Python source run after the program (MBPP asserts,
      HumanEval's ``check``); it passes if it raises nothing.
    """

    __test__ = False  # not a pytest class, whatever its name

    kind: TestKind
    input: str
    output: str | None = None

    @property
    def key(self) -> str:
        return digest(f"{self.kind}\0{self.input}\0{self.output}")


class Problem(Record):
    """What the user (or a benchmark) asks; everything here may be shown to the model."""

    id: str
    prompt: str
    style: Style
    entry_point: str | None = None
    examples: tuple[Test, ...] = ()
    metadata: dict[str, Any] = Field(default_factory=dict)


class Policy(Record):
    """One member of a family of policies: backend × model × prompt variant × temperature."""

    name: str = "default"
    backend: Literal["embedded", "openai"] = "embedded"
    model: str = "qwen2.5-coder-1.5b"
    prompt: str = "plain"
    temperature: float = 0.8
    top_p: float = 0.95
    # Embedded backend: top-k before top-p spares a sort of the whole 151k-token vocabulary per token
    # (about 3x faster sampling measured on this machine); 0 turns it off.
    top_k: int = 40
    max_tokens: int = 768
    weight: float = 1.0
    base_url: str | None = None
    # HTTP backends: "completion" pre-fills the answer like the embedded backend (llama.cpp, vLLM); "chat" is
    # for hosted APIs without a completion endpoint. The CLI and TOML policies share this default.
    api: Literal["chat", "completion"] = "completion"
    # Embedded backend: a LoRA adapter (GGUF) on top of the model, e.g. one `codesift train` wrote.
    lora: str | None = None


class Prompt(Record):
    """Chat messages plus the start of the assistant's answer (a code fence and the stub)."""

    messages: tuple[tuple[str, str], ...]
    prefill: str = ""
    stop: tuple[str, ...] = ()


class Completion(Record):
    """Raw backend output for one sequence, with its cost."""

    text: str
    seed: int
    prompt_tokens: int
    completion_tokens: int
    mean_logprob: float | None
    seconds: float
    finish_reason: str = "stop"


class Candidate(Record):
    """A sampled (or repaired) program, extracted and ready to run."""

    problem_id: str
    policy: str
    seed: int
    completion: str
    code: str
    prompt_tokens: int
    completion_tokens: int
    mean_logprob: float | None
    seconds: float
    origin: str = "sample"

    @property
    def program(self) -> str:
        return digest(self.code)


class Execution(Record):
    """The verdict of one program on one test."""

    program: str
    test: str
    status: Status
    output: str = ""
    error: str | None = None
    seconds: float = 0.0


class Submission(Record):
    """One program the pipeline stands behind, with the evidence for it."""

    code: str
    program: str
    samples: int
    cluster_size: int
    examples_passed: int
    examples_total: int
    scores: dict[str, float] = Field(default_factory=dict)


class Answer(Record):
    """Ordered submissions and what it cost to find them."""

    problem_id: str
    submissions: tuple[Submission, ...]
    samples: int
    distinct: int
    passing: int
    clusters: int
    prompt_tokens: int
    completion_tokens: int
    executions: int
    seconds: float
    separating_inputs: tuple[str, ...] = ()
    # Wall seconds per pipeline stage (sample, run examples, write tests, select, ...), from the event stream.
    timings: dict[str, float] = Field(default_factory=dict)

    @property
    def program(self) -> str | None:
        return self.submissions[0].code if self.submissions else None
