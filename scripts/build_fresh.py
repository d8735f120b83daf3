"""Build `src/codesift/bench/data/fresh.jsonl.gz` from the problem sources in `benchmarks/fresh/`.

Every source module defines `PROBLEMS`: dicts with `id`, `level`, `prompt` (a stub or a statement),
`reference` (a whole program) and `tests` (argument sources for a stub, stdin texts for a statement);
a statement also says how many `examples` it shows. Expected outputs are what the reference prints or
returns on each input, run in the sandbox; so the hidden tests are exactly as right as the reference,
which is why the references are hand-written and `scripts/check_fresh.py` re-checks them.

    python scripts/build_fresh.py
"""

from __future__ import annotations

import ast
import gzip
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from codesift.bench.fresh import FRESH_DATA, LEVELS
from codesift.execute import make_executor
from codesift.execute.executor import Executor
from codesift.records import Test

SOURCES = Path(__file__).resolve().parents[1] / "benchmarks" / "fresh"
MAX_OUTPUT = 90_000  # the sandbox reports at most 100k characters of a returned value


def specs() -> list[dict[str, Any]]:
    out = []
    sys.path.insert(0, str(SOURCES))  # the sources share helpers in benchmarks/fresh/_gen.py
    for path in sorted(SOURCES.glob("[!_]*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out.extend(module.PROBLEMS)
    return out


def _entry_point(stub: str) -> str:
    return [n.name for n in ast.parse(stub).body if isinstance(n, ast.FunctionDef)][-1]


def build(spec: dict[str, Any], ex: Executor) -> dict[str, Any]:
    pid = spec["id"]
    if spec["level"] not in LEVELS:
        raise SystemExit(f"{pid}: level must be one of {LEVELS}")
    function = spec["prompt"].lstrip().startswith(("def ", "from ", "import "))
    entry = _entry_point(spec["prompt"]) if function else None
    kind = "call" if function else "stdio"
    probes = [Test(kind=kind, input=t) for t in dict.fromkeys(spec["tests"])]
    runs = ex.run(spec["reference"], probes, entry_point=entry)
    hidden = []
    for test, run in zip(probes, runs, strict=True):
        if run.status != "passed" or (function and len(run.output) > MAX_OUTPUT):
            raise SystemExit(
                f"{pid}: the reference {run.status} ({run.error}, {len(run.output)} chars) on {test.input[:200]!r}"
            )
        hidden.append({"kind": kind, "input": test.input, "output": run.output})
    declared = sum(line.lstrip().startswith(">>>") for line in spec["prompt"].splitlines())
    return {
        "id": pid,
        "level": spec["level"],
        "style": "function" if function else "stdio",
        "prompt": spec["prompt"],
        "entry_point": entry,
        "examples": declared if function else spec["examples"],
        "hidden": hidden,
        "reference": spec["reference"],
    }


def main() -> int:
    problems = specs()
    ids = [p["id"] for p in problems]
    if len(set(ids)) != len(ids):
        raise SystemExit(f"duplicate ids: {sorted(i for i in ids if ids.count(i) > 1)}")
    with make_executor() as ex:
        records = [build(p, ex) for p in problems]
    FRESH_DATA.parent.mkdir(parents=True, exist_ok=True)
    with FRESH_DATA.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        for rec in records:
            fh.write((json.dumps(rec, ensure_ascii=False) + "\n").encode())
    print(f"wrote {len(records)} problems to {FRESH_DATA}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
