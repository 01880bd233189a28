"""The tabular model file: a synthesizer's parameters and what its fit learnt, as gzipped JSON
(no training rows), and reading one back, where a damaged, foreign or oversized file is one
sentence."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pyarrow as pa

from synthloom.config.errors import SynthloomError
from synthloom.config.tabular import TableMeta, TabularSpec
from synthloom.data.files.atomic import write_atomic
from synthloom.tabular.base import Fitted, Synthesizer
from synthloom.tabular.constraints import ConstraintSet

FORMAT_VERSION = 1
MAX_MODEL_BYTES = 128 << 20  # the JSON a model file may unpack to: a gzip bomb stops here


def save_model(synth: Synthesizer, path: str | Path) -> Path:
    """A gzipped JSON model file: parameters and what was learnt, no training rows."""
    if synth.fitted_ is None:
        raise SynthloomError("the synthesizer is not fitted; nothing to save")
    fitted = synth.fitted_
    path = Path(path)
    doc = {
        "format": FORMAT_VERSION,
        "synthesizer": synth.name,
        "params": synth.get_params(),
        "meta": fitted.meta.model_dump(mode="json"),
        "types": {k: str(v) for k, v in fitted.types.items()},
        "constraints": [c.model_dump(mode="json") for c in fitted.constraints.specs],
        "report": synth.report,
        "state": fitted.model.to_state(),
    }
    write_atomic(path, lambda tmp: tmp.write_bytes(gzip.compress(json.dumps(doc).encode())))
    return path


def load_model(path: str | Path) -> Synthesizer:
    """A saved model; a damaged, foreign or oversized file is a one-sentence SynthloomError.
    It samples Arrow tables, and checks copies only once given guard_against(training rows)."""
    path = Path(path)
    try:
        chunks, size = [], 0
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):  # a gzip bomb stops at the cap, not at the memory limit
                size += len(chunk)
                if size > MAX_MODEL_BYTES:
                    raise SynthloomError(f"{path} unpacks to more than {MAX_MODEL_BYTES >> 20} MiB; it is not "
                                         "a model file synthloom wrote, refit the model")
                chunks.append(chunk)
        doc = json.loads(b"".join(chunks))
    except FileNotFoundError:
        raise SynthloomError(f"model file {path} does not exist") from None
    except (OSError, ValueError, EOFError, zlib.error, RecursionError, MemoryError):
        raise SynthloomError(f"{path} is not a synthloom tabular model") from None
    if not isinstance(doc, dict):
        raise SynthloomError(f"{path} is not a synthloom tabular model")
    cls = Synthesizer.registry.get(doc.get("synthesizer", "")) if isinstance(doc.get("synthesizer"), str) else None
    if cls is None or doc.get("format") != FORMAT_VERSION:
        raise SynthloomError(f"{path} was saved by an unknown synthesizer or format version")
    try:
        return _from_doc(cls, doc, path)
    except KeyError as exc:
        raise SynthloomError(f"{path} lacks the field {exc}; the file is damaged, refit the model") from None
    except (TypeError, ValueError, AttributeError, IndexError, RecursionError, OverflowError) as exc:
        what = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise SynthloomError(f"{path} is damaged ({what}); refit the model") from None


def _from_doc(cls: type[Synthesizer], doc: dict[str, Any], path: Path) -> Synthesizer:
    if not isinstance(doc["params"], dict):
        raise TypeError("params is not a mapping")
    try:
        synth = cls(**cls.checked_params(doc["params"], "params.{name}"))
    except SynthloomError as exc:
        raise SynthloomError(f"{path} is damaged ({exc}); refit the model") from None
    meta = TableMeta.model_validate(doc["meta"])
    types = {k: _parse_type(v) for k, v in doc["types"].items()}
    specs = TabularSpec.model_validate({"constraints": doc["constraints"]}).constraints
    model = cls.model_class.from_state(doc["state"])
    synth.report = doc["report"]
    synth.fitted_ = Fitted(meta, types, ConstraintSet(specs, meta), model)
    return synth


def _parse_type(text: str) -> pa.DataType:
    simple = {"int64": pa.int64(), "int32": pa.int32(), "double": pa.float64(), "float": pa.float32(),
              "string": pa.string(), "large_string": pa.large_string(), "bool": pa.bool_(), "date32[day]": pa.date32(),
              "int8": pa.int8(), "int16": pa.int16(), "uint8": pa.uint8()}
    if text in simple:
        return simple[text]
    if text.startswith("timestamp["):
        unit = text[len("timestamp["):].split(",")[0].rstrip("]")
        return pa.timestamp(unit)
    return pa.string()
