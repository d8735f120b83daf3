import ast
import json
from pathlib import Path

import pytest

from codesift.problems import ProblemError, examples_from_docstring, load_problem, stdio_examples


def test_stub_doctests_become_call_examples(tmp_path):
    path = tmp_path / "f.py"
    path.write_text('def f(x, y=1):\n    """Add.\n    >>> f(1, y=2)\n    3\n    >>> f(0)\n    1\n    """\n')
    problem = load_problem(path)
    assert problem.style == "function" and problem.entry_point == "f"
    assert [(t.kind, t.input, t.output) for t in problem.examples] == [("call", "1, y=2", "3"), ("call", "0", "1")]


def test_arrow_example_lines_are_understood():
    doc = "Examples:\nsolve(3) == 6\nsolve([1, 2]) ➞ [2, 1]\nother(1) == 2\n"
    tests = examples_from_docstring(doc, "solve")
    assert [(t.input, t.output) for t in tests] == [("3", "6"), ("[1, 2]", "[2, 1]")]


def test_example_lines_in_the_layouts_docstrings_use():
    """HumanEval's docstrings alone show these: `==>`, a single `=`, `>>> f(x) == y` with no output line, a call
    after prose (`for f(x) == y`), a bulleted line, a trailing comment as the arrow, a closing full stop."""
    doc = """
    f([3, 4, 5, 1, 2])==>True
    * f([]) => []
    f([1,2,4,3,5]) = 3
    >>> f('a(b)') == 'x'
    for f(7, 34) == 34
    f(15)   # returns "db1111db"
    f({"a": 1}) should return True.
    f("x.txt") # => 'No' (the name should start with a letter)
    f(n) = 1 + n / 2, if n is even.
    g(1) == 2
    """
    assert [(t.input, t.output) for t in examples_from_docstring(doc, "f")] == [
        ("[3, 4, 5, 1, 2]", "True"), ("[]", "[]"), ("[1, 2, 4, 3, 5]", "3"), ("'a(b)'", "'x'"), ("7, 34", "34"),
        ("15", '"db1111db"'), ("{'a': 1}", "True"),
    ]  # fmt: skip


def test_examples_that_name_the_arguments_follow_the_signature(tmp_path):
    """`For s = ..., c = ... the result should be ...` and LeetCode's `Input:` / `Output:` pairs become calls with
    the values in the signature's order; prose after the arguments is cut off; a name the signature lacks, or a
    value that is not a literal, is no example."""
    path = tmp_path / "f.py"
    path.write_text('''def f(s, c):
    """Example
    For c = "ae", s = "abcde", the result should be ('bcd',False)
    For s = "x", c = "", the sum will be 1 the output should be "x".
    For s = t, c = "" the output should be 1
    For n = 3 the output should be 1

        Input: s = "ab", c = "b"
        Output: "a"
        Input: s = "ab"
        Output: "b"
    """
''')
    got = [(t.input, t.output) for t in load_problem(path).examples]
    assert got == [("'abcde', 'ae'", "('bcd', False)"), ("'x', ''", "'x'"), ("'ab', 'b'", "'a'")]
    path.write_text('def g(n):\n    """Input: 3\n    Output: (1, 2)\n    """\n')
    assert [(t.input, t.output) for t in load_problem(path).examples] == [("3", "(1, 2)")]


def test_statement_pairs_fenced_and_plain_blocks():
    text = "Intro\n\n## Input\n```\n1 2\n```\n## Output\n```\n3\n```\n\nInput\n4\n5\n\nOutput\n9\n\nNote\nx\n"
    tests = stdio_examples(text)
    assert [(t.input, t.output) for t in tests] == [("1 2\n", "3\n"), ("4\n5\n", "9\n")]


def test_humaneval_record_never_reads_hidden_test(tmp_path):
    record = {"task_id": "T/1", "prompt": 'def g(a):\n    """>>> g(2)\n    4\n    """\n', "entry_point": "g",
              "test": "def check(c): assert c(3) == 9"}  # fmt: skip
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(record) + "\n")
    problem = load_problem(path)
    assert problem.id == "T/1"
    assert "check" not in problem.model_dump_json()
    assert [(t.input, t.output) for t in problem.examples] == [("2", "4")]


def test_jsonl_task_selection(tmp_path):
    lines = [{"task_id": f"T/{i}", "prompt": f"def f{i}():\n    pass\n", "entry_point": f"f{i}"} for i in range(3)]
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines))
    assert load_problem(path, task="T/2").entry_point == "f2"
    with pytest.raises(ProblemError, match="no record"):
        load_problem(path, task="T/9")


def test_a_json_file_holds_one_task_laid_out_freely(tmp_path):
    record = {"task_id": "T/1", "prompt": 'def g(a):\n    """>>> g(2)\n    4\n    """\n', "entry_point": "g"}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(record, indent=2))
    assert load_problem(path).entry_point == "g" and load_problem(path, task="T/1").id == "T/1"
    with pytest.raises(ProblemError, match="its task is not 'T/2'"):
        load_problem(path, task="T/2")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.py", "def f(:\n", "not valid Python"),
        ("bad.json", "[1, 2]\n", "expected one JSON object"),
        ("two.json", '{"id": "a"}\n{"id": "b"}\n', "invalid JSON .*one per line in a .jsonl file"),
        ("nofunc.py", "x = 1\n", "no top-level function"),
        ("empty.md", "   \n", "empty"),
        ("noex.md", "Just a statement.\n", "no examples found"),
        ("bad.jsonl", "{not json\n", "invalid JSON"),
        ("p.yaml", "a: 1\n", "unknown problem format"),
    ],
)
def test_bad_files_name_file_and_fix(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ProblemError, match=message) as info:
        load_problem(path)
    assert name.split(".")[0] in str(info.value)


def test_shipped_examples_all_load():
    from pathlib import Path

    files = sorted(Path(__file__).parent.parent.joinpath("examples").iterdir())
    problems = [load_problem(f) for f in files]
    assert sum(p.style == "function" for p in problems) >= 3
    assert sum(p.style == "stdio" for p in problems) >= 3
    assert all(p.examples for p in problems)


def test_prose_examples_with_free_names_are_not_taken_as_python():
    doc = "is_simple_power(1, 4) => true\nis_happy(a) => False\nis_happy('abcd') => True\n"
    assert [(t.input, t.output) for t in examples_from_docstring(doc, "is_happy")] == [("'abcd'", "True")]
    assert examples_from_docstring(doc, "is_simple_power") == ()


STATEMENTS = Path(__file__).parent / "data" / "statements"
EXPECTED = json.loads((STATEMENTS / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_statement_layouts_parse_to_exactly_their_examples(name):
    """Real layouts (Codeforces via APPS, AtCoder, LeetCode, Kattis, HackerRank, CodeChef, markdown): format
    descriptions under bare Input/Output headings are not examples, explanations are not output."""
    problem = load_problem(STATEMENTS / name)
    assert [[t.input, t.output] for t in problem.examples] == EXPECTED[name]


def test_every_apps_stdio_statement_parses_to_its_sample_io():
    from codesift.bench.tasks import BenchDataError, data_dir

    try:
        path = data_dir() / "apps_mapcoder150" / "apps_selected150_shared.jsonl"
    except BenchDataError:
        pytest.skip("no benchmark data on this machine")
    records = {r["id"]: r for r in map(json.loads, path.read_text().splitlines()) if not r["starter_code"].strip()}
    assert len(records) >= 20
    for r in records.values():
        io = ast.literal_eval(r["sample_io"]) if isinstance(r["sample_io"], str) else r["sample_io"]
        want = [(x["input"].strip("\n") + "\n", x["output"][0].strip() + "\n") for x in io]
        assert [(t.input, t.output) for t in stdio_examples(r["description"])] == want, r["id"]


def test_doctests_around_a_call_are_checked_not_dropped():
    doc = """
    >>> f(3) is None
    True
    >>> round(f(2), 2)
    0.5
    >>> f(1) == [1]
    >>> f(0)
    >>> print(f(2))
    4
    >>> f(x) is None
    True
    >>> f(1)[0, 1]
    """
    tests = examples_from_docstring(doc, "f")
    assert [(t.kind, t.input, t.output) for t in tests] == [
        ("assert", "assert (f(3) is None) == (True)", None),
        ("assert", "assert (round(f(2), 2)) == (0.5)", None),
        ("call", "1", "[1]"),
        ("call", "0", "None"),
    ]


def test_doctest_assert_examples_decide_between_programs():
    from codesift.execute import make_executor

    (example,) = examples_from_docstring(">>> f(3) is None\nTrue\n", "f")
    with make_executor(workers=1) as ex:
        right, wrong = (ex.run(code, [example])[0].status for code in ("def f(x):\n    return None\n",
                                                                       "def f(x):\n    return 0\n"))  # fmt: skip
    assert (right, wrong) == ("passed", "failed")
