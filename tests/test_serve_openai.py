"""The OpenAI-compatible facade, driven by the `openai` client itself (recorded real completions, real sandbox)."""

from __future__ import annotations

import re
from pathlib import Path

import openai
import pytest
from serve_helpers import EXAMPLES, served

from codesift.backends.models import FAST_MODEL
from codesift.execute import Executor
from codesift.problems import load_problem

STUB = (EXAMPLES / "running_max.py").read_text()
ASK = f"Please complete this function:\n```python\n{STUB}```\nThanks!"


def program_in(content: str) -> str:
    match = re.search(r"```python\n(.*?)```", content, re.DOTALL)
    assert match, content
    return match.group(1)


def test_the_openai_client_gets_verified_code(tmp_path: Path, ex: Executor) -> None:
    problem = load_problem(EXAMPLES / "running_max.py")
    with served(tmp_path / "serve.sqlite", executor=ex) as s:
        client = openai.OpenAI(base_url=f"{s.url}/v1", api_key="unused", max_retries=0)
        ids = [m.id for m in client.models.list()]
        reply = client.chat.completions.create(model="codesift", messages=[{"role": "user", "content": ASK}])
        jobs = s.service.jobs().jobs
    assert ids[0] == "codesift" and FAST_MODEL in ids
    content = reply.choices[0].message.content or ""
    assert reply.choices[0].finish_reason == "stop" and reply.model == FAST_MODEL
    program = program_in(content)
    assert [v.status for v in ex.run(program, problem.examples)] == ["passed"] * len(problem.examples)
    assert f"passes {len(problem.examples)}/{len(problem.examples)} visible examples; 8 samples" in content
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    assert [j.kind for j in jobs] == ["chat"] and jobs[0].id in content


def test_streaming_sends_progress_then_the_program(tmp_path: Path, ex: Executor) -> None:
    with served(tmp_path / "serve.sqlite", executor=ex) as s:
        client = openai.OpenAI(base_url=f"{s.url}/v1", api_key="unused", max_retries=0)
        stream = client.chat.completions.create(
            model=FAST_MODEL, messages=[{"role": "user", "content": ASK}], stream=True
        )
        chunks = list(stream)
        plain = client.chat.completions.create(model=FAST_MODEL, messages=[{"role": "user", "content": ASK}])

    def reasoning(chunk: object) -> str:
        return str((chunk.choices[0].delta.model_extra or {}).get("reasoning_content") or "")  # type: ignore[attr-defined]

    progress = "".join(reasoning(c) for c in chunks)
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert progress.index("sample: started (8)") < progress.index("candidate seed") < progress.index("verdicts:")
    assert progress.index("verdicts:") < progress.index("select: done")
    first_content = next(i for i, c in enumerate(chunks) if c.choices[0].delta.content)
    last_progress = max(i for i, c in enumerate(chunks) if reasoning(c))
    assert last_progress < first_content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert program_in(content) == program_in(plain.choices[0].message.content or "")  # the second run reused samples


def test_facade_errors_reach_the_client_as_one_line(tmp_path: Path, ex: Executor) -> None:
    token = "facade-token"
    with served(tmp_path / "serve.sqlite", executor=ex, token=token) as s:
        good = openai.OpenAI(base_url=f"{s.url}/v1", api_key=token, max_retries=0)
        with pytest.raises(openai.BadRequestError) as bad:
            good.chat.completions.create(model="codesift", messages=[{"role": "user", "content": "Sort a list."}])
        with pytest.raises(openai.BadRequestError) as unknown:
            good.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": ASK}])
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=f"{s.url}/v1", api_key="wrong", max_retries=0).models.list()
    assert "chat.md: no examples found" in bad.value.message and "\n" not in bad.value.message
    assert "model 'gpt-5' is not offered here" in unknown.value.message
