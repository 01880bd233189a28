"""Seed columns: rows of a file, an InstructLab taxonomy, or the recipe itself."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from synthloom.config.columns.base import _check_expression, _Column


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
    allow_local_repos: bool = Field(
        False, description="Read a knowledge leaf whose `document.repo` is a local folder or a file:// URL "
        "(off by default: a taxonomy could otherwise make synthloom read any folder on this machine)."
    )
    chunk_words: int = Field(300, ge=50, le=100_000, description="Target chunk size in words.")
    where: str | None = Field(None, description="Jinja2 expression over a seed row's fields; keep rows where true.")
    sample_size: int = Field(
        1, ge=1, le=10_000, description="Rows per cell: more than one gives a list of distinct rows (e.g. in-context examples)."
    )

    _where_parses = field_validator("where")(lambda v: _check_expression(v))

    @model_validator(mode="after")
    def _one_source(self) -> "SeedColumn":
        if sum(x is not None for x in (self.path, self.taxonomy, self.rows)) != 1:
            raise ValueError(
                "needs exactly one of `path` (a CSV/Parquet/JSONL file), `taxonomy` (a directory) or `rows` (a list)"
            )
        return self
