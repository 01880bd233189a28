"""The one way synthloom reads YAML a user (or an attacker) wrote: bounded in size, depth and
work. Aliases may repeat a value, but the document they make is bounded: a few hundred bytes of
nested aliases expand to gigabytes ("billion laughs"), so a document whose aliases expand it past
MAX_EXPANDED (characters of text plus one per node), or nest it past MAX_DEPTH, or refer to
themselves, is refused before anything is built; so are documents nested deeper than MAX_DEPTH
and files over MAX_YAML_BYTES. Each refusal is one sentence naming the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from synthloom.config.errors import RecipeError

MAX_YAML_BYTES = 16 * 1024 * 1024  # recipes with inline rows stay far below this
MAX_DEPTH = 64  # mappings and lists inside each other; real recipes nest fewer than 10 deep
MAX_EXPANDED = 2 * MAX_YAML_BYTES  # what a document may weigh with its aliases written out


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with no aliases and a nesting cap, checked while composing, before
    anything is expanded or constructed."""

    source = "<yaml>"

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._depth = 0
        self.aliases: list[tuple[str, int]] = []  # (anchor, line) of every alias, for the check after composing

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            self.aliases.append((event.anchor, event.start_mark.line + 1))
        self._depth += 1
        if self._depth > MAX_DEPTH:
            event = self.peek_event()
            raise RecipeError(
                f"nests mappings and lists more than {MAX_DEPTH} deep; flatten it",
                source=self.source, line=event.start_mark.line + 1,
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_expansion(root: yaml.Node, loader: _BoundedLoader) -> None:
    """Refuse a document whose aliases make it heavier than MAX_EXPANDED, deeper than MAX_DEPTH,
    or contain itself. Each node is weighed once (aliases point at the same node), so this costs
    as much as the file, not as much as its expansion."""
    weight: dict[int, int] = {}
    height: dict[int, int] = {}
    open_nodes: set[int] = set()

    def refuse(node: yaml.Node, what: str) -> RecipeError:
        names = ", ".join(sorted({f"*{a}" for a, _ in loader.aliases}))
        return RecipeError(f"{what} once its aliases ({names}) are written out; write the values out in full instead",
                           source=loader.source, line=node.start_mark.line + 1)

    def visit(node: yaml.Node, depth: int) -> None:
        key = id(node)
        if key in weight:
            if depth + height[key] > MAX_DEPTH:
                raise refuse(node, f"this value nests more than {MAX_DEPTH} deep")
            return
        if key in open_nodes:
            raise refuse(node, "this value contains itself")
        if depth > MAX_DEPTH:
            raise refuse(node, f"this value nests more than {MAX_DEPTH} deep")
        open_nodes.add(key)
        if isinstance(node, yaml.ScalarNode):
            total, tall = len(node.value) + 1, 0
        else:
            children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
            total, tall = 1, 0
            for child in children:
                visit(child, depth + 1)
                total += weight[id(child)]
                tall = max(tall, height[id(child)] + 1)
                if total > MAX_EXPANDED:
                    raise refuse(node, f"this value expands to more than {MAX_EXPANDED:,} characters")
        open_nodes.discard(key)
        weight[key], height[key] = total, tall

    visit(root, 0)


def _loader(text: str, source: str) -> _BoundedLoader:
    if len(text) > MAX_YAML_BYTES:
        raise RecipeError(f"is {len(text):,} characters, over synthloom's limit of {MAX_YAML_BYTES:,} for a YAML "
                          "file; move large data into a seed file", source=source)
    loader = _BoundedLoader(text)
    loader.source = source
    return loader


def load_yaml(text: str, source: str = "<yaml>") -> Any:
    """Like yaml.safe_load, bounded; raises RecipeError for aliases, depth and size, and
    yaml.YAMLError for syntax (callers report it with its line)."""
    loader = _loader(text, source)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if loader.aliases:
            _check_expansion(node, loader)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def compose_yaml(text: str, source: str = "<yaml>") -> yaml.Node | None:
    """Like yaml.compose with the safe loader, bounded the same way (node lines for errors)."""
    loader = _loader(text, source)
    try:
        node = loader.get_single_node()
        if node is not None and loader.aliases:
            _check_expansion(node, loader)
        return node
    finally:
        loader.dispose()


def read_yaml_text(path: Path, what: str, max_bytes: int = MAX_YAML_BYTES) -> str:
    """A YAML file's text: one sentence when it is missing, too large or not UTF-8."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise RecipeError(f"{what} file is {size:,} bytes, over synthloom's limit of {max_bytes:,}; "
                              "split it or move large data into a seed file", source=str(path))
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise RecipeError(f"{what} file {path} does not exist; check the path") from None
    except OSError as exc:
        raise RecipeError(f"{what} file {path} cannot be read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:  # it grew, or is not a regular file
        raise RecipeError(f"{what} file is over synthloom's limit of {max_bytes:,} bytes", source=str(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecipeError(f"{what} file is not UTF-8 (byte {exc.start} cannot be decoded); save it as UTF-8",
                          source=str(path)) from None
