"""Answer lines: read them from a program's output, normalise them, and cluster programs by the answer they give.

The answer line is DABench's `@name[value]`, read with DABench's own pattern, so what the scorer reads and what
selection clusters are the same text. Two programs agree when every named value is equal after normalisation:
numbers to 6 significant digits (0.21 and 0.2100000001 agree, 3 and 3.0 agree), text case- and
whitespace-insensitive, comma-separated lists item by item, in order only when the question asks for an order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from codesift.records import Record

ANSWER = re.compile(r"@(\w+)\[(.*?)\]")  # InfiAgent-DABench's eval_closed_form.py, unchanged
_ORDER = re.compile(
    r"\b(order(ed)?|sort(ed)?|ascending|descending|rank(ed|ing)?|top|highest to lowest|lowest to highest|"
    r"in sequence|chronological(ly)?|first to last)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"@(\w+)\[")  # a format may describe a value with brackets inside: only the name matters
_QUOTES = "\"'` "


def answer_names(format_text: str) -> tuple[str, ...]:
    """The names a format asks for (`@mean_fare[mean_fare_value]` → `mean_fare`), in order, once each."""
    return tuple(dict.fromkeys(_NAME.findall(format_text)))


def parse_answers(output: str) -> dict[str, str]:
    """Every `@name[value]` in the output; a name printed twice keeps its last value (as the official scorer)."""
    return dict(ANSWER.findall(output))


def implies_order(question: str) -> bool:
    """Whether a list answer's order matters, judged from the question's wording."""
    return bool(_ORDER.search(question))


def _number(text: str) -> str | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6g}" if value != 0 else "0"


def _atom(text: str) -> str:
    text = text.strip().strip(_QUOTES).strip()
    return _number(text) or " ".join(text.casefold().split())


def normalise(value: str, ordered: bool = False) -> str:
    """The comparison key of one answer value (see the module docstring)."""
    text = value.strip().strip("[]()").strip()
    if _number(text) is None and "," in text:
        items = [_atom(part) for part in text.split(",")]
        return "[" + ",".join(items if ordered else sorted(items)) + "]"
    return _atom(text)


def answer_key(values: dict[str, str], names: Sequence[str], ordered: bool = False) -> tuple[tuple[str, str], ...]:
    """What two programs must share to agree: the normalised value of every required name (all names if none)."""
    keys = names or sorted(values)
    return tuple((name, normalise(values.get(name, ""), ordered)) for name in keys)


def answer_lines(values: dict[str, str], names: Sequence[str] = ()) -> str:
    """The answer as `@name[value]` lines: required names first, in the format's order."""
    order = [n for n in names if n in values] + [n for n in values if n not in names]
    return "\n".join(f"@{n}[{values[n]}]" for n in order)


class AnswerCluster(Record):
    """Programs that gave the same answer: `members` index the attempts, best representative first."""

    key: tuple[tuple[str, str], ...]
    members: tuple[int, ...]
    mean_logprob: float | None = None
    computed: int = 0  # members whose answer lines are not spelled out in their own source
    printed: int = 0  # members that printed their answer lines themselves (not completed by the formatter)

    @property
    def size(self) -> int:
        return len(self.members)


def _or_floor(logprob: float | None) -> float:
    return -math.inf if logprob is None else logprob


def cluster_answers(
    keys: Sequence[tuple[tuple[str, str], ...] | None],
    logprobs: Sequence[float | None],
    constant: Sequence[bool] | None = None,
    formatted: Sequence[bool] | None = None,
) -> list[AnswerCluster]:
    """Group attempts by answer key (None: no answer, left out); largest first; among equals, the cluster with
    more computed answers first (`constant[i]`: attempt i printed an answer line its source spells out, such as
    ``print("@answer[region_with_max]")`` with the braces forgotten), then the one with more printed answers
    (`formatted[i]`: the formatter wrote attempt i's answer lines from its output), then the likelier.

    A formatted answer weighs the same as a printed one (one program, one vote): the vote is for what a program
    computed from the data, and the formatter's value is one the program printed (`formatter.supported`); it only
    failed at the last step of writing it as ``@name[value]``. What the formatter adds is a risk of picking the
    wrong one of several printed numbers, which its guard cannot see, so it loses ties to printed answers and a
    cluster is represented by a printed member where it has one (then by the likeliest).
    """
    constant = constant or [False] * len(keys)
    formatted = formatted or [False] * len(keys)
    groups: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            groups.setdefault(key, []).append(i)
    clusters = []
    for key, members in groups.items():
        known = [lp for i in members if (lp := logprobs[i]) is not None]
        ranked = sorted(members, key=lambda i: (formatted[i], -_or_floor(logprobs[i])))
        mean = sum(known) / len(known) if known else None
        computed = sum(not constant[i] for i in members)
        printed = sum(not formatted[i] for i in members)
        clusters.append(
            AnswerCluster(key=key, members=tuple(ranked), mean_logprob=mean, computed=computed, printed=printed)
        )
    return sorted(clusters, key=lambda c: (-c.size, -c.computed, -c.printed, -_or_floor(c.mean_logprob)))
