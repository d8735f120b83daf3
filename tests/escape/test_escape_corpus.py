"""Escape corpus: hostile programs through the real sandbox.

Each case asserts the exact verdict and that nothing leaked: no connection or datagram reached the
servers this test starts, no file appeared outside the run's directory, no secret from the parent's
environment came back, and no process outlived its run. As root (CI) the whole corpus also runs a
second time as ``nobody``, where the sandbox must reach full isolation through a user namespace.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import codesift
from codesift.execute import Executor, Job, Limits, make_executor
from codesift.records import Test

REPO = Path(__file__).resolve().parents[2]
SECRET = f"codesift-secret-{uuid.uuid4().hex}"
UNPRIVILEGED = os.geteuid() != 0
TEMP_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run", "/run/lock")


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    status: str
    error: str | None = None
    stdout: str | None = None  # expected stdout (stdio test); None: the run is only observed
    kind: str = "stdio"  # "call" runs f() instead


def denied(action: str) -> str:
    """A program that tries ``action`` and says whether it worked (an exact verdict in every mode)."""
    body = "\n".join("    " + line for line in action.strip().splitlines())
    return f"try:\n{body}\nexcept OSError:\n    print('denied')\nelse:\n    print('LEAKED')\n"


SYSCALLS = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
calls = {
    "socket": (41, 2, 1, 0), "unshare": (272, 0x10000000), "io_uring_setup": (425, 8, 0),
    "bpf": (321, 0, 0, 0), "ptrace_traceme": (101, 0, 0, 0), "mount": (165, 0, 0, 0, 0, 0),
    "keyctl": (250, 0, 0), "setuid": (105, 0), "chroot": (161, 0), "perf_event_open": (298, 0, 0, 0, 0, 0),
    "inotify_init1": (294, 0), "inotify_init": (253,), "fanotify_init": (300, 0, 0),
}
for name, args in calls.items():
    ctypes.set_errno(0)
    r = libc.syscall(*args)
    print(name, r, ctypes.get_errno())
"""
SYSCALLS_BLOCKED = "\n".join(
    f"{n} -1 1"
    for n in (
        "socket", "unshare", "io_uring_setup", "bpf", "ptrace_traceme", "mount", "keyctl", "setuid", "chroot",
        "perf_event_open", "inotify_init1", "inotify_init", "fanotify_init",
    )
)  # fmt: skip
# Watch every temporary, shared-memory and writable place for a second and print what shows up
# there (the host keeps creating files named after SECRET in each; see Servers.churn).
WATCH = """
import ctypes, os, struct, time
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(0o4000)
if fd < 0:
    print("denied", ctypes.get_errno())
else:
    for path in ("/tmp", "/var/tmp", "/dev/shm", "/run", "/run/lock", os.getcwd(), os.environ["HOME"], "/"):
        libc.inotify_add_watch(fd, path.encode(), 0xFFF)
    seen, end = set(), time.monotonic() + 1
    while time.monotonic() < end:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            time.sleep(0.01)
            continue
        while data:
            size = struct.unpack_from("iIII", data)[3]
            seen.add(data[16 : 16 + size].rstrip(b"\\0").decode())
            data = data[16 + size :]
    print("watched", sorted(seen))
"""
CAPABILITIES = '''
import os, subprocess, sys
PROBE = """
import ctypes, struct
libc = ctypes.CDLL(None)
header, sets = ctypes.create_string_buffer(struct.pack("Ii", 0x20080522, 0), 8), ctypes.create_string_buffer(24)
libc.capget(header, sets)
bounding = sum(libc.prctl(23, cap, 0, 0, 0) == 1 for cap in range(64))
ambient = sum(libc.prctl(47, 1, cap, 0, 0) == 1 for cap in range(64))
print(list(struct.unpack("6I", sets.raw)), bounding, ambient)
"""
print(" ".join(l for l in open("/proc/self/status").read().splitlines() if l.startswith(("Cap", "NoNewPrivs"))))
exec(PROBE)
python = os.path.realpath(sys.executable)
print(subprocess.run([python, "-I", "-S", "-c", PROBE], capture_output=True, text=True).stdout, end="")
'''
NO_CAPABILITIES = " ".join(f"{s}:\t{0:016x}" for s in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"))

CASES = [
    Case(
        "tcp-connect",
        "import socket\nsocket.create_connection(('127.0.0.1', {tcp}), timeout=1).sendall(b'x')\n",
        "error",
        "PermissionError",
    ),
    Case(
        "udp-send",
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.sendto(b'x', ('127.0.0.1', {udp}))\n",
        "error",
        "PermissionError",
    ),
    Case("dns-lookup", "import socket\nsocket.getaddrinfo('example.com', 80)\n", "error", "gaierror"),
    Case(
        "unix-socket-file",
        "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({unix!r})\ns.send(b'x')\n",
        "error",
        "PermissionError",
    ),
    Case(
        "abstract-unix-socket",
        denied("import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({abstract!r})"),
        "passed",
        stdout="denied",
    ),
    Case("raw-syscalls-via-ctypes", SYSCALLS, "passed", stdout=SYSCALLS_BLOCKED),
    Case("inotify-on-temporary-folders", WATCH, "passed", stdout="denied 1"),
    Case(
        "host-temporary-files-invisible",
        "import os\nprint('visible:', sum(os.path.lexists(p) for p in {markers!r}))\n",
        "passed",
        stdout="visible: 0",
    ),
    Case(
        "capability-sets-empty",  # in the program, and in a program it executes
        CAPABILITIES,
        "passed",
        stdout=f"{NO_CAPABILITIES} NoNewPrivs:\t1\n" + "[0, 0, 0, 0, 0, 0] 0 0\n" * 2,
    ),
    Case(
        "sigkill-own-process-group",
        "import os, signal\nprint('x', flush=True)\nos.killpg(0, signal.SIGKILL)\n",
        "killed",
        "SIGKILL",
    ),
    Case("sigterm-itself", "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n", "killed", "SIGTERM"),
    Case("abort", "import os\nos.abort()\n", "error", "SIGABRT"),
    # The host's /tmp is behind the sandbox's own empty one: the folder is not even there.
    Case("write-outside-tmp", "open({outside!r}, 'w').write('x')\n", "error", "FileNotFoundError"),
    Case("write-repository", "open({repo!r} + '/ESCAPED', 'w').write('x')\n", "error", "PermissionError"),
    Case("read-root-home", "import os\nprint(os.listdir('/root'))\n", "error", "PermissionError"),
    Case("read-etc-shadow", "print(open('/etc/shadow').read())\n", "error", "PermissionError"),
    Case(
        "environment-secrets",
        "import os\nprint(sorted(os.environ))\n",
        "passed",
        stdout="['HOME', 'LANG', 'PATH', 'PYTHONHASHSEED', 'TMPDIR']",
    ),
    Case(
        "parent-proc-environ",
        denied("print(open('/proc/{parent}/environ').read())"),
        "passed",
        stdout="denied",
    ),
    Case(
        "zygote-proc-environ",
        denied("import os\nprint(open(f'/proc/{os.getppid()}/environ').read())"),
        "passed",
        stdout="denied",
    ),
    Case("list-other-processes", denied("import os\nprint(os.listdir('/proc'))"), "passed", stdout="denied"),
    Case(
        "own-environ-is-clean",
        "print(open('/proc/self/environ').read().count('SECRET'))\n",
        "passed",
        stdout="0",
    ),
    Case("fork-bomb", "import os\nwhile True:\n    os.fork()\n", "error", "BlockingIOError"),
    # Small stacks, so the process limit stops it, not the 256 MB address space: where that limit strikes depends
    # on the zygote's memory layout, and inside a new thread's start-up CPython waits forever (a timeout instead).
    Case(
        "thread-bomb",
        "import threading, time\nthreading.stack_size(1 << 16)\nwhile True:\n"
        "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n",
        "error",
        "RuntimeError",
    ),
    Case("memory-bomb-at-once", "x = bytearray(1 << 40)\n", "memory", "MemoryError"),
    Case(
        "memory-bomb-growing",
        "a = []\nwhile True:\n    a.append(bytearray(16 << 20))\n",
        "memory",
        "MemoryError",
    ),
    Case(
        "disk-fill-one-file",
        "with open('big', 'wb') as f:\n    while True:\n        f.write(b'x' * (1 << 20))\n",
        "error",
        "OSError",
    ),
    Case(
        "disk-fill-many-files",
        "i = 0\nwhile True:\n    with open(f'f{i}', 'wb') as f:\n        f.write(b'x' * (8 << 20))\n    i += 1\n",
        "error",
        "OSError",
    ),
    Case(
        "loop-ignoring-sigxcpu",
        "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n",
        "timeout",
    ),
    Case("forked-busy-loops", "import os\nos.fork()\nos.fork()\nwhile True:\n    pass\n", "timeout"),
    Case(
        "setsid-daemon-outlives-run",
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        time.sleep(60)\n    os._exit(0)\nprint('ok')\n",
        "passed",
        stdout="ok",
    ),
    Case(
        "grandchild-holds-stdout",
        "import os, time\nif os.fork() == 0:\n    time.sleep(60)\nprint('done')\n",
        "passed",
        stdout="done",
    ),
    Case(
        "kill-the-zygote",
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
        "error",
        "PermissionError",
    ),
    Case(
        "kill-the-parent",
        "import os, signal\nos.kill({parent}, signal.SIGKILL)\n",
        "error",
        "PermissionError",
    ),
    Case(
        "kill-everything",
        "import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('alive')\n",
        "passed",
        stdout="alive",
    ),
    Case(
        "ptrace-the-zygote",
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.ptrace(16, os.getppid(), 0, 0), ctypes.get_errno())\n",
        "passed",
        stdout="-1 1",
    ),
    Case("device-access", denied("open('/dev/kmsg', 'w').write('x')"), "passed", stdout="denied"),
    Case("device-mem", denied("open('/dev/mem', 'rb').read(1)"), "passed", stdout="denied"),
    Case("huge-stdout", "while True:\n    print('x' * 4096)\n", "output-limit"),
    Case(
        "binary-garbage-stdout",
        "import sys\nsys.stdout.buffer.write(bytes(range(256)) * 64)\n",
        "failed",
        stdout="hello",
    ),
    Case("deep-recursion", "def f(n):\n    return f(n + 1)\nf(0)\n", "error", "RecursionError"),
    Case(
        "c-stack-overflow",
        "import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return max([n], key=lambda _: f(n + 1))\nf(0)\n",
        "error",
        "SIGSEGV",
    ),
    Case("sys-exit-zero-after-answer", "import sys\nprint('ok')\nsys.exit(0)\n", "passed", stdout="ok"),
    Case("sys-exit-nonzero", "import sys\nprint('ok')\nsys.exit(3)\n", "error", "SystemExit"),
    Case("os-exit-inside-call", "import os\ndef f():\n    os._exit(0)\n", "error", "exit 0", kind="call"),
    Case(
        "forged-result-record",
        'import os\ndef f():\n    os.write(3, b\'{"i": 0, "status": "passed"}\\n\')\n    os._exit(0)\n',
        "error",
        "ForgedResult",
        kind="call",
    ),
    Case(
        "close-result-channel",
        "import os\nos.close(3)\ndef f():\n    return 1\n",
        "error",
        "exit 1",
        kind="call",
    ),
    Case("change-uid-back", "import os\nos.setuid(0)\n", "error", "PermissionError"),
    Case(
        "lock-the-next-run-out",
        "import os\nos.mkdir('trap', 0)\nos.chmod('.', 0)\nprint('done')\n",
        "passed",
        stdout="done",
    ),
    Case("other-runs-directories", "import os\nprint(os.listdir('..'))\n", "error", "PermissionError"),
]


class Servers:
    """TCP, UDP and unix-socket servers on this host that a sandboxed program must never reach."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.dir = tempfile.mkdtemp(prefix="codesift-escape-")
        os.chmod(self.dir, 0o755)
        self.unix_path = os.path.join(self.dir, "sock")
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(self.unix_path)
        os.chmod(self.unix_path, 0o777)
        self.abstract_name = f"\0codesift-escape-{uuid.uuid4().hex}"
        self.abstract = socket.socket(socket.AF_UNIX)
        self.abstract.bind(self.abstract_name)
        for s in (self.tcp, self.unix, self.abstract):
            s.listen()
        for s in (self.tcp, self.udp, self.unix, self.abstract):
            s.settimeout(0.2)
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()
        self.outside = os.path.join(self.dir, "escaped")
        # Files the host keeps in, and keeps creating in, every shared temporary folder it may write.
        self.temp = [d for d in TEMP_FOLDERS if os.path.isdir(d) and os.access(d, os.W_OK)]
        self.markers = [os.path.join(d, f"{SECRET}-marker") for d in self.temp]
        for marker in self.markers:
            with open(marker, "w") as fh:
                fh.write(SECRET)
        self.running = True
        threading.Thread(target=self._churn, daemon=True).start()

    def _churn(self) -> None:
        while self.running:
            for folder in self.temp:
                path = os.path.join(folder, f"{SECRET}-{time.monotonic_ns()}")
                with open(path, "w"):
                    pass
                os.unlink(path)
            time.sleep(0.02)

    def _serve(self, s: socket.socket) -> None:
        while True:
            try:
                if s.type == socket.SOCK_DGRAM:
                    self.hits.append(f"udp {s.recv(100)!r}")
                else:
                    self.hits.append(f"connection {s.accept()[1]!r}")
            except TimeoutError:
                continue
            except OSError:
                return

    def placeholders(self) -> dict[str, object]:
        return {
            "tcp": self.tcp.getsockname()[1],
            "udp": self.udp.getsockname()[1],
            "unix": self.unix_path,
            "abstract": self.abstract_name,
            "outside": self.outside,
            "markers": self.markers,
            "repo": str(REPO),
            "parent": os.getpid(),
        }

    def close(self) -> None:
        self.running = False
        for marker in self.markers:
            os.unlink(marker)
        for s in (self.tcp, self.udp, self.unix, self.abstract):
            s.close()
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)


def fill(code: str, servers: Servers) -> str:
    for key, value in servers.placeholders().items():
        code = code.replace(f"{{{key}!r}}", repr(value)).replace(f"{{{key}}}", str(value))
    return code


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    s = Servers()
    yield s
    s.close()


@pytest.fixture(scope="module")
def ex() -> Iterator[Executor]:
    os.environ["CODESIFT_TEST_SECRET"] = SECRET  # the executor must not pass it on
    try:
        with make_executor(workers=2, limits=Limits(timeout=1.5, memory=256 << 20)) as e:
            yield e
    finally:
        del os.environ["CODESIFT_TEST_SECRET"]


def comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def survivors(ex: Executor) -> list[int]:
    """Processes still alive from any run: the zygotes' children, and anything running as a slot uid,
    except each zygote's one pre-forked child waiting for its next request (given a moment to get
    there: the zygote forks it right after replying)."""
    deadline = time.monotonic() + 2
    while (found := _survivors(ex)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return found


def _survivors(ex: Executor) -> list[int]:
    zygotes = [z.proc.pid for z in ex._zygotes]
    found, idle = [], []
    for z in zygotes:
        with open(f"/proc/{z}/task/{z}/children") as fh:
            children = [int(p) for p in fh.read().split()]
        waiting = [p for p in children if comm(p) == "codesift-idle"]
        assert len(waiting) <= 1
        idle += waiting
        found += [p for p in children if p not in waiting]
    slot_uids = {str(1_000_000 + z) for z in zygotes}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as fh:
                    uid = next(line.split()[1] for line in fh if line.startswith("Uid:"))
            except (OSError, StopIteration):
                continue
            if uid in slot_uids and int(entry) not in idle:
                found.append(int(entry))
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_program_is_contained(case: Case, ex: Executor, servers: Servers) -> None:
    code = fill(case.code, servers)
    test = (
        Test(kind="call", input="", output="1")
        if case.kind == "call"
        else Test(kind="stdio", input="", output=case.stdout)
    )
    [e] = ex.run(code, [test], entry_point="f" if case.kind == "call" else None)
    assert (e.status, e.error) == (case.status, case.error), e.output[:500]
    if case.status == "passed":
        assert e.output.split() == (case.stdout or "").split()
    assert SECRET not in e.output
    assert e.seconds < 10  # nothing held the run open (a grandchild sleeps 60 s in two cases)
    assert survivors(ex) == []
    assert servers.hits == []
    assert not os.path.exists(servers.outside) and not (REPO / "ESCAPED").exists()


SYSV = """
import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
KEY, CREATE = 0xC0DE5, 0o1000 | 0o600
if os.environ.get("CREATE"):
    shm = libc.shmget(KEY, 64 << 20, CREATE)
    address = libc.shmat(shm, None, 0)
    ctypes.memset(address, 1, 64 << 20)  # touched: real memory, held by the segment after the run
    libc.shmdt(ctypes.c_void_p(address))
    queue = libc.msgget(KEY, CREATE)
    message = ctypes.create_string_buffer(struct.pack("q", 1) + os.urandom(64))
    sems = libc.semget(KEY, 4, CREATE)
    posix = libc.mq_open(b"/codesift", os.O_CREAT | os.O_RDWR, 0o600, None)  # Landlock: EACCES
    print("created", shm >= 0, queue >= 0, libc.msgsnd(queue, message, 64, 0) == 0, sems >= 0, posix >= 0)
else:
    found = []
    for call, args in ((libc.shmget, (KEY, 0, 0)), (libc.msgget, (KEY, 0)), (libc.semget, (KEY, 0, 0))):
        ctypes.set_errno(0)
        found.append((call(*args), ctypes.get_errno()))
    print("found", found)
"""


def host_ipc() -> dict[str, int]:
    """SysV IPC objects in this (the host's) IPC namespace, by kind."""
    counts = {}
    for kind in ("shm", "msg", "sem"):
        with open(f"/proc/sysvipc/{kind}") as fh:
            counts[kind] = len(fh.readlines()) - 1
    return counts


def test_sysv_ipc_objects_die_with_the_run(ex: Executor) -> None:
    before = host_ipc()
    created = ex.run("import os\nos.environ['CREATE'] = '1'\n" + SYSV, [Test(kind="stdio", input="")])[0]
    assert created.output == "created True True True True False\n", created
    assert host_ipc() == before  # nothing reached the host's namespace
    for _ in range(2):  # both workers: not even the same zygote's next run finds them
        probe = ex.run(SYSV, [Test(kind="stdio", input="")])[0]
        assert probe.output == "found [(-1, 2), (-1, 2), (-1, 2)]\n", probe  # ENOENT


def idle_child(zygote: int, seconds: float = 10.0) -> int:
    """The zygote's pre-forked child once it is confined and waiting (on a loaded machine it takes a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        with open(f"/proc/{zygote}/task/{zygote}/children") as fh:
            idle = [int(p) for p in fh.read().split() if comm(int(p)) == "codesift-idle"]
        if idle or time.monotonic() > deadline:
            [child] = idle
            return child
        time.sleep(0.05)


def test_a_waiting_child_has_no_capabilities_and_a_private_ipc_namespace(ex: Executor) -> None:
    """Checked from outside: the pre-forked child of each zygote, confined, waiting for its request."""
    for z in ex._zygotes:
        child = idle_child(z.proc.pid)
        with open(f"/proc/{child}/status") as fh:
            status = dict(line.split(":", 1) for line in fh.read().splitlines())
        for name in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert int(status[name], 16) == 0, (name, status[name])
        assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"
        ipc = [os.readlink(f"/proc/{pid}/ns/ipc") for pid in (child, z.proc.pid, os.getpid())]
        assert ipc[0] == ipc[1] != ipc[2]  # the zygote's own, emptied after every run


def test_temporary_files_do_not_outlive_their_run(ex: Executor) -> None:
    writer = (
        f"import os\nfor d in ('/dev/shm', '.', os.environ['TMPDIR']):\n    open(os.path.join(d, {SECRET!r}), 'w')\n"
    )
    assert ex.run(writer + "print('ok')", [Test(kind="stdio", input="", output="ok")])[0].status == "passed"
    lister = "import os\nprint(os.listdir('/dev/shm'), os.listdir('.'), os.listdir(os.environ['TMPDIR']))\n"
    for _ in range(2):
        assert ex.run(lister, [Test(kind="stdio", input="")])[0].output == "[] [] []\n"


def test_after_the_corpus_a_normal_program_still_runs(ex: Executor, servers: Servers) -> None:
    stdio_ok = Test(kind="stdio", input="", output="ok")
    for case in CASES:  # the whole corpus again, back to back on the same zygotes
        test = Test(kind="call", input="") if case.kind == "call" else Test(kind="stdio", input="")
        ex.run(fill(case.code, servers), [test], entry_point="f")
    code = "def add(a, b):\n    return a + b\n"
    results = ex.run(code, [Test(kind="call", input="2, 3", output="5"), Test(kind="call", input="2, 2", output="5")])
    assert [r.status for r in results] == ["passed", "failed"]
    assert (
        ex.run("print(sum(map(int, input().split())))", [Test(kind="stdio", input="1 2 3\n", output="6")])[0].status
        == "passed"
    )
    writer = Job(code="open('out.txt', 'w').write('ok')\nprint(open('out.txt').read())\n", tests=(stdio_ok,))
    assert all(es[0].status == "passed" for _, es in ex.map([writer] * 4))  # both workers' directories
    assert survivors(ex) == [] and servers.hits == []


def hide_root_then(argv: list[str], keep: str) -> list[str]:
    """As root: a private mount namespace where /root (holding this interpreter) is an empty tmpfs
    with only the interpreter bound back (by way of the empty folder ``keep``), then ``nobody``; the
    way an unprivileged user sees a box."""
    prefix = sys.base_prefix
    steps = []
    if prefix.startswith("/root/"):
        steps += [
            f"mount --bind {shlex.quote(prefix)} {keep}",
            "mount -t tmpfs -o size=1m,mode=0755 none /root",
            f"mkdir -p {shlex.quote(prefix)}",
            f"mount --move {keep} {shlex.quote(prefix)}",
        ]
    steps.append("exec setpriv --reuid=65534 --regid=65534 --clear-groups -- " + shlex.join(argv))
    return ["unshare", "--mount", "--propagation", "private", "sh", "-ec", "; ".join(steps)]


def test_the_corpus_holds_for_an_unprivileged_user(ex: Executor) -> None:
    if UNPRIVILEGED:  # this is the nested run: the sandbox reached full isolation without root
        assert ex.isolation.startswith("full (userns+netns")
        return
    pytest_argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "LANG": "C.UTF-8"}
    env["PYTHONPATH"] = str(Path(codesift.__file__).parents[1])  # this checkout's sandbox, not an installed one
    profiles = str(Path(__file__).parents[1] / "test_execute_profiles.py")  # the tool and repo profiles too
    outputs = []
    for target in (__file__, profiles):
        with tempfile.TemporaryDirectory(prefix="codesift-keep-") as keep:
            argv = hide_root_then([*pytest_argv, target], keep)
            proc = subprocess.run(argv, cwd="/", env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert " passed" in proc.stdout and "skipped" not in proc.stdout
        outputs.append(proc.stdout)
    assert f"{len(CASES) + 5} passed" in outputs[0]
