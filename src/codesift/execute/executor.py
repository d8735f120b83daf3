"""Parent side of the sandbox: a pool of zygotes, one run = one forked child, verdicts from its reports.

Run model. Each worker is a small zygote (``python -I -S zygote.py``, stdlib only) that forks one
child per run, ahead of time (the next child is confined and waiting before it is needed); the
zygote watches it (pidfd + output pipes against a per-test deadline, output
capped while it streams) and kills the whole tree afterwards, orphans included (it is their
subreaper). Isolation layers and fallbacks are described in `codesift.execute.confine`.

One child per candidate, not per test: a child runs all of a candidate's call/assert tests (the
program is compiled and defined once, as HumanEval's and EvalPlus's harnesses do). If a test kills
the child (timeout, output limit, crash) the remaining tests resume in a fresh child, so one bad
test costs one verdict, not the rest; ``stop_on_failure`` ends the list at the first non-pass.
Measured by ``bench/sandbox_overhead.py`` on HumanEval/0 with its 7 tests: one child per test is
6-8x slower in wall time and 5-7x in CPU (45-52 ms against 5.6-8.7 ms per candidate). Each stdio
test gets its own child: it needs its own fd 0/1 and a fresh ``__main__``. Tests sharing a child
share its state (a memo dict, a patched builtin), exactly as in those harnesses.

Verdicts are hard to forge. The child reports one JSON line per test on a dedicated pipe (fd 3),
each tagged with a per-run nonce and its index, after a ready mark that separates set-up failures
from the program's own exits; exit status and stdout decide nothing (a stdio program that exits 0
without a report is judged on its output, as a judge would). Call tests: the parent parses the
expected value as a literal and never sends it; the child returns the canonical repr of what the
function returned, built from exact builtin types only (an object overriding ``__eq__`` shows up
as ``<Type: ...>`` and fails), and the parent compares. What remains forgeable, by a program that
deliberately introspects the interpreter it runs in (``gc``, frames, ``ctypes``): its own verdicts
on assert tests (it can find the nonce, or the test source, in its process) and on call tests whose
expected value is not a literal (evaluated in the child). It cannot reach another program's
verdicts, the parent, or anything outside the sandbox.
"""

from __future__ import annotations

import contextlib
import json
import logging
import marshal
import os
import queue
import secrets
import select
import shutil
import signal
import struct
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, cast, get_args

from codesift.execute.confine import INTERPRETER_FLAGS
from codesift.execute.profiles import SOLVE, Profile, SandboxError
from codesift.execute.verdict import NotLiteral, equal, literal, stdout_matches
from codesift.records import Execution, Status, Test, digest

log = logging.getLogger(__name__)
ZYGOTE = Path(__file__).with_name("zygote.py")
READY, SETUP_FAILED = b"+", 70  # as in harness.py / zygote.py, which cannot import codesift
# A test's limit is CPU seconds; in wall time it may take this many times the limit while it waits for a core
# (`zygote.TestClock`), so that verdicts do not depend on what else the machine is running.
WALL_SLACK = 3.0
SANDBOX_MODES = ("auto", "strict", "bubblewrap", "limits")


@dataclass(frozen=True)
class Limits:
    """Per-test time (CPU seconds, `WALL_SLACK` x it in wall time) and per-child resource limits."""

    timeout: float = 3.0
    memory: int = 4 << 30  # RLIMIT_AS counts virtual memory: generous
    output: int = 1 << 20
    file_size: int = 16 << 20
    disk: int = 64 << 20
    open_files: int = 64
    processes: int = 64


@dataclass(frozen=True)
class Job:
    """One program and its tests. ``overlay`` (repo profile): (path, new content) pairs, each an
    existing file under the profile's ``overlay_root`` that this run sees with the new content."""

    code: str
    tests: tuple[Test, ...]
    stop_on_failure: bool = False
    entry_point: str | None = None
    overlay: tuple[tuple[str, str], ...] = ()


@dataclass
class _Spawn:
    """What one child reported and how it ended."""

    records: list[dict[str, Any]]
    status: int
    timeout: bool
    output_limit: bool
    stdout: bytes
    stderr: bytes
    seconds: float
    forged: bool = False
    lost: bool = False
    cpu_limit: bool = False
    oom: bool = False


class _Zygote:
    """One fork server process and its control pipes; used by one thread at a time."""

    def __init__(self, config: dict[str, Any]) -> None:
        """Start the zygote; `greet` waits until it is ready (so several can start together)."""
        self.config = config
        self._launch()

    def _start(self) -> None:
        self._launch()
        self.greet()

    def _launch(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *INTERPRETER_FLAGS, str(ZYGOTE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"},
            cwd="/",
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        self._sent = self._send(self.config)

    def greet(self) -> None:
        """Wait for the zygote's report of what it set up (a profile's imports take seconds)."""
        hello = self._sent and self._recv(60.0)
        if not hello:
            self.close()
            raise SandboxError("the sandbox's zygote failed to start; run `codesift doctor` to see why")
        self.hello: dict[str, Any] = hello

    def _send(self, obj: Any) -> bool:
        body = marshal.dumps(obj)
        data = memoryview(struct.pack(">I", len(body)) + body)
        try:
            while data:
                data = data[os.write(self._in, data) :]
        except OSError:
            return False
        return True

    def _read(self, n: int, deadline: float) -> bytes | None:
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out], [], [], left)[0]:
                return None
            chunk = os.read(self._out, n - got)
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _recv(self, seconds: float) -> Any:
        deadline = time.monotonic() + seconds
        head = self._read(4, deadline)
        body = head and self._read(struct.unpack(">I", head)[0], deadline)
        return marshal.loads(body) if body else None

    def spawn(self, req: dict[str, Any], seconds: float) -> dict[str, Any] | None:
        """The zygote's report on one child; None (and a fresh zygote) if the zygote died or hung."""
        reply = self._recv(seconds) if self._send(req) else None
        if reply is None:
            self.close()
            self._start()
        return reply

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        workdir = getattr(self, "hello", {}).get("workdir")
        if workdir:  # the zygote's tmpfs was mounted on it in its own namespace: an empty dir here
            shutil.rmtree(workdir, ignore_errors=True)


class Executor:
    """Runs programs against tests in the sandbox; see the module docstring for the run model."""

    def __init__(
        self, workers: int = 2, sandbox: str = "auto", limits: Limits | None = None, profile: Profile = SOLVE
    ) -> None:
        if sandbox not in SANDBOX_MODES:
            raise SandboxError(f"unknown sandbox mode {sandbox!r}; use one of {', '.join(SANDBOX_MODES)}")
        self.limits = limits or Limits()
        if profile.memory is not None:
            self.limits = replace(self.limits, memory=profile.memory)
        self.profile = profile
        site = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
        self._config = {
            **asdict(self.limits),
            "mode": sandbox,
            "bwrap": shutil.which("bwrap"),
            "paths": [*profile.sys_path, *(site if profile.site_packages else [])],
            "profile": asdict(profile),
        }
        self._zygotes: list[_Zygote] = []
        self._idle: queue.Queue[_Zygote] = queue.Queue()
        try:
            for _ in range(max(1, workers)):  # all start together: a profile's imports run in parallel
                self._zygotes.append(_Zygote(self._config))
            for z in self._zygotes:
                z.greet()
                self._idle.put(z)
        except BaseException:
            self.close()
            raise
        hello = self._zygotes[0].hello
        self.level: str = hello["isolation"]  # full (...), bubblewrap (...) or limits-only
        self.isolation: str = f"{self.level} [{profile.describe()}]"
        self.layers: list[str] = list(hello["layers"])
        self.missing: list[str] = list(hello["missing"])
        self.cgroup: str = hello["cgroup"]
        if profile.overlay_root and self.level == "limits-only":
            self.close()
            raise SandboxError(
                "the repo profile needs a mount namespace to overlay files, and this machine allows "
                "none; run as root or allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0)"
            )
        if sandbox == "strict" and not self.level.startswith("full"):
            self.close()
            raise SandboxError(
                f"--sandbox strict needs full isolation, but here only {self.level} is possible "
                f"(missing: {', '.join(self.missing)}); run as root or allow unprivileged user namespaces "
                "(sysctl user.max_user_namespaces > 0) on a kernel with Landlock and seccomp, "
                "or use --sandbox auto"
            )
        if self.level == "limits-only":
            log.warning(
                "codesift sandbox: LIMITS ONLY (no namespace, landlock or seccomp isolation): "
                "generated programs can reach the network and read your files"
            )

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Executor(workers={len(self._zygotes)}, isolation={self.isolation!r})"

    def close(self) -> None:
        for z in self._zygotes:
            z.close()
        self._zygotes.clear()

    # --- public interface --------------------------------------------------------------------------

    def run(
        self,
        code: str,
        tests: Sequence[Test],
        *,
        stop_on_failure: bool = False,
        entry_point: str | None = None,
        overlay: Sequence[tuple[str, str]] = (),
    ) -> list[Execution]:
        """One Execution per test, same order; with ``stop_on_failure`` it ends at the first non-pass.
        ``overlay``: see `Job`."""
        if not self._zygotes:
            raise SandboxError("this executor is closed; create a new one with make_executor()")
        job = Job(code, tuple(tests), stop_on_failure, entry_point, tuple(overlay))
        files = self._overlay(job.overlay)
        z = self._idle.get()
        try:
            return self._run(z, job, files)
        finally:
            self._idle.put(z)

    def _overlay(self, overlay: Sequence[tuple[str, str]]) -> list[tuple[str, bytes]]:
        """Overlay paths made absolute and checked: existing regular files under the overlay root."""
        if not overlay:
            return []
        root = self.profile.overlay_root
        if root is None:
            raise SandboxError(f"profile {self.profile.name!r} has no overlay root; use repo_profile(...) for overlays")
        files = []
        for path, content in overlay:
            full = os.path.realpath(os.path.join(root, path))
            if os.path.commonpath([full, root]) != root or not os.path.isfile(full):
                raise SandboxError(f"overlay path {path!r} is not an existing file under {root}")
            files.append((full, content.encode()))
        return files

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, list[Execution]]]:
        """Run jobs in parallel over the workers; results come back as they finish."""
        width = max(1, len(self._zygotes))
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="codesift-exec") as pool:
            pending: dict[Future[list[Execution]], Job] = {}
            for job in jobs:
                if len(pending) >= 2 * width:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for f in done:
                        yield pending.pop(f), f.result()
                pending[pool.submit(self._job, job)] = job
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    yield pending.pop(f), f.result()

    def _job(self, job: Job) -> list[Execution]:
        return self.run(
            job.code, job.tests, stop_on_failure=job.stop_on_failure, entry_point=job.entry_point, overlay=job.overlay
        )

    # --- runs ----------------------------------------------------------------------------------------

    def _run(self, z: _Zygote, job: Job, files: list[tuple[str, bytes]]) -> list[Execution]:
        program, tests, stop = digest(job.code), job.tests, job.stop_on_failure
        out: list[Execution] = []
        i = 0
        while i < len(tests):
            if tests[i].kind == "stdio":
                batch = [tests[i]]
            else:
                j = i
                while j < len(tests) and tests[j].kind != "stdio":
                    j += 1
                batch = list(tests[i:j])
            done = self._batch(z, program, job, batch, files)
            out += done
            i += len(done)
            if stop and any(e.status != "passed" for e in done):
                break
        return out

    def _batch(
        self, z: _Zygote, program: str, job: Job, tests: list[Test], files: list[tuple[str, bytes]]
    ) -> list[Execution]:
        """Executions for ``tests`` (all call/assert, or one stdio), re-forking after a killed child."""
        out: list[Execution] = []
        stop = job.stop_on_failure
        while len(out) < len(tests):
            rest = tests[len(out) :]
            spawn = self._spawn(z, job, rest, files)
            for test, rec in zip(rest, spawn.records, strict=False):
                out.append(self._verdict(program, test, rec, spawn))
                if stop and out[-1].status != "passed":
                    return out
            if len(spawn.records) < len(rest):
                out.append(self._abnormal(program, rest[len(spawn.records)], spawn))
                if stop and out[-1].status != "passed":
                    return out
        return out

    def _spawn(self, z: _Zygote, job: Job, tests: list[Test], files: list[tuple[str, bytes]]) -> _Spawn:
        nonce = secrets.token_hex(16)
        wire = []
        for t in tests:
            expected = t.output
            if t.kind == "call" and expected is not None:
                try:
                    literal(expected)
                    expected = None  # compared in the parent: the child never sees it
                except NotLiteral:
                    pass
            wire.append((t.kind, t.input, expected if t.kind == "call" else None))
        req = {
            "code": job.code,
            "tests": wire,
            "entry": job.entry_point,
            "stop": job.stop_on_failure,
            "nonce": nonce,
            "timeout": self.limits.timeout,
            "wall_slack": WALL_SLACK,
            "stdin": tests[0].input.encode() if tests[0].kind == "stdio" else None,
            "paths": self._config["paths"],
            "overlay": files,
        }
        reply = z.spawn(req, WALL_SLACK * self.limits.timeout * (len(tests) + 1) + 30.0)
        if reply is None:
            return _Spawn([], -1, False, False, b"", b"", 0.0, lost=True)
        results: bytes = reply["results"]
        if results.startswith(READY):
            results = results[len(READY) :]
        elif os.WIFEXITED(reply["status"]) and os.WEXITSTATUS(reply["status"]) == SETUP_FAILED:
            err = reply["stderr"].decode(errors="replace").strip()
            raise SandboxError(f"sandbox set-up failed in the child: {err}")
        records: list[dict[str, Any]] = []
        forged = False
        for line in results.split(b"\n")[:-1]:
            try:
                rec = json.loads(line)
                ok = rec.get("n") == nonce and rec.get("i") == len(records)
            except (ValueError, AttributeError):
                ok = False
            if not ok:
                forged = True
                break
            records.append(rec)
        return _Spawn(
            records=records,
            status=reply["status"],
            timeout=reply["timeout"],
            output_limit=reply["output_limit"],
            stdout=reply["stdout"],
            stderr=reply["stderr"],
            seconds=reply["seconds"],
            forged=forged,
            cpu_limit=reply["cpu_limit"],
            oom=reply["oom"],
        )

    def _verdict(self, program: str, test: Test, rec: dict[str, Any], spawn: _Spawn) -> Execution:
        status, output, error = str(rec["status"]), str(rec.get("output") or ""), rec.get("error")
        seconds = float(rec.get("s") or 0.0)
        if test.kind == "stdio":
            output = spawn.stdout[: self.limits.output].decode(errors="replace")
            if status == "ran":
                status = "passed" if test.output is None or stdout_matches(output, test.output) else "failed"
        elif test.kind == "call" and status == "ran":
            got, _, want_canon = output.partition("\0")
            output = got
            if test.output is None:
                status = "passed"
            else:
                status = "passed" if _call_matches(got, want_canon or test.output) else "failed"
        if status not in _STATUSES:
            status, error = "error", "BadResult"
        return Execution(
            program=program,
            test=test.key,
            status=cast(Status, status),
            output=output,
            error=error,
            seconds=seconds,
        )

    def _abnormal(self, program: str, test: Test, spawn: _Spawn) -> Execution:
        """The verdict for the test a child was running when it died or was killed."""
        output = spawn.stdout[: self.limits.output].decode(errors="replace") if test.kind == "stdio" else ""
        st = spawn.status
        error: str | None = None
        status: Status
        if spawn.lost:
            status, error = "error", "SandboxLost"
        elif spawn.timeout:
            status = "timeout"
        elif spawn.output_limit:
            status = "output-limit"
        elif spawn.forged:
            status, error = "error", "ForgedResult"
        elif os.WIFSIGNALED(st):
            status, error = signal_verdict(os.WTERMSIG(st), spawn.cpu_limit, spawn.oom)
        elif test.kind == "stdio" and os.WEXITSTATUS(st) == 0:  # os._exit(0) after printing: judged on output
            ok = test.output is None or stdout_matches(output, test.output)
            status = "passed" if ok else "failed"
        elif b"MemoryError" in spawn.stderr:
            status, error = "memory", "MemoryError"
        else:
            status, error = "error", f"exit {os.WEXITSTATUS(st)}"
        seconds = self.limits.timeout if status == "timeout" else spawn.seconds
        return Execution(program=program, test=test.key, status=status, output=output, error=error, seconds=seconds)


_STATUSES = set(get_args(Status))
# Signals a program dies of by its own fault (error, named); any other signal killed it (killed).
CRASHES = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT, signal.SIGSYS, signal.SIGTRAP}


def signal_verdict(sig: int, cpu_limit: bool, oom: bool) -> tuple[Status, str | None]:
    """What a child killed by ``sig`` gets: ``timeout`` for the CPU-time limit (SIGXCPU, or SIGKILL
    once its CPU time reached the limit), ``memory`` for SIGKILL while the OOM killer struck,
    ``error`` for a crash, else ``killed``; the error names the signal."""
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu_limit):
        return "timeout", None  # the CPU-time form of the time limit
    if sig == signal.SIGKILL and oom:
        return "memory", "OOMKilled"
    return ("error" if sig in CRASHES else "killed"), signal.Signals(sig).name


def _call_matches(got: str, want: str) -> bool:
    try:
        return equal(literal(got), literal(want))
    except NotLiteral:
        return got == want


def make_executor(
    workers: int = 2, sandbox: str = "auto", limits: Limits | None = None, profile: Profile = SOLVE
) -> Executor:
    """The sandboxed executor at the best isolation this kernel allows (see `Executor.isolation`),
    for one profile (`codesift.execute.profiles`; default ``solve``)."""
    return Executor(workers=workers, sandbox=sandbox, limits=limits, profile=profile)
