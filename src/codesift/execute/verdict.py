"""Benchmark-faithful comparisons, done in the parent from what the child reported.

- call tests: Python ``==`` semantics on the returned value (list ≠ tuple, ``True == 1``) with
  float tolerance, on values parsed from the child's canonical repr by a literal-only evaluator
  (no code from the program or the test runs in the parent);
- stdio tests: whitespace-separated tokens, equal as text or as floats within tolerance, the way
  CodeContests' tester compares outputs.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from codesift import syntax

REL_TOL = 1e-6
ABS_TOL = 1e-6


class NotLiteral(ValueError):
    pass


def literal(source: str) -> Any:
    """Evaluate a literal, plus ``float('inf')``, ``set()`` and ``frozenset({...})``; else NotLiteral."""
    try:
        tree = syntax.parse(source.strip(), mode="eval")
    except syntax.PARSE_ERRORS as e:
        raise NotLiteral(source) from e
    try:
        return _eval(tree.body)
    except (RecursionError, TypeError) as e:  # TypeError: an unhashable member ({[1]}) or set(5)
        raise NotLiteral(source) from e


def _eval(node: ast.expr) -> Any:
    match node:
        case ast.Constant(value=v):
            return v
        case ast.UnaryOp(op=ast.USub() | ast.UAdd() as op, operand=operand):
            v = _eval(operand)
            if type(v) not in (int, float, complex):
                raise NotLiteral(ast.dump(node))
            return -v if isinstance(op, ast.USub) else +v
        case ast.BinOp(left=left, op=ast.Add() | ast.Sub() as op, right=ast.Constant(value=complex() as im)):
            re = _eval(left)
            if type(re) not in (int, float):
                raise NotLiteral(ast.dump(node))
            return re + im if isinstance(op, ast.Add) else re - im
        case ast.Tuple(elts=elts):
            return tuple(_eval(e) for e in elts)
        case ast.List(elts=elts):
            return [_eval(e) for e in elts]
        case ast.Set(elts=elts):
            return {_eval(e) for e in elts}
        case ast.Dict(keys=keys, values=values) if None not in keys:
            return {_eval(k): _eval(v) for k, v in zip(keys, values, strict=True)}  # type: ignore[arg-type]
        case ast.Call(func=ast.Name(id="float"), args=[ast.Constant(value=str() as text)], keywords=[]):
            if text.strip().lower().lstrip("+-") not in ("inf", "infinity", "nan"):
                raise NotLiteral(text)
            return float(text)
        case ast.Call(func=ast.Name(id="set" | "frozenset" as name), args=args, keywords=[]) if len(args) <= 1:
            items = _eval(args[0]) if args else ()
            return set(items) if name == "set" else frozenset(items)
    raise NotLiteral(ast.dump(node))


def equal(got: Any, want: Any) -> bool:
    """``got == want`` with floats compared within tolerance, recursively."""
    if isinstance(got, float) or isinstance(want, float):
        if isinstance(got, int | float) and isinstance(want, int | float):
            if math.isnan(got) and math.isnan(want):
                return True
            return math.isclose(got, want, rel_tol=REL_TOL, abs_tol=ABS_TOL)
        return bool(got == want)
    if type(got) in (list, tuple) and type(want) is type(got):
        return len(got) == len(want) and all(equal(a, b) for a, b in zip(got, want, strict=True))
    if type(got) is dict and type(want) is dict:
        return got.keys() == want.keys() and all(equal(got[k], want[k]) for k in got)
    try:
        return bool(got == want)
    except Exception:
        return False


def _token_equal(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return math.isclose(x, y, rel_tol=REL_TOL, abs_tol=ABS_TOL) or (math.isnan(x) and math.isnan(y))


def stdout_matches(got: str, want: str) -> bool:
    """Token-wise comparison with float tolerance (whitespace and line breaks are not significant)."""
    a, b = got.split(), want.split()
    return len(a) == len(b) and all(_token_equal(x, y) for x, y in zip(a, b, strict=True))
