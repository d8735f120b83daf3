"""Each grammar accepts what its consumer parses and rejects what it would throw away.

Acceptance is decided by llama.cpp's own grammar engine, token by token over the 0.5B model's real
vocabulary (only the vocabulary is loaded: no weights, milliseconds per check), and each accepted text
is also held against the grammar's Python check, which is what HTTP backends without grammars use.
"""

import pytest

from codesift.backends.models import FAST_MODEL, resolve_model
from codesift.grammars import GrammarError, answer_grammar, asserts_grammar, resolve, stdio_tests_grammar
from codesift.grammars.engine import Matcher, compile_grammar
from codesift.grammars.structured import json_grammar
from codesift.select.written import parse_asserts


@pytest.fixture(scope="module")
def matcher():
    m = Matcher(resolve_model(FAST_MODEL))
    yield m
    m.close()


def agree(matcher: Matcher, spec: str, text: str, whole: str | None = None) -> bool:
    """llama.cpp's verdict, after checking that the Python check says the same."""
    verdict = matcher.accepts(spec, text)
    check = resolve(spec).check
    assert check is not None and check(text if whole is None else whole) == verdict, text
    return verdict


ANSWER_OK = ["@mean_age[34.5]\n@count[3]", "@mean_age[34.5]\n@count[3]\n", "@mean_age[]\n@count[a, b (c)]"]
ANSWER_BAD = [
    "@count[3]\n@mean_age[1]",
    "@mean_age[3]]\n@count[3]",
    "@mean_age[1]",
    "The answer: @mean_age[1]\n@count[2]",
]


@pytest.mark.parametrize("text", ANSWER_OK)
def test_answer_lines_accepted(matcher, text):
    assert agree(matcher, answer_grammar(["mean_age", "count"]), text)


@pytest.mark.parametrize("text", ANSWER_BAD)
def test_answer_lines_out_of_order_extra_or_missing_rejected(matcher, text):
    assert not agree(matcher, answer_grammar(["mean_age", "count"]), text)


def test_answer_grammar_refuses_names_it_cannot_quote():
    with pytest.raises(GrammarError, match="not a Python identifier"):
        answer_grammar(['a"b'])
    with pytest.raises(GrammarError, match="at least one"):
        answer_grammar([])


LITERALS_OK = ["0", "-1.5e3", ".5", "'it\\'s'", '"\\x41\\n"', "None", "[1, (2, 'a'), {3: None}]", "{1, 2}", "()", "{}"]
LITERALS_BAD = ["01", "x", "[1, 2", "'abc", "f(1)", "1 + 2", "'\\xZZ'", "[1,,2]", "{1: }"]


@pytest.mark.parametrize("text", LITERALS_OK)
def test_python_literals_accepted(matcher, text):
    assert agree(matcher, "literal", text)


@pytest.mark.parametrize("text", LITERALS_BAD)
def test_non_literals_rejected(matcher, text):
    assert not agree(matcher, "literal", text)


@pytest.mark.parametrize(("text", "ok"), [("1, 'b', [2]", True), ("", True), ("x=1", False), ("1,, 2", False)])
def test_argument_lists(matcher, text, ok):
    assert agree(matcher, "args", text) == ok


ASSERTS_OK = [
    "1, [2, 3]) == 4\n```",
    "'a') == 'b'\nassert f(-1.5, {1: (2,)}) == None\nassert not f(0)\nassert f(2)\n```",
]
ASSERTS_BAD = [
    "x) == 4\n```",  # a name, not a literal
    "1) == 2\n```\n",  # text after the closing fence
    "1) == 2\n\n# edge case\nassert f(3) == 4\n```",  # prose between tests
    "1) == 2\nassert g(3) == 4\n```",  # another function
    "1) == len([1])\n```",  # expected value computed
]


@pytest.mark.parametrize("text", ASSERTS_OK)
def test_assert_lines_accepted_and_every_line_is_a_test(matcher, text):
    whole = "```python\nassert f(" + text
    assert agree(matcher, asserts_grammar("f"), text, whole)
    assert len(parse_asserts(whole, "f")) == text.count("\n")


@pytest.mark.parametrize("text", ASSERTS_BAD)
def test_assert_lines_reject_what_the_parser_drops(matcher, text):
    assert not matcher.accepts(asserts_grammar("f"), text)


def test_assert_lines_stop_at_the_count_asked_for(matcher):
    lines = "".join(f"assert f({i}) == {i}\n" for i in range(1, 8))
    assert matcher.accepts(asserts_grammar("f", 8), "0) == 0\n" + lines + "```")
    assert not matcher.accepts(asserts_grammar("f", 8), "0) == 0\n" + lines + "assert f(8) == 8\n```")
    assert not resolve(asserts_grammar("f", 2)).check(
        "```python\nassert f(0) == 0\nassert f(1) == 1\nassert f(2) == 2\n```"
    )


def test_stdio_tests(matcher):
    spec = stdio_tests_grammar()
    good = "1 2\n```\nOutput:\n```\n3\n```\n\nInput:\n```\n4\n```\nOutput:\n```\n5\n```"
    assert agree(matcher, spec, good, "Input:\n```\n" + good)
    assert not matcher.accepts(spec, "1 2\n```\nThe output is 3")


def test_json_with_and_without_schema(matcher):
    assert agree(matcher, "json", '{"a": [1, 2.5, "x", null]}')
    assert not agree(matcher, "json", "{'a': 1}")
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    spec = json_grammar(schema)
    assert resolve(spec).json_schema == schema
    assert matcher.accepts(spec, '{"n": 3}')
    assert not matcher.accepts(spec, '{"n": "3"}') and not matcher.accepts(spec, "{}")


PYTHON_OK = [
    "    return [x for x in y if x > 0]  # keep positives\n```",
    "    s = '''a\n'b'''\n    return (1,\n            2)\n```",
    '    return f"{x!r}" + r"\\d" + b"\\x00".hex() + str(0x1F + 1e-3j)\n```',
    "    x = 1 + \\\n        2\n```",
]
# Indentation is beyond GBNF: a wrongly indented body is lexically fine, so the grammar lets it through.
PYTHON_LEXICALLY_OK_BUT_NOT_PYTHON = "    x = 1\n      return x\n```"
PYTHON_BAD = ["    return (1\n```", "    return 'abc\n```", "    return x]\n```", "    return `x`\n```"]


@pytest.mark.parametrize("text", PYTHON_OK)
def test_python_code_accepted(matcher, text):
    assert agree(matcher, "python", text, "```python\ndef f(x, y):\n" + text)


@pytest.mark.parametrize("text", PYTHON_BAD)
def test_python_unclosed_or_foreign_tokens_rejected(matcher, text):
    assert not agree(matcher, "python", text, "```python\ndef f(x, y):\n" + text)


def test_python_grammar_cannot_see_indentation(matcher):
    text = PYTHON_LEXICALLY_OK_BUT_NOT_PYTHON
    check = resolve("python").check
    assert matcher.accepts("python", text)
    assert check is not None and not check("```python\ndef f():\n" + text)


@pytest.mark.parametrize(
    ("gbnf", "message"),
    [
        ('root ::= "a" (\n', "expecting ')' at line 2, column 1"),
        ('root ::= "a" b\n', "Undefined rule identifier 'b' at line 1, column 14"),
        ('root ::= "x"\nfoo ::= = "y"', "at line 2, column 9"),
    ],
)
def test_compile_error_is_one_line_naming_grammar_and_position(matcher, gbnf, message):
    with pytest.raises(GrammarError) as caught:
        compile_grammar(matcher.vocab, gbnf)
    text = str(caught.value)
    assert "\n" not in text and text.startswith("grammar 'custom' does not compile: ") and message in text


def test_unknown_grammar_name():
    with pytest.raises(GrammarError, match="unknown grammar 'yaml'"):
        resolve("yaml")
