"""One generated program, run in the sandbox against the data, and what came of it (an `Attempt`).

The program runs inside a small wrapper that codesift writes (never the model): it reports the program's
traceback (for the retry-with-error loop) and any figure the program drew or saved (for `-o`) after a marker
line on stdout, so both reach the parent through the executor's ordinary, capped output and the run store.
The data file is placed in the program's working directory under its own name (`Staging`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from pydantic import Field

from codesift.ask.answers import answer_key, answer_lines, parse_answers
from codesift.ask.question import Question
from codesift.ask.table import Table
from codesift.execute.cached import ExecutionCache, Mapper, run_all
from codesift.extract import ProgramGroup
from codesift.records import Candidate, Execution, Record, Test

MARK = "\x1ecodesift-ask:"  # a record separator no answer line contains
_CLIP = 1500
_FIGURE_BYTES = 512 * 1024

# The data arrives base64 on stdin and is written under its own name, so the same program runs in any
# sandbox profile that gives it a private writable working directory.
_WRAPPER = """\
import base64 as _b64, linecache as _lc, os as _os, sys as _sys, traceback as _tb
_os.environ["MPLBACKEND"] = "Agg"
_os.environ["MPLCONFIGDIR"] = _os.path.abspath(".matplotlib")
with open({name!r}, "wb") as _f:
    _f.write(_b64.b64decode(_sys.stdin.buffer.read()))
_SRC = {code!r}
_lc.cache["program.py"] = (len(_SRC), None, _SRC.splitlines(True), "program.py")
_before = set(_os.listdir("."))
try:
    exec(compile(_SRC, "program.py", "exec"), {{"__name__": "__main__"}})
except SystemExit as _e:
    if _e.code not in (None, 0):
        print("\\n{mark}error\\nSystemExit: " + str(_e.code), flush=True)
except BaseException as _e:
    _sys.stdout.flush()
    print("\\n{mark}error\\n" + "".join(_tb.format_exception(type(_e), _e, _e.__traceback__.tb_next))[-4000:])
_plt = _sys.modules.get("matplotlib.pyplot")
_new = sorted(set(_os.listdir(".")) - _before)
if _plt is not None and not any(n.endswith((".png", ".svg", ".jpg", ".pdf")) for n in _new):
    for _i in _plt.get_fignums():
        _plt.figure(_i).savefig("figure-%d.png" % _i)
    _new = sorted(set(_os.listdir(".")) - _before)
for _n in _new:
    if _n.endswith((".png", ".svg", ".jpg", ".pdf")) and _os.path.getsize(_n) <= {limit}:
        with open(_n, "rb") as _f:
            print("\\n{mark}figure " + _n + "\\n" + _b64.b64encode(_f.read()).decode())
_sys.stdout.flush()
"""


class Figure(Record):
    """An image a program saved (or left open in pyplot), as bytes in base64."""

    name: str
    data: str

    def content(self) -> bytes:
        return base64.b64decode(self.data)


class Attempt(Record):
    """A candidate program and what running it gave.

    `status`: ``answered`` (every required answer line printed), ``format`` (some answer lines, not all),
    ``no-answer`` (ran, printed no answer line), ``error`` (raised; `error` holds the traceback), or the
    executor's ``timeout`` / ``memory`` / ``output-limit``.
    """

    candidate: Candidate
    status: str
    output: str = ""
    values: dict[str, str] = Field(default_factory=dict)
    error: str = ""
    figures: tuple[Figure, ...] = ()

    @property
    def answered(self) -> bool:
        return self.status == "answered"

    @property
    def response(self) -> str:
        """The answer lines as printed (what DABench's scorer reads)."""
        return answer_lines(self.values)

    def key(self, question: Question) -> tuple[tuple[str, str], ...] | None:
        return answer_key(self.values, question.names, question.ordered) if self.answered else None


def wrap(code: str, table: Table) -> str:
    return _WRAPPER.format(name=table.name, code=code, mark=MARK, limit=_FIGURE_BYTES)


def data_test(table: Table) -> Test:
    """The one run every program gets: the data file on stdin; no expected output (the answer is the product)."""
    with open(table.path, "rb") as fh:
        return Test(kind="stdio", input=base64.b64encode(fh.read()).decode())


def clip(text: str, limit: int = _CLIP) -> str:
    return text if len(text) <= limit else text[: limit // 3] + "\n...\n" + text[-(2 * limit) // 3 :]


def outcome(candidate: Candidate, question: Question, e: Execution) -> Attempt:
    """Read the program's answer lines, traceback and figures out of its execution."""
    printed, *sections = e.output.split("\n" + MARK)
    error, figures = "", []
    for section in sections:
        head, _, body = section.partition("\n")
        if head == "error":
            error = body.strip()
        elif head.startswith("figure "):
            try:
                base64.b64decode(body.strip(), validate=True)
            except (binascii.Error, ValueError):
                continue
            figures.append(Figure(name=head[len("figure ") :].strip(), data=body.strip()))
    values = parse_answers(printed)
    status: str
    if e.status in ("timeout", "memory", "output-limit"):
        status = e.status
    elif error or e.status != "passed":
        status, error = "error", error or f"{e.error or e.status}"
    elif values and all(n in values for n in question.names):
        status = "answered"
    else:
        status = "format" if values else "no-answer"
    return Attempt(
        candidate=candidate, status=status, output=clip(printed), values=values, error=clip(error),
        figures=tuple(figures),
    )  # fmt: skip


def run_candidates(
    candidates: Sequence[Candidate],
    question: Question,
    table: Table,
    executor: Mapper,
    cache: ExecutionCache | None,
    test: Test,
) -> list[Attempt]:
    """Run each distinct program once (duplicates share the verdict, and count as votes)."""
    groups = {c.code: ProgramGroup(code=wrap(c.code, table), candidates=(c,)) for c in candidates}
    results = run_all(list(groups.values()), [test], executor, cache)
    return [outcome(c, question, results[groups[c.code].program][test.key]) for c in candidates]
