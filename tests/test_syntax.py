"""codesift.syntax.parse from many threads at once (CPython 3.11's shared AST recursion counter, gh-106905)."""

from __future__ import annotations

import sys
import threading

import pytest

from codesift import syntax


class _Finalized:
    """Cyclic garbage whose finalizer runs bytecode: the collector can switch threads inside the AST constructor."""

    def __del__(self) -> None:
        total = 0
        for i in range(50):
            total += i


@pytest.fixture
def fast_thread_switching():
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_parsing_from_threads_at_different_stack_depths_never_raises(fast_thread_switching):
    errors: list[BaseException] = []

    def parse_at_depth(depth: int) -> None:
        if depth:
            return parse_at_depth(depth - 1)
        source = "[" * 20 + "(1, 2, 3)" + "]" * 20
        for _ in range(2000):
            garbage: list[object] = [_Finalized() for _ in range(5)]
            garbage.append(garbage)
            try:
                syntax.parse(source, mode="eval")
            except SystemError as e:  # the bug's symptom: "AST constructor recursion depth mismatch"
                errors.append(e)
                return

    threads = [threading.Thread(target=parse_at_depth, args=(d,)) for d in (5, 20, 40, 60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_literal_eval_reads_text():
    assert syntax.literal_eval("  [1, (2, 'a')] ") == [1, (2, "a")]


@pytest.mark.parametrize("depth", [3000, 6000])
def test_deeply_nested_code_is_unparsable_not_a_crash(depth):
    from codesift.extract import drop_top_level_tests, normalise

    code = "def f():\n    return 1\n\nx = " + "-" * depth + "1\n"  # a couple of hundred tokens
    assert not syntax.parses(code)
    assert drop_top_level_tests(code, "f") == code and normalise(code) == code.strip()
