"""Repository-mode benchmark (issue 14): build it from bench/repo_manifest.toml, sample, grade, print the table.

    python bench/repo_bench.py build [--per-package 30]            # tasks -> bench/data/repo_tasks.jsonl
    flock /work/locks/model env CODESIFT_THREADS=1 python bench/repo_bench.py sample --model qwen2.5-coder-0.5b \
        --mode in-file --first 40                                   # greedy, resumable (store in runs/repo-bench)
    python bench/repo_bench.py grade --model qwen2.5-coder-0.5b --mode in-file
    python bench/repo_bench.py table --model qwen2.5-coder-0.5b

Hidden tests (the package tests that name the target) are read only by `grade`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codesift.repo.benchmark import BenchTask, build_package, load_manifest

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "repo_manifest.toml"
TASKS = HERE / "data" / "repo_tasks.jsonl"


def build(per_package: int) -> None:
    tasks: list[BenchTask] = []
    TASKS.parent.mkdir(parents=True, exist_ok=True)
    for pkg in load_manifest(MANIFEST):
        found = build_package(pkg, per_package)
        print(f"{pkg.name}=={pkg.version}: {len(found)} targets", file=sys.stderr, flush=True)
        tasks += found
        TASKS.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    print(f"{len(tasks)} tasks ({sum(t.has_examples for t in tasks)} with docstring examples) -> {TASKS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--per-package", type=int, default=30)
    args = parser.parse_args()
    if args.command == "build":
        build(args.per_package)


if __name__ == "__main__":
    main()
