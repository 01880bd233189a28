"""The code blocks of a markdown file and what their info strings ask for (tests/test_readme.py).

A block's info string is `LANG [ROLE] [key=value ...]`; GitHub shows only LANG. The kind of a
block is LANG with its ROLE (`yaml recipe`, `console`, ...), and KINDS says which options each
kind takes. Blocks are found with markdown-it, as a renderer sees them, so an indented code block
counts too (and is reported: it can say nothing about how it is checked)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

# kind -> (options it needs, options it may have)
KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "yaml recipe": (frozenset(), frozenset({"file"})),      # a recipe (written to `file` for later steps)
    "yaml curation": (frozenset(), frozenset({"file"})),    # a curation file
    "yaml mix": (frozenset(), frozenset({"file"})),         # a mix file
    "yaml gates": (frozenset(), frozenset({"file"})),       # release gates
    "yaml filters": (frozenset({"base"}), frozenset()),     # a `filters:` fragment of built-in recipe `base`
    "python": (frozenset(), frozenset({"file"})),           # a script, run as written
    "console": (frozenset(), frozenset()),                  # `$ ` commands and their expected output
    "text": (frozenset({"files-in"}), frozenset()),          # a listing: each line's first word is in the folder
    "text diagram": (frozenset(), frozenset()),              # a drawing: shown, not run
    "sh make": (frozenset(), frozenset()),                  # `make TARGET` lines: each target exists
}


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence (of the first line, for an indented block)
    text: str
    fenced: bool
    info: str = ""
    lang: str = ""
    role: str = ""
    options: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return f"{self.lang} {self.role}" if self.role else self.lang

    def where(self) -> str:
        return f"README.md:{self.line} ({self.info or 'indented block'})"


def parse_info(info: str) -> tuple[str, str, dict[str, str]]:
    """`yaml recipe file=recipe.yaml` -> ("yaml", "recipe", {"file": "recipe.yaml"})."""
    words = info.split()
    if not words:
        return "", "", {}
    roles = [w for w in words[1:] if "=" not in w]
    options = dict(w.split("=", 1) for w in words[1:] if "=" in w)
    return words[0], " ".join(roles), options


def code_blocks(markdown: str) -> list[Block]:
    """Every code block a renderer sees, fenced or indented, in document order."""
    blocks = []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type == "fence":
            lang, role, options = parse_info(token.info)
            blocks.append(Block(token.map[0] + 1, token.content, True, token.info.strip(), lang, role, options))
        elif token.type == "code_block":
            blocks.append(Block(token.map[0] + 1, token.content, False))
    return blocks


def problems(blocks: list[Block]) -> list[str]:
    """One sentence per block that does not say how it is checked."""
    found = []
    for b in blocks:
        if not b.fenced:
            found.append(f"README.md:{b.line}: an indented code block; fence it with an info string `LANG ROLE`")
            continue
        if b.kind not in KINDS:
            found.append(f"{b.where()}: unknown kind '{b.kind}'; known: {', '.join(sorted(KINDS))}")
            continue
        needs, may = KINDS[b.kind]
        missing = sorted(needs - set(b.options))
        unknown = sorted(set(b.options) - needs - may)
        if missing:
            found.append(f"{b.where()}: '{b.kind}' needs {', '.join(o + '=...' for o in missing)}")
        if unknown:
            found.append(f"{b.where()}: '{b.kind}' takes no option {', '.join(unknown)}")
    return found


@dataclass(frozen=True)
class Command:
    line: int  # 1-based line in the markdown file
    command: str
    expected: str  # the lines after it up to the next command ("" for none)

    @property
    def background(self) -> bool:
        """`cmd &`: a service the rest of the tour talks to."""
        return self.command.rstrip().endswith("&") and not self.command.rstrip().endswith("&&")

    @property
    def port(self) -> int | None:
        m = re.search(r"--port[ =](\d+)", self.command)
        return int(m.group(1)) if m else None


def console_commands(block: Block) -> list[Command]:
    """The `$ ` commands of a console block, each with the output expected after it."""
    commands: list[Command] = []
    lines = block.text.splitlines()
    expected: list[str] = []
    for i, line in enumerate(lines):
        if line.startswith("$ "):
            if commands:
                commands[-1] = Command(commands[-1].line, commands[-1].command, "\n".join(expected))
            commands.append(Command(block.line + 1 + i, line[2:], ""))
            expected = []
        elif not commands:
            if line.strip():
                raise ValueError(f"{block.where()}: output before the first `$ ` command: {line!r}")
        else:
            expected.append(line)
    if commands:
        commands[-1] = Command(commands[-1].line, commands[-1].command, "\n".join(expected))
    return commands


def normalise(text: str) -> str:
    return " ".join(text.split())


def output_matches(expected: str, actual: str) -> bool:
    """Doctest-style: `...` matches anything (nothing too), and runs of whitespace are one space."""
    parts = [re.escape(p.strip()) for p in normalise(expected).split("...")]
    return re.fullmatch(r"\s*" + r".*?".join(parts) + r"\s*", normalise(actual), re.DOTALL) is not None
