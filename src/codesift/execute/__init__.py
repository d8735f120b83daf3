"""Sandboxed execution of untrusted programs against tests (see `executor` for the run model).

with make_executor(workers=2, sandbox="auto") as ex:
    ex.isolation                      # what the kernel allowed, e.g. "full (...)"
    ex.run(code, tests)               # one Execution per test, same order
    ex.map(jobs)                      # (Job, executions) pairs, any order
"""

from codesift.execute.executor import Executor, Job, Limits, SandboxError, make_executor

__all__ = ["Executor", "Job", "Limits", "SandboxError", "make_executor"]
