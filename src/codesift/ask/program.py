"""One generated program, run in the sandbox against the data, and what came of it (an `Attempt`).

Programs run in the sandbox's ``tool`` profile (`tool_executor`: pandas, numpy and matplotlib warm in the
zygote, the data file read-only). Each runs inside a small wrapper that codesift writes (never the model): it
links the data file into the run's private working directory under its own name (so the prompt does not depend
on where the file lives), then reports the program's traceback (for the retry-with-error loop) and any figure the
program drew or saved (for `-o`) after a marker line on stdout. Figures travel that way rather than through the
profile's shared output folder because runs go in parallel and every run saves `figure.png`: each run's figures
stay with its own execution in the run store, and only the chosen program's reach the user's folder.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pydantic import Field

from codesift.ask.answer_lines import print_answer_lines
from codesift.ask.answers import answer_key, answer_lines, parse_answers
from codesift.ask.question import Question
from codesift.ask.table import Table
from codesift.execute import Executor, Limits, make_executor, tool_profile
from codesift.execute.cached import ExecutionCache, Mapper, run_all
from codesift.extract import ProgramGroup
from codesift.records import Candidate, Completion, Execution, Record, Test

MARK = "\x1ecodesift-ask:"  # a record separator no answer line contains
_CLIP = 1500
_FIGURE_BYTES = 512 * 1024

_WRAPPER = """\
# data sha256 {sha256}
import base64 as _b64, linecache as _lc, os as _os, sys as _sys, traceback as _tb
_os.environ["MPLCONFIGDIR"] = _os.path.abspath(".matplotlib")
_os.symlink({path!r}, {name!r})
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

    `formatted` names the answers the formatter (`codesift.ask.formatter`) wrote from the program's output because
    the program did not print their answer lines; `format_call` is that call (its text and cost), None when the
    formatter did not run on this attempt. An attempt the formatter completed is ``answered``.
    """

    candidate: Candidate
    status: str
    output: str = ""
    values: dict[str, str] = Field(default_factory=dict)
    error: str = ""
    figures: tuple[Figure, ...] = ()
    formatted: tuple[str, ...] = ()
    format_call: Completion | None = None

    @property
    def answered(self) -> bool:
        return self.status == "answered"

    @property
    def response(self) -> str:
        """The answer lines as printed (what DABench's scorer reads)."""
        return answer_lines(self.values)

    @property
    def constant(self) -> bool:
        """Every answer line it printed is spelled out in its source: a literal, not a value computed from the data."""
        lines = [f"@{name}[{value}]" for name, value in self.values.items()]
        return bool(lines) and all(line in self.candidate.code for line in lines)

    def key(self, question: Question) -> tuple[tuple[str, str], ...] | None:
        return answer_key(self.values, question.names, question.ordered) if self.answered else None


# The one run every program gets: no stdin, no expected output (the answer is the product). The wrapper names
# the data file's path and hash, so a cached execution never outlives a change to the data.
RUN = Test(kind="stdio", input="")


def wrap(code: str, table: Table) -> str:
    return _WRAPPER.format(
        sha256=table.sha256, path=table.path, name=table.name, code=code, mark=MARK, limit=_FIGURE_BYTES
    )


@contextmanager
def tool_executor(paths: Sequence[str], sandbox: str = "auto", timeout: float = 20.0) -> Iterator[Executor]:
    """An executor of the ``tool`` profile that may read `paths` (the data files) and nothing else of the host.

    The profile's output folder is a temporary one, removed afterwards: figures come back on stdout (see above).
    """
    with tempfile.TemporaryDirectory(prefix="codesift-ask-") as out:
        profile = tool_profile(paths, out)
        with make_executor(sandbox=sandbox, limits=Limits(timeout=timeout), profile=profile) as ex:
            yield ex


def clip(text: str, limit: int = _CLIP) -> str:
    return text if len(text) <= limit else text[: limit // 3] + "\n...\n" + text[-(2 * limit) // 3 :]


def answer_status(values: dict[str, str], question: Question) -> str:
    """``answered`` (every required name has a value), ``format`` (some) or ``no-answer`` (none)."""
    if values and all(n in values for n in question.names):
        return "answered"
    return "format" if values else "no-answer"


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
    else:
        status = answer_status(values, question)
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
) -> list[Attempt]:
    """Run each distinct program once (duplicates share the verdict, and count as votes); answer lines written as
    statements are printed instead (`answer_lines`), and each attempt's candidate holds the code that ran."""
    ran = [c.model_copy(update={"code": print_answer_lines(c.code)}) for c in candidates]
    groups = {c.code: ProgramGroup(code=wrap(c.code, table), candidates=(c,)) for c in ran}
    results = run_all(list(groups.values()), [RUN], executor, cache)
    return [outcome(c, question, results[groups[c.code].program][RUN.key]) for c in ran]
