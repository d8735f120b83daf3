"""Sandbox profiles: what one executor's children may read, write and import; the isolation is the same.

Every profile keeps the executor's layers (no network, a clean environment, an unprivileged uid,
limits, whole-tree kill, unforgeable verdicts); a profile only adds paths and warm imports:

- ``solve`` (the default): the standard library and the interpreter's site-packages, read-only;
  writes only in the run's own directory. Exactly what the executor did before profiles existed.
- ``tool`` (`tool_profile`): pandas, numpy and matplotlib (Agg) imported once in the zygote, so a
  run pays a fork (a few ms) instead of the imports (~1 s here); the data files read-only, one
  output folder writable, its files left for the caller after the run.
- ``repo`` (`repo_profile`): a repository read-only, importable, as the working directory; a job
  may replace files of it for one run (`codesift.execute.Job.overlay`).

Why an overlay rather than a copy of the changed module first on ``sys.path``: a module inside a
package cannot be shadowed alone (the copy's directory would shadow the whole package), and
tests that read ``__file__``, data next to it or the source itself must see the real path. So the
zygote writes the new content to its private tmpfs and bind-mounts it read-only over the file
inside its own mount namespace for exactly one run; the host's file is never written and other
workers (other namespaces) keep seeing the original.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from codesift.errors import CodesiftError

TOOL_MODULES = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot")
# Run once in the zygote after the imports: pandas and matplotlib defer much of their set-up (parsers,
# groupby machinery, fonts, the PNG writer) to first use, which every run would otherwise repeat.
TOOL_WARMUP = """
import io
import matplotlib.pyplot as plt
import pandas as pd
frame = pd.read_csv(io.StringIO("a,b\\n1,x\\n2,y\\n"))
frame.groupby("b").a.sum()
frame.describe()
figure, axes = plt.subplots()
frame.plot(ax=axes, title="warm-up")
figure.savefig(io.BytesIO(), format="png")
plt.close("all")
"""
# One BLAS thread: the zygote must stay single-threaded to fork safely, and runs share 2 cores.
TOOL_ENV = (
    ("MPLBACKEND", "Agg"),
    ("OPENBLAS_NUM_THREADS", "1"),
    ("OMP_NUM_THREADS", "1"),
    ("MKL_NUM_THREADS", "1"),
)


class SandboxError(CodesiftError, RuntimeError):
    """The sandbox cannot run (or cannot reach the isolation asked for); the message says what to do."""


@dataclass(frozen=True)
class Profile:
    """What a child may see beyond the standard library; paths are absolute.

    ``readable``: files or folders the program may read (never write). ``output_dir``: the one
    folder it may write besides its run directory; files stay there after the run. ``cwd``: where
    the program starts (default: its private run directory). ``sys_path``: import paths put first
    (readable too). ``overlay_root``: jobs may replace existing files under it for one run.
    ``memory``: the address-space limit for this profile's runs (default `Limits.memory`).
    ``env``: variables added to the clean environment. ``preimport``: modules the zygote imports
    once, before forking any child; ``warmup``: source it then runs once (first-use set-up).
    """

    name: str = "solve"
    preimport: tuple[str, ...] = ()
    readable: tuple[str, ...] = ()
    output_dir: str | None = None
    site_packages: bool = True
    cwd: str | None = None
    sys_path: tuple[str, ...] = ()
    overlay_root: str | None = None
    memory: int | None = None
    env: tuple[tuple[str, str], ...] = ()
    warmup: str = ""

    def describe(self) -> str:
        """The profile's layers, for `Executor.isolation` and `codesift doctor`."""
        parts = ["site-packages ro" if self.site_packages else "stdlib only"]
        if self.preimport:
            parts.append("preimported " + ",".join(m for m in self.preimport if "." not in m))
        if self.readable:
            parts.append(f"{len(self.readable)} path(s) ro")
        if self.output_dir:
            parts.append("output dir rw")
        if self.overlay_root:
            parts.append("repo ro + per-run file overlay")
        return f"{self.name}: " + ", ".join(parts)


SOLVE = Profile()


def _existing(paths: Iterable[str | os.PathLike[str]], what: str) -> tuple[str, ...]:
    """Absolute paths, each of which must exist: a missing one would just be unreadable in the run."""
    found = []
    for p in paths:
        path = Path(p).resolve()
        if not path.exists():
            raise SandboxError(f"{what} {str(p)!r} does not exist; give the sandbox an existing path")
        found.append(str(path))
    return tuple(found)


def tool_profile(
    data_files: Iterable[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    memory: int | None = 3 << 30,
) -> Profile:
    """pandas/numpy/matplotlib warm in the zygote, ``data_files`` read-only, ``output_dir`` writable
    (created if missing); the program starts in ``cwd`` (default: its run directory)."""
    out = Path(output_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    return Profile(
        name="tool",
        preimport=TOOL_MODULES,
        readable=_existing(data_files, "data file"),
        output_dir=str(out),
        cwd=None if cwd is None else _existing([cwd], "working directory")[0],
        memory=memory,
        env=TOOL_ENV,
        warmup=TOOL_WARMUP,
    )


def repo_profile(
    repo_root: str | os.PathLike[str],
    *,
    import_paths: Iterable[str | os.PathLike[str]] = (),
    site_packages: bool = True,
) -> Profile:
    """The repository read-only, importable (first on ``sys.path``, then ``import_paths``: its
    ``src/``, say, or its dependencies' folders, read-only too) and the working directory; jobs
    overlay its files per run (`codesift.execute.Job.overlay`)."""
    [root] = _existing([repo_root], "repository")
    extra = _existing(import_paths, "import path")
    return Profile(
        name="repo",
        readable=(root, *extra),
        cwd=root,
        sys_path=(root, *extra),
        overlay_root=root,
        site_packages=site_packages,
    )
