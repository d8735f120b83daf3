from codesift.extract import extract_code, group, normalise
from codesift.records import Candidate


def _candidate(code: str, seed: int, logprob: float = -0.1) -> Candidate:
    return Candidate(problem_id="p", policy="x", seed=seed, completion="", code=code, prompt_tokens=1,
                     completion_tokens=1, mean_logprob=logprob, seconds=0.0)  # fmt: skip


def test_prefilled_stub_is_completed_up_to_the_fence():
    prefill = "```python\ndef f(x):\n"
    code = extract_code("    return x + 1\n```\nThis adds one.", prefill)
    assert code == "def f(x):\n    return x + 1\n"


def test_chat_reply_takes_block_defining_entry_point():
    reply = "Sure:\n```python\nimport math\n```\nand\n```python\ndef g(a):\n    return a\n```\n"
    assert extract_code(reply, "", "g") == "def g(a):\n    return a\n"
    assert extract_code("no fences here", "", "g") == "no fences here\n"


def test_normalise_ignores_comments_and_layout():
    assert normalise("def f( x ):\n    # hi\n    return x") == normalise("def f(x):\n    return x\n")
    assert normalise("def f(:") == "def f(:"


def test_group_counts_duplicates_as_votes():
    groups = group([
        _candidate("def f(x):\n    return x*2\n", 0),
        _candidate("def f(x):\n    return x + x\n", 1),
        _candidate("def f(x):  # twice\n    return x * 2\n", 2),
    ])  # fmt: skip
    assert [g.votes for g in groups] == [2, 1]
    assert groups[0].code == "def f(x):\n    return x*2\n"
    assert groups[0].mean_logprob == -0.1


def test_function_answers_lose_their_self_tests_but_keep_constants():
    completion = (
        "    return x * LIMIT\n\nLIMIT = 2\nsys.setrecursionlimit(99)\nprint(f(3))\nassert f(1) == 3\n"
        "if __name__ == '__main__':\n    f(0)\n"
    )
    code = extract_code(completion, "```python\ndef f(x):\n", "f")
    assert code == "def f(x):\n    return x * LIMIT\n\nLIMIT = 2\nsys.setrecursionlimit(99)\n"
    stdio = extract_code("n = int(input())\nprint(n + 1)\n```", "```python\n", None)
    assert stdio == "n = int(input())\nprint(n + 1)\n"  # a program's own prints stay
