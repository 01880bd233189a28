"""The `curation:` block of a recipe, or a standalone curation file: which text to look at and
an ordered list of steps. Each step removes rows with a reason (or rewrites them, for PII
redaction); nothing is dropped silently."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synthloom.config.paths import RelativePaths

Keep = Literal["first", "longest", "highest"]
PII_KINDS = ("email", "phone", "credit_card", "iban", "us_ssn", "ip_address", "url_credentials",
             "street_address", "person")


class StepConfig(BaseModel):
    """What every curation step's settings share; each kind's class below is registered with
    the step that runs it (synthloom.curate.step.STEP_FOR_CONFIG)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="Label in reports; defaults to the kind.")
    text: list[str] | None = Field(
        None, description="Fields whose text this step reads (dotted paths); default: the curation's `text`.")

    @property
    def label(self) -> str:
        return self.name or self.kind  # type: ignore[attr-defined]


class Reference(BaseModel):
    """Another dataset: a CSV / Parquet / JSONL file or a Hugging Face dataset directory."""

    model_config = ConfigDict(extra="forbid")
    path: str
    text: list[str] | None = Field(None, description="Its text fields; default: every string field.")


class _Dedup(StepConfig):
    keep: Keep = Field("first", description="Which copy stays: the first, the longest, or the highest `score`.")
    score: str | None = Field(None, description="Dotted path of the number `keep: highest` compares.")
    against: list[Reference] = Field(
        default_factory=list, description="Datasets to deduplicate against: rows matching them are removed.")

    @model_validator(mode="after")
    def _score_for_highest(self) -> "_Dedup":
        if self.keep == "highest" and not self.score:
            raise ValueError("keep: highest needs `score`, the dotted path of the number to compare")
        return self


class ExactDedup(_Dedup):
    kind: Literal["exact_dedup"]


class NearDedup(_Dedup):
    kind: Literal["near_dedup"]
    threshold: float = Field(0.8, gt=0, le=1, description="Jaccard of shingle sets at or above which rows match.")
    shingle: Literal["word", "char"] = "word"
    ngram: int = Field(5, ge=1, le=64, description="Words (or characters) per shingle.")
    num_perm: int = Field(128, ge=8, le=1024)
    bands: int | None = Field(None, ge=1, le=1024, description="LSH bands; default: chosen from the threshold.")
    rows: int | None = Field(None, ge=1, le=1024, description="Rows per band; set with `bands`.")

    @model_validator(mode="after")
    def _layout(self) -> "NearDedup":
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both `bands` and `rows`, or neither")
        if self.bands and self.rows and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        return self


class SemanticDedup(_Dedup):
    kind: Literal["semantic_dedup"]
    threshold: float = Field(0.95, gt=0, le=1, description="Cosine similarity at or above which rows match.")
    embedding: Literal["auto", "minilm", "tfidf"] = "auto"
    clusters: int | None = Field(
        None, ge=0, le=1_000_000, description="k-means clusters to compare within (SemDeDup); default: every pair up to "
        "50,000 rows, √n clusters above; 0: always every pair.")
    probes: int = Field(3, ge=1, le=16, description="Nearest clusters each row joins, so boundary pairs are found.")


class Decontaminate(StepConfig):
    kind: Literal["decontaminate"]
    benchmarks: list[Reference] = Field(min_length=1, description="Evaluation sets the data must not contain.")
    ngram: int = Field(13, ge=1, le=64, description="A shared n-gram of this many words removes the row.")
    ratio_ngram: int | None = Field(
        10, ge=1, le=64, description="A shared n-gram this long plus a high sequence-match ratio also removes it.")
    ratio: float = Field(0.5, gt=0, le=1, description="difflib ratio for the `ratio_ngram` rule.")
    embedding_threshold: float | None = Field(
        None, gt=0, le=1, description="Also remove rows this cosine-similar to a benchmark item (paraphrases).")
    embedding: Literal["auto", "minilm", "tfidf"] = "auto"


class Presidio(BaseModel):
    """Microsoft Presidio's analyzer with a spaCy NER model, for users who have one installed."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="spaCy model package name or folder, e.g. en_core_web_lg.")
    language: str = "en"
    entities: list[str] = Field(default_factory=lambda: ["PERSON"], min_length=1,
                                description="Presidio entity types to detect (PERSON, LOCATION, ...).")
    min_score: float = Field(0.5, ge=0, le=1)


class PII(StepConfig):
    kind: Literal["pii"]
    action: Literal["flag", "redact", "drop"] = "redact"
    kinds: list[Literal[PII_KINDS]] = Field(default_factory=lambda: list(PII_KINDS))  # type: ignore[valid-type]
    detectors: list[str] = Field(
        default_factory=list, description="More detectors, as 'module:function' taking a text and returning "
        "(kind, start, end) spans; they run after the structured patterns and before the name gazetteer.")
    presidio: Presidio | None = Field(None, description="Also detect with Presidio and a spaCy NER model.")


class Quality(StepConfig):
    kind: Literal["quality"]
    min_words: int | None = Field(3, ge=0, le=1_000_000)
    max_words: int | None = Field(None, ge=1, le=1_000_000)
    max_repeated_ngram_fraction: float | None = Field(
        0.5, ge=0, le=1, description="Share of word n-grams that are repeats; catches degenerate loops.")
    repetition_ngram: int = Field(3, ge=1, le=16)
    refusals: bool = Field(True, description="Drop refusals and assistant boilerplate.")
    min_scores: dict[str, float] = Field(
        default_factory=dict, description="Dotted path -> lowest allowed value, e.g. judge.helpfulness: 3.")
    validators: list[str] = Field(
        default_factory=list, description="Dotted paths of validator columns whose result must be valid.")

    @model_validator(mode="after")
    def _bounds(self) -> "Quality":
        if self.min_words is not None and self.max_words is not None and self.max_words < self.min_words:
            raise ValueError("max_words is below min_words")
        return self


AnyStepConfig = Annotated[Union[ExactDedup, NearDedup, SemanticDedup, Decontaminate, PII, Quality],
                          Field(discriminator="kind")]


class CurationSpec(RelativePaths):
    model_config = ConfigDict(extra="forbid")

    text: list[str] | None = Field(
        None, description="Fields (dotted paths) whose text is curated; default: every string field.")
    steps: list[AnyStepConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_labels(self) -> "CurationSpec":
        seen: set[str] = set()
        for step in self.steps:
            if step.label in seen:
                raise ValueError(f"two steps are called {step.label!r}: give one a `name`")
            seen.add(step.label)
        return self
