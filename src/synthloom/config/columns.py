"""Column kinds a recipe can use. Each is a small pydantic model discriminated by `kind`
(and, for samplers and validators, by `type`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from synthloom.config.templates import expression_variables, template_variables


def _check_expression(source: str | None) -> str | None:
    if source is not None:
        _check_template("{{ " + source + " }}")
    return source


def _check_template(source: str) -> None:
    try:
        template_variables(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template has a Jinja2 syntax error on its line {exc.lineno}: {exc.message}") from None

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"

HELPSTEER2_ATTRIBUTES: dict[str, str] = {
    "helpfulness": "Overall helpfulness of the response to the prompt.",
    "correctness": "Inclusion of all pertinent facts without errors.",
    "coherence": "Consistency and clarity of expression.",
    "complexity": "Intellectual depth required to write the response.",
    "verbosity": "Amount of detail relative to what the prompt asks for.",
}


class _Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="Column name; other columns refer to it in templates.")
    drop: bool = Field(False, description="Compute the column but leave it out of the written rows.")

    def references(self) -> set[str]:
        """Names of other columns this column reads."""
        return set()


# ---- samplers ---------------------------------------------------------------------------


class _Sampler(_Column):
    kind: Literal["sampler"]


class CategorySampler(_Sampler):
    type: Literal["category"]
    values: list[Any] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> "CategorySampler":
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"has {len(self.values)} values but {len(self.weights)} weights")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be non-negative with a positive sum")
        return self


class SubcategorySampler(_Sampler):
    """Values conditional on another (category) column."""

    type: Literal["subcategory"]
    parent: str
    values: dict[str, list[Any]] = Field(min_length=1)

    def references(self) -> set[str]:
        return {self.parent}


class _RangeSampler(_Sampler):
    @model_validator(mode="after")
    def _ordered(self) -> "_RangeSampler":
        if self.high < self.low:  # type: ignore[attr-defined]
            raise ValueError("high must be >= low")
        return self


class UniformSampler(_RangeSampler):
    type: Literal["uniform"]
    low: float
    high: float


class IntSampler(_RangeSampler):
    """Integers in [low, high], both included."""

    type: Literal["int"]
    low: int
    high: int


class GaussianSampler(_Sampler):
    type: Literal["gaussian"]
    mean: float = 0.0
    std: float = Field(1.0, ge=0)


class DatetimeSampler(_Sampler):
    type: Literal["datetime"]
    start: str = Field(description="ISO date or datetime")
    end: str = Field(description="ISO date or datetime")
    unit: Literal["day", "second"] = "day"


class UuidSampler(_Sampler):
    type: Literal["uuid"]


class PersonSampler(_Sampler):
    """A fictional person (Faker, offline, seeded): name, sex, age, city, job, email."""

    type: Literal["person"]
    locale: str = "en_US"
    age_range: tuple[int, int] = (18, 85)


class PersonaSampler(_Sampler):
    """A person plus traits and a writing style, for diverse prompts."""

    type: Literal["persona"]
    locale: str = "en_US"
    age_range: tuple[int, int] = (18, 85)


SamplerColumn = Annotated[
    CategorySampler
    | SubcategorySampler
    | UniformSampler
    | IntSampler
    | GaussianSampler
    | DatetimeSampler
    | UuidSampler
    | PersonSampler
    | PersonaSampler,
    Field(discriminator="type"),
]

# ---- seed rows ----------------------------------------------------------------------------


class SeedColumn(_Column):
    """Rows from a file (CSV / Parquet / JSONL) or an InstructLab taxonomy; the cell is a
    mapping, so templates read `{{ seed.field }}`."""

    kind: Literal["seed"]
    path: str | None = Field(None, description="CSV, Parquet or JSONL file, relative to the recipe.")
    rows: list[dict[str, Any]] | None = Field(None, description="Seed rows written in the recipe itself.")
    taxonomy: str | None = Field(None, description="InstructLab taxonomy directory, relative to the recipe.")
    taxonomy_kinds: list[Literal["knowledge", "compositional_skills", "foundational_skills"]] | None = None
    order: Literal["ordered", "shuffled", "replacement"] = "shuffled"
    fields: list[str] | None = Field(None, description="Keep only these fields of each seed row.")
    unit: Literal["example", "chunk"] = Field(
        "example", description="Taxonomy rows: one per seed example, or one per chunk of a knowledge leaf's documents."
    )
    document_map: dict[str, str] = Field(
        default_factory=dict, description="Knowledge document repo URL -> local folder (relative to the recipe)."
    )
    chunk_words: int = Field(300, ge=50, description="Target chunk size in words.")
    where: str | None = Field(None, description="Jinja2 expression over a seed row's fields; keep rows where true.")
    sample_size: int = Field(
        1, ge=1, description="Rows per cell: more than one gives a list of distinct rows (e.g. in-context examples)."
    )

    _where_parses = field_validator("where")(lambda v: _check_expression(v))

    @model_validator(mode="after")
    def _one_source(self) -> "SeedColumn":
        if sum(x is not None for x in (self.path, self.taxonomy, self.rows)) != 1:
            raise ValueError(
                "needs exactly one of `path` (a CSV/Parquet/JSONL file), `taxonomy` (a directory) or `rows` (a list)"
            )
        return self


# ---- LLM columns -------------------------------------------------------------------------


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
    max_tokens: int = Field(256, ge=1)
    stop: list[str] | None = None

    @field_validator("prompt", "system_prompt")
    @classmethod
    def _parses(cls, v: str | None) -> str | None:
        if v is not None:
            _check_template(v)
        return v

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
    n: int = Field(1, ge=1, description="Samples per row; more than one gives a list.")


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
    min_score: int = 0
    max_score: int = 4
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(128, ge=1)

    @model_validator(mode="after")
    def _scale(self) -> "JudgeColumn":
        if self.max_score <= self.min_score:
            raise ValueError("max_score must be greater than min_score")
        return self


# ---- expressions and validators --------------------------------------------------------


class ExpressionColumn(_Column):
    kind: Literal["expression"]
    template: str = Field(description="Jinja2 template over other columns.")
    dtype: Literal["str", "int", "float", "bool", "json"] = "str"

    @field_validator("template")
    @classmethod
    def _parses(cls, v: str) -> str:
        _check_template(v)
        return v

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
    It runs in a separate process with time and memory limits and no network."""

    type: Literal["python"]
    code: str
    timeout_s: float = Field(5.0, gt=0)
    memory_mb: int = Field(512, ge=32)

    @field_validator("code")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            compile(v, "<validator>", "exec")
        except SyntaxError as exc:
            raise ValueError(f"`code` has a syntax error on its line {exc.lineno}: {exc.msg}") from None
        return v


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
    max_tokens: int = Field(256, ge=1, description="Per message.")

    @field_validator("opening", "user_prompt", "assistant_prompt")
    @classmethod
    def _parses(cls, v: str | None) -> str | None:
        if v is not None:
            _check_template(v)
        return v

    def references(self) -> set[str]:
        refs: set[str] = set()
        for t in (self.opening, self.user_prompt, self.assistant_prompt):
            if t:
                refs |= template_variables(t)
        return refs


ValidatorColumn = Annotated[JsonSchemaValidator | RegexValidator | PythonValidator, Field(discriminator="type")]

Column = Annotated[
    Annotated[SamplerColumn, Field(discriminator="type")]
    | SeedColumn
    | LLMTextColumn
    | LLMStructuredColumn
    | JudgeColumn
    | LLMDialogueColumn
    | ExpressionColumn
    | ValidatorColumn,
    Field(discriminator="kind"),
]

LLM_KINDS = ("llm_text", "llm_structured", "judge", "llm_dialogue")


def filter_variables(expr: str) -> frozenset[str]:
    return expression_variables(expr)
