"""What every column has, and the checks column configs share."""

from __future__ import annotations

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from synthloom.config.templates import template_variables


def _check_expression(source: str | None) -> str | None:
    if source is not None:
        _check_template("{{ " + source + " }}")
    return source


def _check_template(source: str | None) -> str | None:
    """The template itself when it parses (validators use it as is); a ValueError otherwise."""
    if source is None:
        return None
    try:
        template_variables(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template has a Jinja2 syntax error on its line {exc.lineno}: {exc.message}") from None
    return source

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"

class _Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="Column name; other columns refer to it in templates.")
    drop: bool = Field(False, description="Compute the column but leave it out of the written rows.")

    def references(self) -> set[str]:
        """Names of other columns this column reads."""
        return set()
