"""What a curation step is: an object made from its config (one class per config class, found
in STEP_FOR_CONFIG), prepared once (`prepare`: reference datasets, detectors) and then applied
to a batch of rows (`apply`), returning a typed StepResult: which rows go and why, and which
are rewritten. A step knows nothing of where it runs: `pipeline.curate` applies the steps in
order in this process, and a prepared step pickles, so an executor may ship it elsewhere.

A removal names what it matched as data (another row's number, or a reference dataset's item),
never as a string to be parsed back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from synthloom.config.curation import StepConfig
from synthloom.curate.fields import text_of


@dataclass(frozen=True)
class RowMatch:
    """Another row of the same input, by its number among the rows `curate` was given."""

    row: int

    def __str__(self) -> str:
        return f"row {self.row}"

    def fields(self) -> dict[str, Any]:
        return {"matched_row": self.row}


@dataclass(frozen=True)
class ReferenceMatch:
    """An item of a reference dataset (a dedup step's `against`, decontamination's `benchmarks`):
    the dataset's file name and the item's row number in it."""

    dataset: str
    item: int

    def __str__(self) -> str:
        return f"{self.dataset}#{self.item}"

    def fields(self) -> dict[str, Any]:
        return {"matched_dataset": self.dataset, "matched_item": self.item}


Match = RowMatch | ReferenceMatch


@dataclass(frozen=True)
class Removal:
    """Why a step removed a row: the step's label, a sentence, and what the row matched."""

    step: str
    reason: str
    matched: Match | None = None

    def record(self) -> dict[str, Any]:
        """The `_curation` field of the row in removed.jsonl: `matched` as text ("row 3",
        "bench.jsonl#0"), and the same as fields (matched_row, or matched_dataset and
        matched_item) for whoever reads it by program."""
        if self.matched is None:
            return {"step": self.step, "reason": self.reason, "matched": None}
        return {"step": self.step, "reason": self.reason, "matched": str(self.matched), **self.matched.fields()}


@dataclass
class StepResult:
    """What a step did to a batch, by position in the batch."""

    removed: dict[int, Removal] = field(default_factory=dict)
    rewritten: dict[int, dict[str, Any]] = field(default_factory=dict)  # the row as it now reads
    rewrite_action: Literal["rewritten", "flagged"] = "rewritten"  # how the lineage names the rewrites


@dataclass(frozen=True)
class StepContext:
    """What `prepare` may use: where a relative path in the curation starts, and the text
    fields of the curation, for a step that names none of its own."""

    resolve_path: Callable[[str], Path]
    text: list[str] | None = None


@dataclass(frozen=True)
class Batch:
    """The rows a step judges at once, the text it reads in each, and each row's number among
    the rows `curate` was given (the names its matches go by)."""

    rows: list[dict[str, Any]]
    texts: list[str]
    numbers: list[int]


class Step:
    """One curation step. Subclasses take their config in the constructor (nothing else), load
    what they need in `prepare`, and judge a batch in `run`. Steps that compare rows with each
    other (dedup, decontamination's reference index) want the whole dataset as one batch; the
    others judge each row alone."""

    config_class: ClassVar[type[StepConfig]]

    def __init__(self, config: StepConfig):
        self.config = config
        self.fields = config.text
        self.prepared = False

    @property
    def label(self) -> str:
        return self.config.label

    def prepare(self, context: StepContext) -> None:
        """Load what the step needs before any step runs, so a bad setting stops the curation
        before any work; subclasses call this first."""
        self.fields = self.config.text or context.text
        self.prepared = True

    def apply(self, rows: list[dict[str, Any]], numbers: list[int] | None = None) -> StepResult:
        """Judge a batch of rows; `numbers` are their numbers in the curation's input
        (default: 0, 1, ...), which removals name their matches by."""
        if not self.prepared:
            raise RuntimeError(f"curation step '{self.label}' was applied before prepare()")
        numbers = list(range(len(rows))) if numbers is None else list(numbers)
        return self.run(Batch(rows, [text_of(r, self.fields) for r in rows], numbers))

    def run(self, batch: Batch) -> StepResult:
        raise NotImplementedError

    def removal(self, reason: str, matched: Match | None = None) -> Removal:
        return Removal(self.label, reason, matched)


STEP_FOR_CONFIG: dict[type[StepConfig], type[Step]] = {}
S = TypeVar("S", bound=type[Step])


def registered(config_class: type[StepConfig]) -> Callable[[S], S]:
    """Class decorator: the step that runs `config_class`'s steps."""
    def register(step_class: S) -> S:
        if config_class in STEP_FOR_CONFIG:
            raise TypeError(f"{config_class.__name__} already has a step: {STEP_FOR_CONFIG[config_class].__name__}")
        STEP_FOR_CONFIG[config_class] = step_class
        step_class.config_class = config_class
        return step_class
    return register
