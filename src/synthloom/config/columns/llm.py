"""LLM columns: text, structured JSON, judges, and dialogues where the model plays both sides."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from synthloom.config.columns.base import _check_expression, _check_template, _Column
from synthloom.config.templates import expression_variables, template_variables

HELPSTEER2_ATTRIBUTES: dict[str, str] = {
    "helpfulness": "Overall helpfulness of the response to the prompt.",
    "correctness": "Inclusion of all pertinent facts without errors.",
    "coherence": "Consistency and clarity of expression.",
    "complexity": "Intellectual depth required to write the response.",
    "verbosity": "Amount of detail relative to what the prompt asks for.",
}


ITEM_VARIABLES = frozenset({"item", "item_index"})


class _LLMColumn(_Column):
    model: str = Field("default", description="Alias from the recipe's `models`.")
    prompt: str = Field(description="Jinja2 template over earlier columns.")
    over: str | None = Field(
        None,
        description="Jinja2 expression giving a list; the column makes one call per item (templates see "
        "`item` and `item_index`) and its value is the list of results.",
    )
    system_prompt: str | None = None
    temperature: float = Field(0.7, ge=0, le=2)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(256, ge=1, le=1_000_000)
    stop: list[str] | None = None

    _parses = field_validator("prompt", "system_prompt")(lambda v: _check_template(v))

    _over_parses = field_validator("over")(lambda v: _check_expression(v))

    def references(self) -> set[str]:
        refs = set(template_variables(self.prompt))
        if self.system_prompt:
            refs |= template_variables(self.system_prompt)
        if self.over:
            refs = (refs - ITEM_VARIABLES) | set(expression_variables(self.over))
        return refs



class LLMTextColumn(_LLMColumn):
    kind: Literal["llm_text"]
    mode: Literal["chat", "completion", "magpie"] = Field(
        "chat",
        description="`completion` sends the raw prompt; `magpie` sends only the chat template's user prefix "
        "(after the rendered prompt as a system message, if any) so the model writes a user query.",
    )
    magpie_template: Literal["auto", "chatml", "llama3", "mistral", "gemma", "phi3"] = Field(
        "auto", description="Chat template family for `magpie`; `auto` reads it from an embedded GGUF model."
    )
    n: int = Field(1, ge=1, le=100, description="Samples per row; more than one gives a list.")


class LLMStructuredColumn(_LLMColumn):
    """JSON output constrained by a JSON Schema (or a pydantic model given as `module:Class`)."""

    kind: Literal["llm_structured"]
    output_schema: dict[str, Any] | None = Field(None, alias="schema")
    schema_model: str | None = Field(None, description="Import path of a pydantic model, `package.module:Class`.")
    temperature: float = Field(0.3, ge=0, le=2)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_schema(self) -> "LLMStructuredColumn":
        if (self.output_schema is None) == (self.schema_model is None):
            raise ValueError("needs exactly one of `schema` (a JSON Schema) or `schema_model` (module:Class)")
        if self.output_schema is not None:
            import jsonschema

            try:
                jsonschema.validators.validator_for(self.output_schema).check_schema(self.output_schema)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"`schema` is not a valid JSON Schema: {exc.message}") from None
        return self


class JudgeColumn(_LLMColumn):
    """Scores a row on rubric attributes with integers in [min_score, max_score]."""

    kind: Literal["judge"]
    attributes: dict[str, str] = Field(default_factory=lambda: dict(HELPSTEER2_ATTRIBUTES), min_length=1)
    min_score: int = Field(0, ge=-1000, le=1000)
    max_score: int = Field(4, ge=-1000, le=1000)
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(128, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _scale(self) -> "JudgeColumn":
        if self.max_score <= self.min_score:
            raise ValueError("max_score must be greater than min_score")
        return self


class LLMDialogueColumn(_Column):
    """A multi-turn conversation in which the model plays both the user and the assistant.
    The value is a list of {"role", "content"} messages."""

    kind: Literal["llm_dialogue"]
    model: str = "default"
    turns: int = Field(2, ge=1, le=20, description="User/assistant exchanges.")
    opening: str | None = Field(None, description="Template for the first user message; else the user model writes it.")
    user_prompt: str = Field(
        "Play the user in this conversation. Write only the user's next message.",
        description="System prompt of the simulated user (Jinja2 over earlier columns).",
    )
    assistant_prompt: str = Field("You are a helpful assistant.", description="System prompt of the assistant.")
    temperature: float = Field(0.7, ge=0, le=2)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(256, ge=1, le=1_000_000, description="Per message.")

    _parses = field_validator("opening", "user_prompt", "assistant_prompt")(lambda v: _check_template(v))

    def references(self) -> set[str]:
        refs: set[str] = set()
        for t in (self.opening, self.user_prompt, self.assistant_prompt):
            if t:
                refs |= template_variables(t)
        return refs
