"""Which other columns a Jinja2 template refers to.

Shared by recipe validation (missing references, cycles) and the engine (planning)."""

from __future__ import annotations

from functools import lru_cache

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Prompts render untrusted content (seed rows, model output): always the immutable sandbox,
# and StrictUndefined so a typo in a column name fails loudly instead of rendering "".
_ENV = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def template_env() -> ImmutableSandboxedEnvironment:
    return _ENV


@lru_cache(maxsize=1024)
def template_variables(source: str) -> frozenset[str]:
    """Top-level names a template reads; raises jinja2.TemplateSyntaxError if malformed."""
    return frozenset(meta.find_undeclared_variables(_ENV.parse(source)))


@lru_cache(maxsize=1024)
def expression_variables(source: str) -> frozenset[str]:
    return template_variables("{{ " + source + " }}")
