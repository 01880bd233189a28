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
    records (JSONL or Parquet with `messages`, or `prompt`/`chosen`/`rejected`). `kind` says
    whether it is real or synthetic data (a run is synthetic, a file real, unless told), and
    `generation` which round of training on model output made it (real data is generation 0)."""

    run: str | None = None
    path: str | None = None
    kind: Literal["real", "synthetic"] | None = None
    generation: int | None = Field(None, ge=0, le=100_000)

    @model_validator(mode="after")
    def _one(self) -> "MixSource":
        if (self.run is None) == (self.path is None):
            raise ValueError("a source needs exactly one of `run` (a run directory) or `path` (a dataset file)")
        if self.real and self.generation not in (None, 0):
            raise ValueError("a real source is generation 0; a later generation is synthetic (kind: synthetic)")
        if not self.real and self.generation == 0:
            raise ValueError("generation 0 is the real data; a synthetic source is generation 1 or later")
        return self

    @property
    def real(self) -> bool:
        return self.kind == "real" if self.kind is not None else self.run is None


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


class Accumulate(_Strict):
    """Every real and synthetic source at once, against model collapse (Gerstgrasser et al. 2024:
    keeping all earlier data bounds the error that replacing it lets grow). With `real_share`, the
    side above its share is sampled down (each source of a side in proportion to its rows, so no
    generation is dropped); with `rows` too, both sides are sampled to that total."""

    name: FolderName = "accumulated"
    real_share: float | None = Field(None, gt=0, lt=1, description="Share of the mix's rows that are real.")
    rows: int | None = Field(None, ge=1, le=1_000_000_000, description="Rows in all (needs real_share).")


class Mix(_Strict, RelativePaths):
    name: FolderName
    seed: int = Field(0, ge=0, le=2**63 - 1)
    output_dir: str = "mixes"
    sources: dict[str, MixSource] = Field(min_length=1)
    dedup: Dedup | None = None
    phases: list[Phase] = Field(default_factory=list)
    accumulate: Accumulate | None = None
    formats: list[Literal["jsonl", "parquet", "hf"]] = Field(default_factory=lambda: ["jsonl"])

    @model_validator(mode="after")
    def _consistent(self) -> "Mix":
        if bool(self.phases) == (self.accumulate is not None):
            raise ValueError("a mix has either `phases` (each taking from sources) or `accumulate` (every source at once)")
        if self.accumulate is not None:
            if self.accumulate.rows is not None and self.accumulate.real_share is None:
                raise ValueError("accumulate: `rows` needs `real_share` (which share of them is real)")
            if self.accumulate.real_share is not None and not (
                    any(s.real for s in self.sources.values()) and not all(s.real for s in self.sources.values())):
                raise ValueError("accumulate: a `real_share` needs at least one real and one synthetic source")
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
