"""Turn a Problem into a Prompt: chat messages plus the start of the answer.

Pre-filling the answer with a ```python fence and the stub keeps a small model on task (it writes the
body, not an essay) and lets extraction simply append the completion to the stub.
"""

from __future__ import annotations

import ast
from typing import Literal

from codesift import syntax
from codesift.records import Problem, Prompt, Test

Variant = Literal["plain", "examples-first"]
VARIANTS: tuple[Variant, ...] = ("plain", "examples-first")

FENCE = "```python\n"
# Test code and chatter after the function mark the end of a function-style answer.
FUNCTION_STOPS = ("\n```", "<|im_end|>", "\nif __name__", "\nassert ", "\n# Test", "\n# Example", "\nprint(")
STDIO_STOPS = ("\n```", "<|im_end|>")


def stub_of(problem: Problem) -> str:
    """The problem's prompt when it is a Python stub defining the entry point, else ''."""
    if problem.style != "function" or not problem.entry_point:
        return ""
    try:
        tree = syntax.parse(problem.prompt)
    except SyntaxError:
        return ""
    defines = any(isinstance(n, ast.FunctionDef) and n.name == problem.entry_point for n in tree.body)
    return problem.prompt if defines else ""


def show_example(problem: Problem, test: Test) -> str:
    if test.kind == "call":
        return f">>> {problem.entry_point}({test.input})\n{test.output}"
    if test.kind == "stdio":
        return f"Input:\n{test.input.rstrip()}\nOutput:\n{(test.output or '').rstrip()}"
    return test.input.strip()


def _task_text(problem: Problem, stub: str) -> str:
    if stub:
        return f"Complete the following Python function:\n```python\n{stub.rstrip()}\n```"
    if problem.style == "stdio":
        return (
            f"{problem.prompt.strip()}\n\nWrite a complete Python 3 program that reads the input from "
            "standard input and prints the answer to standard output."
        )
    return f"{problem.prompt.strip()}\n\nWrite a Python function named `{problem.entry_point}`."


def build_prompt(problem: Problem, variant: str = "plain") -> Prompt:
    if variant not in VARIANTS:
        raise ValueError(f"unknown prompt variant {variant!r}; use one of {', '.join(VARIANTS)}")
    stub = stub_of(problem)
    text = _task_text(problem, stub)
    if problem.metadata.get("context"):  # repository mode: what the repo map chose, before the task
        text = f"{problem.metadata['context'].rstrip()}\n\n{text}"
    if variant == "examples-first" and problem.examples:
        shown = "\n\n".join(show_example(problem, t) for t in problem.examples)
        text = f"Your code must pass these examples:\n\n{shown}\n\n{text}"
    stops = STDIO_STOPS if problem.style == "stdio" else FUNCTION_STOPS
    return Prompt(messages=(("user", text),), prefill=FENCE + stub, stop=stops)
