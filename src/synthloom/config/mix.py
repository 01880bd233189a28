"""A mix: training data from several runs and real datasets, in phases with replay."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synthloom.config.paths import FolderName, RelativePaths

Take = Annotated[int, Field(ge=1, le=1_000_000_000)] | float | Literal["all"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MixSource(_Strict):
    """A synthloom run (its records as its recipe's `export` makes them) or a dataset file of
    records (JSONL or Parquet with `messages`, or `prompt`/`chosen`/`rejected`)."""

    run: str | None = None
    path: str | None = None

    @model_validator(mode="after")
    def _one(self) -> "MixSource":
        if (self.run is None) == (self.path is None):
            raise ValueError("a source needs exactly one of `run` (a run directory) or `path` (a dataset file)")
        return self


class Dedup(_Strict):
    method: Literal["exact", "minhash"] = "exact"
    threshold: float = Field(0.8, gt=0, le=1, description="MinHash Jaccard at or above which records are duplicates.")


class Phase(_Strict):
    name: FolderName
    take: dict[str, Take] = Field(
        default_factory=dict, description="Source -> rows: a count, a fraction (0-1] of the source, or `all`."
    )
    replay: dict[str, float] = Field(
        default_factory=dict, description="Earlier phase -> fraction of its rows to mix in again."
    )


class Mix(_Strict, RelativePaths):
    name: FolderName
    seed: int = Field(0, ge=0, le=2**63 - 1)
    output_dir: str = "mixes"
    sources: dict[str, MixSource] = Field(min_length=1)
    dedup: Dedup | None = None
    phases: list[Phase] = Field(min_length=1)
    formats: list[Literal["jsonl", "parquet", "hf"]] = Field(default_factory=lambda: ["jsonl"])


    @model_validator(mode="after")
    def _consistent(self) -> "Mix":
        earlier: list[str] = []
        for phase in self.phases:
            if phase.name in earlier:
                raise ValueError(f"phase '{phase.name}' is defined twice")
            for src, amount in phase.take.items():
                if src not in self.sources:
                    raise ValueError(f"phase '{phase.name}' takes from unknown source '{src}' (sources: {', '.join(self.sources)})")
                if not isinstance(amount, str) and (amount <= 0 or (isinstance(amount, float) and amount > 1)):
                    raise ValueError(f"phase '{phase.name}': take {src}={amount} must be a count >= 1, a fraction in (0, 1], or all")
            for prev, frac in phase.replay.items():
                if prev not in earlier:
                    raise ValueError(f"phase '{phase.name}' replays '{prev}', which is not an earlier phase")
                if not 0 < frac <= 1:
                    raise ValueError(f"phase '{phase.name}': replay {prev}={frac} must be a fraction in (0, 1]")
            if not phase.take and not phase.replay:
                raise ValueError(f"phase '{phase.name}' takes nothing; give `take` or `replay`")
            earlier.append(phase.name)
        return self
