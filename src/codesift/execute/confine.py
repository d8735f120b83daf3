"""Isolation layers: set up once in the zygote, applied to each forked child; stdlib + ctypes only.

Zygote (once): a private mount and network namespace (as real root directly; otherwise inside a new
user namespace that maps only our own uid), a size-capped tmpfs holding the run directory, a
private emptied-per-run ``/dev/shm``, and as real root ``/root`` hidden behind an empty tmpfs (the
interpreter's prefix bound back read-only) and a fresh ``/proc`` with ``hidepid=invisible``.
Child (per run): rlimits, an unprivileged uid per worker slot when real root (root ignores
RLIMIT_NPROC), no capabilities, no new privileges, then Landlock (reads only where the interpreter
and libraries live, writes only in its run directory, no TCP, no signals or abstract unix sockets
outside its domain) and a seccomp filter (no socket(2) at all, so no UDP or unix sockets either;
socketpair only for AF_UNIX; no ptrace, io_uring, bpf, namespaces, mounts, keyrings, modules or uid
changes).

Levels: ``full (...)`` lists the layers reached; if any is missing, ``auto`` falls back to
bubblewrap per run (slow: a fresh interpreter each time), then to ``limits-only``; ``strict``
refuses both. A layer that fails in a child aborts it before the program runs, never runs it with less.
"""

from __future__ import annotations

import contextlib
import ctypes
import marshal
import os
import resource
import struct
import sys
import time
from typing import Any

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]

X86_64 = os.uname().machine == "x86_64"
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
CLONE_NS_FLAGS = 0x7E020000  # every CLONE_NEW* flag (ns, cgroup, uts, ipc, user, pid, net)
MNT_DETACH = 2
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_NAME = 15
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_SET_DUMPABLE = 38, 22, 2, 4
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
SYS_CAPSET, SYS_CLOSE_RANGE = 126, 436

# Landlock access rights by ABI version (include/uapi/linux/landlock.h).
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_TRUNCATE, FS_IOCTL_DEV = 1 << 14, 1 << 15
FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2

READABLE = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/opt", "/sys/devices/system/cpu")
READABLE_FILES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/proc/cpuinfo", "/proc/meminfo")
HIDDEN = ("/root",)
SHM = "/dev/shm"
RULE_FDS = 600  # Landlock rule fds live at 600+ (the zygote stages a child's pipes at 500+)


def _check(result: int, what: str) -> int:
    if result < 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")
    return result


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    r = _libc.prctl(option, *(ctypes.c_ulong(a) for a in (arg2, arg3, arg4, arg5)))
    return _check(int(r), f"prctl({option})")


def syscall(nr: int, *args: Any) -> int:
    return _check(int(_libc.syscall(ctypes.c_long(nr), *args)), f"syscall {nr}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = [None if s is None else s.encode() for s in (source, target, fstype)]
    _check(_libc.mount(enc[0], enc[1], enc[2], flags, None if data is None else data.encode()), f"mount {target}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def landlock_abi() -> int:
    """Landlock ABI version, 0 if the kernel has none (or this is not x86_64, whose numbers we use)."""
    if not X86_64:
        return 0
    try:
        return syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except OSError:
        return 0


def seccomp_available() -> bool:
    try:
        with open("/proc/self/status") as fh:
            return X86_64 and "Seccomp:" in fh.read()
    except OSError:
        return False


def _all_uids_mapped() -> bool:
    """Root with every uid available (not root of a user namespace that maps a few): can drop to any."""
    try:
        with open("/proc/self/uid_map") as fh:
            return fh.read().split() == ["0", "0", "4294967295"]
    except OSError:
        return False


class Sandbox:
    """What this zygote could set up (``level``, ``layers``); ``enter`` applies it to a forked child."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.layers: list[str] = ["rlimits", "private-tmp", "clean-env", "subreaper", "pidfd-timeout"]
        self.missing: list[str] = []
        self.root = os.geteuid() == 0 and _all_uids_mapped()
        self.uid: int | None = None
        self.landlock = 0
        self.seccomp: bytes | None = None
        self.readable: list[str] = []
        self.shm: str | None = None
        self._rules: list[Any] = []
        self.workdir = f"/tmp/codesift-zygote-{os.getpid()}-{time.time_ns()}"  # tempfile costs ~2 MB of imports
        os.mkdir(self.workdir, 0o700)
        self.bwrap: list[str] | None = None
        mode = config["mode"]
        if mode in ("auto", "strict"):
            self._isolate()
        if mode in ("auto", "strict") and not self.missing:
            self.level = "full (" + "+".join(self.layers[5:]) + ")"
        elif mode in ("auto", "bubblewrap") and self._bubblewrap():
            self.layers += ["bubblewrap(userns+netns+pidns+read-only-fs)"]
            self.layers += ["seccomp"] if seccomp_available() else []
            self.level = "bubblewrap (" + "+".join(self.layers[5:]) + ")"
        else:
            self.level = "limits-only"

    # --- zygote, once ------------------------------------------------------------------------------

    def _isolate(self) -> None:
        uid, gid = os.geteuid(), os.getegid()
        try:
            unshare(CLONE_NEWNS | CLONE_NEWNET | (0 if self.root else CLONE_NEWUSER))
            if not self.root:
                for name, text in (
                    ("setgroups", "deny"),
                    ("uid_map", f"{uid} {uid} 1"),
                    ("gid_map", f"{gid} {gid} 1"),
                ):
                    with open(f"/proc/self/{name}", "w") as fh:
                        fh.write(text)
            self.layers += ["userns+netns" if not self.root else "netns", "mountns"]
            mount(None, "/", None, MS_REC | MS_PRIVATE)
            size = int(self.config["disk"])
            mount("codesift", self.workdir, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=0711")
            if os.path.isdir(SHM):  # POSIX semaphores (multiprocessing) live here: a private, emptied one
                mount("codesift", SHM, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
                self.shm = SHM
            self.layers.append("tmpfs")
        except OSError as e:
            self.missing.append(f"namespaces ({e.strerror})")
            return
        if self.root:
            try:
                self._hide()
                self.uid = 1_000_000 + os.getpid()
                self.layers += ["hidden-/root", "hidepid", "uid"]
            except OSError as e:
                self.missing.append(f"uid drop ({e.strerror})")
        self.readable = [p for p in self._readable() if os.path.exists(p)]
        self.landlock = landlock_abi()
        if self.landlock >= 1:
            self.layers.append(f"landlock-v{self.landlock}")
        else:
            self.missing.append("landlock")
        if seccomp_available():
            self.seccomp = seccomp_filter()
            self.layers.append("seccomp")
        else:
            self.missing.append("seccomp")

    def _bubblewrap(self) -> bool:
        """Use bubblewrap per run if it is installed and works here (it needs user namespaces)."""
        path = self.config.get("bwrap")
        if not path:
            self.missing.append("bubblewrap (not installed)")
            return False
        argv = [path, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session"]
        argv += ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        # A checkout or venv under /tmp (a CI clone, say) must stay visible under the fresh /tmp.
        venv = os.path.dirname(os.path.dirname(sys.executable))  # under -I -S, sys.prefix is not the venv
        own = [*self._readable(), venv, os.path.dirname(os.path.abspath(__file__))]
        argv += [a for p in own if p.startswith("/tmp/") for a in ("--ro-bind", p, p)]
        for hidden in HIDDEN if self.root else ():
            argv += ["--tmpfs", hidden]
            argv += [a for p in self._readable() if p.startswith(hidden + "/") for a in ("--ro-bind", p, p)]
        argv += ["--uid", "65534", "--gid", "65534", "--cap-drop", "ALL", "--clearenv"]
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            try:
                os.execv(path, [*argv, "--", "/bin/true"])
            finally:
                os._exit(127)
        if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0:
            self.missing.append("bubblewrap (does not run here)")
            return False
        self.bwrap = argv
        return True

    def exec_bubblewrap(self, req: dict[str, Any], tmp: str) -> None:
        """Child, bubblewrap mode: re-run this file's harness entry inside a fresh bwrap sandbox."""
        assert self.bwrap is not None
        close_from(4)  # only the program's stdio and the result pipe (fd 3) reach bwrap
        with open(os.path.join(tmp, ".request"), "wb") as fh:
            fh.write(marshal.dumps(req))
        env = ["--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", tmp, "--setenv", "TMPDIR", tmp]
        zygote = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zygote.py")
        argv = [*self.bwrap, "--bind", tmp, tmp, "--chdir", tmp, *env, "--setenv", "LANG", "C.UTF-8"]
        os.execv(self.bwrap[0], [*argv, "--", sys.executable, "-I", "-S", zygote, "--child", tmp])

    def _readable(self) -> list[str]:
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        return sorted({*READABLE, *prefixes, *self.config.get("paths", ())})

    def _hide(self) -> None:
        """Empty tmpfs over /root (and a fresh hidepid /proc); the interpreter's files are bound back."""
        keep = sorted(p for p in self._readable() if any(p.startswith(h + "/") for h in HIDDEN))
        fds = {p: os.open(p, os.O_PATH) for p in keep if os.path.isdir(p)}
        for hidden in HIDDEN:
            if os.path.isdir(hidden):
                mount("codesift", hidden, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
        for path, fd in fds.items():
            os.makedirs(path, 0o755, exist_ok=True)
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
            os.close(fd)
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV, "hidepid=invisible")

    def prepare(self, tmp: str) -> None:
        """Zygote, once: the run directory (same inode for every run), the environment children
        inherit, the Landlock rules and the seccomp program, so that a child only applies them."""
        if self.uid is not None:
            os.chown(tmp, self.uid, self.uid)
        os.environ.clear()
        os.environ.update({"PATH": "/usr/bin:/bin", "HOME": tmp, "TMPDIR": tmp, "LANG": "C.UTF-8"})
        if self.landlock:
            self._landlock_rules(tmp)
        if self.seccomp is not None:
            self._fprog = seccomp_program(self.seccomp)

    def _landlock_rules(self, tmp: str) -> None:
        abi = self.landlock
        fs = FS_BY_ABI.get(abi, (1 << 16) - 1)
        attr = struct.pack("Q", fs)
        if abi >= 4:
            attr += struct.pack("Q", NET_BIND_TCP | NET_CONNECT_TCP)
        if abi >= 6:
            attr += struct.pack("Q", SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
        self._ruleset_attr = ctypes.create_string_buffer(attr, len(attr))
        read_dir = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
        self._file_bits = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | (FS_TRUNCATE if abi >= 3 else 0)
        self._fs = fs
        rules = [(p, read_dir) for p in self.readable]
        rules += [(p, FS_READ_FILE) for p in READABLE_FILES if os.path.exists(p)]
        rules += [("/dev/null", FS_READ_FILE | FS_WRITE_FILE), (tmp, fs)]
        if self.shm is not None:
            rules.append((self.shm, fs))
        self._rules = []
        for i, (path, access) in enumerate(rules):  # the fds stay open, far above what a child dup2s onto
            fd = os.open(path, os.O_PATH)
            os.dup2(fd, RULE_FDS + i, inheritable=False)
            os.close(fd)
            self._rules.append(self._rule(RULE_FDS + i, access))

    def _rule(self, fd: int, access: int) -> Any:
        if not os.path.isdir(f"/proc/self/fd/{fd}"):
            access &= self._file_bits
        packed = struct.pack("=Qi", access & self._fs, fd)
        return ctypes.create_string_buffer(packed, len(packed))

    def release(self) -> None:
        """Zygote, at exit: drop the tmpfs and remove the directory under it, even if the parent died."""
        if "tmpfs" in self.layers:
            with contextlib.suppress(OSError):
                _check(_libc.umount2(self.workdir.encode(), MNT_DETACH), "umount")
        remove_tree(self.workdir)
        with contextlib.suppress(OSError):
            os.rmdir(self.workdir)

    def clean(self, tmp: str) -> None:
        """Empty the run directory (and undo a chmod of it) and the private /dev/shm after a run."""
        os.chmod(tmp, 0o700)
        for directory in (tmp, self.shm):
            if directory is None:
                continue
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        remove_tree(entry.path)
                        os.rmdir(entry.path)
                    else:
                        os.unlink(entry.path)

    # --- child, per run ----------------------------------------------------------------------------

    def enter(self, tmp: str) -> None:
        """Confine a freshly forked child, before it knows its request."""
        set_limits(self.config)
        if self.uid is not None:
            os.setgroups([])
            os.setresgid(self.uid, self.uid, self.uid)
            os.setresuid(self.uid, self.uid, self.uid)
            if os.getuid() == 0 or os.geteuid() == 0:
                raise OSError("still root after setresuid")
            prctl(PR_SET_DUMPABLE, 1)  # a uid change clears it, and with it access to /proc/self
        if self.config["mode"] == "limits":
            return
        if self.bwrap is not None:
            return  # bwrap confines the run itself, see start()
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        if not self.root:  # inside our user namespace: give up the capabilities unshare granted
            header = struct.pack("II", 0x20080522, 0)
            syscall(SYS_CAPSET, ctypes.c_char_p(header), ctypes.c_char_p(bytes(24)))
        if self.landlock:
            self._landlock()
        if self.seccomp is not None:
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(self._fprog[1]))

    def start(self, req: dict[str, Any], tmp: str) -> None:
        """Once the request is known and stdin written: the CPU limit for its tests and the file size
        limit (lowering is always allowed), and in bubblewrap mode the bwrap sandbox itself."""
        cpu = int(float(req["timeout"]) * max(len(req["tests"]), 1)) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(self.config["file_size"]),) * 2)
        if self.bwrap is not None:
            self.exec_bubblewrap(req, tmp)

    def _landlock(self) -> None:
        attr = self._ruleset_attr
        ruleset = syscall(SYS_LANDLOCK_CREATE_RULESET, attr, ctypes.c_size_t(len(attr)), 0)
        try:
            for rule in self._rules:
                syscall(SYS_LANDLOCK_ADD_RULE, ruleset, 1, rule, 0)
            proc = os.open("/proc/self", os.O_PATH)  # this child's own /proc entry, nobody else's
            syscall(SYS_LANDLOCK_ADD_RULE, ruleset, 1, self._rule(proc, FS_READ_FILE | FS_READ_DIR), 0)
            os.close(proc)
            syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0)
        finally:
            os.close(ruleset)


def set_name(name: bytes) -> None:
    """The process name ps and /proc/<pid>/comm show."""
    buf = ctypes.create_string_buffer(name[:15])
    prctl(PR_SET_NAME, ctypes.addressof(buf))


def close_from(first: int) -> None:
    """Close every fd from ``first`` up: one close_range(2) call where the kernel has it."""
    try:
        syscall(SYS_CLOSE_RANGE, ctypes.c_uint(first), ctypes.c_uint(0xFFFFFFFF), ctypes.c_uint(0))
    except OSError:
        os.closerange(first, 1 << 16)


def remove_tree(path: str) -> None:
    """Empty ``path`` without following symlinks (the run's processes are all dead by now)."""
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files:
            os.unlink(os.path.join(root, name))
        for name in dirs:
            child = os.path.join(root, name)
            os.unlink(child) if os.path.islink(child) else os.rmdir(child)


def set_limits(config: dict[str, Any]) -> None:
    """rlimits for one child; CPU and file size wait for its request and its stdin (`Sandbox.start`)."""
    memory = int(config["memory"])
    for res, value in (
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_NOFILE, (int(config["open_files"]),) * 2),
        (resource.RLIMIT_NPROC, (int(config["processes"]),) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        resource.setrlimit(res, value)


# --- seccomp -----------------------------------------------------------------------------------------

AUDIT_ARCH_X86_64 = 0xC000003E
RET_KILL_PROCESS, RET_ERRNO, RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
EPERM, ENOSYS = 1, 38
LD_W_ABS, JEQ_K, JSET_K, JGE_K, RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
SYS_SOCKET, SYS_SOCKETPAIR, SYS_CLONE, SYS_CLONE3 = 41, 53, 56, 435
AF_UNIX = 1
DENIED = {
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312, "pidfd_getfd": 438,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "keyctl": 250, "add_key": 248, "request_key": 249,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "open_by_handle_at": 304, "name_to_handle_at": 303,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163, "quotactl": 179,
    "syslog": 103, "vhangup": 153, "iopl": 172, "ioperm": 173, "personality": 135,
    "settimeofday": 164, "clock_settime": 227, "adjtimex": 159, "clock_adjtime": 305,
    "setuid": 105, "setgid": 106, "setreuid": 113, "setregid": 114, "setresuid": 117,
    "setresgid": 119, "setgroups": 116, "setfsuid": 122, "setfsgid": 123, "capset": 126,
    "memfd_secret": 447,
}  # fmt: skip


def seccomp_program(program: bytes) -> tuple[Any, Any]:
    """The filter and its ``struct sock_fprog``; keep both alive while the kernel reads them."""
    prog = ctypes.create_string_buffer(program, len(program))
    return prog, ctypes.create_string_buffer(struct.pack("HxxxxxxQ", len(program) // 8, ctypes.addressof(prog)))


def apply_seccomp(program: bytes) -> None:
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    fprog = seccomp_program(program)
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog[1]))


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def seccomp_filter() -> bytes:
    """A classic BPF program: wrong arch → kill; denied syscalls → EPERM; socket → EPERM; clone with
    namespace flags → EPERM; clone3 → ENOSYS (its flags are behind a pointer, glibc falls back to clone)."""
    deny = RET_ERRNO | EPERM
    body = [_insn(LD_W_ABS, 4), _insn(JEQ_K, AUDIT_ARCH_X86_64, 1, 0), _insn(RET_K, RET_KILL_PROCESS)]
    body += [_insn(LD_W_ABS, 0), _insn(JGE_K, 0x40000000, 0, 1), _insn(RET_K, deny)]  # x32 ABI
    for nr in sorted({*DENIED.values(), SYS_SOCKET}):
        body += [_insn(JEQ_K, nr, 0, 1), _insn(RET_K, deny)]
    body += [_insn(JEQ_K, SYS_CLONE3, 0, 1), _insn(RET_K, RET_ERRNO | ENOSYS)]
    body += [_insn(JEQ_K, SYS_SOCKETPAIR, 0, 4), _insn(LD_W_ABS, 16), _insn(JEQ_K, AF_UNIX, 0, 1)]
    body += [_insn(RET_K, RET_ALLOW), _insn(RET_K, deny)]
    body += [_insn(JEQ_K, SYS_CLONE, 0, 3), _insn(LD_W_ABS, 16), _insn(JSET_K, CLONE_NS_FLAGS, 0, 1)]
    body += [_insn(RET_K, deny), _insn(RET_K, RET_ALLOW)]
    return b"".join(body)
