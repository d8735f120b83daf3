"""Language-model backends: everything that turns a `Prompt` into `Completion`s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from codesift.errors import CodesiftError
from codesift.records import Completion, Policy, Prompt


class BackendError(CodesiftError, RuntimeError):
    """A backend failure the user can act on; the message names the cause and the fix."""


class Backend(Protocol):
    """Samples one completion per seed. `text` excludes `prompt.prefill`."""

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]: ...


class BackendPool:
    """Opens each backend once (a model load costs seconds) and hands it to every policy that uses it."""

    def __init__(self, http: object | None = None) -> None:
        self._http = http
        self._open: dict[tuple[str, str, str], Backend] = {}

    def __call__(self, policy: Policy) -> Backend:
        key = (policy.backend, policy.model if policy.backend == "embedded" else "", policy.lora or "")
        if key not in self._open:
            self._open[key] = self._make(policy)
        return self._open[key]

    def _make(self, policy: Policy) -> Backend:
        if policy.backend == "embedded":
            from codesift.backends.embedded import EmbeddedBackend
            from codesift.backends.models import resolve_model

            return EmbeddedBackend(resolve_model(policy.model), lora=policy.lora)
        from codesift.backends.openai_http import HTTPSettings, OpenAIBackend, api_key_from_env

        settings = self._http if isinstance(self._http, HTTPSettings) else HTTPSettings(api_key=api_key_from_env())
        return OpenAIBackend(settings)

    def close(self) -> None:
        for backend in self._open.values():
            close = getattr(backend, "close", None)
            if close is not None:
                close()
        self._open.clear()
