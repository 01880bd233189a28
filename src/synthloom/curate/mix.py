"""`synthloom mix`: combine runs and real datasets into phase datasets (LAB's multi-phase
training data), with counts or fractions per source, replay of earlier phases, optional
dedup across sources, and a card per phase. Deterministic under the mix's seed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from synthloom.config.errors import SynthloomError
from synthloom.config.curation import ExactDedup, NearDedup
from synthloom.config.mix import Mix, Phase
from synthloom.curate.accumulate import accumulate_counts
from synthloom.curate.dedup import exact_dedup, near_dedup
from synthloom.curate.references import References
from synthloom.curate.step import ReferenceMatch
from synthloom.data.files.atomic import write_text_atomic
from synthloom.data.release.export import training_records, write_hf, write_jsonl
from synthloom.data.files.output_folder import MIX_MARKER, claim_folder
from synthloom.data.runs.run_reader import open_run
from synthloom.data.files.tables import read_table, rows_to_table, write_parquet_atomic


@dataclass
class PhaseResult:
    name: str
    rows: int
    composition: dict[str, int]  # source or "replay:<phase>" -> rows
    files: list[Path] = field(default_factory=list)
    real: int = 0  # rows of real data (replayed rows in the share their phase had)


@dataclass
class MixResult:
    out_dir: Path
    available: dict[str, int]  # rows per source after dedup
    duplicates: dict[str, int]  # rows per source dropped as duplicates of an earlier source
    phases: list[PhaseResult]


def record_text(record: dict[str, Any]) -> str:
    parts: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, str):
            parts.append(v)
        elif isinstance(v, dict):
            for k in sorted(v):
                if k != "role":
                    walk(v[k])
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk({k: v for k, v in record.items() if not k.startswith("_")})
    return " ".join(parts)


def _load_source(mix: Mix, name: str) -> list[dict[str, Any]]:
    src = mix.sources[name]
    if src.run is not None:
        with open_run(mix.resolve_path(src.run)) as run:
            return training_records(run)
    rows = read_table(mix.resolve_path(src.path or "")).to_pylist()
    if rows and not ({"messages"} <= set(rows[0]) or {"prompt", "chosen", "rejected"} <= set(rows[0])):
        raise SynthloomError(
            f"mix source '{name}' ({src.path}) has fields {', '.join(rows[0])}; records need `messages` "
            "(SFT) or `prompt`, `chosen`, `rejected` (DPO)"
        )
    return rows


def _dedup(mix: Mix, loaded: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Drop records that repeat a record of an earlier-listed source (or of their own), with the
    curation dedup steps: the kept records of earlier sources are the reference set."""
    cfg = mix.dedup
    if cfg is None:
        return {}
    if cfg.method == "exact":
        step, find = ExactDedup(kind="exact_dedup"), exact_dedup
    else:  # word 3-gram shingles: records are short
        step, find = NearDedup(kind="near_dedup", threshold=cfg.threshold, ngram=3), near_dedup
    earlier = References()
    dropped: dict[str, int] = {}
    for name, records in loaded.items():
        texts = [record_text(r) for r in records]
        gone = find(step, texts, records, earlier) if texts else {}
        loaded[name] = [r for i, r in enumerate(records) if i not in gone]
        earlier.texts += [t for i, t in enumerate(texts) if i not in gone]
        earlier.items += [ReferenceMatch(name, i) for i in range(len(texts)) if i not in gone]
        dropped[name] = len(gone)
    return dropped


def _take(rng: np.random.Generator, records: list[dict[str, Any]], amount: Any, what: str) -> list[dict[str, Any]]:
    n = len(records)
    if amount == "all":
        k = n
    elif isinstance(amount, float):
        k = int(round(amount * n))
    else:
        k = int(amount)
    if k > n:
        raise SynthloomError(f"{what} asks for {k} rows but only {n} are available; lower the count")
    idx = np.sort(rng.choice(n, size=k, replace=False)) if k < n else np.arange(n)
    return [records[i] for i in idx]


def run_mix(mix: Mix) -> MixResult:
    loaded = {name: _load_source(mix, name) for name in mix.sources}
    duplicates = _dedup(mix, loaded)
    out_dir = claim_folder(mix.resolve_path(mix.output_dir) / mix.name, MIX_MARKER, legacy=("mix.json",))
    done: dict[str, list[dict[str, Any]]] = {}
    results: list[PhaseResult] = []
    phases = mix.phases
    if mix.accumulate is not None:  # one phase taking every source, at the real share asked for
        counts = accumulate_counts(mix.accumulate, mix.sources, {k: len(v) for k, v in loaded.items()})
        phases = [Phase(name=mix.accumulate.name, take={k: n for k, n in counts.items() if n})]
    for p_index, phase in enumerate(phases):
        rows: list[dict[str, Any]] = []
        composition: dict[str, int] = {}
        for s_index, (src, amount) in enumerate(phase.take.items()):
            rng = np.random.default_rng([mix.seed, p_index, s_index])
            part = _take(rng, loaded[src], amount, f"phase '{phase.name}' source '{src}'")
            composition[src] = len(part)
            rows.extend(part)
        for r_index, (prev, frac) in enumerate(phase.replay.items()):
            rng = np.random.default_rng([mix.seed, p_index, 1000 + r_index])
            part = _take(rng, done[prev], frac, f"phase '{phase.name}' replay of '{prev}'")
            composition[f"replay:{prev}"] = len(part)
            rows.extend(part)
        order = np.random.default_rng([mix.seed, p_index, 9999]).permutation(len(rows))
        rows = [rows[i] for i in order]
        done[phase.name] = rows
        result = PhaseResult(phase.name, len(rows), composition)
        result.real = real_rows(mix, result, {r.name: r for r in results})
        result.files = _write_phase(mix, out_dir / phase.name, rows)
        results.append(result)
    mix_result = MixResult(out_dir, {k: len(v) for k, v in loaded.items()}, duplicates, results)
    for r in results:
        card = phase_card(mix, mix_result, r)
        write_text_atomic(out_dir / r.name / "README.md", card)
        r.files.append(out_dir / r.name / "README.md")
    write_text_atomic(out_dir / "mix.json", summary_json(mix_result) + "\n")
    return mix_result


def _write_phase(mix: Mix, folder: Path, rows: list[dict[str, Any]]) -> list[Path]:
    files = []
    for fmt in mix.formats:
        if fmt == "jsonl":
            files.append(folder / "train.jsonl")
            write_jsonl(files[-1], rows)
        elif fmt == "parquet":
            files.append(folder / "train.parquet")
            write_parquet_atomic(rows_to_table(rows), files[-1])
        else:
            files.append(folder / "hf")
            write_hf(files[-1], rows)
    return files


def phase_card(mix: Mix, result: MixResult, phase: PhaseResult) -> str:
    lines = [
        "---",
        f"pretty_name: {mix.name} {phase.name}",
        "tags: [synthetic, synthloom, mix]",
        "---",
        "",
        f"# {mix.name} / {phase.name}",
        "",
        f"Phase {phase.name} of mix `{mix.name}` (seed {mix.seed}): {phase.rows} rows, shuffled.",
        "",
        f"Real data: {_real_share_line(phase)}"
        + (" Every real and synthetic source is kept (accumulate), which bounds the error that training "
           "on model output alone lets grow." if mix.accumulate is not None else ""),
        "",
        "| part | rows |",
        "|---|---:|",
        *[f"| `{k}` | {v} |" for k, v in phase.composition.items()],
        "",
        "## Sources",
        "",
        "| source | from | kind | generation | rows available | duplicates dropped |",
        "|---|---|---|---:|---:|---:|",
    ]
    for name, src in mix.sources.items():
        origin = f"run `{src.run}`" if src.run else f"file `{src.path}`"
        generation = 0 if src.real else (src.generation if src.generation is not None else "not given")
        lines.append(f"| `{name}` | {origin} | {'real' if src.real else 'synthetic'} | {generation} | "
                     f"{result.available[name]} | {result.duplicates.get(name, 0)} |")
    if mix.dedup:
        lines += ["", f"Dedup across sources: {mix.dedup.method}"
                  + (f" (Jaccard >= {mix.dedup.threshold})" if mix.dedup.method == "minhash" else "")
                  + "; a record repeating one of an earlier-listed source is dropped."]
    lines += ["", "Files: " + ", ".join(f"`{f.name}`" for f in phase.files), ""]
    return "\n".join(lines)


def real_rows(mix: Mix, phase: PhaseResult, done: dict[str, PhaseResult] | None = None) -> int:
    """Rows of real data in a phase: from real sources directly; a replayed phase's rows count in
    the proportion that phase had."""
    done = done or {}
    rows = 0
    for part, n in phase.composition.items():
        if part.startswith("replay:"):
            earlier = done.get(part.removeprefix("replay:"))
            rows += round(n * real_rows(mix, earlier, done) / earlier.rows) if earlier and earlier.rows else 0
        elif mix.sources[part].real:
            rows += n
    return rows


def _real_share_line(phase: PhaseResult) -> str:
    share = phase.real / phase.rows if phase.rows else 0.0
    return f"{phase.real} of {phase.rows} rows ({share:.1%})."


def summary_json(result: MixResult) -> str:
    return json.dumps(
        {"out_dir": str(result.out_dir), "available": result.available, "duplicates": result.duplicates,
         "phases": [{"name": p.name, "rows": p.rows, "real_rows": p.real,
                     "real_share": round(p.real / p.rows, 6) if p.rows else None, "composition": p.composition}
                    for p in result.phases]},
        indent=2,
    )
