"""Expression columns (Jinja2 over other columns) and validators (JSON Schema, regex, Python)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator

from synthloom.config.columns.base import _check_template, _Column
from synthloom.config.templates import template_variables


class ExpressionColumn(_Column):
    kind: Literal["expression"]
    template: str = Field(description="Jinja2 template over other columns.")
    dtype: Literal["str", "int", "float", "bool", "json"] = "str"

    _parses = field_validator("template")(lambda v: _check_template(v))

    def references(self) -> set[str]:
        return set(template_variables(self.template))


class _Validator(_Column):
    kind: Literal["validator"]
    target: str = Field(description="Column whose value is checked.")
    reject: bool = Field(True, description="Reject rows that fail; otherwise only record the result.")

    def references(self) -> set[str]:
        return {self.target}


class JsonSchemaValidator(_Validator):
    type: Literal["json_schema"]
    json_schema: dict[str, Any] = Field(alias="schema")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, v: dict[str, Any]) -> dict[str, Any]:
        import jsonschema

        try:
            jsonschema.validators.validator_for(v).check_schema(v)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"`schema` is not a valid JSON Schema: {exc.message}") from None
        return v


class RegexValidator(_Validator):
    type: Literal["regex"]
    pattern: str
    full_match: bool = True

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        import re

        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"`pattern` is not a valid regular expression: {exc}") from None
        return v


class PythonValidator(_Validator):
    """`code` defines `validate(value, row)` returning True, or False / a reason string.
    It runs in a separate process with time, CPU and memory limits, an empty environment, and
    kernel confinement (seccomp, Landlock): no network, no new processes, no file writes, reads
    only below Python's own folders. See docs/security.md."""

    type: Literal["python"]
    code: str
    timeout_s: float = Field(5.0, gt=0, le=300)  # bounded: a recipe must not lift its own code's limits
    memory_mb: int = Field(512, ge=32, le=65_536)

    @field_validator("code")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            compile(v, "<validator>", "exec")
        except SyntaxError as exc:
            raise ValueError(f"`code` has a syntax error on its line {exc.lineno}: {exc.msg}") from None
        return v


ValidatorColumn = Annotated[JsonSchemaValidator | RegexValidator | PythonValidator, Field(discriminator="type")]


class GroundingColumn(_Column):
    """How well a text rests on its source, measured without a judge: `lexical` is the share of
    the text's content words found in the source, `semantic` the cosine similarity of their
    sentence embeddings (all-MiniLM-L6-v2 with the `embed` extra, else word counts). The cell is
    `{lexical, semantic}`, both in [0, 1]; filters read e.g. `grounding.lexical >= 0.6`."""

    kind: Literal["grounding"]
    text: str = Field(description="Jinja2 template giving the text to check, e.g. `{{ answer }}`.")
    source: str = Field(description="Jinja2 template giving what the text must rest on, e.g. `{{ document }}`.")
    embedding: Literal["auto", "minilm", "words"] = Field(
        "auto", description="Sentence embeddings for `semantic`: MiniLM when installed (auto), or word counts.")

    _parses = field_validator("text", "source")(lambda v: _check_template(v))

    def references(self) -> set[str]:
        return set(template_variables(self.text)) | set(template_variables(self.source))
