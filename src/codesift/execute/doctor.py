"""What `codesift doctor` says about the sandbox beyond the default profile: each other profile's
layers, measured by starting it for real, and what bounds a run's memory and processes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from codesift.execute.executor import SandboxError, make_executor
from codesift.execute.profiles import repo_profile, tool_profile


def profile_rows(sandbox: str) -> list[tuple[str, str]]:
    """(check, status) rows: the tool and repo profiles' isolation, then the limits in force."""
    rows: list[tuple[str, str]] = []
    cgroup = "unknown"
    with tempfile.TemporaryDirectory(prefix="codesift-doctor-") as tmp:
        data = Path(tmp, "data.csv")
        data.write_text("a\n1\n")
        for profile in (tool_profile([data], Path(tmp, "out")), repo_profile(tmp)):
            try:
                with make_executor(workers=1, sandbox=sandbox, profile=profile) as ex:
                    rows.append((f"sandbox profile {profile.name}", ex.isolation))
                    cgroup = ex.cgroup
            except SandboxError as e:
                rows.append((f"sandbox profile {profile.name}", f"unavailable: {e}"))
    rows.append(("sandbox limits", f"rlimits per process (memory, processes, CPU, file size); cgroup v2: {cgroup}"))
    return rows
