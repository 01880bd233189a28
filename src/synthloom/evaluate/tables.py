"""Real and synthetic tables lined up column by column for the metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from synthloom.config.errors import SynthloomError
from synthloom.data.frames import to_arrow
from synthloom.data.metadata import infer_metadata, to_numpy
from synthloom.data.tables import read_table
from synthloom.evaluate.fidelity import Column

SKIPPED_KINDS = ("id", "text")


def _table(source: Any, what: str) -> pa.Table:
    if isinstance(source, (str, Path)):
        return read_table(source)
    return to_arrow(source, what)


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
    real_np = to_numpy(r, meta)
    syn_np = to_numpy(s.select(r.column_names), meta)
    out = []
    for name, cm in meta.columns.items():
        if cm.kind in SKIPPED_KINDS:
            continue
        kind = "numerical" if cm.kind in ("numerical", "datetime") else "categorical"
        out.append(Column(name, kind, real_np.columns[name], syn_np.columns[name]))
    if not out:
        raise SynthloomError("no column can be compared (every column is an identifier or free text)")
    return out
