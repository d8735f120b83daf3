"""Language-model backends: everything that turns a `Prompt` into `Completion`s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from codesift.records import Completion, Policy, Prompt


class BackendError(RuntimeError):
    """A backend failure the user can act on; the message names the cause and the fix."""


class Backend(Protocol):
    """Samples one completion per seed. `text` excludes `prompt.prefill`."""

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]: ...
