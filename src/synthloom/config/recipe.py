"""The recipe: everything one generation run needs, as the user wrote it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synthloom.config.columns import Column
from synthloom.config.endpoints import DEFAULT_MODEL_ALIAS, ModelConfig
from synthloom.config.curation import CurationSpec
from synthloom.config.filters import Filter, SmallModelFilter, active_filters, filter_notices
from synthloom.config.paths import FolderName, RelativePaths
from synthloom.config.templates import expression_variables, template_variables


class Budget(BaseModel):
    """Stop the run cleanly once either limit is reached; spend in flight counts, and only calls
    already sent when it is reached can pass it (docs/engine.md, "Budget")."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: int | None = Field(None, ge=1, le=10**15)
    max_cost_usd: float | None = Field(None, gt=0)


class Novelty(BaseModel):
    """Reject rows too similar to what the run already has (Self-Instruct's pool filter):
    the pool starts with the seed texts and grows with every accepted row, checked in
    row order at commit so the result does not depend on timing."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="Jinja2 expression giving the text to compare, e.g. `instruction`.")
    method: Literal["rouge_l", "minhash"] = Field("rouge_l", description="ROUGE-L F1 on words, or MinHash Jaccard.")
    threshold: float = Field(0.7, gt=0, le=1, description="Reject at this similarity or above.")
    seed_column: str | None = Field(None, description="A seed column whose rows start the pool.")
    seed_field: str | None = Field(None, description="The field of those seed rows holding the text.")

    @model_validator(mode="after")
    def _pair(self) -> "Novelty":
        if (self.seed_column is None) != (self.seed_field is None):
            raise ValueError("give both seed_column and seed_field, or neither")
        return self


class ExportSpec(BaseModel):
    """How rows become training records. Templates are Jinja2 over the row's columns.

    sft: `prompt` + `response` (+ optional `system`) make one exchange, or `messages` names a
    column holding a whole conversation. dpo: `prompt`, `chosen`, `rejected`."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["sft", "dpo"] = "sft"
    system: str | None = None
    prompt: str | None = None
    response: str | None = None
    messages: str | None = Field(None, description="Expression giving a list of {role, content} messages.")
    chosen: str | None = None
    rejected: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> "ExportSpec":
        if self.format == "sft" and not (self.messages or (self.prompt and self.response)):
            raise ValueError("an sft export needs `prompt` and `response`, or `messages`")
        if self.format == "dpo" and not (self.prompt and self.chosen and self.rejected):
            raise ValueError("a dpo export needs `prompt`, `chosen` and `rejected`")
        return self

    def variables(self) -> set[str]:
        names: set[str] = set()
        for t in (self.system, self.prompt, self.response, self.chosen, self.rejected):
            if t:
                names |= template_variables(t)
        if self.messages:
            names |= expression_variables(self.messages)
        return names


class Recipe(RelativePaths):
    model_config = ConfigDict(extra="forbid")

    name: FolderName = Field(
        description="Run name; the run directory is output_dir/name (letters, digits, _ . -; not only dots).")
    description: str | None = None
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Seed for every random choice (samplers, seed order, model sampling).")
    target_rows: int = Field(ge=1, le=1_000_000_000, description="Stop once this many rows are accepted.")
    batch_size: int = Field(16, ge=1, le=100_000)
    max_batches: int | None = Field(
        None, ge=1, le=1_000_000_000, description="Give up after this many batches (default: enough for 4x the target)."
    )
    concurrent_batches: int | None = Field(
        None, ge=1, le=1024,
        description="Batches generated at the same time at most. Unset (the default): as many as keep every "
        "model slot busy, from the models' concurrency.")
    output_dir: str = Field("runs", description="Parent directory of the run directory.")
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    columns: list[Column] = Field(min_length=1)
    filters: list[Filter] = Field(default_factory=list)
    budget: Budget | None = None
    partition_by: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$",
        description="`seed_column.field`: split the run by that field's values (e.g. `seed.leaf` for one "
        "partition per taxonomy leaf); `target_rows` and `max_batches` then count per partition.",
    )
    novelty: Novelty | None = None
    export: ExportSpec | None = Field(None, description="How `synthloom export` turns rows into SFT or DPO records.")
    curation: CurationSpec | None = Field(None, description="What `synthloom curate` removes before export.")


    @model_validator(mode="before")
    @classmethod
    def _filters_as_strings(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("filters"), list):
            data = dict(data)
            data["filters"] = [{"expr": f} if isinstance(f, str) else f for f in data["filters"]]
        return data

    @model_validator(mode="after")
    def _consistent(self) -> "Recipe":
        names = [c.name for c in self.columns]
        seen: set[str] = set()
        for n in names:
            if n in seen:
                raise ValueError(f"column name '{n}' is used twice; give each column its own name")
            seen.add(n)
        for col in self.columns:
            missing = sorted(col.references() - seen)
            if missing:
                raise ValueError(
                    f"column '{col.name}' refers to {', '.join(repr(m) for m in missing)}, "
                    f"which is not a column of this recipe (columns: {', '.join(names)})"
                )
            alias = getattr(col, "model", None)
            if alias is not None and alias != DEFAULT_MODEL_ALIAS and alias not in self.models:
                raise ValueError(
                    f"column '{col.name}' uses model '{alias}', which is not defined under `models` "
                    f"(defined: {', '.join(self.models) or 'none'})"
                )
        for f in self.filters:
            for check in (f, f.small_model):
                if check is None:
                    continue
                try:
                    expression_variables(check.expr)
                except Exception as exc:  # jinja2.TemplateSyntaxError
                    raise ValueError(f"filter '{check.label}' is not a valid expression: {exc}") from None
                missing = sorted(expression_variables(check.expr) - seen)
                if missing:
                    raise ValueError(f"filter '{check.label}' refers to unknown column(s) {', '.join(missing)}")
            if f.judge is not None and f.judge not in self._judge_models():
                raise ValueError(f"filter '{f.label}' names judge '{f.judge}', which is not a judge column")
        if self.export:
            missing = sorted(self.export.variables() - seen)
            if missing:
                raise ValueError(f"export refers to unknown column(s) {', '.join(missing)}")
            dropped = sorted(self.export.variables() & {c.name for c in self.columns if c.drop})
            if dropped:
                raise ValueError(f"export uses column(s) {', '.join(dropped)}, which have `drop: true` and are not kept")
        kinds = {c.name: c.kind for c in self.columns}
        if self.partition_by:
            column = self.partition_by.split(".")[0]
            if kinds.get(column) != "seed":
                raise ValueError(f"partition_by '{self.partition_by}' must name a seed column and one of its fields")
        if self.novelty:
            missing = sorted(expression_variables(self.novelty.text) - seen)
            if missing:
                raise ValueError(f"novelty.text refers to unknown column(s) {', '.join(missing)}")
            if self.novelty.seed_column and kinds.get(self.novelty.seed_column) != "seed":
                raise ValueError(f"novelty.seed_column '{self.novelty.seed_column}' is not a seed column")
        cycle = find_cycle({c.name: c.references() for c in self.columns})
        if cycle:
            raise ValueError("columns depend on each other in a cycle: " + " -> ".join(cycle))
        return self

    def _judge_models(self) -> dict[str, str]:
        return {c.name: c.model for c in self.columns if c.kind == "judge"}

    def active_filters(self) -> list[SmallModelFilter]:
        """The filters this run applies (a judge on the embedded model gives way to its small-model checks)."""
        return active_filters(self.filters, self._judge_models(), self.models)

    def filter_notices(self) -> list[str]:
        """One sentence per filter replaced because its judge runs on the embedded model."""
        return filter_notices(self.filters, self._judge_models(), self.models)

    @property
    def effective_max_batches(self) -> int:
        if self.max_batches is not None:
            return self.max_batches
        needed = -(-self.target_rows // self.batch_size)
        return max(4 * needed, needed + 2)

    def with_base_dir(self, base_dir: Path) -> "Recipe":
        super().with_base_dir(base_dir)
        if self.curation is not None:
            self.curation.with_base_dir(base_dir)
        return self

    def fingerprint(self) -> str:
        """Stable hash of everything that decides the rows. Limits on how far a run goes
        (budget, max_batches) and where or how fast it runs are left out, so a run stopped
        by them can be resumed with new ones."""
        payload = self.model_dump(
            mode="json",
            by_alias=True,
            exclude={"output_dir", "description", "budget", "max_batches", "concurrent_batches", "export", "curation"},
        )
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A dependency cycle as a path of names (first == last), or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for name in graph:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None
