"""Real and synthetic tables lined up column by column for the metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthloom.config.errors import SynthloomError
from synthloom.config.tabular import TableMeta
from synthloom.data.files.frames import to_arrow
from synthloom.data.table_analysis.metadata import infer_metadata, to_numpy
from synthloom.data.files.tables import read_table
from synthloom.evaluate.fidelity import Column

SKIPPED_KINDS = ("id", "text")


def _table(source: Any, what: str) -> pa.Table:
    if isinstance(source, (str, Path)):
        return read_table(source)
    return to_arrow(source, what)


def _shared_codes(parts: list[pa.ChunkedArray]) -> tuple[list[np.ndarray], list[Any]]:
    """Codes on one shared dictionary (Arrow's dictionary encoding; no Python loop per value);
    missing values get the code after the last category."""
    typ = parts[0].type
    chunks = [c for p in parts for c in (p if p.type == typ else p.cast(typ)).chunks]
    encoded = pc.dictionary_encode(pa.chunked_array(chunks, type=typ)).combine_chunks()
    k = len(encoded.dictionary)
    codes = pc.fill_null(encoded.indices, k).to_numpy(zero_copy_only=False).astype(np.int64)
    bounds = np.cumsum([0] + [len(p) for p in parts])
    return [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:])], encoded.dictionary.to_pylist()


def aligned_columns(real: Any, synthetic: Any, overrides: dict[str, Any] | None = None) -> list[Column]:
    return aligned_with_holdout(real, synthetic, None, overrides)[0]


def aligned_with_holdout(real: Any, synthetic: Any, holdout: Any | None,
                         overrides: dict[str, Any] | None = None) -> tuple[list[Column], list[Column] | None]:
    """Columns of real vs synthetic, and of the holdout (in `.real`) on the same encoding."""
    r, s = _table(real, "the real table"), _table(synthetic, "the synthetic table")
    if r.num_rows == 0 or s.num_rows == 0:
        which = "real" if r.num_rows == 0 else "synthetic"
        raise SynthloomError(f"the {which} table is empty; both tables need rows to compare")
    missing = [c for c in r.column_names if c not in s.column_names]
    extra = [c for c in s.column_names if c not in r.column_names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks {', '.join(missing)}")
        if extra:
            parts.append(f"has extra {', '.join(extra)}")
        raise SynthloomError(f"the synthetic table's columns do not match the real one's: it {' and '.join(parts)}")
    h = None
    if holdout is not None:
        h = _table(holdout, "the holdout table")
        lacking = [c for c in r.column_names if c not in h.column_names]
        if lacking or h.num_rows == 0:
            raise SynthloomError("the holdout table must have rows and the real table's columns"
                                 + (f" (it lacks {', '.join(lacking)})" if lacking else ""))
        h = h.select(r.column_names)
    meta = infer_metadata(r, overrides)
    numeric = TableMeta(columns={n: c for n, c in meta.columns.items() if c.kind in ("numerical", "datetime")})
    real_np = to_numpy(r, numeric)
    syn_np = to_numpy(s.select(r.column_names), numeric)
    hold_np = to_numpy(h, numeric) if h is not None else None
    out, hold = [], []
    for name, cm in meta.columns.items():
        if cm.kind in SKIPPED_KINDS:
            continue
        if name in numeric.columns:
            out.append(Column(name, "numerical", real_np.columns[name], syn_np.columns[name]))
            if hold_np is not None:
                hold.append(Column(name, "numerical", hold_np.columns[name], syn_np.columns[name]))
        else:
            parts = [r.column(name), s.column(name)] + ([h.column(name)] if h is not None else [])
            codes, cats = _shared_codes(parts)
            out.append(Column(name, "categorical", codes[0], codes[1], categories=cats))
            if h is not None:
                hold.append(Column(name, "categorical", codes[2], codes[1], categories=cats))
    if not out:
        raise SynthloomError("no column can be compared (every column is an identifier or free text)")
    return out, (hold if h is not None else None)
