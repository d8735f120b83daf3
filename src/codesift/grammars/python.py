"""Python code, as far as GBNF can say it: the lexical grammar plus balanced brackets.

What GBNF (a context-free grammar over characters) cannot express: indentation. Python's INDENT/DEDENT
tokens compare each line's leading whitespace with a stack of earlier widths, which no context-free
grammar can do, and the grammar has no way to know the stub's indentation either. So the grammar
constrains the lexical level only: string literals that close (single, triple; a prefix is just letters
before the quote), comments, line continuations, brackets that nest and close (newlines inside brackets are
joined, as Python does), and no character Python code cannot hold outside a string (backtick, ``$``, ``?``,
non-ASCII). Statement structure and indentation are left to `ast.parse` after sampling: a program that
fails it is a ``syntax`` verdict and dropped (or resampled), as without a grammar. The completion ends
with the closing code fence, the prompt's stop.
"""

from __future__ import annotations

from functools import cache

from codesift import syntax
from codesift.grammars import Grammar, register

# Deliberately unambiguous: names, numbers, operators and spaces are one character class taken a character at a
# time (not `name ::= [a-z]+` next to `name`, which lets every identifier split into several names, so llama.cpp
# carries several parses at once: ~1 s to mask the vocabulary and up to ~5 ms to check one token, measured; see
# docs/RESULTS.md). Strings, comments and brackets are the structure that remains.
PYTHON_GBNF = r"""
root    ::= line* "```"
line    ::= piece* comment? "\n"
piece   ::= [a-zA-Z0-9_ \t+*/%@&|^~<>=!.,:;-] | string | group | "\\\n"
inner   ::= piece | "\n" | comment "\n"
group   ::= "(" inner* ")" | "[" inner* "]" | "{" inner* "}"
comment ::= "#" [^\n]*
string  ::= short1 | short2 | long1 | long2
short1  ::= "'" ( [^'\\\n] | "\\" [^\x00] )* "'"
short2  ::= "\"" ( [^"\\\n] | "\\" [^\x00] )* "\""
long1   ::= "'''" ( [^'\\] | "\\" [^\x00] | "'" [^'\\] | "''" [^'\\] )* "'''"
long2   ::= "\"\"\"" ( [^"\\] | "\\" [^\x00] | "\"" [^"\\] | "\"\"" [^"\\] )* "\"\"\""
"""


def _check(text: str) -> bool:
    """The whole answer (fence, stub and body) parses as Python."""
    body = text.split("```python\n", 1)[-1].split("```", 1)[0]
    try:
        syntax.parse(body)
    except syntax.PARSE_ERRORS:
        return False
    return True


@cache
def python_grammar() -> str:
    return register(Grammar("python", PYTHON_GBNF, _check)).gbnf
