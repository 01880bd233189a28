"""Expression columns: a Jinja2 template over other columns, cast to a type."""

from __future__ import annotations

import json
from typing import Any

import jinja2

from synthloom.config.columns import ExpressionColumn
from synthloom.config.templates import template_env
from synthloom.generate.cells import CellContext, CellRejected
from synthloom.generate.columns.base import BaseGenerator, BatchEnv, BuildContext
from synthloom.generate.columns.registry import generates

_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


def cast(text: str, dtype: str) -> Any:
    text = text.strip() if dtype != "str" else text
    if dtype == "str":
        return text
    if dtype == "int":
        return int(float(text)) if "." in text else int(text)
    if dtype == "float":
        return float(text)
    if dtype == "bool":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"{text!r} is not a boolean")
    return json.loads(text)


@generates(ExpressionColumn)
class ExpressionGenerator(BaseGenerator[ExpressionColumn]):
    def __init__(self, config: ExpressionColumn, ctx: BuildContext):
        super().__init__(config, ctx)
        self.template = template_env().from_string(config.template)

    async def generate(self, ctx: CellContext, env: BatchEnv) -> Any:
        try:
            text = self.template.render(**ctx.row.values)
            return cast(text, self.config.dtype)
        except jinja2.TemplateError as exc:
            raise CellRejected(f"template failed: {exc}") from None
        except ValueError as exc:
            raise CellRejected(f"cannot read the result as {self.config.dtype}: {exc}") from None
