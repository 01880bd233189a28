"""Run a curation's steps in order over rows: each step sees the rows the earlier steps kept,
removes some with a reason (kept in `removed`, never lost) or rewrites them (PII redaction), and
is counted. `curate` is the Python API and the local executor of the steps (step.py);
`write_curation` saves what the CLI shows."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from synthloom.config.curation import CurationSpec, StepConfig
from synthloom.curate import decontaminate, dedup, filters  # noqa: F401 - importing them registers their steps
from synthloom.curate.fields import check_fields
from synthloom.curate.step import STEP_FOR_CONFIG, Removal, Step, StepContext
from synthloom.data.files.atomic import write_text_atomic
from synthloom.data.release.export import write_jsonl


@dataclass
class StepCount:
    name: str
    kind: str
    rows_in: int
    removed: int
    rewritten: int
    seconds: float


@dataclass(frozen=True)
class Rewrite:
    row: int  # its number among the rows `curate` was given
    step: str
    action: Literal["rewritten", "flagged"]


@dataclass
class CurationResult:
    kept: list[dict[str, Any]]
    removed: list[dict[str, Any]]  # each row as it was when removed, with `_curation` (Removal.record())
    steps: list[StepCount] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)
    removals: dict[int, Removal] = field(default_factory=dict)  # row number -> why, in the order of `removed`

    def summary(self) -> dict[str, Any]:
        return {"rows_in": len(self.kept) + len(self.removed), "kept": len(self.kept),
                "removed": len(self.removed), "steps": [asdict(s) for s in self.steps]}


def step_for(config: StepConfig) -> Step:
    """The step that runs `config`; a config class with no registered step is an error naming it."""
    step_class = STEP_FOR_CONFIG.get(type(config))
    if step_class is None:
        known = ", ".join(sorted(c.__name__ for c in STEP_FOR_CONFIG))
        raise TypeError(f"no curation step is registered for {type(config).__name__} "
                        f"(kind {getattr(config, 'kind', '?')!r}); the registered step configs are: {known}")
    return step_class(config)


def prepared_steps(spec: CurationSpec) -> list[Step]:
    """The spec's steps, each prepared (references read, detectors loaded): a bad setting of any
    step fails here, before any step runs."""
    steps = [step_for(config) for config in spec.steps]
    context = StepContext(spec.resolve_path, spec.text)
    for step in steps:
        step.prepare(context)
    return steps


def curate(rows: list[dict[str, Any]], spec: CurationSpec, *, where: str = "the dataset") -> CurationResult:
    for fields in [spec.text] + [config.text for config in spec.steps]:
        check_fields(rows, fields, where)
    steps = prepared_steps(spec)
    live = list(range(len(rows)))  # numbers of the rows still kept
    current = [dict(r) for r in rows]
    result = CurationResult([], [])
    for step in steps:
        t0 = time.perf_counter()
        done = step.apply([current[i] for i in live], live)
        for pos, row in done.rewritten.items():
            current[live[pos]] = row
            result.rewrites.append(Rewrite(live[pos], step.label, done.rewrite_action))
        for pos, removal in sorted(done.removed.items()):
            result.removals[live[pos]] = removal
            result.removed.append({**current[live[pos]], "_curation": removal.record()})
        result.steps.append(StepCount(step.label, step.config.kind, len(live), len(done.removed),
                                      len(done.rewritten), round(time.perf_counter() - t0, 3)))
        live = [i for pos, i in enumerate(live) if pos not in done.removed]
    result.kept = [current[i] for i in live]
    return result


def write_curation(result: CurationResult, out_dir: Path, extra: dict[str, Any] | None = None) -> Path:
    """kept.jsonl, removed.jsonl (with the reason per row) and curation.json (counts per step)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(out_dir / "kept.jsonl", result.kept)
    write_jsonl(out_dir / "removed.jsonl", result.removed)
    path = out_dir / "curation.json"
    write_text_atomic(path, json.dumps({**result.summary(), **(extra or {})}, indent=2, default=str))
    return path
