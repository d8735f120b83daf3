"""Pack what the model sees about the repository into a token budget.

Two packings, so a benchmark can measure what the map adds:

- ``in-file``: the target's own module around the target (more of what comes before it than after), the
  way completion in an editor sees one open file;
- ``repo-map``: the signatures and first docstring lines of the best-ranked definitions elsewhere (grouped by
  file, Aider-style), one or two usage sites of the target, then the target's module around the target with
  what is left of the budget (half at least), closest to the stub the model completes.

Tokens are estimated as characters / 3.5 (Qwen's tokenizer on Python source is near that); the backend
reports the true prompt tokens of every sample.
"""

from __future__ import annotations

import ast
import builtins
import math
from collections.abc import Sequence
from typing import Literal

from codesift import syntax
from codesift.records import Record
from codesift.repo.index import Definition, FileIndex
from codesift.repo.rank import Focus, ranked
from codesift.repo.target import Target

Mode = Literal["in-file", "repo-map"]
MODES: tuple[Mode, ...] = ("in-file", "repo-map")
CHARS_PER_TOKEN = 3.5
USAGE_SITES = 2
BUILTINS = frozenset(dir(builtins))


class Context(Record):
    mode: Mode
    text: str
    tokens: int
    shown: tuple[str, ...]  # `Definition.id`s whose signature is in the text


def tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def window(target: Target, budget: int) -> tuple[str, int, int]:
    """The target's module, grown line by line around the target (two lines before for one after) until the
    budget is spent, the target itself replaced by a marker; returns the text and its first and last line
    (1-based, in the module's numbering)."""
    lines = target.source.splitlines(keepends=True)
    first = lines[target.lineno - 1]
    marker = f"{first[: len(first) - len(first.lstrip())]}# ... `{target.qualname}`, the function to write, goes here\n"
    lines[target.lineno - 1 : target.end_lineno] = [marker]  # it is shown in full as the stub to complete
    lo = hi = target.lineno
    used = tokens(marker)
    step = 0
    while lo > 1 or hi < len(lines):
        take_before = (step % 3 != 2 and lo > 1) or hi >= len(lines)
        line = lines[lo - 2] if take_before else lines[hi]
        if used + tokens(line) > budget:
            break
        used += tokens(line)
        lo, hi = (lo - 1, hi) if take_before else (lo, hi + 1)
        step += 1
    text = "".join(lines[lo - 1 : hi])
    head = f"# {target.path}\n" + ("# ...\n" if lo > 1 else "")
    # lines after the marker stand for lines `end - start` further down in the module
    return head + text + ("# ...\n" if hi < len(lines) else ""), lo, hi + target.end_lineno - target.lineno


def _in_window(files: Sequence[FileIndex], target: Target, lo: int, hi: int) -> list[str]:
    own = next((f for f in files if f.path == target.path), None)
    defs = own.definitions if own else ()
    return [d.id for d in defs if d.kind != "module" and lo <= d.def_lineno <= hi]


def signature_block(d: Definition) -> str:
    """A definition as the map shows it: its header, and its docstring's first paragraph (3 lines at most)."""
    head = d.signature if d.kind != "class" else d.signature.rstrip() + "\n"
    indent = " " * (len(head.splitlines()[-1]) - len(head.splitlines()[-1].lstrip()) + 4) if head.strip() else ""
    doc = [line for line in d.docstring.strip().split("\n\n", 1)[0].splitlines()[:3] if ">>>" not in line]
    shown = f'{indent}"""{" ".join(line.strip() for line in doc)}"""\n' if doc else ""
    return head + shown + (f"{indent}...\n" if d.kind != "class" else "")


def usage_sites(
    files: Sequence[FileIndex], target: Target, sources: dict[str, str], budget: int
) -> tuple[list[str], list[str]]:
    """Up to two definitions that use the target by name, shown whole when short, else up to the first use."""
    own = target.spec
    users = [
        d for f in files for d in f.definitions
        if target.name in d.refs and d.kind in ("function", "method") and d.id != own and not d.id.startswith(own)
    ]  # fmt: skip
    shown: list[str] = []
    ids: list[str] = []
    for d in sorted(users, key=lambda d: (d.end_lineno - d.lineno, d.id))[:USAGE_SITES]:
        lines = sources[d.path].splitlines(keepends=True)[d.lineno - 1 : d.end_lineno]
        use = next((i for i, line in enumerate(lines) if target.name in line and i > 0), len(lines) - 1)
        text = "".join(lines[: max(use + 2, 12)])
        if tokens(text) <= budget - sum(tokens(s) for s in shown):
            shown.append(f"# {d.path}: uses {target.name}\n{text}")
            ids.append(d.id)
    return shown, ids


def pack(files: Sequence[FileIndex], target: Target, sources: dict[str, str], budget: int, mode: Mode) -> Context:
    """The context of `mode` within `budget` tokens; `sources` maps repo paths to their text."""
    if mode == "in-file":
        text, lo, hi = window(target, budget)
        return Context(mode=mode, text=text, tokens=tokens(text), shown=tuple(_in_window(files, target, lo, hi)))
    sites, site_ids = usage_sites(files, target, sources, budget // 5)
    rest = budget - sum(tokens(s) for s in sites)
    map_budget = rest // 2
    file_text, lo, hi = window(target, rest - map_budget)
    near = set(_in_window(files, target, lo, hi)) | set(site_ids)
    focus = Focus(path=target.path, qualname=target.qualname, text=target.stub)
    callable_ = [d for d, _ in ranked(files, focus) if d.id not in near and not nested(d)]
    blocks, shown = map_blocks(callable_, map_budget)
    text = "\n".join([*blocks, *sites, file_text])
    return Context(mode=mode, text=text, tokens=tokens(text), shown=(*shown, *sorted(near)))


def nested(d: Definition) -> bool:
    """A function inside a function: nothing outside it can call it, so the map leaves it out."""
    return d.kind == "function" and "." in d.qualname


def map_blocks(best_first: Sequence[Definition], budget: int) -> tuple[list[str], list[str]]:
    """Signature blocks of the best definitions that fit `budget`, grouped by file in source order, and the
    ids shown."""
    chosen: dict[str, list[Definition]] = {}
    used, shown = 0, []
    for d in best_first:
        cost = tokens(signature_block(d)) + (0 if d.path in chosen else tokens(f"# {d.path}\n"))
        if used + cost > budget:
            continue
        chosen.setdefault(d.path, []).append(d)
        used += cost
        shown.append(d.id)
    return [_file_block(path, defs) for path, defs in sorted(chosen.items())], shown


def _file_block(path: str, defs: list[Definition]) -> str:
    """One file's shown definitions in source order; a method shown without its class gets the class line."""
    out, classes = [f"# {path}\n"], {d.qualname for d in defs if d.kind == "class"}
    for d in sorted(defs, key=lambda d: d.lineno):
        owner = d.qualname.rsplit(".", 1)[0] if d.kind == "method" else ""
        if owner and owner not in classes:
            classes.add(owner)
            out.append(f"{' ' * (len(d.signature) - len(d.signature.lstrip()) - 4)}class {owner.rsplit('.', 1)[-1]}:\n")
        out.append(signature_block(d))
    return "".join(out)


def called_names(function_source: str) -> set[str]:
    """Names of the repository functions a body calls: ``f(...)`` for a name that is not a builtin, and
    ``self.f(...)`` / ``cls.f(...)``; ``obj.f(...)`` on anything else is left out (``items.append`` is not a
    call into the package, even when the package defines an ``append`` somewhere)."""
    names: set[str] = set()
    for node in ast.walk(syntax.parse(function_source)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id not in BUILTINS:
                names.add(func.id)
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in ("self", "cls")
            ):
                names.add(func.attr)
    return names


def recall(files: Sequence[FileIndex], target: Target, reference_source: str, context: Context) -> float | None:
    """Share of the repository functions the reference body calls whose signature is in the context
    (None when it calls none)."""
    defined = {d.name for f in files for d in f.definitions if d.kind != "module" and d.id != target.spec}
    called = (called_names(reference_source) & defined) - {target.name}
    if not called:
        return None
    seen = {i.rsplit("::", 1)[-1].rsplit(".", 1)[-1] for i in context.shown}
    return len(called & seen) / len(called)
