"""Python code, as far as GBNF can say it: the lexical grammar plus balanced brackets.

What GBNF (a context-free grammar over characters) cannot express: indentation. Python's INDENT/DEDENT
tokens compare each line's leading whitespace with a stack of earlier widths, which no context-free
grammar can do, and the grammar has no way to know the stub's indentation either. So the grammar
constrains tokens only: names, numbers, closed string literals (single, triple, with prefixes), operators,
comments, line continuations, and brackets that nest and close (newlines inside brackets are joined, as
Python does). Statement structure and indentation are left to `ast.parse` after sampling: a program that
fails it is a ``syntax`` verdict and dropped (or resampled), as without a grammar. The completion ends
with the closing code fence, the prompt's stop.
"""

from __future__ import annotations

import ast
from functools import cache

from codesift.grammars import Grammar, register

PYTHON_GBNF = r"""
root    ::= line* "```"
line    ::= [ \t]* ( item ( [ \t]* item )* [ \t]* )? comment? ( "\\" )? "\n"
item    ::= name | number | string | op | group
inner   ::= ( [ \t\n] | comment "\n" | "\\\n" | item )*
group   ::= "(" inner ")" | "[" inner "]" | "{" inner "}"
name    ::= [a-zA-Z_] [a-zA-Z0-9_]*
number  ::= decimal ( [eE] [-+]? [0-9]+ )? [jJ]? | "0" [xXoObB] [0-9a-fA-F_]+
decimal ::= [0-9] [0-9_]* ( "." [0-9_]* )? | "." [0-9] [0-9_]*
op      ::= [-+*/%@&|^~<>=!.,:;]
comment ::= "#" [^\n]*
string  ::= prefix? ( short1 | short2 | long1 | long2 )
prefix  ::= [rRbBuUfF] | [rR] [bBfF] | [bBfF] [rR]
short1  ::= "'" ( [^'\\\n] | "\\" [^\n] | "\\\n" )* "'"
short2  ::= "\"" ( [^"\\\n] | "\\" [^\n] | "\\\n" )* "\""
long1   ::= "'''" ( [^'\\] | "\\" [^\x00] | "'" [^'\\] | "''" [^'\\] )* "'''"
long2   ::= "\"\"\"" ( [^"\\] | "\\" [^\x00] | "\"" [^"\\] | "\"\"" [^"\\] )* "\"\"\""
"""


def _check(text: str) -> bool:
    """The whole answer (fence, stub and body) parses as Python."""
    body = text.split("```python\n", 1)[-1].split("```", 1)[0]
    try:
        ast.parse(body)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


@cache
def python_grammar() -> str:
    return register(Grammar("python", PYTHON_GBNF, _check)).gbnf
