"""Real and synthetic tables lined up column by column for the metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthloom.config.errors import SynthloomError
from synthloom.config.tabular import TableMeta
from synthloom.data.frames import to_arrow
from synthloom.data.metadata import infer_metadata, to_numpy
from synthloom.data.tables import read_table
from synthloom.evaluate.fidelity import Column

SKIPPED_KINDS = ("id", "text")


def _table(source: Any, what: str) -> pa.Table:
    if isinstance(source, (str, Path)):
        return read_table(source)
    return to_arrow(source, what)


def _categorical(name: str, real: pa.ChunkedArray, syn: pa.ChunkedArray) -> Column:
    """Codes on one shared dictionary (Arrow's dictionary encoding; no Python loop per value);
    missing values get the code after the last category."""
    both = pa.chunked_array(real.chunks + syn.cast(real.type).chunks, type=real.type) if syn.type != real.type \
        else pa.chunked_array(real.chunks + syn.chunks, type=real.type)
    encoded = pc.dictionary_encode(both).combine_chunks()
    k = len(encoded.dictionary)
    codes = pc.fill_null(encoded.indices, k).to_numpy(zero_copy_only=False).astype(np.int64)
    n = len(real)
    return Column(name, "categorical", codes[:n], codes[n:], categories=encoded.dictionary.to_pylist())


def aligned_columns(real: Any, synthetic: Any, overrides: dict[str, Any] | None = None) -> list[Column]:
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
    meta = infer_metadata(r, overrides)
    numeric = TableMeta(columns={n: c for n, c in meta.columns.items() if c.kind in ("numerical", "datetime")})
    real_np = to_numpy(r, numeric)
    syn_np = to_numpy(s.select(r.column_names), numeric)
    out = []
    for name, cm in meta.columns.items():
        if cm.kind in SKIPPED_KINDS:
            continue
        if name in numeric.columns:
            out.append(Column(name, "numerical", real_np.columns[name], syn_np.columns[name]))
        else:
            out.append(_categorical(name, r.column(name), s.column(name)))
    if not out:
        raise SynthloomError("no column can be compared (every column is an identifier or free text)")
    return out
