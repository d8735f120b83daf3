"""The user's question, with the answer format the programs must print."""

from __future__ import annotations

from codesift.ask.answers import answer_names, implies_order
from codesift.errors import CodesiftError
from codesift.records import Record, digest

DEFAULT_FORMAT = (
    "@answer[value] where value is the answer: a number, a word or name, or a comma-separated list. "
    "If the question asks for a plot, save it with plt.savefig('figure.png') and print @answer[figure.png]."
)


class QuestionError(CodesiftError, ValueError):
    """A question (or answer format) codesift cannot ask."""


class Question(Record):
    """What the programs answer; everything here may be shown to the model (labels never are)."""

    id: str
    text: str
    constraints: str = ""
    format: str = DEFAULT_FORMAT
    names: tuple[str, ...] = ("answer",)
    ordered: bool = False


def make_question(text: str, constraints: str = "", format: str | None = None, id: str | None = None) -> Question:
    """A question with its required answer names taken from the format (`@name[...]`)."""
    text = text.strip()
    if not text:
        raise QuestionError('the question is empty; ask something about the data, e.g. "How many rows are there?"')
    fmt = (format or DEFAULT_FORMAT).strip()
    names = answer_names(fmt)
    if not names:
        raise QuestionError(f"answer format {fmt[:80]!r} names no answer; write it as @name[value]")
    qid = id or f"ask-{digest(chr(0).join((text, constraints, fmt)))}"
    return Question(
        id=qid, text=text, constraints=constraints.strip(), format=fmt, names=names,
        ordered=implies_order(f"{text} {constraints} {fmt}"),
    )  # fmt: skip
