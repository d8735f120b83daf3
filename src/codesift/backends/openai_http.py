"""OpenAI-compatible HTTP backend: vLLM, llama.cpp's server, Ollama, OpenAI and others.

Why the choices below:

- One request per ``samples_per_request`` seeds (default 1): a sample is then a pure function of its seed,
  so a killed run resumes with identical samples and a failed request loses one sample, not a batch.
  Servers that honour ``n`` (vLLM, OpenAI) can take several seeds per request (the request carries the
  first seed); servers that ignore ``n`` (llama-cpp-python's) are detected and named in the error.
- Retries are the `openai` client's own (``retries`` of them): on 408, 409, 429, 5xx, timeouts and
  connection errors, honouring the server's ``Retry-After`` and otherwise backing off exponentially with
  jitter (0.5 s doubling to 8 s). The last failure becomes one `BackendError` line that names the server,
  the cause and the fix.
- ``api="completion"`` renders the chat messages client-side (Qwen2.5's ChatML by default, or a Jinja
  template file) and appends ``Prompt.prefill``, so the model continues the pre-filled code exactly as the
  embedded backend does. ``api="chat"`` cannot pre-fill an assistant turn portably: the user turn asks
  for one code block instead (the prompt already shows the stub), stops that contain a code fence are
  dropped (they would cut a reply at its opening fence), and the reply is turned back into a
  continuation of the prefill (code block body, echoed stub removed) so extraction treats both alike.
- The API key lives only inside the client; `repr`, logs and errors never contain it.
- A policy's grammar goes to the server in that server's dialect (``grammar_api``): llama.cpp's ``grammar``
  (GBNF), vLLM's ``structured_outputs`` (``grammar`` or ``json``), OpenAI's ``response_format`` (JSON schemas
  only). Where the server cannot constrain (``none``, OpenAI with a non-JSON grammar, or a server that answers
  400 to the field) the backend says so once and validates instead: a sample failing the grammar's check is
  drawn again with a derived seed, up to ``grammar_retries`` times, its cost added to the sample's.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean
from typing import Any, Literal, TypeVar

import jinja2
import openai

from codesift.backends import BackendError
from codesift.grammars import Grammar, resolve
from codesift.records import Completion, Policy, Prompt

log = logging.getLogger(__name__)

T = TypeVar("T")

_CHATML_TURNS = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# Built-in templates for the completion endpoint; "qwen2.5" adds the system turn Qwen2.5's own template
# inserts when there is none, so the server sees exactly what the embedded backend feeds the model.
TEMPLATES = {
    "chatml": _CHATML_TURNS,
    "qwen2.5": (
        "{% if messages[0].role != 'system' %}<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. "
        "You are a helpful assistant.<|im_end|>\n{% endif %}" + _CHATML_TURNS
    ),
}
FENCE = "```"
RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)
GrammarAPI = Literal["llama.cpp", "vllm", "openai", "none"]
RESEED = 1_000_003  # resample k of seed s uses seed s + k * RESEED: still a pure function of the seed


class SamplingInterrupted(BackendError):
    """Some requests failed for good; ``completions`` holds the samples that did arrive, to be kept."""

    def __init__(self, message: str, completions: Sequence[Completion]) -> None:
        super().__init__(message)
        self.completions = tuple(completions)


def api_key_from_env() -> str | None:
    return os.environ.get("CODESIFT_API_KEY") or os.environ.get("OPENAI_API_KEY")


@dataclass(frozen=True)
class HTTPSettings:
    """How to reach the server; the key is kept out of `repr` so it cannot leak into logs or reports.

    Without ``api_key`` the client reads ``CODESIFT_API_KEY`` / ``OPENAI_API_KEY`` where it runs, so
    settings shipped to Ray workers need not carry the key at all.
    """

    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 120.0
    retries: int = 4
    concurrency: int = 4
    samples_per_request: int = 1
    logprobs: bool = True
    template: str = "qwen2.5"
    grammar_api: GrammarAPI = "llama.cpp"
    grammar_retries: int = 2

    def url_for(self, policy: Policy) -> str:
        url = policy.base_url or self.base_url or os.environ.get("CODESIFT_BASE_URL")
        if not url:
            raise BackendError(
                f"policy {policy.name!r} uses the openai backend but has no server: "
                "pass --base-url, set base_url in the policy, or set CODESIFT_BASE_URL"
            )
        return url.rstrip("/")


def render_template(template: str, messages: Sequence[tuple[str, str]]) -> str:
    """Render messages for the completion endpoint: a built-in name, "raw", or a Jinja file (HF style)."""
    if template == "raw":
        return "\n\n".join(content for _, content in messages) + "\n\n"
    source = TEMPLATES[template] if template in TEMPLATES else _read_template(template)
    return jinja2.Template(source).render(
        messages=[{"role": r, "content": c} for r, c in messages],
        add_generation_prompt=True,
        bos_token="",
        eos_token="",
    )


def _read_template(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as e:
        raise BackendError(
            f"chat template {path!r} is unreadable ({e.strerror}); use qwen2.5, chatml, raw or a .jinja file"
        ) from None


def chat_messages(prompt: Prompt) -> list[dict[str, str]]:
    """Messages for the chat endpoint; a prefill becomes an instruction in the last user turn."""
    messages = [{"role": r, "content": c} for r, c in prompt.messages]
    if prompt.prefill and messages:
        messages[-1]["content"] += "\n\nAnswer with the complete code in one ```python code block."
    return messages


def _strip_fence(prefill: str) -> str:
    if prefill.startswith(FENCE):
        return prefill.split("\n", 1)[1] if "\n" in prefill else ""
    return prefill


def as_continuation(reply: str, prefill: str) -> str:
    """Turn a whole chat reply into a continuation of ``prefill``: code block body minus the echoed stub."""
    body = reply
    if prefill.startswith(FENCE):
        opening = re.search(r"```[^\n]*\n", reply)
        if opening:
            body = reply[opening.end() :]
    stub = _strip_fence(prefill)
    if stub and body.startswith(stub):
        body = body[len(stub) :]
    return body


def _mean(values: Sequence[float | None] | None) -> float | None:
    numbers = [v for v in values or () if v is not None]
    return fmean(numbers) if numbers else None


class OpenAIBackend:
    """`Backend` over any OpenAI-compatible server; one instance may serve several policies and servers."""

    def __init__(self, settings: HTTPSettings | None = None) -> None:
        self.settings = settings or HTTPSettings(api_key=api_key_from_env())
        self._clients: dict[str, openai.OpenAI] = {}
        self._checked: set[tuple[str, str]] = set()
        self._unconstrained: set[str] = set()  # servers that refused a grammar field: validate instead
        self._lock = threading.Lock()
        # Bounds requests in flight across every caller of this backend, not just within one call.
        self._slots = threading.BoundedSemaphore(max(1, self.settings.concurrency))

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.settings!r})"

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        done = self._complete(prompt, seeds, policy)
        if policy.grammar is None:
            return done
        grammar = resolve(policy.grammar)
        url = self.settings.url_for(policy)
        if self._grammar_fields(url, grammar) is not None or grammar.check is None:
            return done
        return self._resample_invalid(prompt, policy, grammar, done)

    def _resample_invalid(
        self, prompt: Prompt, policy: Policy, grammar: Grammar, done: list[Completion]
    ) -> list[Completion]:
        """Validate-and-resample for servers that cannot constrain: each sample failing the grammar's check
        is drawn again (seed + k * RESEED); the last draw stands, carrying the cost of every draw."""
        check = grammar.check
        assert check is not None
        for k in range(1, self.settings.grammar_retries + 1):
            bad = [i for i, c in enumerate(done) if not check(prompt.prefill + c.text)]
            if not bad:
                break
            again = self._complete(prompt, [done[i].seed + k * RESEED for i in bad], policy)
            for i, new in zip(bad, again, strict=True):
                old = done[i]
                done[i] = new.model_copy(
                    update={
                        "seed": old.seed,
                        "prompt_tokens": old.prompt_tokens + new.prompt_tokens,
                        "completion_tokens": old.completion_tokens + new.completion_tokens,
                        "seconds": old.seconds + new.seconds,
                    }
                )
        return done

    def _grammar_fields(self, url: str, grammar: Grammar) -> dict[str, Any] | None:
        """The request fields that make this server constrain to ``grammar``; ``None`` when it cannot."""
        api = "none" if url in self._unconstrained else self.settings.grammar_api
        schema = grammar.json_schema
        if api == "llama.cpp":
            return {"grammar": grammar.gbnf}
        if api == "vllm":
            return {"structured_outputs": {"json": schema} if schema is not None else {"grammar": grammar.gbnf}}
        if api == "openai" and schema is not None:
            return {"response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}}
        self._say_unconstrained(url, f"grammar_api={api} cannot take grammar {grammar.name!r}")
        return None

    def _say_unconstrained(self, url: str, why: str) -> None:
        with self._lock:
            if url in self._unconstrained:
                return
            self._unconstrained.add(url)
        log.warning("server at %s samples unconstrained (%s); outputs are validated and resampled", url, why)

    def _complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        url = self.settings.url_for(policy)
        client = self._client(url)
        self._check_model(client, url, policy.model)
        size = max(1, self.settings.samples_per_request)
        chunks = [list(seeds[i : i + size]) for i in range(0, len(seeds), size)]
        workers = max(1, min(self.settings.concurrency, len(chunks)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(self._request, client, url, prompt, chunk, policy) for chunk in chunks]
        done = [c for f in futures if f.exception() is None for c in f.result()]
        failed = next((f.exception() for f in futures if f.exception() is not None), None)
        if failed is not None:
            if not isinstance(failed, BackendError):
                raise failed
            raise SamplingInterrupted(str(failed), done)
        return done

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _client(self, url: str) -> openai.OpenAI:
        with self._lock:
            if url not in self._clients:
                self._clients[url] = openai.OpenAI(
                    base_url=url,
                    api_key=self.settings.api_key or api_key_from_env() or "not-needed",
                    timeout=self.settings.timeout,
                    max_retries=self.settings.retries,
                )
            return self._clients[url]

    def _check_model(self, client: openai.OpenAI, url: str, model: str) -> None:
        """Fail fast on a wrong model name: llama.cpp's server silently serves its default model instead."""
        if (url, model) in self._checked:
            return
        served = self._retry(url, lambda: _served_models(client))
        if served and model not in served:
            raise BackendError(
                f"model {model!r} is not served at {url} (it serves: {', '.join(served[:10])}); "
                "fix the policy's model or --model"
            )
        with self._lock:
            self._checked.add((url, model))

    def _request(
        self, client: openai.OpenAI, url: str, prompt: Prompt, seeds: list[int], policy: Policy
    ) -> list[Completion]:
        common: dict[str, Any] = {
            "model": policy.model,
            "n": len(seeds),
            "seed": seeds[0],
            "temperature": policy.temperature,
            "top_p": policy.top_p,
            "max_tokens": policy.max_tokens,
        }
        grammar = resolve(policy.grammar) if policy.grammar is not None else None
        fields = self._grammar_fields(url, grammar) if grammar is not None else None
        with self._slots:
            if fields is None:
                return self._send(client, url, prompt, seeds, policy, common)
            try:
                return self._send(client, url, prompt, seeds, policy, {**common, "extra_body": fields})
            except BackendError as e:
                if "HTTP 400" not in str(e) or not any(name in str(e) for name in fields):
                    raise
                self._say_unconstrained(url, f"it refused {', '.join(fields)}: {e}")
                return self._send(client, url, prompt, seeds, policy, common)

    def _send(
        self,
        client: openai.OpenAI,
        url: str,
        prompt: Prompt,
        seeds: list[int],
        policy: Policy,
        common: dict[str, Any],
    ) -> list[Completion]:
        start = time.perf_counter()
        if policy.api == "chat":
            stop = [s for s in prompt.stop if FENCE not in s]
            response: Any = self._retry(
                url,
                lambda: client.chat.completions.create(
                    messages=chat_messages(prompt),  # type: ignore[arg-type]
                    stop=stop or None,
                    **self._chat_logprobs(),
                    **common,
                ),
            )
            texts = [as_continuation(c.message.content or "", prompt.prefill) for c in response.choices]
            logprobs = [[t.logprob for t in c.logprobs.content or ()] if c.logprobs else None for c in response.choices]
        else:
            text = render_template(self.settings.template, prompt.messages) + prompt.prefill
            response = self._retry(
                url,
                lambda: client.completions.create(
                    prompt=text,
                    stop=list(prompt.stop) or None,
                    logprobs=1 if self.settings.logprobs else None,
                    **common,
                ),
            )
            texts = [c.text for c in response.choices]
            logprobs = [c.logprobs.token_logprobs if c.logprobs else None for c in response.choices]
        seconds = time.perf_counter() - start
        choices = response.choices
        if len(choices) != len(seeds):
            raise BackendError(
                f"server at {url} returned {len(choices)} of {len(seeds)} samples (it ignores `n`); "
                "use samples_per_request=1 for this server"
            )
        usage = response.usage
        prompt_tokens = usage.prompt_tokens if usage else 0
        completion_tokens = usage.completion_tokens if usage else 0
        return [
            Completion(
                text=texts[i],
                seed=seed,
                # The prompt is evaluated once per request: charge it to the first sample so sums stay right.
                prompt_tokens=prompt_tokens if i == 0 else 0,
                completion_tokens=len(logprobs[i] or ()) or completion_tokens // len(seeds),
                mean_logprob=_mean(logprobs[i]),
                seconds=seconds / len(seeds),
                finish_reason=choices[i].finish_reason or "stop",
            )
            for i, seed in enumerate(seeds)
        ]

    def _chat_logprobs(self) -> dict[str, Any]:
        # llama-cpp-python returns no chat logprobs unless top_logprobs is set too.
        return {"logprobs": True, "top_logprobs": 1} if self.settings.logprobs else {}

    def _retry(self, url: str, call: Callable[[], T]) -> T:
        """The call, retried by the client itself; its final failure as one `BackendError` line."""
        try:
            return call()
        except openai.APIError as e:
            retried = isinstance(e, RETRYABLE) or getattr(e, "status_code", None) in (408, 409)
            raise BackendError(_explain(e, url, self.settings.retries + 1 if retried else 1)) from None


def _served_models(client: openai.OpenAI) -> list[str]:
    try:
        return [m.id for m in client.models.list().data]
    except openai.NotFoundError:
        return []  # no /models listing on this server; a wrong name then surfaces as a 404 per request


def _explain(e: Exception, url: str, attempts: int) -> str:
    """One line naming the cause and the fix; never echoes request headers (the key)."""
    tried = f"after {attempts} attempt{'s' if attempts > 1 else ''}"
    if isinstance(e, openai.APITimeoutError):
        return f"server at {url} did not answer in time ({tried}); raise the timeout or check the server"
    if isinstance(e, openai.APIConnectionError):
        return f"cannot reach the server at {url} ({tried}); start it or fix --base-url / CODESIFT_BASE_URL"
    if isinstance(e, openai.AuthenticationError | openai.PermissionDeniedError):
        return (
            f"server at {url} rejected the API key (HTTP {e.status_code}); "
            "set CODESIFT_API_KEY or OPENAI_API_KEY to a valid key"
        )
    message = _server_message(e)
    if isinstance(e, openai.NotFoundError):
        return f"server at {url} answered 404 ({message}); check the model name and that the URL ends in /v1"
    if isinstance(e, openai.BadRequestError) and re.search(r"context|too long|maximum.*tokens", message, re.I):
        return (
            f"prompt plus max_tokens exceed the model's context at {url} ({message}); "
            "lower max_tokens or shorten the problem"
        )
    status = e.status_code if isinstance(e, openai.APIStatusError) else "?"
    return f"server at {url} failed with HTTP {status} ({tried}): {message}"


def _server_message(e: Exception) -> str:
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return " ".join(str(message).split())[:300]
    return " ".join(str(getattr(e, "message", e)).split())[:300]
