"""A real English text corpus that ships with Python itself: the prose of the language reference
topics that `help()` shows (`pydoc_data.topics`, part of CPython's standard library and of its
documentation, under the Python Software Foundation License). Code examples and lists are left
out; what remains is split into sentences of 5 to 40 words (~2,800 sentences, ~46,000 words,
~2,700 word types)."""

from __future__ import annotations

import re
from functools import cache

from synthloom.config.errors import SynthloomError

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[0-9]+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
CODE_PREFIXES = (">>>", "...", "*", "+", "|", "=", "-")


def words(text: str) -> list[str]:
    """Lower-case word tokens (the unit every text signal and the n-gram model count)."""
    return WORD.findall(text.lower())


def _paragraphs(text: str) -> list[str]:
    """Prose paragraphs: lines indented like code, and list or table lines, end a paragraph."""
    out: list[str] = []
    block: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        code = len(line) - len(line.lstrip()) >= 4 or stripped.startswith(CODE_PREFIXES)
        if not stripped or code:
            if block:
                out.append(" ".join(block))
            block = []
            continue
        block.append(stripped)
    if block:
        out.append(" ".join(block))
    return out


@cache
def python_docs_sentences() -> tuple[str, ...]:
    try:
        from pydoc_data.topics import topics
    except ImportError:  # a Python packaged without its documentation topics
        raise SynthloomError("the text setup needs the pydoc_data module of Python's standard library") from None
    sentences = []
    for key in sorted(topics):
        for paragraph in _paragraphs(topics[key]):
            sentences += [s for s in SENTENCE_END.split(paragraph) if 5 <= len(words(s)) <= 40]
    return tuple(sentences)
