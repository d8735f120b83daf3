"""Grammars as data: the GBNF texts codesift constrains structured model outputs with.

A `Grammar` is GBNF (llama.cpp's grammar format) plus a Python check of a finished answer. The GBNF
describes the *completion*, the text the model writes after the prompt's prefill; the check reads the
whole answer (prefill + completion), so backends that cannot constrain (some HTTP servers) validate
and resample with the same notion of "well-formed".

`Policy.grammar` holds a grammar by name (``python``, ``json``, ``literal``, ``args``) or as GBNF text;
text built here (`answer_grammar`, `asserts_grammar`, ...) resolves back to its `Grammar`, check
included, and foreign GBNF text resolves to a grammar without a check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codesift.errors import CodesiftError


class GrammarError(CodesiftError):
    """A grammar that cannot be built or compiled; the message names the grammar and the position."""


@dataclass(frozen=True)
class Grammar:
    """GBNF text for the completion, and a check of the whole answer (``None``: cannot be checked)."""

    name: str
    gbnf: str
    check: Callable[[str], bool] | None = field(default=None, compare=False)
    # JSON grammars also carry their schema: OpenAI-style servers constrain by schema, not by GBNF.
    json_schema: dict[str, Any] | None = field(default=None, compare=False)


_BUILT: dict[str, Grammar] = {}


def register(grammar: Grammar) -> Grammar:
    """Remember a built grammar so its GBNF text (what a `Policy` carries) resolves back to it."""
    return _BUILT.setdefault(grammar.gbnf, grammar)


def resolve(spec: str) -> Grammar:
    """A grammar from a `Policy.grammar` value: a name, GBNF text built here, or any GBNF text."""
    from codesift.grammars.python import python_grammar
    from codesift.grammars.structured import args_grammar, json_grammar, literal_grammar

    named: dict[str, Callable[[], str]] = {
        "python": python_grammar,
        "json": json_grammar,
        "literal": literal_grammar,
        "args": args_grammar,
    }
    if spec in named:
        spec = named[spec]()
    if spec in _BUILT:
        return _BUILT[spec]
    if "::=" in spec:
        return Grammar("custom", spec)
    raise GrammarError(f"unknown grammar {spec!r}; use one of {', '.join(named)} or GBNF text")


from codesift.grammars.structured import (  # noqa: E402  (the builders register into _BUILT above)
    answer_grammar,
    asserts_grammar,
    stdio_tests_grammar,
)

__all__ = [
    "Grammar",
    "GrammarError",
    "answer_grammar",
    "asserts_grammar",
    "register",
    "resolve",
    "stdio_tests_grammar",
]
