"""Rank a repository's definitions for one target: PageRank over the reference graph, personalised to the
target, plus BM25 relevance of identifiers and docstrings to the target's name, signature and docstring.

The graph follows Aider's repo map, one level finer: Aider's nodes are files, ours are definitions, because
the question is "what will this one function call", not "which files matter". An edge runs from a definition
to every definition whose name it references, weighted like Aider's: a name defined in many places says
little (weight divided by its number of definers), a private name counts a tenth, long descriptive names ten
times; the square root of the count keeps a name used in a loop from dominating. The random walk restarts at
the target, its file and the names its signature and docstring mention, so what the target's neighbourhood
uses ranks high. The target's own body is a stub, so nothing leaks from the reference implementation.

Retrieval is SQLite FTS5's BM25 over each definition's split identifiers and docstring (in memory, built
per query from the cached index: milliseconds for thousands of definitions).
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections import defaultdict
from collections.abc import Sequence

import networkx as nx

from codesift.records import Record
from codesift.repo.index import Definition, FileIndex

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


class Focus(Record):
    """What the ranking is personalised to: a file, a definition in it (a target), and text about it."""

    path: str | None = None
    qualname: str | None = None
    text: str = ""  # the target's stub: its signature and docstring

    @property
    def own(self) -> str | None:
        return f"{self.path}::{self.qualname}" if self.path and self.qualname else None


def words(text: str) -> list[str]:
    """Identifier parts in lower case: ``parseHTTPDate_v2`` → parse, http, date, v, 2."""
    return [w.lower() for w in _WORD.findall(text)]


def _weight(ident: str, definers: int) -> float:
    mul = 1.0 / definers
    if ident.startswith("_"):
        mul *= 0.1
    if len(ident) >= 8 and ("_" in ident or (ident != ident.lower() and ident != ident.upper())):
        mul *= 10
    return mul


def pagerank(files: Sequence[FileIndex], focus: Focus) -> dict[str, float]:
    """PageRank of every definition (by `Definition.id`), personalised to the focus (uniform without one)."""
    defs = [d for f in files for d in f.definitions]
    by_name: dict[str, list[Definition]] = defaultdict(list)
    for d in defs:
        if d.kind != "module":
            by_name[d.name].append(d)
    graph = nx.DiGraph()
    graph.add_nodes_from(d.id for d in defs)
    for d in defs:
        for ident, count in d.refs.items():
            definers = by_name.get(ident, ())
            for e in definers:
                if e.id != d.id:
                    w = _weight(ident, len(definers)) * math.sqrt(count) * (2.0 if e.path == d.path else 1.0)
                    prior = graph.get_edge_data(d.id, e.id, {"weight": 0.0})["weight"]
                    graph.add_edge(d.id, e.id, weight=prior + w)
    mentioned = set(words(focus.text)) | set(re.findall(r"\w+", focus.text))
    personal: dict[str, float] = {}
    for d in defs:
        if d.id == focus.own:
            personal[d.id] = 10.0
        elif d.path == focus.path:
            personal[d.id] = 1.0
        elif d.name in mentioned and d.kind != "module":
            personal[d.id] = 3.0
    if not personal:
        return dict(nx.pagerank(graph, weight="weight"))
    return dict(nx.pagerank(graph, weight="weight", personalization=personal, dangling=personal))


def bm25(files: Sequence[FileIndex], query: str) -> dict[str, float]:
    """BM25 relevance (higher is better) of each definition's identifiers and docstring to `query`."""
    terms = sorted(set(words(query)))
    if not terms:
        return {}
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE d USING fts5(id UNINDEXED, name, doc)")
    db.executemany(
        "INSERT INTO d VALUES (?, ?, ?)",
        (
            (d.id, " ".join(words(d.qualname + " " + d.signature)), " ".join(words(d.docstring)))
            for f in files
            for d in f.definitions
            if d.kind != "module"
        ),
    )
    match = " OR ".join(f'"{t}"' for t in terms)
    rows = db.execute("SELECT id, -bm25(d, 0, 2.0, 1.0) FROM d WHERE d MATCH ?", (match,)).fetchall()
    db.close()
    return {row[0]: float(row[1]) for row in rows}


def ranked(files: Sequence[FileIndex], focus: Focus) -> list[tuple[Definition, float]]:
    """Definitions outside the focus itself, best first: normalised PageRank + normalised BM25."""
    pr = pagerank(files, focus)
    rel = bm25(files, f"{focus.qualname or ''} {focus.text}")
    top_pr, top_rel = max(pr.values(), default=1.0) or 1.0, max(rel.values(), default=1.0) or 1.0
    own = focus.own or "\0"
    scored = [
        (d, pr.get(d.id, 0.0) / top_pr + rel.get(d.id, 0.0) / top_rel)
        for f in files
        for d in f.definitions
        if d.kind != "module" and d.id != own and not d.id.startswith(own + ".")
    ]
    return sorted(scored, key=lambda x: (-x[1], x[0].id))
