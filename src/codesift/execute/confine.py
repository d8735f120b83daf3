"""Isolation layers: set up once in the zygote, applied to each forked child; stdlib + ctypes only.

Zygote (once): a private mount, network and IPC namespace (as real root directly; otherwise inside
a new user namespace that maps only our own uid); empty private tmpfs mounts over every shared
temporary location (``/tmp``, ``/var/tmp``, ``/run``, and ``/dev/shm``, which is emptied after
every run), so no run can see or watch another program's files there; a size-capped tmpfs holding
the run directory; as real root ``/root`` hidden the same way and a fresh ``/proc`` with
``hidepid=invisible``. Paths a profile needs under a masked folder (the interpreter, a data file,
an output folder) are bound back, read-only unless writable. Then the zygote empties its own
capability bounding, ambient and inheritable sets, which every child inherits.
After every run the zygote empties its IPC namespace (SysV shared memory, message queues and
semaphores; Landlock already denies POSIX message queues), so nothing a run creates there outlives
it: as private as a namespace per run, without the ~1 ms a new IPC namespace adds to each fork here.
Child (per run): rlimits, an unprivileged uid per worker slot when real root (root ignores
RLIMIT_NPROC), no capabilities, no new privileges, then Landlock (reads only where the
interpreter, libraries and the profile's paths live, writes only in its run directory and the
profile's output folder, no TCP, no signals or abstract unix sockets outside its domain) and a
seccomp filter (no socket(2) at all, so no UDP or unix sockets either; socketpair only for
AF_UNIX; no inotify or fanotify, ptrace, io_uring, bpf, namespaces, mounts, keyrings, modules or
uid changes).

Memory and process limits are per process (rlimits): cgroup v2 would bound a run's whole tree, but
only where it is delegated to us; `cgroup_v2` says whether it is, for ``codesift doctor``.

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
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWIPC = 0x00020000, 0x10000000, 0x40000000, 0x08000000
CLONE_NS_FLAGS = 0x7E020000  # every CLONE_NEW* flag (ns, cgroup, uts, ipc, user, pid, net)
MNT_DETACH = 2
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_NAME = 15
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_SET_DUMPABLE = 38, 22, 2, 4
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
SYS_CAPGET, SYS_CAPSET, SYS_CLOSE_RANGE = 125, 126, 436
PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4
CAP_VERSION_3 = 0x20080522
IPC_RMID = 0
SYS_OPEN_TREE, SYS_MOVE_MOUNT, SYS_MOUNT_SETATTR = 428, 429, 442
AT_FDCWD, AT_EMPTY_PATH, AT_RECURSIVE, OPEN_TREE_CLONE, MOVE_MOUNT_F_EMPTY_PATH = -100, 0x1000, 0x8000, 1, 4
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV, MOUNT_ATTR_IDMAP = 1, 2, 4, 0x100000
ST_RELATIME, MS_RELATIME, KEPT_MOUNT_FLAGS = 4096, 1 << 21, 8 | 1024 | 2048  # noexec, noatime, nodiratime

# Landlock access rights by ABI version (include/uapi/linux/landlock.h).
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_TRUNCATE, FS_IOCTL_DEV = 1 << 14, 1 << 15
FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2

READABLE = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/opt", "/sys/devices/system/cpu")
READABLE_FILES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/proc/cpuinfo", "/proc/meminfo")
HIDDEN = ("/root",)
# `-I` without its `-E`: the environment is built here whole, and its `PYTHONHASHSEED` must be read, or every zygote
# draws its own hash secret and the set order of strings (so some programs' output) differs between sessions.
INTERPRETER_FLAGS = ("-s", "-P", "-S")
SHARED_TEMP = ("/tmp", "/var/tmp", "/run")  # world-writable or watchable: an empty tmpfs per zygote
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
        self.profile: dict[str, Any] = config["profile"]
        self.layers: list[str] = ["rlimits", "private-tmp", "clean-env", "subreaper", "pidfd-timeout"]
        self.missing: list[str] = []
        self.root = os.geteuid() == 0 and _all_uids_mapped()
        self.uid: int | None = None
        self.ipc = False  # in an IPC namespace of its own, emptied after every run
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
            drop_inheritable_capabilities()
            self.layers.append("no-caps")
            self.level = "full (" + "+".join(self.layers[5:]) + ")"
        elif mode in ("auto", "bubblewrap") and self._bubblewrap():
            self.layers += ["bubblewrap(userns+netns+pidns+ipcns+read-only-fs)"]
            self.layers += ["seccomp"] if seccomp_available() else []
            self.level = "bubblewrap (" + "+".join(self.layers[5:]) + ")"
        else:
            self.level = "limits-only"

    # --- zygote, once ------------------------------------------------------------------------------

    def _isolate(self) -> None:
        uid, gid = os.geteuid(), os.getegid()
        try:
            unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | (0 if self.root else CLONE_NEWUSER))
            if not self.root:
                for name, text in (
                    ("setgroups", "deny"),
                    ("uid_map", f"{uid} {uid} 1"),
                    ("gid_map", f"{gid} {gid} 1"),
                ):
                    with open(f"/proc/self/{name}", "w") as fh:
                        fh.write(text)
            self.layers += ["userns+netns" if not self.root else "netns", "mountns", "ipcns"]
            mount(None, "/", None, MS_REC | MS_PRIVATE)
            self._mask((*SHARED_TEMP, *(HIDDEN if self.root else ())))
            size = int(self.config["disk"])
            os.makedirs(self.workdir, 0o700, exist_ok=True)  # the host's copy is under the masked /tmp
            mount("codesift", self.workdir, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=0711")
            if os.path.isdir(SHM):  # POSIX semaphores (multiprocessing) live here: a private, emptied one
                mount("codesift", SHM, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
                self.shm = SHM
            self.layers += ["tmpfs", "private-/tmp+/var/tmp+/run+/dev/shm"]
        except OSError as e:
            self.missing.append(f"namespaces ({e.strerror})")
            return
        self.ipc = True
        if self.root:
            try:
                mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV, "hidepid=invisible")
                self.uid = 1_000_000 + os.getpid()
                self.layers += ["hidden-/root", "hidepid", "uid"]
            except OSError as e:
                self.missing.append(f"uid drop ({e.strerror})")
            if self.uid is not None and self._profile_paths():
                try:
                    self._idmap()
                    self.layers.append("idmapped-profile-paths")
                except OSError:  # then the slot uid reads them only where their modes let others read
                    self.layers.append("profile-paths-not-idmapped")
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

    def _mask(self, folders: tuple[str, ...]) -> None:
        """An empty tmpfs over each folder; what the sandbox needs under one is bound back (read-only
        unless it is the profile's output folder)."""
        writable = self.profile["output_dir"]
        # codesift's own sandbox code (the zygote reads harness.py after this): a checkout under /tmp, a CI clone say
        own = os.path.dirname(os.path.abspath(__file__))
        keep = [p for p in {*self._readable(), own, *([writable] if writable else [])} if os.path.exists(p)]
        keep = sorted(p for p in keep if any(p.startswith(f + "/") for f in folders))
        fds = {p: os.open(p, os.O_PATH) for p in keep}
        for folder in folders:
            if os.path.isdir(folder):
                mode = "0755" if folder in HIDDEN or folder == "/run" else "1777"
                mount("codesift", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size=1m,mode={mode}")
        for path, fd in fds.items():
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(path, 0o755, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            if path != writable:
                read_only(path)
            os.close(fd)

    def _profile_paths(self) -> dict[str, bool]:
        """The profile's own paths (data, repository, import paths, output folder): writable or not."""
        paths = dict.fromkeys([*self.profile["readable"], *self.profile["sys_path"]], False)
        if self.profile["output_dir"]:
            paths[self.profile["output_dir"]] = True
        return {p: w for p, w in paths.items() if os.path.exists(p)}

    def _idmap(self) -> None:
        """As root, the children run as a slot uid that may not read the caller's files (a 0700
        pytest or mkdtemp folder, say): each profile path is mounted over itself through an idmapped
        mount that shows its owner as the slot uid, so a run reads (and in the output folder writes)
        what the caller could; files it creates belong to the caller on disk. Mode bits and Landlock
        still decide, and only these paths are mapped."""
        assert self.uid is not None
        users: dict[tuple[int, int], int] = {}
        try:
            for path, writable in sorted(self._profile_paths().items()):
                st = os.stat(path)
                owner = (st.st_uid, st.st_gid)
                if owner not in users:
                    users[owner] = mapping_namespace(owner, (self.uid, self.uid))
                idmapped_bind(path, users[owner], writable)
        finally:
            for fd in users.values():
                os.close(fd)

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
        if self.profile["output_dir"]:
            argv += ["--bind", self.profile["output_dir"], self.profile["output_dir"]]
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
        env = [a for k, v in self.environment(tmp).items() for a in ("--setenv", k, v)]
        overlay = []
        for i, (path, content) in enumerate(req.get("overlay") or ()):  # outside the bound run directory
            source = os.path.join(self.workdir, f"overlay-{i}")
            with open(source, "wb") as fh:
                fh.write(content)
            overlay += ["--ro-bind", source, path]
        zygote = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zygote.py")
        argv = [*self.bwrap, "--bind", tmp, tmp, *overlay, "--chdir", self.profile["cwd"] or tmp, *env]
        os.execv(self.bwrap[0], [*argv, "--", sys.executable, *INTERPRETER_FLAGS, zygote, "--child", tmp])

    def _readable(self) -> list[str]:
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        # The venv the interpreter runs from (`-I -S` leaves sys.prefix at the base): a program that re-runs
        # the interpreter, or a repo's pytest, needs its bin/ and pyvenv.cfg, also when it lives under /tmp.
        venv = os.path.dirname(os.path.dirname(sys.executable))
        if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
            prefixes.add(venv)
        return sorted({*READABLE, *prefixes, *self.config.get("paths", ()), *self.profile["readable"]})

    def environment(self, tmp: str) -> dict[str, str]:
        """The whole environment a program gets: a few fixed variables and the profile's own."""
        fixed = {"PATH": "/usr/bin:/bin", "HOME": tmp, "TMPDIR": tmp, "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
        return {**fixed, **dict(self.profile["env"])}

    def prepare(self, tmp: str) -> None:
        """Zygote, once: the run directory (same inode for every run), the environment children
        inherit, the Landlock rules and the seccomp program, so that a child only applies them."""
        if self.uid is not None:
            os.chown(tmp, self.uid, self.uid)
        os.environ.clear()
        os.environ.update(self.environment(tmp))
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
        if self.profile["output_dir"]:
            rules.append((self.profile["output_dir"], fs))
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

    def overlay(self, files: list[tuple[str, bytes]]) -> list[str]:
        """Zygote, per run: each file's new content bound read-only over it in this zygote's mount
        namespace (the host and other workers keep the original); `drop_overlay` undoes it. In
        bubblewrap mode bwrap binds them inside its own namespace (`exec_bubblewrap`); without a
        mount namespace of our own (limits only) a bind would show on the host: refused."""
        if self.bwrap is not None:
            return []
        if "mountns" not in self.layers:
            raise OSError(0, "file overlays need a mount namespace of the sandbox's own")
        done: list[str] = []
        try:
            for i, (path, content) in enumerate(files):
                source = os.path.join(self.workdir, f"overlay-{i}")  # not in the run directory
                with open(source, "wb") as fh:
                    fh.write(content)
                os.chmod(source, 0o644)
                mount(source, path, None, MS_BIND)
                done.append(path)
                read_only(path)
        except OSError:
            self.drop_overlay(done)
            raise
        return done

    def drop_overlay(self, paths: list[str]) -> None:
        for path in reversed(paths):
            _check(_libc.umount2(path.encode(), MNT_DETACH), f"umount {path}")

    def clean(self, tmp: str) -> None:
        """After a run (all its processes dead): empty the run directory (and undo a chmod of it),
        the private /dev/shm, and the zygote's IPC namespace."""
        os.chmod(tmp, 0o700)
        if self.ipc:
            remove_sysv_ipc()
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
        cpu = cpu_limit(req)
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


def mapping_namespace(owner: tuple[int, int], to: tuple[int, int]) -> int:
    """An fd of a new user namespace whose ids map ``owner`` (uid, gid) onto ``to``: the mapping an
    idmapped mount applies to file owners. A short-lived child creates it; the fd keeps it alive."""
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            unshare(CLONE_NEWUSER)
            os.write(ready_w, b"+")
            os.read(done_r, 1)
        finally:
            os._exit(0)
    try:
        if os.read(ready_r, 1) != b"+":
            raise OSError(0, "the id-mapping namespace did not start")
        for name, ids in (("uid_map", (owner[0], to[0])), ("gid_map", (owner[1], to[1]))):
            with open(f"/proc/{pid}/{name}", "w") as fh:
                fh.write(f"{ids[0]} {ids[1]} 1")
        return os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.write(done_w, b"+")
        os.waitpid(pid, 0)
        for fd in (ready_r, ready_w, done_r, done_w):
            os.close(fd)


def idmapped_bind(path: str, userns: int, writable: bool) -> None:
    """Mount ``path`` over itself, its owners mapped through ``userns``; read-only unless writable."""
    tree = syscall(SYS_OPEN_TREE, AT_FDCWD, path.encode(), OPEN_TREE_CLONE | os.O_CLOEXEC | AT_RECURSIVE)
    try:
        flags = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (0 if writable else MOUNT_ATTR_RDONLY)
        attr = ctypes.create_string_buffer(struct.pack("QQQQ", flags, 0, 0, userns), 32)
        syscall(SYS_MOUNT_SETATTR, tree, b"", AT_EMPTY_PATH | AT_RECURSIVE, attr, ctypes.c_size_t(32))
        syscall(SYS_MOVE_MOUNT, tree, b"", AT_FDCWD, path.encode(), MOVE_MOUNT_F_EMPTY_PATH)
    finally:
        os.close(tree)


def remove_sysv_ipc() -> None:
    """Remove every SysV shared memory segment, message queue and semaphore set of this process's
    IPC namespace (a segment's memory goes as soon as nothing maps it)."""
    for kind, control in (("shm", _libc.shmctl), ("msg", _libc.msgctl)):
        with open(f"/proc/sysvipc/{kind}", "rb") as fh:
            for line in fh.readlines()[1:]:
                control(int(line.split()[1]), IPC_RMID, None)
    with open("/proc/sysvipc/sem", "rb") as fh:
        for line in fh.readlines()[1:]:
            _libc.semctl(int(line.split()[1]), 0, IPC_RMID)


def read_only(path: str) -> None:
    """Remount the bind mount at ``path`` read-only, keeping the flags a user namespace may not drop."""
    kept = os.statvfs(path).f_flag
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | (kept & KEPT_MOUNT_FLAGS)
    mount(None, path, None, flags | (MS_RELATIME if kept & ST_RELATIME else 0))


def drop_inheritable_capabilities() -> None:
    """Empty this process's bounding, ambient and inheritable capability sets (its effective and
    permitted sets stay: the zygote still needs them); forked children inherit the empty sets, and
    the uid drop or capset in `Sandbox.enter` empties the rest."""
    with open("/proc/sys/kernel/cap_last_cap") as fh:
        last = int(fh.read())
    for cap in range(last + 1):
        prctl(PR_CAPBSET_DROP, cap)
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = ctypes.create_string_buffer(struct.pack("Ii", CAP_VERSION_3, 0), 8)
    data = ctypes.create_string_buffer(24)
    syscall(SYS_CAPGET, header, data)
    sets = list(struct.unpack("6I", data.raw))  # (effective, permitted, inheritable) x 2 words
    sets[2] = sets[5] = 0
    syscall(SYS_CAPSET, header, ctypes.create_string_buffer(struct.pack("6I", *sets), 24))


def cgroup_v2() -> str:
    """Whether a run could get its own cgroup v2 with memory and pids limits; the reason if not."""
    try:
        with open("/proc/self/cgroup") as fh:
            own = next((line[3:].strip() for line in fh if line.startswith("0::")), None)
        with open("/proc/self/mounts") as fh:
            roots = [line.split()[1] for line in fh if line.split()[2:3] == ["cgroup2"]]
    except OSError as e:
        return f"not available ({e.strerror})"
    if own is None or not roots:
        return "not available (no cgroup v2 hierarchy)"
    group = roots[0] + own.rstrip("/")
    try:
        with open(os.path.join(group, "cgroup.controllers")) as fh:
            controllers = fh.read().split()
    except OSError as e:
        return f"not available ({e.strerror})"
    lacking = [c for c in ("memory", "pids") if c not in controllers]
    if lacking:
        return f"not delegated ({'+'.join(lacking)} controller not in {group}: cgroup v1 or not enabled)"
    if not os.access(group, os.W_OK):
        return f"not delegated ({group} is not writable)"
    return f"delegated at {group}, but codesift does not use it yet: rlimits per process"


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


def cpu_limit(req: dict[str, Any]) -> int:
    """The CPU seconds a run may use (SIGXCPU at this, SIGKILL a second later): the per-test timeout times its
    tests, plus one."""
    return int(float(req["timeout"]) * max(len(req["tests"]), 1)) + 1


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
    "memfd_secret": 447, "inotify_init": 253, "inotify_init1": 294, "fanotify_init": 300,
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
