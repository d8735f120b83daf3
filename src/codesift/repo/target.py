"""Find the function to write (``pkg/module.py::Class.method``), and splice a candidate's body into its module.

The model sees the target as a top-level stub (decorators, ``def`` line, docstring, dedented) and writes the
body; `splice` puts that body back at the target's own indentation, keeping the original decorators,
signature and docstring byte for byte, so the diff shows only the body. Functions, methods, nested functions
(``outer.inner``) and decorated ones are found by walking the module's AST along the qualified name.
"""

from __future__ import annotations

import ast
import difflib
import textwrap
from pathlib import Path

from codesift import syntax
from codesift.repo.index import Qualified, RepoError, is_test_file


class Target(Qualified):
    """The function to write, located in its file (1-based line numbers)."""

    source: str  # the module as it is now
    lineno: int  # first decorator, else the ``def`` line
    body_lineno: int  # first line that the new body replaces (after the docstring)
    end_lineno: int
    indent: str  # the body's indentation in the module
    stub: str  # decorators + signature + docstring, dedented: what the model completes
    docstring: str = ""


def parse_spec(spec: str) -> tuple[str, str]:
    path, sep, qualname = spec.partition("::")
    if not sep or not path.endswith(".py") or not qualname or not all(p.isidentifier() for p in qualname.split(".")):
        raise RepoError(f"target {spec!r}: write it as path/to/module.py::function or path/to/module.py::Class.method")
    return Path(path).as_posix(), qualname


def _find(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    body: list[ast.stmt] = tree.body
    node: ast.stmt | None = None
    for part in qualname.split("."):
        named = [n for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
        node = next((n for n in reversed(named) if n.name == part), None)  # a later definition wins, as at run time
        if node is None:
            return None
        body = node.body  # type: ignore[attr-defined]
    return node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None


def is_stub(body: list[ast.stmt]) -> bool:
    """Nothing after the docstring but ``pass``, ``...`` or ``raise NotImplementedError``."""
    rest = body[1:] if body and _docstring_node(body[0]) else body
    for stmt in rest:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        raised = stmt.exc if isinstance(stmt, ast.Raise) else None
        name = raised.func if isinstance(raised, ast.Call) else raised
        if isinstance(name, ast.Name) and name.id == "NotImplementedError":
            continue
        return False
    return True


def _docstring_node(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def locate(source: str, path: str, qualname: str) -> Target:
    """The target in `source` (the module at `path`), whether or not its body is a stub."""
    try:
        tree = syntax.parse(source)
    except SyntaxError as err:
        raise RepoError(f"{path}: not valid Python ({err.msg}, line {err.lineno}); fix the file first") from None
    node = _find(tree, qualname)
    if node is None:
        raise RepoError(f"{path}::{qualname}: no such function or method in {path}; check the name (Class.method)")
    lines = source.splitlines(keepends=True)
    first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    if node.body[0].lineno == node.lineno:
        raise RepoError(f"{path}::{qualname}: its body is on the `def` line; put the body on its own line")
    doc = node.body[0] if _docstring_node(node.body[0]) else None
    body_lineno = (doc.end_lineno or doc.lineno) + 1 if doc else node.body[0].lineno
    header_end = body_lineno - 1 if doc else node.body[0].lineno - 1
    stub = textwrap.dedent("".join(lines[first - 1 : header_end]))
    body_line = lines[node.body[0].lineno - 1]
    return Target(
        path=path,
        qualname=qualname,
        source=source,
        lineno=first,
        body_lineno=body_lineno,
        end_lineno=node.end_lineno or node.lineno,
        indent=body_line[: len(body_line) - len(body_line.lstrip())],
        stub=stub.rstrip() + "\n",
        docstring=ast.get_docstring(node) or "",
    )


def find_target(root: Path, spec: str) -> Target:
    """The stub named by `spec` in the repository at `root`; refuses a function that already has a body."""
    if not root.is_dir():
        raise RepoError(f"{root}: not a directory; pass the repository's root folder with --repo")
    path, qualname = parse_spec(spec)
    file = (root / path).resolve()
    if not file.is_relative_to(root.resolve()) or not file.is_file():
        raise RepoError(f"{path}: no such file in {root}; the target's path is relative to the repository root")
    if is_test_file(path):
        raise RepoError(f"{path}: a test file; the target must be a function of the code under test")
    target = locate(file.read_text(encoding="utf-8"), path, qualname)
    if not is_stub(_find(syntax.parse(target.source), qualname).body):  # type: ignore[union-attr]
        raise RepoError(
            f"{spec}: already implemented; blank its body (pass, ... or raise NotImplementedError) to have it written"
        )
    return target


def candidate_body(target: Target, code: str) -> str | None:
    """The body (docstring dropped) of the candidate's function named like the target, at the target's
    indentation; None when the candidate does not define it."""
    try:
        tree = syntax.parse(code)
    except syntax.PARSE_ERRORS:
        return None
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == target.name]
    if not funcs:
        return None
    func = funcs[-1]
    body = func.body[1:] if _docstring_node(func.body[0]) else func.body
    if not body:
        return None
    lines = code.splitlines(keepends=True)
    if body[0].lineno == func.lineno:  # `def f(x): return x` written on one line
        text = "\n".join(ast.unparse(s) for s in body) + "\n"
    else:
        text = textwrap.dedent("".join(lines[body[0].lineno - 1 : body[-1].end_lineno]))
    return textwrap.indent(text, target.indent, lambda line: bool(line.strip()))


def splice(target: Target, code: str) -> str:
    """The module with the candidate's body in place of the stub's; the module unchanged when the candidate
    does not define the target (so it fails the tests the stub fails)."""
    body = candidate_body(target, code)
    if body is None:
        return target.source
    lines = target.source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines[: target.body_lineno - 1]) + body + "".join(lines[target.end_lineno :])


def unified_diff(target: Target, new_source: str) -> str:
    return "".join(
        difflib.unified_diff(
            target.source.splitlines(keepends=True),
            new_source.splitlines(keepends=True),
            fromfile=f"a/{target.path}",
            tofile=f"b/{target.path}",
        )
    )
