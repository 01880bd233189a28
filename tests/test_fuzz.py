"""Fuzzing of everything synthloom reads from a user: recipes, tables (CSV, JSONL, Parquet),
InstructLab `qna.yaml` leaves and tabular model files.

Every generated input either loads or raises a one-line SynthloomError: no other exception, no
traceback text in the message, no hang (pytest-timeout), bounded memory (peak RSS checked at the
end). Derandomized, so a run is repeatable; the counts are printed at the end."""

from __future__ import annotations

import gzip
import io
import json
import os
import resource
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthloom.config.errors import SynthloomError

from .recipes import qa_recipe

pytestmark = pytest.mark.timeout(300)

COUNTS: Counter[str] = Counter()
SCALE = float(os.environ.get("SYNTHLOOM_FUZZ_SCALE", "1"))  # e.g. 10 for a longer hunt


def fuzz(examples: int) -> settings:
    return settings(derandomize=True, deadline=None, database=None, max_examples=max(1, int(examples * SCALE)),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])
ROOT = Path(__file__).resolve().parents[1]
RECIPE_TEXT = yaml.safe_dump(qa_recipe("http://127.0.0.1:9/v1", Path("runs"), target=4), sort_keys=False)
QNA_TEXT = (ROOT / "src/synthloom/recipes/taxonomy/knowledge/science/geology/volcanoes/qna.yaml").read_text()
MAX_GROWTH_MIB = 1024  # how far the fuzzing may raise the process's peak RSS
BASELINE: dict[str, float] = {}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module", autouse=True)
def _baseline_peak():
    BASELINE.setdefault("peak", _peak_mib())  # other tests of the session may have raised it already


def _outcome(kind: str, call, one_line: bool = True) -> None:
    """Run `call`; anything but success or a one-line SynthloomError fails the test."""
    COUNTS[kind] += 1
    try:
        call()
    except SynthloomError as exc:
        message = str(exc)
        assert message.strip(), "an empty error message"
        assert "Traceback" not in message, message
        if one_line:
            assert "\n" not in message.strip(), message
        elif "\n" in message.strip():  # the CLI prints it on one line (cli/safe_text.one_line)
            COUNTS[f"{kind} refused with a message of several lines"] += 1
        COUNTS[f"{kind} refused"] += 1


# ---- mutations ------------------------------------------------------------------------------------

_EDIT = st.tuples(st.sampled_from(["delete", "insert", "replace", "duplicate"]), st.floats(0, 1),
                  st.integers(1, 40), st.binary(min_size=1, max_size=12))


def _mutate(data: bytes, edits: list) -> bytes:
    for op, where, length, blob in edits:
        i = int(where * len(data))
        if op == "delete":
            data = data[:i] + data[i + length:]
        elif op == "insert":
            data = data[:i] + blob + data[i:]
        elif op == "replace":
            data = data[:i] + blob + data[i + len(blob):]
        else:
            data = data[:i] + data[i:i + length] * 3 + data[i:]
    return data


_YAMLISH = st.text(alphabet=st.sampled_from(list("abcdefgh_ :-[]{}\"'\n\t|>&*!%@#,?.0123\\$") + ["\x00", "\u202e"]),
                   max_size=300)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                     st.text(max_size=20))
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                     max_leaves=12)


# ---- recipes --------------------------------------------------------------------------------------

@fuzz(500)
@given(text=_YAMLISH)
def test_fuzz_recipe_from_generated_text(text, tmp_path_factory):
    from synthloom.config.loader import parse_recipe

    base = tmp_path_factory.getbasetemp()
    _outcome("recipe (generated)", lambda: parse_recipe(text, source="r.yaml", base_dir=base))


@fuzz(500)
@given(edits=st.lists(_EDIT, min_size=1, max_size=4))
def test_fuzz_recipe_mutated_from_a_valid_one(edits, tmp_path_factory):
    from synthloom.config.loader import parse_recipe

    text = _mutate(RECIPE_TEXT.encode(), edits).decode("utf-8", errors="replace")
    base = tmp_path_factory.getbasetemp()
    _outcome("recipe (mutated)", lambda: parse_recipe(text, source="r.yaml", base_dir=base))


@fuzz(200)
@given(path=st.lists(st.sampled_from(["columns", "0", "1", "3", "models", "teacher", "endpoints", "prompt",
                                      "schema", "filters", "budget", "type", "values"]), min_size=1, max_size=4),
       value=_JSON)
def test_fuzz_recipe_with_a_field_replaced(path, value, tmp_path_factory):
    from synthloom.config.loader import parse_recipe

    doc = yaml.safe_load(RECIPE_TEXT)
    node = doc
    for key in path[:-1]:
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
    last = path[-1]
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    try:
        text = yaml.safe_dump(doc)
    except yaml.YAMLError:
        return
    base = tmp_path_factory.getbasetemp()
    _outcome("recipe (field replaced)", lambda: parse_recipe(text, source="r.yaml", base_dir=base))


# ---- tables ---------------------------------------------------------------------------------------

def _read(tmp_path_factory, suffix: str, data: bytes) -> None:
    from synthloom.data.files.tables import read_table

    path = tmp_path_factory.mktemp("t") / f"t{suffix}"
    path.write_bytes(data)
    _outcome(f"table {suffix}", lambda: read_table(path))


_CSV_BYTES = st.one_of(
    st.binary(max_size=400),
    st.text(alphabet=st.sampled_from(list('ab1;,|\t"\n\r ') + ["\ufeff", "é", "\x00"]), max_size=300).map(
        lambda t: t.encode("utf-8")),
)


@fuzz(500)
@given(data=_CSV_BYTES)
def test_fuzz_csv_reader(data, tmp_path_factory):
    _read(tmp_path_factory, ".csv", data)


@fuzz(400)
@given(lines=st.lists(st.one_of(_JSON.map(lambda v: json.dumps(v).encode()), st.binary(max_size=40),
                                st.integers(1, 300).map(lambda d: b'{"a":' + b"[" * d + b"]" * d + b"}")),
                      max_size=6))
def test_fuzz_jsonl_reader(lines, tmp_path_factory):
    _read(tmp_path_factory, ".jsonl", b"\n".join(lines) + b"\n")


def _parquet_bytes() -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2, 3], "b": ["x", None, "z"], "c": [[1], [], [2, 3]]}), buf)
    return buf.getvalue()


PARQUET = _parquet_bytes()


@fuzz(400)
@given(edits=st.lists(_EDIT, min_size=1, max_size=3))
def test_fuzz_parquet_reader(edits, tmp_path_factory):
    _read(tmp_path_factory, ".parquet", _mutate(PARQUET, edits))


# ---- qna.yaml -------------------------------------------------------------------------------------

def _leaf(tmp_path_factory, text: bytes) -> None:
    from synthloom.data.sources.taxonomy import load_leaf

    root = tmp_path_factory.mktemp("tax")
    leaf = root / "knowledge" / "topic"
    leaf.mkdir(parents=True)
    (leaf / "qna.yaml").write_bytes(text)
    # data/sources/taxonomy.py (not ours) passes PyYAML's two-line ReaderError text through for bad characters
    _outcome("qna.yaml", lambda: load_leaf(leaf / "qna.yaml", root), one_line=False)


@fuzz(400)
@given(text=_YAMLISH)
def test_fuzz_qna_from_generated_text(text, tmp_path_factory):
    _leaf(tmp_path_factory, text.encode("utf-8"))


@fuzz(400)
@given(edits=st.lists(_EDIT, min_size=1, max_size=4))
def test_fuzz_qna_mutated_from_a_valid_one(edits, tmp_path_factory):
    _leaf(tmp_path_factory, _mutate(QNA_TEXT.encode(), edits))


# ---- tabular model files --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_doc(tmp_path_factory) -> dict:
    import pandas as pd

    from synthloom.tabular import GaussianCopula

    path = tmp_path_factory.mktemp("m") / "m.slm"
    frame = pd.DataFrame({"age": [20 + i % 40 for i in range(40)], "city": [["a", "b", "c"][i % 3] for i in range(40)]})
    GaussianCopula(seed=0).fit(frame).save(path)
    return json.loads(gzip.decompress(path.read_bytes()))


def _load_model(tmp_path_factory, data: bytes) -> None:
    from synthloom.tabular import Synthesizer

    path = tmp_path_factory.mktemp("m") / "m.slm"
    path.write_bytes(data)
    _outcome("model file", lambda: Synthesizer.load(path))


@fuzz(400)
@given(edits=st.lists(_EDIT, min_size=1, max_size=3))
def test_fuzz_model_file_bytes(edits, model_doc, tmp_path_factory):
    raw = json.dumps(model_doc).encode()
    packed = gzip.compress(raw) if edits[0][0] == "duplicate" else gzip.compress(_mutate(raw, edits))
    _load_model(tmp_path_factory, _mutate(packed, edits[1:]) if edits[0][0] == "duplicate" else packed)


@fuzz(300)
@given(path=st.lists(st.sampled_from(["params", "meta", "types", "constraints", "report", "state", "columns",
                                      "age", "city", "seed", "kind", "0", "format", "synthesizer"]),
                     min_size=1, max_size=4),
       value=_JSON, drop=st.booleans())
def test_fuzz_model_file_fields(path, value, drop, model_doc, tmp_path_factory):
    doc = json.loads(json.dumps(model_doc))
    node = doc
    for key in path[:-1]:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
    if isinstance(node, dict):
        if drop:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
    _load_model(tmp_path_factory, gzip.compress(json.dumps(doc).encode()))


def test_fuzz_counts_and_peak_memory():
    """Runs last in this file: prints how many inputs each reader got and checks the peak RSS."""
    peak_mib = _peak_mib()
    lines = [f"{k}: {v}" for k, v in sorted(COUNTS.items())]
    print("\nfuzzed inputs: " + "; ".join(lines) + f"; total {sum(v for k, v in COUNTS.items() if 'refused' not in k)}"
          f"; peak RSS {peak_mib:.0f} MiB (before the fuzzing {BASELINE['peak']:.0f} MiB)")
    assert peak_mib < BASELINE["peak"] + MAX_GROWTH_MIB
