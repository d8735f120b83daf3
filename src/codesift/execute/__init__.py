"""Sandboxed execution of untrusted programs against tests (see `executor` for the run model).

with make_executor(workers=2, sandbox="auto") as ex:
    ex.isolation                      # what the kernel allowed and the profile, e.g. "full (...) [solve: ...]"
    ex.run(code, tests)               # one Execution per test, same order
    ex.map(jobs)                      # (Job, executions) pairs, any order

Profiles (`profiles`) share this executor and all its isolation; one executor serves one profile:

    make_executor(profile=tool_profile(["/data/sales.csv"], "/work/out"))  # pandas/numpy/matplotlib warm,
        # the CSV read-only, /work/out writable (its files stay for the caller), writes elsewhere fail
    ex = make_executor(profile=repo_profile("/src/proj", import_paths=["/src/proj/src"]))
    ex.run(test_code, tests, overlay=[("pkg/mod.py", new_source)])  # this run sees the new mod.py;
        # the repository stays read-only and its files untouched; Job(..., overlay=...) for map()

Statuses: passed, failed, error, syntax, timeout (the per-test limit in CPU seconds, a wall cap of 3x it,
or the run's CPU rlimit), memory (MemoryError, or the kernel's OOM killer), output-limit, killed (a signal
nobody asked for).
"""

from codesift.execute.executor import Executor, Job, Limits, SandboxError, make_executor
from codesift.execute.profiles import SOLVE, Profile, repo_profile, tool_profile

__all__ = [
    "SOLVE",
    "Executor",
    "Job",
    "Limits",
    "Profile",
    "SandboxError",
    "make_executor",
    "repo_profile",
    "tool_profile",
]
