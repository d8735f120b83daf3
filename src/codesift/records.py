"""Typed, immutable records that flow forward through the pipeline.

Hidden (grading) tests are deliberately absent from `Problem`: they live only in
`codesift.bench.tasks.Task`, so no prompting, filtering, probing or ranking code
can reach them.
"""

from __future__ import annotations

import hashlib
import json
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
        # A probe (output None) keeps the key it always had, so stored executions stay valid; a test expecting the
        # value None (output "None") must not share it, or it would be read as "passed" from the probe's run.
        expected = "\0expects None" if self.output == "None" else self.output
        return digest(f"{self.kind}\0{self.input}\0{expected}")


class Problem(Record):
    """What the user (or a benchmark) asks; everything here may be shown to the model."""

    id: str
    prompt: str
    style: Style
    entry_point: str | None = None
    examples: tuple[Test, ...] = ()
    metadata: dict[str, Any] = Field(default_factory=dict)


class Policy(Record):
    """One member of a family of policies: backend × model × prompt variant × temperature.

    The constraints live here, not in a loader, so every way of building a policy (TOML, flags, the
    service, Python) refuses the same values with the same message.
    """

    name: str = Field(default="default", min_length=1)
    backend: Literal["embedded", "openai"] = "embedded"
    model: str = Field(default="qwen2.5-coder-1.5b", min_length=1)
    prompt: str = "plain"
    temperature: float = Field(default=0.8, ge=0, allow_inf_nan=False)
    top_p: float = Field(default=0.95, gt=0, le=1)
    # Embedded backend: top-k before top-p spares a sort of the whole 151k-token vocabulary per token
    # (about 3x faster sampling measured on this machine); 0 turns it off.
    top_k: int = Field(default=40, ge=0)
    max_tokens: int = Field(default=768, ge=1)
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    base_url: str | None = None
    # HTTP backends: "completion" pre-fills the answer like the embedded backend (llama.cpp, vLLM); "chat" is
    # for hosted APIs without a completion endpoint. The CLI and TOML policies share this default.
    api: Literal["chat", "completion"] = "completion"
    # A grammar the completion must follow: a name from `codesift.grammars` ("python", "json", ...) or GBNF
    # text (e.g. from `codesift.grammars.answer_grammar`); None samples unconstrained.
    grammar: str | None = None
    # Embedded backend: a LoRA adapter (GGUF) on top of the model, e.g. one `codesift train` wrote.
    lora: str | None = None

    @property
    def sampling(self) -> dict[str, Any]:
        """Every field that shapes a completion: all but the label (`name`) and the share of seeds (`weight`)."""
        return self.model_dump(mode="json", exclude={"name", "weight"})


class Prompt(Record):
    """Chat messages plus the start of the assistant's answer (a code fence and the stub)."""

    messages: tuple[tuple[str, str], ...]
    prefill: str = ""
    stop: tuple[str, ...] = ()


def call_key(prompt: Prompt, policy: Policy) -> str:
    """The store key of a model call: a digest of the prompt and every sampling setting of the policy.

    Two calls with equal keys and equal seeds produce the same completion, so a stored one is reused;
    any changed setting (temperature, top_p, top_k, max_tokens, model, backend, base_url, api, the
    prompt text itself) gives a new key and a new call.
    """
    return digest(json.dumps({"prompt": prompt.model_dump(mode="json"), "policy": policy.sampling}, sort_keys=True))


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
    # `call_key` of the prompt and policy it was drawn with ("" when unknown: imported or from an old store).
    key: str = ""

    @property
    def program(self) -> str:
        return digest(self.code)


class WrittenTests(Record):
    """Model-written tests (CodeT) and what they cost."""

    tests: tuple[Test, ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


class Execution(Record):
    """The verdict of one program on one test."""

    program: str
    test: str
    status: Status
    output: str = ""
    error: str | None = None
    seconds: float = 0.0


class Scores(Record):
    """A cluster's ranking signals (`select.rank.score`) and their weighted sum ``total``."""

    # Answers stored by older versions (a plain dict of signals) stay readable.
    model_config = ConfigDict(frozen=True, extra="ignore")

    size: float = 0.0  # log of the cluster's votes (samples or distinct programs), or of its soft support
    logprob: float = 0.0  # mean token log-probability of its samples
    codet: float = 0.0  # log(1 + model-written tests passed), the tests weighted when test weighting is on
    samples: float = 0.0
    tests_passed: float = 0.0
    support: float | None = None  # votes agreeing softly, counted across clusters (`agreement_power`)
    programs: float | None = None  # distinct programs (`select.forms`), when votes count programs
    tests_weighted: float | None = None  # sum of the weights of the tests passed (`test_weights`)
    total: float = 0.0


class Submission(Record):
    """One program the pipeline stands behind, with the evidence for it."""

    code: str
    program: str
    samples: int
    cluster_size: int
    examples_passed: int
    examples_total: int
    scores: Scores = Scores()


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
