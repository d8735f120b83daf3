"""Fixtures shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from codesift.execute import Executor, make_executor


@pytest.fixture(scope="module")
def ex() -> Iterator[Executor]:
    """A real sandboxed executor with the default limits, one per test module (each module's own workers)."""
    with make_executor(workers=2) as e:
        yield e
