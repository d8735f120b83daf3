"""Parsing Python source from any thread.

CPython 3.11 keeps the AST constructor's recursion counter in state shared by all threads, so two threads
parsing at once can fail with ``SystemError: AST constructor recursion depth mismatch`` (CPython gh-106905;
seen in CI when the executor's threads read expected values while another thread parsed a program).
Every parse in codesift goes through this lock: parsing is microseconds, the threads wait on processes.
"""

from __future__ import annotations

import ast
import threading
from typing import Any, Literal, overload

_LOCK = threading.Lock()
# What parsing untrusted text can raise: deep nesting ("x=" + "-" * 3000 + "1", some 200 tokens) overflows the parser's
# recursion (RecursionError) or memory (MemoryError); a null byte is a ValueError.
PARSE_ERRORS = (SyntaxError, ValueError, MemoryError, RecursionError)


@overload
def parse(source: str, mode: Literal["exec"] = "exec") -> ast.Module: ...
@overload
def parse(source: str, mode: Literal["eval"]) -> ast.Expression: ...
def parse(source: str, mode: Literal["exec", "eval"] = "exec") -> ast.Module | ast.Expression:
    with _LOCK:
        return ast.parse(source, mode="eval") if mode == "eval" else ast.parse(source)


def literal_eval(source: str) -> Any:
    """`ast.literal_eval` of source text, parsed under the lock (the evaluation itself touches no shared state)."""
    return ast.literal_eval(parse(source.strip(), mode="eval"))


def parses(source: str) -> bool:
    """Whether `source` is a Python program (a null byte counts as not)."""
    try:
        parse(source)
    except PARSE_ERRORS:
        return False
    return True
