"""Completion → runnable program, and duplicate programs merged into groups (duplicates are votes)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass

from codesift import syntax
from codesift.records import Candidate, digest

_BLOCK = re.compile(r"```(?:python|py|Python)?[ \t]*\n(.*?)(?:```|$)", re.DOTALL)


def extract_code(completion: str, prefill: str = "", entry_point: str | None = None) -> str:
    """The program the model meant: the prefilled stub plus its continuation up to the closing fence.

    Without a prefilled fence (chat APIs that cannot pre-fill) the first fenced block that defines the
    entry point is taken, else the first block, else the whole text.
    """
    if prefill.lstrip().startswith("```"):
        body = prefill.split("\n", 1)[1] if "\n" in prefill else ""
        # only the model's text can close the fence: a stub's docstring may hold a ``` example of its own
        code = (body + completion.split("```", 1)[0]).rstrip() + "\n"
        return drop_top_level_tests(code, entry_point) if entry_point else code
    blocks = _BLOCK.findall(completion)
    if not blocks:
        return completion.strip() + "\n"
    for block in blocks:
        if entry_point and re.search(rf"\bdef {re.escape(entry_point)}\s*\(", block):
            return drop_top_level_tests(str(block).rstrip() + "\n", entry_point)
    return str(blocks[0]).rstrip() + "\n"


def drop_top_level_tests(code: str, entry_point: str) -> str:
    """Remove the self-tests a model appends after a function: asserts, `if __name__` blocks, and bare
    expressions that call the entry point (`print(f(3))`); set-up calls such as `sys.setrecursionlimit` stay.

    A correct function followed by a call to the model's own wrong assert would otherwise fail as a whole.
    """
    try:
        tree = syntax.parse(code)
    except syntax.PARSE_ERRORS:
        return code
    lines = code.splitlines(keepends=True)
    for node in reversed(tree.body):
        calls_entry = any(isinstance(n, ast.Name) and n.id == entry_point for n in ast.walk(node))
        is_test = isinstance(node, ast.Assert) or (isinstance(node, ast.Expr) and calls_entry)
        is_main = isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)
        if (is_test or is_main) and node.end_lineno is not None:
            del lines[node.lineno - 1 : node.end_lineno]
    return "".join(lines).rstrip() + "\n"


def normalise(code: str) -> str:
    """Formatting and comments do not make a different program; unparsable code stays as it is."""
    try:
        return ast.unparse(syntax.parse(code))
    except syntax.PARSE_ERRORS:
        return code.strip()


@dataclass(frozen=True)
class ProgramGroup:
    """One distinct program and every candidate that produced it."""

    code: str
    candidates: tuple[Candidate, ...]

    @property
    def program(self) -> str:
        return digest(self.code)

    @property
    def votes(self) -> int:
        return len(self.candidates)

    @property
    def mean_logprob(self) -> float | None:
        values = [c.mean_logprob for c in self.candidates if c.mean_logprob is not None]
        return sum(values) / len(values) if values else None


def group(candidates: Iterable[Candidate]) -> list[ProgramGroup]:
    """Merge candidates with equal normalised code, most votes first (ties keep sampling order)."""
    members: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        members.setdefault(normalise(candidate.code), []).append(candidate)
    groups = [ProgramGroup(code=cs[0].code, candidates=tuple(cs)) for cs in members.values()]
    return sorted(groups, key=lambda g: -g.votes)
