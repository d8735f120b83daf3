"""The sandbox's repo profile for one repository: read-only, importable, the working directory; each run
overlays the candidate's module (`codesift.execute.Job.overlay`), so the user's files are never written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from codesift.execute import Executor, Limits, make_executor, repo_profile

# A check runs the repo's tests (pytest start-up alone is ~0.5 s here), not one call: a generous wall limit.
CHECK_TIMEOUT = 60.0


@contextmanager
def open_repo_executor(
    root: Path, sandbox: str = "auto", *, pythonpath: str = ".", workers: int = 2
) -> Iterator[Executor]:
    """An executor whose runs see `root` (plus `root/pythonpath`, for a ``src/`` layout) and nothing writable."""
    extra = [root / pythonpath] if pythonpath not in ("", ".") else []
    profile = repo_profile(root, import_paths=extra)
    with make_executor(workers=workers, sandbox=sandbox, limits=Limits(timeout=CHECK_TIMEOUT), profile=profile) as ex:
        yield ex
