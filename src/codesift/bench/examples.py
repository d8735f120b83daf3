"""Turn the examples a benchmark shows the model (MBPP's first assert, APPS pairs) into `Test`s.

HumanEval's docstring examples are parsed by `codesift.problems` like any user's stub.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from typing import Any

from codesift import syntax
from codesift.records import Test


def _call_args(source: str, entry_point: str) -> str | None:
    """The argument source of `source` if it is one call of `entry_point` with literal arguments.

    The executor evaluates call arguments without the program's names, so `f(Pair(1, 2))` stays an assert.
    """
    try:
        tree = syntax.parse(source.strip(), mode="eval")
    except SyntaxError:
        return None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == entry_point):
        return None
    text = source.strip()
    values = [*call.args, *(k.value for k in call.keywords)]
    parts = [ast.get_source_segment(text, a) for a in (*call.args, *call.keywords)]
    if any(p is None or not _literal(ast.unparse(v))[0] for p, v in zip(parts, values, strict=True)):
        return None
    return ", ".join(p for p in parts if p is not None)


def assert_example(assertion: str, entry_point: str, setup: str = "") -> Test:
    """MBPP's first assert: a `call` test if it reads `assert f(args) == expected`, else itself."""
    if not setup:
        try:
            node = syntax.parse(assertion.strip()).body
        except SyntaxError:
            node = []
        text = assertion.strip()
        if (
            len(node) == 1
            and isinstance(node[0], ast.Assert)
            and isinstance(cmp := node[0].test, ast.Compare)
            and len(cmp.ops) == 1
            and isinstance(cmp.ops[0], ast.Eq)
            and (left := ast.get_source_segment(text, cmp.left)) is not None
            and (args := _call_args(left, entry_point)) is not None
            and (expected := ast.get_source_segment(text, cmp.comparators[0])) is not None
        ):
            return Test(kind="call", input=args, output=expected)
    return Test(kind="assert", input=f"{setup}\n{assertion}".strip())


# --- APPS call-based problems: MapCoder stores each argument on its own line, strings unquoted ----------


def starter_function(starter_code: str) -> ast.FunctionDef:
    """The function an APPS starter declares (often a method of `class Solution`), given a body to parse."""
    tree = syntax.parse(starter_code.strip() + "\n        pass\n")
    return next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))


def parameters(starter_code: str) -> list[str]:
    """Parameter names of the starter function."""
    return [a.arg for a in starter_function(starter_code).args.args if a.arg != "self"]


def _literal(text: str) -> tuple[bool, Any]:
    try:
        return True, syntax.literal_eval(text)
    except (*syntax.PARSE_ERRORS, TypeError):
        return False, None


def _plain_literal(text: str) -> bool:
    """A literal that prints back as itself; `0000` and `098765` are strings that look like numbers."""
    ok, value = _literal(text)
    return ok and not (isinstance(value, int | float) and str(value) != text.strip())


def _split(text: str, total: int, string_slot: int | None) -> list[str]:
    """Split one input into arguments; surplus lines belong to the string argument (it had newlines)."""
    lines = text.split("\n")
    if len(lines) <= total or string_slot is None:
        return lines
    extra = len(lines) - total
    return [
        *lines[:string_slot],
        "\n".join(lines[string_slot : string_slot + extra + 1]),
        *lines[string_slot + extra + 1 :],
    ]


def apps_call_inputs(starter_code: str, inputs: Sequence[str], context: Sequence[str] = ()) -> list[str]:
    """Argument sources for `inputs`, typed by looking at `inputs` and `context` together.

    MapCoder printed every argument with `str()`, so `1234` may have been an int or a string. A
    position is a string argument when at least a quarter of its values are not Python literals that
    print back as themselves (`validate_pin`: `a234`, `0000`, ...); otherwise only the values that
    are not literals stay strings (`getAllPrimeFactors("a")` among ints). Lines beyond the parameter
    count belong to the first string argument (it contained newlines).
    """
    names = parameters(starter_code)
    total = max(len(names), 1)
    values: dict[int, list[bool]] = {}
    for text in [*inputs, *context]:
        lines = text.split("\n")
        if len(lines) <= total:
            for i, line in enumerate(lines):
                values.setdefault(i, []).append(_plain_literal(line))
    strings = {i for i, ok in values.items() if ok.count(False) * 4 >= len(ok)}
    slot = min(strings) if strings else None
    if slot is None and any(len(t.split("\n")) > total for t in [*inputs, *context]):
        slot = 0
        strings.add(0)

    def source(i: int, arg: str) -> str:
        ok, value = _literal(arg)
        return repr(value) if ok and i not in strings else repr(arg)

    return [", ".join(source(i, a) for i, a in enumerate(_split(text, total, slot))) for text in inputs]


def apps_tests(
    starter_code: str, pairs: Iterable[dict[str, Any]], context: Iterable[dict[str, Any]] = ()
) -> tuple[Test, ...]:
    """APPS `{input, output}` pairs as `call` tests (with starter code) or `stdio` tests.

    `context` only helps type the arguments: the grader passes the visible pairs, while visible
    tests are typed from the visible pairs alone, so hidden tests cannot shape what the model sees.
    """
    pairs = list(pairs)
    if starter_code.strip():
        args = apps_call_inputs(starter_code, [p["input"] for p in pairs], [p["input"] for p in context])
        return tuple(
            Test(kind="call", input=a, output=repr(p["output"][0]) if p["output"] else "None")
            for a, p in zip(args, pairs, strict=True)
        )
    return tuple(Test(kind="stdio", input=p["input"], output=_stdout(p["output"])) for p in pairs)


def _stdout(output: Any) -> str:
    return "".join(output) if isinstance(output, list) else str(output)
