"""Answer lines written as statements: the commonest way a generated program fails before it computes anything.

Asked to print ``@name[value]``, small models often write the answer line itself into the source, as a statement
(``@accuracy[round(acc, 2)]``) or inside ``print(...)`` (``print(@accuracy[acc])``): Python reads a decorator and
the program dies with a SyntaxError before computing anything. On the 1.5B model's first 18 DABench questions
that was most of the 31 SyntaxErrors among 100 failed programs. The intent is unambiguous, so such a line is
rewritten into the print it stands for (``print("@accuracy[", round(acc, 2), "]", sep="")``, several values joined
by ", "). Only programs that do not parse are touched, only whole lines made of answer items, and the rewrite is
kept only if the program then parses; anything else runs as written and fails as before.
"""

from __future__ import annotations

import ast
import re

from codesift import syntax

_ITEM = re.compile(r"@(\w+)\[")
_CLOSE = {"[": 1, "(": 1, "{": 1, "]": -1, ")": -1, "}": -1}


def _items(text: str) -> list[tuple[str, str]] | None:
    """``@a[x] @b[y]`` as ``[("a", "x"), ("b", "y")]``; None unless the text is nothing but such items."""
    items, i = [], 0
    while i < len(text):
        start = _ITEM.match(text, i)
        if start is None:
            return None
        depth, j = 1, start.end()
        while j < len(text) and depth:
            depth += _CLOSE.get(text[j], 0)
            j += 1
        if depth:
            return None
        items.append((start.group(1), text[start.end() : j - 1]))
        i = j
        while i < len(text) and text[i] in " ,":
            i += 1
    return items or None


def _print(name: str, expression: str) -> str | None:
    """The print statement an answer item stands for; None if its value is not Python."""
    try:
        values = syntax.parse(f"({expression},)", "eval").body
    except syntax.PARSE_ERRORS:
        return None
    if not isinstance(values, ast.Tuple):
        return None
    shown = ', ", ", '.join(ast.unparse(v) for v in values.elts)
    return f'print("@{name}[", {shown}, "]", sep="")'


def _rewritten(line: str) -> str | None:
    body = line.strip()
    if body.startswith("print(") and body.endswith(")"):
        body = body[len("print(") : -1].strip()
    items = _items(body)
    if items is None:
        return None
    prints = [_print(name, expression) for name, expression in items]
    if any(p is None for p in prints):
        return None
    indent = line[: len(line) - len(line.lstrip())]
    return "\n".join(f"{indent}{p}" for p in prints)


def print_answer_lines(code: str) -> str:
    """The program with its answer-line statements turned into prints, if that is what keeps it from parsing."""
    if syntax.parses(code):
        return code
    lines = [_rewritten(line) or line for line in code.splitlines()]
    fixed = "\n".join(lines) + ("\n" if code.endswith("\n") else "")
    return fixed if syntax.parses(fixed) else code
