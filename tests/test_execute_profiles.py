"""Sandbox profiles through the real sandbox: tool (pandas warm, data read-only, one output folder)
and repo (the repository read-only, a per-run overlay of changed files, dependencies importable)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from codesift.execute import Executor, Job, Limits, SandboxError, make_executor, repo_profile, tool_profile
from codesift.records import Test

SECRET = f"codesift-secret-{uuid.uuid4().hex}"


def stdio(want: str | None = None) -> Test:
    return Test(kind="stdio", input="", output=want)


def run(ex: Executor, code: str, want: str | None = None, **kw: object) -> tuple[str, str | None, str]:
    [e] = ex.run(code, [stdio(want)], **kw)  # type: ignore[arg-type]
    return e.status, e.error, e.output


def denied(action: str) -> str:
    """A program that tries ``action`` and prints ``denied`` if it raised OSError, else ``LEAKED``."""
    body = "\n".join("    " + line for line in action.strip().splitlines())
    return f"try:\n{body}\nexcept OSError:\n    print('denied')\nelse:\n    print('LEAKED')\n"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tool")  # under /tmp: bound back into the sandbox's private /tmp
    (folder / "sales.csv").write_text("region,amount\nnorth,3\nsouth,4\nnorth,5\n")
    (folder / "other.csv").write_text("not,for,the,program\n")
    os.chmod(folder / "sales.csv", 0o600)  # in a 0700 folder too: as root, readable by the run's uid anyway
    return folder


@pytest.fixture(scope="module")
def tool(data: Path) -> Iterator[Executor]:
    os.environ["CODESIFT_TEST_SECRET"] = SECRET
    try:
        profile = tool_profile([data / "sales.csv"], data / "out")
        with make_executor(workers=2, limits=Limits(timeout=20.0), profile=profile) as ex:
            yield ex
    finally:
        del os.environ["CODESIFT_TEST_SECRET"]


def test_tool_profile_runs_pandas_warm_with_the_data_read_only(tool: Executor, data: Path) -> None:
    assert tool.isolation.startswith("full (") and "tool: " in tool.isolation and "output dir rw" in tool.isolation
    code = "import sys\nwarm = 'pandas' in sys.modules\nimport pandas as pd\n"
    code += f"df = pd.read_csv({str(data / 'sales.csv')!r})\nprint(warm, df.groupby('region').amount.sum().north)\n"
    assert run(tool, code, "True 8") == ("passed", None, "True 8\n")
    assert run(tool, denied(f"open({str(data / 'sales.csv')!r}, 'a').write('x')"), "denied")[0] == "passed"
    assert run(tool, denied(f"print(open({str(data / 'other.csv')!r}).read())"), "denied")[0] == "passed"
    assert (data / "sales.csv").read_text().endswith("north,5\n")


def test_tool_profile_output_folder_is_writable_and_left_for_the_caller(tool: Executor, data: Path) -> None:
    out = data / "out"
    code = "import matplotlib.pyplot as plt, pandas as pd\n"
    code += f"pd.DataFrame({{'a': [1, 2]}}).to_csv({str(out / 'table.csv')!r}, index=False)\n"
    code += f"plt.plot([1, 2], [3, 4])\nplt.savefig({str(out / 'plot.png')!r})\nprint('ok')\n"
    assert run(tool, code, "ok")[0] == "passed"
    assert (out / "table.csv").read_text() == "a\n1\n2\n" and (out / "table.csv").stat().st_uid == os.getuid()
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for elsewhere in (data / "escaped.csv", Path("/tmp/escaped.csv"), Path(__file__).parent / "escaped.csv"):
        assert run(tool, denied(f"open({str(elsewhere)!r}, 'w').write('x')"), "denied")[0] == "passed"
        assert not elsewhere.exists()


def test_tool_profile_keeps_the_isolation(tool: Executor) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = denied(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)")
        assert run(tool, code, "denied")[0] == "passed"
    status, _, output = run(tool, "import os\nprint(sorted(os.environ))\n")
    assert status == "passed" and SECRET not in output and "CODESIFT_TEST_SECRET" not in output
    assert "MPLBACKEND" in output and "OPENBLAS_NUM_THREADS" in output
    bomb = "import numpy as np, pandas as pd\npd.DataFrame(np.ones((1 << 17, 1 << 15)))\n"
    assert run(tool, bomb)[:2] == ("memory", "MemoryError")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text("def answer():\n    return 'old'\n")
    (root / "pkg" / "user.py").write_text("from pkg.mod import answer\n\ndef shout():\n    return answer().upper()\n")
    (root / "tests").mkdir()
    test = "from pkg.user import shout\n\ndef test_shout(tmp_path):\n    (tmp_path / 'x').write_text('x')\n"
    (root / "tests" / "test_user.py").write_text(test + "    assert shout() == 'OLD'\n")
    deps = tmp_path_factory.mktemp("deps")
    (deps / "helper.py").write_text("VALUE = 42\n")
    (root / "deps").symlink_to(deps)
    return root


@pytest.fixture(scope="module")
def repo_ex(repo: Path) -> Iterator[Executor]:
    with make_executor(workers=2, profile=repo_profile(repo, import_paths=[repo / "deps"])) as ex:
        yield ex


USE = "import os, helper, pkg.mod, pkg.user\nprint(pkg.user.shout(), helper.VALUE, os.getcwd())\n"
NEW = "def answer():\n    return 'new'\n"


def host_keeps_the_original(ex: Executor, repo: Path) -> bool:
    """While a run that sees the overlay sleeps, the host reads the repository's file: never the new content."""
    mod = repo / "pkg" / "mod.py"
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(run, ex, USE + "import time\ntime.sleep(0.5)\n", None, overlay=[("pkg/mod.py", NEW)])
        seen = set()
        while not running.done():
            seen.add(mod.read_text())
        assert running.result()[2].startswith("NEW 42")
    return seen == {"def answer():\n    return 'old'\n"}


def test_repo_profile_sees_the_overlay_and_leaves_the_file_untouched(repo_ex: Executor, repo: Path) -> None:
    assert "repo: " in repo_ex.isolation and "per-run file overlay" in repo_ex.isolation
    new = "def answer():\n    return 'new'\n"
    assert run(repo_ex, USE)[2] == f"OLD 42 {repo}\n"
    assert run(repo_ex, USE, overlay=[("pkg/mod.py", new)])[2] == f"NEW 42 {repo}\n"
    assert run(repo_ex, USE)[2] == f"OLD 42 {repo}\n"  # the next run sees the original again
    jobs = [
        Job(USE, (stdio(),), overlay=((str(repo / "pkg/mod.py"), f"def answer():\n    return 'v{i}'\n"),))
        for i in range(6)
    ]
    seen = {job.overlay[0][1].split("'")[1]: es[0].output.split()[0] for job, es in repo_ex.map(jobs)}
    assert seen == {f"v{i}": f"V{i}" for i in range(6)}  # each run its own content, over both workers
    assert (repo / "pkg" / "mod.py").read_text() == "def answer():\n    return 'old'\n"
    assert host_keeps_the_original(repo_ex, repo)


def test_the_repositorys_own_tests_run_under_pytest_against_the_overlay(repo_ex: Executor) -> None:
    code = "import pytest\nraise SystemExit(pytest.main(['-q', '-p', 'no:cacheprovider', 'tests']))\n"
    assert run(repo_ex, code)[:2] == ("passed", None)
    status, error, output = run(repo_ex, code, overlay=[("pkg/mod.py", NEW)])
    assert (status, error) == ("error", "SystemExit") and "1 failed" in output and "assert 'NEW' == 'OLD'" in output


def test_repo_profile_is_read_only(repo_ex: Executor, repo: Path) -> None:
    for action in (
        "open('pkg/mod.py', 'a').write('x')",
        "open('new.py', 'w').write('x')",
        "import os\nos.remove('pkg/user.py')",
    ):
        assert run(repo_ex, denied(action), "denied", overlay=[("pkg/mod.py", "")])[0] == "passed"
        assert run(repo_ex, denied(action), "denied")[0] == "passed"
    assert sorted(p.name for p in (repo / "pkg").iterdir()) == ["__init__.py", "mod.py", "user.py"]


def test_overlays_outside_the_repository_or_without_a_repo_profile_are_refused(repo_ex: Executor, repo: Path) -> None:
    for path in ("../outside.py", "pkg/missing.py", "/etc/passwd"):
        with pytest.raises(SandboxError, match="is not an existing file under"):
            repo_ex.run("print(1)", [stdio()], overlay=[(path, "x")])
    with make_executor(workers=1) as solve, pytest.raises(SandboxError, match="has no overlay root"):
        solve.run("print(1)", [stdio()], overlay=[(str(repo / "pkg/mod.py"), "x")])


def test_profiles_refuse_missing_paths(repo: Path, data: Path) -> None:
    with pytest.raises(SandboxError, match=r"data file '.*missing.csv' does not exist"):
        tool_profile([data / "missing.csv"], data / "out")
    with pytest.raises(SandboxError, match=r"import path '.*nope' does not exist"):
        repo_profile(repo, import_paths=[repo / "nope"])


def test_doctor_reports_each_profile_and_the_limits() -> None:
    from codesift.execute.doctor import profile_rows

    rows = dict(profile_rows("auto"))
    assert (
        rows["sandbox profile tool"].startswith("full (")
        and "preimported numpy,pandas,matplotlib" in rows["sandbox profile tool"]
    )
    assert "per-run file overlay" in rows["sandbox profile repo"]
    assert rows["sandbox limits"].startswith("rlimits per process") and "cgroup v2: " in rows["sandbox limits"]


def test_profiles_hold_in_the_bubblewrap_fallback(repo: Path, data: Path) -> None:
    with make_executor(workers=1, sandbox="bubblewrap", profile=repo_profile(repo, import_paths=[repo / "deps"])) as bw:
        assert bw.isolation.startswith("bubblewrap (")
        assert run(bw, USE, overlay=[("pkg/mod.py", "def answer():\n    return 'new'\n")])[2] == f"NEW 42 {repo}\n"
        assert run(bw, denied("open('pkg/mod.py', 'a').write('x')"), "denied")[0] == "passed"
        assert host_keeps_the_original(bw, repo)
    assert (repo / "pkg" / "mod.py").read_text() == "def answer():\n    return 'old'\n"
    with make_executor(workers=1, sandbox="bubblewrap", profile=tool_profile([data / "sales.csv"], data / "out")) as bw:
        code = (
            f"import pandas as pd\npd.read_csv({str(data / 'sales.csv')!r}).to_csv({str(data / 'out' / 'bw.csv')!r})\n"
        )
        assert run(bw, code + "print('ok')", "ok")[0] == "passed" and (data / "out" / "bw.csv").exists()
        assert run(bw, denied(f"open({str(data / 'sales.csv')!r}, 'a').write('x')"), "denied")[0] == "passed"
