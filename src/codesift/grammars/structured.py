"""Grammars of the structured outputs: `ask` answer lines, Python literals and argument lists (probe
inputs), model-written assert lines and stdin/stdout tests, and JSON.

Each builder returns the GBNF text a `Policy.grammar` carries and registers the `Grammar` (with its
check) under that text. Whitespace is a single optional space where Python allows it: free runs of
spaces and newlines let a small model "run away" inside a grammar and make llama.cpp track more stacks.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from typing import Any, Literal

from codesift import syntax
from codesift.grammars import Grammar, GrammarError, register

# Python literals as `ast.literal_eval` reads them (no complex, bytes or implicit string concatenation).
LITERAL_RULES = r"""
value   ::= number | string | "None" | "True" | "False" | list | tuple | braces
number  ::= "-"? ( int ( "." [0-9]* )? | "." [0-9]+ ) ( [eE] [-+]? [0-9]+ )?
int     ::= "0" | [1-9] [0-9]*
string  ::= "'" ( [^'\\\n] | escape )* "'" | "\"" ( [^"\\\n] | escape )* "\""
escape  ::= "\\" ( [\\'"abfnrtv0-7] | "x" hex hex | "u" hex hex hex hex )
hex     ::= [0-9a-fA-F]
list    ::= "[" ws ( values ws ","? )? ws "]"
tuple   ::= "(" ws ( values ws ","? )? ws ")"
braces  ::= "{" ws ( ( pair ( ws "," ws pair )* | values ) ws ","? )? ws "}"
pair    ::= value ws ":" ws value
values  ::= value ( ws "," ws value )*
ws      ::= " "?
"""
_NAME = re.compile(r"[A-Za-z_]\w*")
_ANSWER_LINE = re.compile(r"@(\w+)\[([^\]\n]*)\]")  # a line DABench's regex @(\w+)\[(.*?)\] reads whole


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (*syntax.PARSE_ERRORS, TypeError):
        return False
    return True


def _parse(text: str, mode: Literal["exec", "eval"] = "exec") -> ast.AST | None:
    try:
        return syntax.parse(text, mode=mode)
    except syntax.PARSE_ERRORS:
        return None


def parse_args(text: str) -> list[ast.expr] | None:
    """The arguments of ``f(<text>)`` when all are literals (a probe input), else ``None``."""
    tree = _parse(f"f({text})", "eval")
    if not isinstance(tree, ast.Expression) or not isinstance(tree.body, ast.Call) or tree.body.keywords:
        return None
    return tree.body.args if all(_literal(a) for a in tree.body.args) else None


def parse_assert(line: str, entry_point: str) -> tuple[str, str] | None:
    """``assert f(args) == value`` (or ``assert f(args)`` / ``assert not f(args)``) with literal values →
    (argument source, expected source); anything else is ``None``, never guessed."""
    tree = _parse(line.strip())
    if not isinstance(tree, ast.Module) or len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return None
    test = tree.body[0].test
    call: ast.expr = test
    expected: ast.expr | str
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        call, expected = test.left, test.comparators[0]
    elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        call, expected = test.operand, "False"
    elif isinstance(test, ast.Call):
        expected = "True"
    else:
        return None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == entry_point):
        return None
    if call.keywords or not all(_literal(a) for a in call.args):
        return None
    if isinstance(expected, ast.expr):
        if not _literal(expected):
            return None
        expected = ast.unparse(expected)
    return ", ".join(ast.unparse(a) for a in call.args), expected


def _check_literal(text: str) -> bool:
    tree = _parse(text.strip(), "eval")
    return isinstance(tree, ast.Expression) and _literal(tree.body)


@cache
def literal_grammar() -> str:
    """One Python literal (a value a probe input or an expected output may hold)."""
    return register(Grammar("literal", "root ::= value\n" + LITERAL_RULES, _check_literal)).gbnf


@cache
def args_grammar() -> str:
    """A call's argument list of literals, ``1, [2, 3], 'x'`` (the ``input`` of a ``call`` test)."""
    gbnf = "root ::= values?\n" + LITERAL_RULES
    return register(Grammar("args", gbnf, lambda text: parse_args(text) is not None)).gbnf


def _gbnf_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise GrammarError(f"grammar name {name!r} is not a Python identifier; cannot build its grammar")
    return name


def answer_grammar(names: list[str]) -> str:
    """The answer lines of `codesift ask`: ``@name[value]`` once per required name, in the given order,
    one per line. Values hold no ``]`` or newline, exactly what DABench's regex ``@(\\w+)\\[(.*?)\\]`` reads."""
    if not names:
        raise GrammarError("answer grammar needs at least one answer name")
    lines = [f'"@{_gbnf_name(n)}[" value "]"' for n in names]
    gbnf = "root ::= " + ' "\\n" '.join(lines) + ' "\\n"?\nvalue ::= [^\\]\\n]*\n'
    wanted = list(names)

    def check(text: str) -> bool:
        lines = text.removesuffix("\n").split("\n")
        found = [_ANSWER_LINE.fullmatch(line) for line in lines]
        return [m.group(1) if m else None for m in found] == wanted

    return register(Grammar(f"answer({','.join(names)})", gbnf, check)).gbnf


def asserts_grammar(entry_point: str, count: int = 8) -> str:
    """Model-written tests, continuing the prefill ``assert <entry_point>(``: the rest of that assert, at most
    ``count - 1`` more ``assert`` lines of the shapes `parse_assert` reads (literal arguments and expected
    values), then the closing fence. Every line is a test the parser keeps, and the count bounds the output:
    unbounded, a small model kept writing asserts until the token budget cut its last line."""
    entry = _gbnf_name(entry_point)
    gbnf = (
        f'root  ::= args ")" check "\\n" line{{0,{count - 1}}} "```"\n'
        f'line  ::= "assert " ( "not {entry}(" args ")" | "{entry}(" args ")" check ) "\\n"\n'
        'check ::= ( " == " value )?\n'
        "args  ::= values?\n" + LITERAL_RULES
    )

    def check(text: str) -> bool:
        body = text.split("```python\n", 1)[-1].split("```", 1)[0]
        lines = [line for line in body.splitlines() if line.strip()]
        return 0 < len(lines) <= count and all(parse_assert(line, entry_point) for line in lines)

    return register(Grammar(f"asserts({entry_point}, {count})", gbnf, check)).gbnf


_STDIO_TEST = re.compile(r"Input:\n```\n[^`]*```\nOutput:\n```\n[^`]*```")


@cache
def stdio_tests_grammar(count: int = 8) -> str:
    """Model-written stdin/stdout tests, continuing the prefill ``Input:\\n```\\n``: fenced input and output
    blocks in turn (block text holds no backtick), at most ``count`` of them."""
    gbnf = (
        'root  ::= block "```\\nOutput:\\n```\\n" block "```" ( "\\n\\nInput:\\n```\\n" block '
        f'"```\\nOutput:\\n```\\n" block "```" ){{0,{count - 1}}} "\\n"?\n'
        "block ::= [^`]*\n"
    )

    def check(text: str) -> bool:
        blocks = [b for b in re.split(r"\n\n(?=Input:)", text.strip()) if b]
        return 0 < len(blocks) <= count and all(_STDIO_TEST.fullmatch(b) for b in blocks)

    return register(Grammar(f"stdio-tests({count})", gbnf, check)).gbnf


def json_grammar(schema: dict[str, Any] | None = None) -> str:
    """A JSON object; with a JSON schema, only documents of that schema (llama.cpp's own schema converter).
    The check parses the JSON; it does not re-validate the schema."""
    from llama_cpp.llama_grammar import JSON_GBNF, json_schema_to_gbnf

    if schema is None:
        return register(Grammar("json", JSON_GBNF, _check_json)).gbnf
    try:
        gbnf = json_schema_to_gbnf(json.dumps(schema))
    except (ValueError, KeyError, TypeError, NotImplementedError) as e:
        raise GrammarError(f"JSON schema cannot become a grammar: {e}") from None
    return register(Grammar("json-schema", gbnf, _check_json, json_schema=schema)).gbnf


def _check_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
