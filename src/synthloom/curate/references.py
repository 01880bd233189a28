"""Reference datasets a step compares the rows with (a dedup step's `against`, decontamination's
`benchmarks`): read once, by `prepare`, into their texts and the name of each item."""

from __future__ import annotations

from dataclasses import dataclass, field

from synthloom.config.curation import Reference
from synthloom.config.errors import SynthloomError
from synthloom.curate.fields import check_fields, text_of
from synthloom.curate.step import ReferenceMatch, StepContext
from synthloom.data.files.tables import read_table


@dataclass
class References:
    texts: list[str] = field(default_factory=list)
    items: list[ReferenceMatch] = field(default_factory=list)  # what a row matching texts[k] matched


def load_references(refs: list[Reference], context: StepContext, step: str) -> References:
    """Every item of `refs`, in order; one sentence for a file that is missing or empty."""
    loaded = References()
    for ref in refs:
        path = context.resolve_path(ref.path)
        if not path.exists() or (path.is_file() and path.stat().st_size == 0):
            raise SynthloomError(f"reference dataset {path} of step '{step}' "
                                 f"{'is empty' if path.exists() else 'does not exist'}; check its `path` in the curation")
        rows = read_table(path).to_pylist()
        check_fields(rows, ref.text, f"reference dataset {path}")
        loaded.texts += [text_of(r, ref.text) for r in rows]
        loaded.items += [ReferenceMatch(path.name, k) for k in range(len(rows))]
    return loaded
