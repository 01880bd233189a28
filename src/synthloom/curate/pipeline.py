"""Run a curation's steps in order over rows: each step sees the rows the earlier steps kept,
removes some with a reason (kept in `removed`, never lost) or rewrites them (PII redaction), and
is counted. `curate` is the Python API; `write_curation` saves what the CLI shows."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from synthloom.config.curation import CurationSpec, Reference
from synthloom.config.errors import SynthloomError
from synthloom.curate import dedup, filters
from synthloom.curate.decontaminate import decontaminate
from synthloom.curate.fields import check_fields, text_of
from synthloom.curate.pii_detectors import extra_detectors
from synthloom.data.atomic import write_text_atomic
from synthloom.data.export import write_jsonl
from synthloom.data.tables import read_table


DEDUP = {"exact_dedup": dedup.exact_dedup, "near_dedup": dedup.near_dedup, "semantic_dedup": dedup.semantic_dedup}


@dataclass
class StepCount:
    name: str
    kind: str
    rows_in: int
    removed: int
    rewritten: int
    seconds: float


@dataclass
class CurationResult:
    kept: list[dict[str, Any]]
    removed: list[dict[str, Any]]  # each row with `_curation`: {step, reason, matched}
    steps: list[StepCount] = field(default_factory=list)
    rewrites: list[tuple[int, str, str]] = field(default_factory=list)  # (input position, step, action)

    def summary(self) -> dict[str, Any]:
        return {"rows_in": len(self.kept) + len(self.removed), "kept": len(self.kept),
                "removed": len(self.removed), "steps": [asdict(s) for s in self.steps]}


def reference_texts(refs: list[Reference], spec: CurationSpec) -> tuple[list[str], list[str]]:
    """The texts of reference datasets, and a name for each (file#row) to report matches by."""
    texts, names = [], []
    for ref in refs:
        path = spec.resolve_path(ref.path)
        rows = read_table(path).to_pylist()
        check_fields(rows, ref.text, f"reference dataset {path}")
        texts += [text_of(r, ref.text) for r in rows]
        names += [f"{path.name}#{k}" for k in range(len(rows))]
    return texts, names


def curate(rows: list[dict[str, Any]], spec: CurationSpec, *, where: str = "the dataset") -> CurationResult:
    check_fields(rows, spec.text, where)
    detectors: dict[int, list] = {}
    for k, step in enumerate(spec.steps):  # settings that can fail do so before any step runs
        check_fields(rows, step.text, where)
        for ref in getattr(step, "against", []) + getattr(step, "benchmarks", []):
            path = spec.resolve_path(ref.path)
            if not path.exists() or (path.is_file() and path.stat().st_size == 0):
                raise SynthloomError(f"reference dataset {path} of step '{step.label}' "
                                     f"{'is empty' if path.exists() else 'does not exist'}; check its `path` in the curation")
        if step.kind == "pii":
            detectors[k] = extra_detectors(step, spec.resolve_path)
    live = list(range(len(rows)))  # positions of rows still kept
    current = [dict(r) for r in rows]
    removed: list[dict[str, Any]] = []
    counts: list[StepCount] = []
    rewrites: list[tuple[int, str, str]] = []
    for k, step in enumerate(spec.steps):
        t0 = time.perf_counter()
        fields = step.text or spec.text
        these = [current[i] for i in live]
        texts = [text_of(r, fields) for r in these]
        rewritten: dict[int, dict] = {}
        if step.kind in DEDUP:
            gone = DEDUP[step.kind](step, texts, these, *reference_texts(step.against, spec))
        elif step.kind == "decontaminate":
            gone = decontaminate(step, texts, *reference_texts(step.benchmarks, spec))
        elif step.kind == "quality":
            gone = filters.quality(step, texts, these)
        else:
            gone, rewritten = filters.pii(step, texts, these, fields or [], detectors[k])
        for pos, row in rewritten.items():
            current[live[pos]] = row
            flagged = step.kind == "pii" and step.action == "flag"  # type: ignore[union-attr]
            rewrites.append((live[pos], step.label, "flagged" if flagged else "rewritten"))
        for pos, (reason, matched) in sorted(gone.items()):
            if matched and re.fullmatch(r"row \d+", matched):  # position in this step -> original row number
                original = f"row {live[int(matched[4:])]}"
                reason, matched = reason.replace(matched, original), original
            removed.append({**current[live[pos]], "_curation": {"step": step.label, "reason": reason,
                                                                  "matched": matched}})
        counts.append(StepCount(step.label, step.kind, len(live), len(gone), len(rewritten),
                                round(time.perf_counter() - t0, 3)))
        live = [i for k, i in enumerate(live) if k not in gone]
    return CurationResult([current[i] for i in live], removed, counts, rewrites)


def write_curation(result: CurationResult, out_dir: Path, extra: dict[str, Any] | None = None) -> Path:
    """kept.jsonl, removed.jsonl (with the reason per row) and curation.json (counts per step)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(out_dir / "kept.jsonl", result.kept)
    write_jsonl(out_dir / "removed.jsonl", result.removed)
    path = out_dir / "curation.json"
    write_text_atomic(path, json.dumps({**result.summary(), **(extra or {})}, indent=2, default=str))
    return path
