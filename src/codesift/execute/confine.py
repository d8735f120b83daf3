"""Isolation layers applied in the zygote (once) and in each child (per run); stdlib + ctypes only."""

from __future__ import annotations

import ctypes
import os
import resource
import tempfile
from typing import Any

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    r = _libc.prctl(
        option, ctypes.c_ulong(arg2), ctypes.c_ulong(arg3), ctypes.c_ulong(arg4), ctypes.c_ulong(arg5)
    )
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, f"prctl({option}): {os.strerror(e)}")
    return int(r)


class Sandbox:
    """What this zygote could set up; ``enter`` applies it to a freshly forked child."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.layers: list[str] = ["rlimits", "private-tmp", "clean-env", "subreaper"]
        self.level = "limits-only"

    def workdir(self) -> str:
        return tempfile.mkdtemp(prefix="codesift-zygote-")

    def own(self, path: str) -> None:
        """Hand a per-run directory to the uid the child will run as."""

    def enter(self, req: dict[str, Any], tmp: str) -> None:
        os.environ.clear()
        os.environ.update({"PATH": "/usr/bin:/bin", "HOME": tmp, "TMPDIR": tmp, "LANG": "C.UTF-8"})
        set_limits(self.config, len(req["tests"]), float(req["timeout"]))

    def kill_all(self) -> None:
        """Kill every process left running as this worker's uid (nothing to do without one)."""


def set_limits(config: dict[str, Any], tests: int, timeout: float) -> None:
    """rlimits for one child; CPU covers every test it runs (the wall deadline is per test)."""
    cpu = int(timeout * max(tests, 1)) + 1
    memory = int(config["memory"])
    for res, value in (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_FSIZE, (int(config["file_size"]),) * 2),
        (resource.RLIMIT_NOFILE, (int(config["open_files"]),) * 2),
        (resource.RLIMIT_NPROC, (int(config["processes"]),) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        resource.setrlimit(res, value)
