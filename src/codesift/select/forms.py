"""When two sampled programs are *the same program*: the unit that distinct-program support counts.

`extract.group` already merges programs that differ only in formatting and comments (`extract.normalise`).
For counting independent evidence that is too fine: a small model sampled at T = 0.8 re-emits one memorised
solution with its own docstring wording and its own variable names, and each such copy is a new
`ProgramGroup`. `canonical` also drops docstrings (and other bare string statements) and renames every name
the program binds itself (arguments, variables, its own functions and classes) to ``_0, _1, ...`` in order of
first appearance, so programs that are equal up to such renaming share one form. Names it does not bind
(builtins, imported modules and functions) keep their spelling: ``sorted(x)`` and ``max(x)`` stay different.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable

from codesift import syntax
from codesift.extract import ProgramGroup, normalise

_BUILTINS = frozenset(dir(builtins))


def canonical(code: str) -> str:
    """``code`` without docstrings and with its own names renamed in order of appearance (unparsable code:
    `extract.normalise`'s fallback, the stripped text)."""
    try:
        tree = syntax.parse(code)
    except syntax.PARSE_ERRORS:
        return normalise(code)
    try:
        return ast.unparse(_Renamer(_bound(tree)).visit(_Undocumented().visit(tree)))
    except RecursionError:
        return normalise(code)


def forms(groups: Iterable[ProgramGroup]) -> int:
    """How many distinct programs (canonical forms) ``groups`` hold."""
    return len({canonical(g.code) for g in groups})


def _bound(tree: ast.AST) -> frozenset[str]:
    """Names the program binds itself (so renaming them cannot change what it means); imports excluded."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.ExceptHandler):
            names.add(node.name or "")
    imported = {
        (a.asname or a.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for a in node.names
    }
    return frozenset(names - imported - {""})


class _Undocumented(ast.NodeTransformer):
    """Drops string-constant statements (docstrings and stray strings): they do nothing when run."""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and all(isinstance(s, ast.stmt) for s in body):
            kept = [s for s in body if not _is_string(s)]
            node.body = kept or [ast.Pass()]  # type: ignore[attr-defined]
        return node


def _is_string(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


class _Renamer(ast.NodeTransformer):
    """Renames the bound names (builtins it does not shadow stay) consistently, first seen first numbered."""

    def __init__(self, bound: frozenset[str]) -> None:
        self.bound = bound
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        if name not in self.bound:
            return name
        return self.names.setdefault(name, f"_{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self._name(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self._name(node.arg)
        node.annotation = None  # type hints do not change what a program computes
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self._name(node.name)
        node.returns = None
        return self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        node.name = self._name(node.name)
        node.returns = None
        return self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.name = self._name(node.name)
        return self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        if node.name:
            node.name = self._name(node.name)
        return self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> ast.Global:
        node.names = [self._name(n) for n in node.names]
        return node

    def visit_Nonlocal(self, node: ast.Nonlocal) -> ast.Nonlocal:
        node.names = [self._name(n) for n in node.names]
        return node
