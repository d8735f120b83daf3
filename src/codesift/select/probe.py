"""Probe inputs: new inputs on which programs that pass the visible examples may still disagree.

Three sources, as in AlphaCode: mutations of the examples' inputs, random inputs of the same
types (from the examples' values or the signature's annotations), and inputs the model writes
itself. Invalid inputs are kept on purpose: how a program fails on them also separates programs.
"""

from __future__ import annotations

import ast
import contextlib
import random
import re
from collections.abc import Iterable, Iterator
from typing import Any

from codesift import syntax
from codesift.records import Problem, Test, TestKind

INT = re.compile(r"^-?\d+$")


# --- function problems: argument lists --------------------------------------------------------------


def _literal_args(call: ast.Call) -> tuple[Any, ...] | None:
    if call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    try:
        return tuple(ast.literal_eval(a) for a in call.args)
    except (*syntax.PARSE_ERRORS, TypeError):
        return None


def example_args(problem: Problem, test: Test) -> tuple[Any, ...] | None:
    """The literal argument values of a visible example, from a ``call`` or an ``assert`` test."""
    if test.kind == "call":
        try:
            expr = syntax.parse(f"_f({test.input})", mode="eval").body
        except SyntaxError:
            return None
        return _literal_args(expr) if isinstance(expr, ast.Call) else None
    if test.kind == "assert" and problem.entry_point:
        try:
            tree = syntax.parse(test.input)
        except SyntaxError:
            return None
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == problem.entry_point:
                return _literal_args(node)
    return None


def args_source(args: Iterable[Any]) -> str:
    return ", ".join(repr(a) for a in args)


def _mutations(value: Any) -> list[Any]:
    """Small edits of one value: boundaries, ±1, empty/single element, drops, swaps, reversals."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1, 0, 1, -1, -value, value * 2 + 1]
    if isinstance(value, float):
        return [value + 1.0, value - 1.0, 0.0, -value, value / 2]
    if isinstance(value, str):
        out = [
            "",
            value[:1],
            value[1:],
            value[:-1],
            value[::-1],
            value + value[-1:],
            value.upper(),
            value + " ",
        ]
        if len(value) > 1:
            out.append(value[1] + value[0] + value[2:])
        return out
    if isinstance(value, list | tuple):
        kind = type(value)
        items = list(value)
        out_l: list[list[Any]] = [
            [],
            items[:1],
            items[:-1],
            items[::-1],
            [*items, *items[-1:]],
            [*items, *items],
        ]
        if len(items) > 1:
            out_l.append([items[1], items[0], *items[2:]])
        with contextlib.suppress(TypeError):
            out_l.append(sorted(items, reverse=True))
        if items:
            out_l += [[m, *items[1:]] for m in _mutations(items[0])[:3]]
        return [kind(v) for v in out_l]
    if isinstance(value, dict):
        keys = list(value)
        return [{}, {k: value[k] for k in keys[1:]}, {k: value[k] for k in keys[:1]}]
    if isinstance(value, set | frozenset):
        return [type(value)(), type(value)(list(value)[:1])]
    return []


def _random_like(value: Any, rng: random.Random, depth: int = 0) -> Any:
    """A random value shaped like ``value``: same type, similar size and alphabet."""
    if isinstance(value, bool):
        return rng.random() < 0.5
    if isinstance(value, int):
        span = max(10, 2 * abs(value))
        lo = 0 if value >= 0 and rng.random() < 0.8 else -span
        return rng.randint(lo, span)
    if isinstance(value, float):
        return round(rng.uniform(-2 * abs(value) - 1, 2 * abs(value) + 1), 3)
    if isinstance(value, str):
        alphabet = sorted(set(value)) or list("abc")
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, len(value) + 3)))
    if isinstance(value, list | tuple) and depth < 3:
        if not value:
            return type(value)()
        if isinstance(value, tuple):
            return tuple(_random_like(v, rng, depth + 1) for v in value)
        return [_random_like(rng.choice(value), rng, depth + 1) for _ in range(rng.randint(0, len(value) + 3))]
    if isinstance(value, dict) and value:
        k, v = rng.choice(list(value.items()))
        return {
            _random_like(k, rng, depth + 1): _random_like(v, rng, depth + 1)
            for _ in range(rng.randint(0, len(value) + 2))
        }
    return value


_PROTOTYPES: dict[str, Any] = {"int": 5, "float": 2.5, "str": "abcd", "bool": True}


def _prototype(annotation: ast.expr | None) -> Any:
    """A typical value for a type annotation (``list[int]`` → ``[5, 5, 5, 5]``), or None if unknown."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Name | ast.Attribute):
        return _PROTOTYPES.get(ast.unparse(annotation))
    if isinstance(annotation, ast.Subscript):
        outer = ast.unparse(annotation.value).lower().split(".")[-1]
        inner = annotation.slice
        elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        if outer == "tuple" and len(elts) == 2 and isinstance(elts[1], ast.Constant) and elts[1].value is Ellipsis:
            item = _prototype(elts[0])  # tuple[X, ...]: any number of X
            return None if item is None else (item,) * 4
        protos = [_prototype(e) for e in elts]
        if any(p is None for p in protos):
            return None
        if outer == "list":
            return [protos[0]] * 4
        if outer == "tuple":
            return tuple(protos)
        if outer == "dict" and len(protos) == 2:
            return {protos[0]: protos[1]}
    return None


def signature_args(problem: Problem) -> tuple[Any, ...] | None:
    """Prototype arguments from the entry point's annotations in the prompt, when all are known."""
    if not problem.entry_point:
        return None
    try:
        tree = syntax.parse(problem.prompt)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == problem.entry_point:
            protos = tuple(_prototype(a.annotation) for a in node.args.args if a.arg != "self")
            return protos if protos and all(p is not None for p in protos) else None
    return None


def mutated_inputs(problem: Problem) -> Iterator[str]:
    """Each visible example with one argument (or one stdin token/line) edited."""
    for test in problem.examples:
        if problem.style == "stdio":
            yield from _stdio_mutations(test.input)
            continue
        args = example_args(problem, test)
        for i, value in enumerate(args or ()):
            for m in _mutations(value):
                yield args_source((*args[:i], m, *args[i + 1 :]))  # type: ignore[index]


def typed_inputs(problem: Problem, rng: random.Random) -> Iterator[str]:
    """Endless random inputs shaped like the examples (or like the signature's annotations)."""
    if problem.style == "stdio":
        shapes = [t.input for t in problem.examples]
        while shapes:
            yield _stdio_random(rng.choice(shapes), rng)
        return
    seeds = [a for a in (example_args(problem, t) for t in problem.examples) if a is not None]
    proto = signature_args(problem)
    if proto is not None:
        seeds.append(proto)
    while seeds:
        yield args_source(_random_like(v, rng) for v in rng.choice(seeds))


# --- stdio problems: token edits that keep the layout ---------------------------------------------


def has_header(lines: list[str]) -> bool:
    """A first line of integers above more lines is a count header (n, or n m): edits keep it."""
    return len(lines) > 1 and all(INT.match(t) for t in lines[0].split())


def _with_line(lines: list[str], r: int, line: str) -> str:
    """The input with line ``r`` replaced."""
    return "\n".join([*lines[:r], line, *lines[r + 1 :]]) + "\n"


def _stdio_mutations(text: str) -> Iterator[str]:
    lines = text.rstrip("\n").split("\n")
    positions = [(r, c) for r, line in enumerate(lines) for c, tok in enumerate(line.split()) if INT.match(tok)]
    for r, c in positions[:8] + positions[-4:]:
        for delta in (1, -1):
            toks = lines[r].split()
            toks[c] = str(int(toks[c]) + delta)
            yield _with_line(lines, r, " ".join(toks))
    body = lines[1:]
    if len(body) > 1:
        yield "\n".join([lines[0], *body[::-1]]) + "\n"
        yield "\n".join(lines[:-1]) + "\n"
    for r, line in enumerate(lines):
        toks = line.split()
        if len(toks) > 1 and r > 0:
            yield _with_line(lines, r, " ".join(toks[::-1]))
            break
    yield from _word_mutations(lines)


def _word_mutations(lines: list[str]) -> Iterator[str]:
    """String tokens shortened, grown, reversed and re-cased, and an empty input for a one-line one: words such
    as a command string have no numbers to nudge, and examples often return to a symmetric state (``URDL``).
    Without a count header, a word line is also repeated with spaces around it and a blank line after it,
    as in function problems' ``value + " "``: line-oriented readers differ exactly there."""
    if len(lines) == 1:
        yield "\n"
    first = 1 if has_header(lines) else 0
    words = [(r, c) for r in range(first, len(lines)) for c, tok in enumerate(lines[r].split()) if not INT.match(tok)]
    if words and not first:
        r = words[0][0]
        yield "\n".join([*lines[: r + 1], f"  {lines[r].upper()} ", "", *lines[r + 1 :]]) + "\n"
    for r, c in words[:4]:
        tok = lines[r].split()[c]
        for edit in (tok[:-1], tok[1:], tok + tok[-1], tok[::-1], tok.swapcase()):
            if edit and edit != tok:
                toks = lines[r].split()
                toks[c] = edit
                yield _with_line(lines, r, " ".join(toks))


def _stdio_random(text: str, rng: random.Random) -> str:
    """Same layout; every token re-drawn like itself, the count header kept (so counts stay valid). Words are
    drawn from their own letters with replacement, so ``URDL`` can become ``UURD``; without a header they may
    also change length."""
    lines = text.rstrip("\n").split("\n")
    header = has_header(lines)
    out = lines[:1] if header else []
    for line in lines[len(out) :]:
        toks = []
        for tok in line.split():
            if INT.match(tok):
                v = int(tok)
                toks.append(str(rng.randint(-2 * abs(v) if v < 0 else 0, max(2 * abs(v), 10))))
            else:
                size = len(tok) if header else rng.randint(1, len(tok) + 3)
                toks.append("".join(rng.choice(tok) for _ in range(size)))
        out.append(" ".join(toks))
    return "\n".join(out) + "\n"


# --- assembling the probe set ----------------------------------------------------------------------


def probe_tests(
    problem: Problem,
    *,
    model_inputs: Iterable[str] = (),
    mutations: bool = True,
    typed: bool = True,
    limit: int = 30,
    seed: int = 0,
) -> tuple[Test, ...]:
    """Up to ``limit`` distinct probe tests (``output=None``), taken round-robin from the sources.

    Inputs equal to a visible example are dropped: every survivor already agrees on them.
    """
    kind: TestKind = "stdio" if problem.style == "stdio" else "call"
    parsed = (example_args(problem, t) for t in problem.examples)
    seen = {t.input for t in problem.examples} | {args_source(a) for a in parsed if a is not None}
    rng = random.Random(seed)
    sources: list[Iterator[str]] = [iter(model_inputs)]
    if mutations:
        sources.append(mutated_inputs(problem))
    if typed:
        sources.append(typed_inputs(problem, rng))
    probes: list[Test] = []
    stalls = 0
    while sources and len(probes) < limit and stalls < 50 * limit:
        for src in list(sources):
            item = next(src, None)
            if item is None:
                sources.remove(src)
            elif item in seen:
                stalls += 1
            else:
                seen.add(item)
                probes.append(Test(kind=kind, input=item))
            if len(probes) >= limit:
                break
    return tuple(probes)
