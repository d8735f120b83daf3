"""Runs one candidate's tests inside the sandboxed child; stdlib only, importable under ``python -I -S``.

Results go to a dedicated pipe (fd 3) as one JSON line per test, each tagged with the run's nonce, so
neither the exit status nor anything the program prints can stand in for a verdict. The program's
stdout/stderr are the real fds 1/2 (captured and capped by the zygote).

Call tests never see their expected value when the parent could parse it as a literal: the child
only reports the canonical repr of what the function returned and the parent compares. Expected
sources that are not literals (``math.pi``) are evaluated here, after the program.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import math
import os
import re
import sys
import time
from typing import Any

RESULT_FD = 3
READY = b"+"
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_PLAIN = (int, float, str, bool, type(None), complex, bytes)


def canon(value: Any, depth: int = 0) -> str:
    """A deterministic, comparable repr: sets and dicts sorted, addresses stripped.

    Only exact builtin types are rendered structurally, so an object whose class overrides
    ``__eq__`` cannot pass itself off as the expected value.
    """
    if depth > 100:
        return "..."
    t = type(value)
    if t is float:
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if t in _PLAIN:
        return repr(value)
    if t is list:
        return "[" + ", ".join(canon(v, depth + 1) for v in value) + "]"
    if t is tuple:
        items = [canon(v, depth + 1) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if t is dict or (isinstance(value, dict) and t.__module__ == "collections"):
        # Counter/defaultdict/OrderedDict equal a dict under the benchmarks' `==`; the stdlib cannot be forged.
        items = sorted(f"{canon(k, depth + 1)}: {canon(v, depth + 1)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if t is set or t is frozenset:
        items = sorted(canon(v, depth + 1) for v in value)
        if not items:
            return "set()" if t is set else "frozenset()"
        body = "{" + ", ".join(items) + "}"
        return body if t is set else f"frozenset({body})"
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        try:
            return canon(tolist(), depth + 1)
        except Exception:
            pass
    try:
        text = repr(value)
    except Exception as e:
        text = f"repr raised {type(e).__name__}"
    return f"<{t.__name__}: {_ADDRESS.sub('', text)[:1000]}>"


def _exit_builtins() -> None:
    """``exit``/``quit`` come from `site`, which ``-S`` skips; programs still call them."""

    def exit(code: object = None) -> None:
        raise SystemExit(code)

    builtins.exit = builtins.quit = exit  # type: ignore[assignment]


def _failing_line(exc: BaseException, source: str) -> str:
    """The innermost test source line an assert failed on (feedback for repair)."""
    lines = source.splitlines()
    found, tb = [], exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<test>":
            found.append(tb.tb_lineno)
        tb = tb.tb_next
    return lines[found[-1] - 1].strip()[:500] if found and 0 < found[-1] <= len(lines) else ""


class Reporter:
    def __init__(self, nonce: str) -> None:
        self._nonce = nonce
        self._fd = RESULT_FD

    def __call__(self, i: int, status: str, output: str = "", error: str | None = None, seconds: float = 0.0) -> None:
        line = json.dumps(
            {
                "n": self._nonce,
                "i": i,
                "status": status,
                "output": output[:100_000],
                "error": error,
                "s": seconds,
            }
        )
        data = (line + "\n").encode()
        while data:
            data = data[os.write(self._fd, data) :]


def _error(e: BaseException) -> tuple[str, str]:
    if isinstance(e, MemoryError):
        return "memory", "MemoryError"
    return "error", type(e).__name__


def run(req: dict[str, Any]) -> None:
    """Execute ``req['code']`` then each test, reporting one line per test."""
    os.write(RESULT_FD, READY)  # set-up is done: from here on a failure is the program's
    report = Reporter(req["nonce"])
    del req["nonce"]
    _exit_builtins()
    # Python's int/str limit (4300 digits) is a guard for parsing untrusted text; here it would turn a correct
    # program's large result (a factorial) into an error when its value is reported or compared.
    sys.set_int_max_str_digits(0)
    sys.path[:0] = req.get("paths", [])
    tests = req["tests"]
    code = req["code"]
    stdio = bool(tests) and tests[0][0] == "stdio"
    try:
        compiled = compile(code, "<candidate>", "exec")
    except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as e:
        for i in range(len(tests)):
            report(i, "syntax", error=type(e).__name__)
        return
    if stdio:  # one stdio test per child: stdin is fd 0, stdout fd 1
        sys.argv = ["main.py"]
        started = time.perf_counter()
        status, error = "ran", None
        try:
            exec(compiled, {"__name__": "__main__", "__builtins__": builtins})
        except SystemExit as e:
            if e.code not in (None, 0):
                status, error = "error", "SystemExit"
        except BaseException as e:
            status, error = _error(e)
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
        report(0, status, error=error, seconds=time.perf_counter() - started)
        return

    namespace: dict[str, Any] = {"__name__": "__candidate__", "__builtins__": builtins}
    started = time.perf_counter()
    try:
        exec(compiled, namespace)
        setup_error = None
    except BaseException as e:
        setup_error = _error(e) if not isinstance(e, SystemExit) else ("error", "SystemExit")
    setup_seconds = time.perf_counter() - started
    entry = req.get("entry")
    for i, (kind, source, expected) in enumerate(tests):
        if setup_error is not None:
            report(i, setup_error[0], error=setup_error[1], seconds=setup_seconds)
            if req.get("stop"):
                return
            continue
        started = time.perf_counter()
        try:
            if kind == "assert":
                exec(compile(source, "<test>", "exec"), namespace)
                status, output, error = "passed", "", None
            else:
                fn = _entry(namespace, entry)
                args, kwargs = eval("(lambda *a, **k: (a, k))(" + source + ")", {"__builtins__": builtins})
                value = fn(*args, **kwargs)
                status, output, error = "ran", canon(value), None
                if expected is not None:  # not a literal: evaluated here, compared by the parent
                    output += "\0" + canon(eval(expected, namespace))
        except AssertionError as e:
            status, output, error = "failed", _failing_line(e, source), "AssertionError"
        except SystemExit:
            status, output, error = "error", "", "SystemExit"
        except BaseException as e:
            (status, error), output = _error(e), ""
        report(i, status, output, error, time.perf_counter() - started)
        if req.get("stop") and status not in ("passed", "ran"):
            return


def _entry(namespace: dict[str, Any], entry: str | None) -> Any:
    """The function to call: ``entry`` (or a method of that name on a LeetCode-style ``Solution``
    class); without an entry point, the last function the program defined."""
    if not entry:
        fn = _last_function(namespace)
    elif entry in namespace:
        fn = namespace[entry]
    else:
        owner = next((v for v in namespace.values() if isinstance(v, type) and entry in vars(v)), None)
        fn = getattr(owner(), entry) if owner is not None else None
    if fn is None:
        raise NameError(f"name {entry!r} is not defined")
    return fn


def _last_function(namespace: dict[str, Any]) -> Any:
    """The last function the program defined (the stub's function usually comes last)."""
    functions = [v for v in namespace.values() if type(v).__name__ == "function" and v.__module__ == "__candidate__"]
    return functions[-1] if functions else None
