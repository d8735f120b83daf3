"""The per-worker fork server: started once as ``python -s -P -S zygote.py``, forks one child per run.

Stdlib only and deliberately small: fork cost grows with the parent's memory. Protocol on fds 0/1:
4-byte big-endian length + ``marshal`` payload, one request then one reply per run (the parent is
trusted, children never hold these fds). The next child is forked and fully confined right after a
reply, while the parent reads it; it then waits for its request on a pipe, so a run's critical path
is "hand over the request, run". The zygote, not the parent, watches the child: a pidfd and the
output pipes are polled against a per-test deadline (in CPU seconds, `TestClock`), output is capped
while it streams, and on exit or timeout the whole tree is killed, including orphans the zygote
adopted as subreaper.
"""

from __future__ import annotations

import gc
import importlib
import marshal
import os
import select
import signal
import struct
import sys
import time
from typing import Any, NamedTuple, NoReturn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contextlib

import confine
import harness

del sys.path[0]

CTL_IN, CTL_OUT = 0, 1
PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG = 36, 1
IDLE_NAME, RUN_NAME = b"codesift-idle", b"codesift-run"  # what ps shows for a waiting / running child
REQUEST_FD = 4  # a pre-forked child reads its request here, then closes it before running anything
SETUP_FAILED = 70  # trusted only without the harness's ready mark: the program can exit 70 too


def read_msg(fd: int) -> Any:
    head = _read_exact(fd, 4)
    if head is None:
        return None
    body = _read_exact(fd, struct.unpack(">I", head)[0])
    return None if body is None else marshal.loads(body)


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def write_msg(fd: int, obj: Any) -> None:
    body = marshal.dumps(obj)
    data = struct.pack(">I", len(body)) + body
    while data:
        data = data[os.write(fd, data) :]


class Child(NamedTuple):
    """A pre-forked, confined child, the zygote's ends of its pipes, and the host's OOM-kill count
    when it was forked."""

    pid: int
    pidfd: int
    request: int
    stdout: int
    stderr: int
    results: int
    oom_kills: int


class Zygote:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.devnull = os.open(os.devnull, os.O_RDWR)
        self.ctl = (os.dup(CTL_IN), os.dup(CTL_OUT))
        for fd in (CTL_IN, CTL_OUT):
            os.dup2(self.devnull, fd)
        confine.prctl(PR_SET_CHILD_SUBREAPER, 1)
        self.sandbox = confine.Sandbox(config)
        self.root = self.sandbox.workdir
        self.tmp = os.path.join(self.root, "run")
        os.mkdir(self.tmp, 0o700)
        self.sandbox.prepare(self.tmp)
        self.cwd = config["profile"]["cwd"] or self.tmp
        if self.sandbox.bwrap is None:  # bubblewrap runs a fresh interpreter each time: nothing to warm
            preimport(config["profile"], config["paths"], self.root)
        # Warm what every child uses (the parser's first compile costs ms per child otherwise), then
        # freeze the heap so the children's GC never walks, and so never copies, the zygote's pages.
        with open(harness.__file__) as fh:
            compile(fh.read(), "<warm-up>", "exec")
        harness.Reporter("warm-up")
        gc.freeze()

    def serve(self) -> None:
        sb = self.sandbox
        write_msg(
            self.ctl[1],
            {
                "isolation": sb.level,
                "layers": sb.layers,
                "missing": sb.missing,
                "workdir": self.root,
                "cgroup": confine.cgroup_v2(),
            },
        )
        try:
            self.next: Child | None = self._prefork()
            while (req := read_msg(self.ctl[0])) is not None:
                write_msg(self.ctl[1], self.run(req))
                self.sandbox.clean(self.tmp)  # off the critical path, like the next fork
                self.next = self._prefork()
        except BrokenPipeError:  # the parent is gone
            pass
        finally:
            if self.next is not None:
                self._kill_tree(self.next.pid)
            self.sandbox.release()

    def run(self, req: dict[str, Any]) -> dict[str, Any]:
        child = self.next or self._prefork()
        self.next = None
        started = time.perf_counter()
        overlay = self.sandbox.overlay(req["overlay"]) if req.get("overlay") else []
        try:
            with contextlib.suppress(BrokenPipeError):  # it died in set-up: its status and stderr say why
                write_msg(child.request, req)
            os.close(child.request)
            reply = self._watch(child, req)
        finally:
            if overlay:
                self.sandbox.drop_overlay(overlay)
        reply["seconds"] = time.perf_counter() - started
        return reply

    def _prefork(self) -> Child:
        """Fork and fully confine the next child now; it waits for its request on a pipe."""
        req_r, req_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        res_r, res_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            self._child(req_r, out_w, err_w, res_w)
        for fd in (req_r, out_w, err_w, res_w):
            os.close(fd)
        return Child(pid, os.pidfd_open(pid), req_w, out_r, err_r, res_r, oom_kills())

    def _child(self, req_r: int, out_w: int, err_w: int, res_w: int) -> NoReturn:
        try:
            os.setsid()
            # A new session is a new autogroup, and the scheduler shares the CPU evenly between autogroups whatever
            # their processes' niceness: carry the zygote's over, so that `nice codesift ...` stays in the background.
            with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as fh:
                fh.write(str(os.getpriority(os.PRIO_PROCESS, 0)))
            for i, fd in enumerate((self.devnull, out_w, err_w, res_w, req_r)):
                os.dup2(fd, i + 500)
            for i in range(5):
                os.dup2(i + 500, i)
            # As every Python program starts: a write to a closed pipe or socket raises BrokenPipeError instead
            # of killing the program (boltons' own socket tests expect the error; SIG_DFL failed them).
            signal.signal(signal.SIGPIPE, signal.SIG_IGN)
            confine.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # should the zygote itself be killed
            os.chdir(self.cwd)
            self.sandbox.enter(self.tmp)
            confine.close_from(REQUEST_FD + 1)  # after enter: the Landlock rules use the zygote's fds
            confine.set_name(IDLE_NAME)
            req = read_msg(REQUEST_FD)
            if req is None:  # the zygote is shutting down
                os._exit(0)
            os.close(REQUEST_FD)
            confine.set_name(RUN_NAME)
            if req.get("stdin") is not None:
                fd = os.memfd_create("stdin")
                os.write(fd, req["stdin"])
                os.lseek(fd, 0, os.SEEK_SET)
                os.dup2(fd, 0)
                os.close(fd)
            self.sandbox.start(req, self.tmp)
        except BaseException:
            try:
                os.write(2, f"sandbox setup failed: {sys.exc_info()[1]!r}\n".encode())
            finally:
                os._exit(SETUP_FAILED)
        code = 1
        try:
            harness.run(req)
            sys.stdout.flush()
            code = 0
        finally:
            os._exit(code)

    def _watch(self, child: Child, req: dict[str, Any]) -> dict[str, Any]:
        pid, pidfd, out_r, err_r, res_r = child.pid, child.pidfd, child.stdout, child.stderr, child.results
        cap = int(self.config["output"])
        timeout = float(req["timeout"])
        resets = len(req["tests"])
        poll = select.poll()
        for fd in (pidfd, out_r, err_r, res_r):
            poll.register(fd, select.POLLIN)
        bufs: dict[int, bytearray] = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
        slack = float(req["wall_slack"])
        test = TestClock(pid, timeout + 0.2, slack)  # the first test also pays for defining the program
        timed_out = over = exited = False
        open_fds = {out_r, err_r, res_r}
        while not exited:
            left = test.left()
            if left <= 0:
                timed_out = True
                break
            for fd, _ in poll.poll(left * 1000):
                if fd == pidfd:
                    exited = True
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    poll.unregister(fd)
                    open_fds.discard(fd)
                    continue
                bufs[fd] += chunk
                if fd == res_r and resets:
                    done = chunk.count(b"\n")
                    if done:
                        resets = max(0, resets - done)
                        test = TestClock(pid, timeout, slack)
                if len(bufs[fd]) > (cap if fd != res_r else 64 * cap):
                    over = True
                    exited = True
        status, cpu = self._kill_tree(pid)
        oom = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL and oom_kills() > child.oom_kills
        for fd in open_fds:  # whatever the tree wrote before it died, without waiting for EOF
            os.set_blocking(fd, False)
            try:
                while len(bufs[fd]) <= cap and (chunk := os.read(fd, 1 << 16)):
                    bufs[fd] += chunk
            except BlockingIOError:
                pass
        for fd in (pidfd, out_r, err_r, res_r):
            os.close(fd)
        return {
            "status": status,
            "timeout": timed_out,
            "output_limit": over,
            "stdout": bytes(bufs[out_r][: cap + 1]),
            "stderr": bytes(bufs[err_r][:65536]),
            "results": bytes(bufs[res_r]),
            "cpu_limit": cpu >= confine.cpu_limit(req),
            "oom": oom,
        }

    def _kill_tree(self, pid: int) -> tuple[int, float]:
        """SIGKILL the child's group and every process the zygote adopted, reap all; the child's
        status and CPU seconds."""
        status, cpu = 0, 0.0
        for target in (-pid, pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, signal.SIGKILL)
        while True:
            while True:
                try:
                    got, st, usage = os.wait4(-1, os.WNOHANG)
                except ChildProcessError:
                    return status, cpu
                if got == 0:
                    break
                if got == pid:
                    status, cpu = st, usage.ru_utime + usage.ru_stime
            for child in _children():
                for target in (-child, child):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(target, signal.SIGKILL)
            time.sleep(0.0002)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU seconds the process (all its threads) has used so far; 0.0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def queued_seconds(pid: int) -> float:
    """Seconds the process has spent runnable but waiting for a core (schedstat's run_delay; 0.0 if unknown)."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class TestClock:
    """One test's time limit, in the child's CPU seconds; and a cap of `slack` × the limit on the rest of its
    wall time that was not spent waiting for a core (sleeping, blocking).

    A wall-clock limit made verdicts depend on machine load: beside a sampling model, a program needing 2 s of
    CPU under a 3-s limit timed out on one run and passed on the next. The cap still ends programs that sleep.
    """

    def __init__(self, pid: int, limit: float, slack: float) -> None:
        self.pid, self.limit, self.cap = pid, limit, slack * limit
        self.started, self.cpu_start, self.queued_start = time.monotonic(), cpu_seconds(pid), queued_seconds(pid)
        self.deadline = self.started + limit

    def left(self) -> float:
        """Seconds to wait before looking again; <= 0 once the test has used its limit or its cap."""
        now = time.monotonic()
        if now < self.deadline:
            return self.deadline - now
        used = cpu_seconds(self.pid) - self.cpu_start
        unqueued = now - self.started - (queued_seconds(self.pid) - self.queued_start)
        if used >= self.limit or unqueued >= self.cap:
            return 0.0
        self.deadline = now + max(min(self.limit - used, self.cap - unqueued), 0.05)
        return self.deadline - now


def oom_kills() -> int:
    """How many processes the kernel's OOM killer has killed since boot (0 if unknown)."""
    try:
        with open("/proc/vmstat", "rb") as fh:
            text = fh.read()
    except OSError:
        return 0
    at = text.find(b"\noom_kill ")
    return int(text[at + 10 : text.index(b"\n", at + 1)]) if at >= 0 else 0


def preimport(profile: dict[str, Any], paths: list[str], workdir: str) -> None:
    """Import a profile's modules once, in the zygote, and run its warm-up, so that every run forks
    them warm; then take their import paths off again (`harness.run` puts the run's own in front)."""
    if not profile["preimport"]:
        return
    os.environ["MPLCONFIGDIR"] = os.path.join(workdir, "matplotlib")  # its font cache, built once here
    saved = list(sys.path)
    sys.path[:0] = paths
    try:
        for name in profile["preimport"]:
            importlib.import_module(name)
        exec(compile(profile["warmup"], "<warm-up>", "exec"), {"__name__": "__warmup__"})
    finally:
        sys.path[:] = saved
        del os.environ["MPLCONFIGDIR"]


def _children() -> list[int]:
    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children") as fh:
            pids = [int(p) for p in fh.read().split()]
    except OSError:
        return []
    return pids


def bubblewrapped(tmp: str) -> None:
    """``zygote.py --child DIR``: the harness inside a bubblewrap sandbox (fallback mode)."""
    path = os.path.join(tmp, ".request")
    with open(path, "rb") as fh:
        req = marshal.load(fh)
    os.unlink(path)
    if confine.seccomp_available():
        confine.apply_seccomp(confine.seccomp_filter())
    harness.run(req)
    sys.stdout.flush()


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        bubblewrapped(sys.argv[2])
        return
    config = read_msg(CTL_IN)
    if config is None:
        return
    Zygote(config).serve()


if __name__ == "__main__":
    main()
