"""Answer formatting: one short, grammar-constrained model call that writes the answer lines a program left out.

A program that ran without error but printed its result in another shape (a bare number, ``accuracy: 0.87``, a
DataFrame) has computed an answer and failed only at the last step, printing ``@name[value]``. The formatter shows
the model the question, the required answer format and an excerpt of the program's stdout (`excerpt`: the whole
output when short, else its head and tail, at most `EXCERPT_CHARS` characters, a few hundred tokens) and lets it
write exactly the answer lines: the prompt pre-fills nothing and the completion is constrained by
`answer_grammar(question.names)`, so it *is* the answer lines, one per required name, in order. (The assistant turn
is left empty rather than pre-filled with ``@name[``: the grammar forces those characters anyway, the answer grammar's
check reads prefill + completion as the answer lines, which is what validate-and-resample servers check, and chat
endpoints cannot pre-fill at all.)

Decoding is greedy (temperature 0) whatever the sampling policies say: formatting is transcription with one right
answer in the text shown, not a search where diversity helps; greedy also makes the call deterministic, so one seed
is enough and a program output seen twice (by two programs, or by a rerun) costs one call, cached in the run store by
`call_key` of the prompt and the formatter's policy, and the seed.

The model may still invent, or pick the wrong one of several printed numbers. `supported` guards against the first:
a formatted value is kept only if the output shown to the model supports it (defined there); an unsupported value
leaves its name unanswered, as if the formatter had not run. The second the guard cannot see; see
`answers.cluster_answers` for how formatted answers count in selection.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

from codesift.ask.answers import parse_answers
from codesift.ask.program import Attempt, answer_status
from codesift.ask.question import Question
from codesift.backends import Backend
from codesift.grammars import answer_grammar
from codesift.records import Policy, Prompt, call_key
from codesift.store import Store

EXCERPT_CHARS = 600  # head third + tail two thirds: the answer is usually printed last
ELIDED = "\n...\n"
TOKENS_PER_LINE = 40  # "@", the name, "[", a value of up to ~30 tokens (Qwen writes digits one token each), "]\n"
SYSTEM = (
    "You copy the result of a data analysis program into the required answer format. "
    "You write only the answer lines, one @name[value] per line, each value taken from the program's output."
)
STOP = ("\n\n", "<|im_end|>")

_NUMBER = r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?"
_PRINTED_NUMBER = re.compile(rf"(?<![\w.]){_NUMBER}(?!\w)")  # not the 64 of float64, nor the .3 of 1.2.3
_WHOLE_NUMBER = re.compile(_NUMBER)
_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_DECIMALS = re.compile(rf"\b(\d|{'|'.join(_WORDS)})[\s-]*decimal", re.IGNORECASE)
_INTEGER = re.compile(r"\bnearest (?:integer|whole number)\b|\bround(?:ed)? to (?:an? )?(?:integer|whole number)",
                      re.IGNORECASE)  # fmt: skip


def excerpt(output: str, limit: int = EXCERPT_CHARS) -> tuple[str, ...]:
    """The part of a program's stdout the formatter sees: the whole text when it fits in `limit` characters, else
    its first third and last two thirds (`Attempt.output` is already clipped to more than this, with the cut inside
    neither piece). Both pieces are text the program really printed."""
    text = output.strip("\n")
    if len(text) <= limit:
        return (text,)
    return text[: limit // 3], text[-(2 * limit) // 3 :]


def places(question: Question) -> frozenset[int]:
    """The decimal places the question asks answers to be rounded to ("rounded to two decimal places",
    "2 decimals", "the nearest integer" → 0), read from its text, constraints and format; empty when none."""
    text = f"{question.text} {question.constraints} {question.format}"
    found = {int(m) if m.isdigit() else _WORDS[m.lower()] for m in _DECIMALS.findall(text)}
    return frozenset(found | ({0} if _INTEGER.search(text) else set()))


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _rounded(printed: Decimal, digits: int) -> set[Decimal]:
    """`printed` rounded to `digits` places, half up and half to even (``round()`` and ``f"{x:.2f}"`` differ)."""
    quantum = Decimal(1).scaleb(-digits)
    try:
        return {printed.quantize(quantum, rounding=mode) for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN)}
    except InvalidOperation:  # more digits than the context holds
        return set()


def _number_supported(value: Decimal, shown: Sequence[str], digits: Collection[int]) -> bool:
    for piece in shown:
        for match in _PRINTED_NUMBER.findall(piece):
            printed = _decimal(match)
            if printed is None:
                continue
            if value == printed or any(value in _rounded(printed, d) for d in digits):
                return True
    return False


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _text_supported(value: str, shown: Sequence[str]) -> bool:
    needle = _fold(value)
    if not needle:
        return False
    before = r"(?<!\w)" if re.match(r"\w", needle) else ""
    after = r"(?!\w)" if re.search(r"\w$", needle) else ""
    pattern = re.compile(before + re.escape(needle) + after)
    return any(pattern.search(_fold(piece)) for piece in shown)


def _atom_supported(value: str, shown: Sequence[str], digits: Collection[int]) -> bool:
    text = value.strip()
    number = _decimal(text) if _WHOLE_NUMBER.fullmatch(text) else None
    if number is not None:
        return _number_supported(number, shown, digits)
    return _text_supported(text, shown)


def supported(value: str, shown: Sequence[str], digits: Collection[int] = ()) -> bool:
    """Whether the program's output (`shown`: the pieces the formatter saw) supports a formatted value.

    - A **number** (the whole value, e.g. ``0.87``, ``-3``, ``1e-05``) is supported when a number printed in
      `shown` equals it (as decimals: ``0.50`` = ``0.5``, ``3`` = ``3.0``), or, for some `digits` d (the places the
      question asks for, `places`), equals it after rounding the printed number to d places (half up or half to
      even). Numbers are never matched as text: ``87`` is not supported by ``0.87``, nor ``0`` by ``0.4`` unless
      the question asks for whole numbers.
    - Any other **text** is supported when it occurs in one piece of `shown`, compared case-insensitively with
      runs of whitespace as one space; where the value starts or ends with a letter, digit or underscore, the
      occurrence must not continue a longer word there (``East`` is not supported by ``Eastern``).
    - A **comma-separated list** not supported as a whole is supported when every item is (by the two rules
      above), so ``East, West`` is supported by ``['East', 'West']``.

    An empty value (the prompt's way out: "leave the brackets empty") is never supported.
    """
    if not value.strip():
        return False
    if _atom_supported(value, shown, digits):
        return True
    items = value.split(",")
    return len(items) > 1 and all(item.strip() and _atom_supported(item, shown, digits) for item in items)


def format_prompt(question: Question, shown: Sequence[str]) -> Prompt:
    """The question, its answer format and the program's output; the completion is the answer lines."""
    parts = [f"Question: {question.text}"]
    if question.constraints:
        parts.append(f"Constraints: {question.constraints}")
    parts.append(f"Answer format: {question.format}")
    output = ELIDED.join(shown)
    lines = ", ".join(f"@{n}[...]" for n in question.names)
    parts.append(
        f"\nA program written to answer the question ran on the data and printed:\n```\n{output}\n```\n\n"
        f"Write the answer lines {lines}, one per line, in this order. Copy each value from the program's output "
        "above, rounded as the question asks; if the output does not show a value, leave its brackets empty. "
        "Write nothing else."
    )
    return Prompt(messages=(("system", SYSTEM), ("user", "\n".join(parts))), stop=STOP)


def format_policy(policy: Policy, question: Question) -> Policy:
    """The formatter's settings: the sampling policy's backend and model, greedy, a few tokens per answer line,
    and the answer grammar of the question's names (on `Policy.grammar`, which both backends honour)."""
    return policy.model_copy(
        update={
            "name": f"{policy.name}/format",
            "temperature": 0.0,
            "max_tokens": TOKENS_PER_LINE * len(question.names),
            "grammar": answer_grammar(list(question.names)),
        }
    )


def needs_format(attempt: Attempt) -> bool:
    """Ran to the end (no error, time-out or limit), printed something, but not every answer line."""
    return attempt.status in ("format", "no-answer") and bool(attempt.output.strip()) and attempt.format_call is None


def format_attempt(
    attempt: Attempt,
    question: Question,
    problem_id: str,
    policy: Policy,
    seed: int,
    store: Store,
    backend_for: Callable[[Policy], Backend],
) -> Attempt:
    """The attempt with the formatter's supported values filled in for the names its program did not print
    (printed values always stand); `formatted` names them and `format_call` keeps the call (text and cost)."""
    shown = excerpt(attempt.output)
    prompt = format_prompt(question, shown)
    formatter = format_policy(policy, question)
    key = call_key(prompt, formatter)
    completion = store.formatted(problem_id, key, seed)
    if completion is None:
        completion = backend_for(formatter).complete(prompt, [seed], formatter)[0]
        store.add_formatted(problem_id, key, completion)
    written = parse_answers(completion.text)
    digits = places(question)
    filled = {
        n: written[n].strip()
        for n in question.names
        if n not in attempt.values and n in written and supported(written[n], shown, digits)
    }
    values = {**attempt.values, **filled}
    return attempt.model_copy(
        update={
            "values": values, "status": answer_status(values, question), "formatted": tuple(filled),
            "format_call": completion,
        }
    )  # fmt: skip
