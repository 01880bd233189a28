"""Red team: what synthloom prints and the errors it gives, attacked through the real CLI.

Paths, reasons, column names and model answers carry rich markup and terminal escape sequences;
malformed files of every reader end in one sentence and exit code 2, never a traceback."""

from __future__ import annotations

import gzip
import json
import struct
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from synthloom.config.errors import SynthloomError

from .conftest import run_cli
from .recipes import qa_recipe, write

EVIL = "[/red][bold]\x1b[2J\x1b]0;owned\x07\x1b]8;;http://x/\x1b\\\rOVERWRITTEN\u202eevil\x9b31m"
RAW_CONTROLS = ("\x1b", "\r", "\x07", "\u202e", "\x9b")


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _no_raw_controls(text: str) -> None:
    for ch in RAW_CONTROLS:
        assert ch not in text, f"raw {ch!r} reached the terminal"


def _table(tmp_path: Path, name: str, columns: dict) -> Path:
    path = tmp_path / name
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


def _mixed(n: int = 30) -> dict:
    return {"age": [20 + i % 40 for i in range(n)], "city": [["Lima", "Oslo", "Pune"][i % 3] for i in range(n)]}


# ---- markup and escape sequences ----------------------------------------------------------------

def test_markup_in_a_path_of_an_error_is_printed_literally(tmp_path):
    folder = tmp_path / "[bold red]x[link=evil]"
    folder.mkdir()
    recipe = folder / "r.yaml"
    recipe.write_text("name: t\ntarget_rows: 1\ncolumns:\n  - {name: s, kind: seed, path: '[/red]nowhere.csv'}\n")
    result = run_cli("generate", str(recipe), "--output-dir", str(tmp_path / "runs"))
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "[/red]nowhere.csv" in line and "does not exist" in line


def test_markup_in_a_path_of_a_success_is_printed_literally(tmp_path):
    folder = tmp_path / "[red]ok[bold]:warning:"
    folder.mkdir()
    recipe = folder / "r.yaml"
    recipe.write_text("name: t\ntarget_rows: 1\ncolumns:\n  - {name: n, kind: sampler, type: uniform, low: 0, high: 1}\n")
    result = run_cli("validate", str(recipe))
    assert result.returncode == 0, result.stderr
    assert "[red]ok[bold]:warning:/r.yaml: ok" in result.stdout  # no markup, no emoji


def test_markup_in_a_rejection_reason_is_printed_literally(tmp_path):
    recipe = {"name": "rej", "target_rows": 2, "batch_size": 2, "max_batches": 1, "output_dir": str(tmp_path / "runs"),
              "columns": [{"name": "topic", "kind": "sampler", "type": "category", "values": ["a"]},
                          {"name": "n", "kind": "expression", "template": "[/red][bold]{{ topic }}", "dtype": "int"}]}
    result = run_cli("generate", str(write(recipe, tmp_path / "r.yaml")), "--quiet")
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "[/red][bold]a" in result.stdout  # the reason names the value literally


def test_markup_in_a_column_name_is_printed_literally(tmp_path):
    data = _table(tmp_path, "t.csv", _mixed())
    result = run_cli("tabular", "synth", str(data), "-n", "5", "-o", str(tmp_path / "o.parquet"),
                     "--condition", "[/red][bold]=1")
    assert result.returncode == 2
    assert "[/red][bold]" in _one_error_line(result)


def test_escape_sequences_and_carriage_returns_from_model_answers_never_reach_stdout(tmp_path, scripted_server):
    server = scripted_server(rules=[("ask one question", EVIL)])
    path = write(qa_recipe(server.url, tmp_path / "runs", target=2, batch=2), tmp_path / "r.yaml")
    result = run_cli("preview", str(path), "-n", "2")
    assert result.returncode == 0, result.stderr
    _no_raw_controls(result.stdout + result.stderr)
    assert "[/red][bold]" in result.stdout and "OVERWRITTEN" in result.stdout
    assert "\\x1b" in result.stdout  # shown, not obeyed


def test_escape_sequences_in_an_error_message_never_reach_stderr(tmp_path):
    result = run_cli("tabular", "sample", str(tmp_path / f"m{EVIL}.slm"), "-n", "1", "-o", str(tmp_path / "o.parquet"))
    assert result.returncode == 2
    line = _one_error_line(result)
    _no_raw_controls(result.stderr)
    assert "does not exist" in line


def test_newline_in_an_error_message_stays_one_line(tmp_path):
    data = _table(tmp_path, "t.csv", _mixed())
    result = run_cli("tabular", "synth", str(data), "-n", "5", "-o", str(tmp_path / "o.parquet"),
                     "--condition", "a\nerror: forged line=1")
    assert result.returncode == 2
    assert "a\\nerror: forged line" in _one_error_line(result)  # one line, the newline shown


def test_safe_text_neutralises_every_control_and_bidi_character():
    from synthloom.cli.safe_text import is_printable, safe

    every = "".join(chr(c) for c in range(0x00, 0xA0)) + "\u200b\u200e\u202a\u202e\u2066\u2069\ufeff"
    shown = safe(every + EVIL)
    assert is_printable(shown)
    from rich.console import Console

    console = Console(record=True, width=400, color_system=None)
    console.print(shown)
    assert "[/red][bold]" in console.export_text()


# ---- chart labels and the report's two files -----------------------------------------------------

def test_mathtext_column_names_draw_in_the_html_report(tmp_path):
    cols = {"$x$": [i % 7 for i in range(30)], "$\\frac$": [["a", "$\\frac{$"][i % 2] for i in range(30)],
            "\\$y$\\": [i * 0.5 for i in range(30)]}
    real = _table(tmp_path, "real.csv", cols)
    result = run_cli("evaluate", "--real", str(real), "--synthetic", str(real), "-o", str(tmp_path / "rep"))
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "$\\frac$" in html and "$x$" in html


def test_report_json_is_not_written_when_its_html_cannot_be_drawn(tmp_path):
    from synthloom.evaluate.report import evaluate_tables, write_report

    real = pd.DataFrame(_mixed())
    report = evaluate_tables(real, real)
    report["privacy"] = {}  # the page cannot be drawn from this
    with pytest.raises(KeyError):
        write_report(report, tmp_path / "rep")
    assert not (tmp_path / "rep" / "report.json").exists()
    assert not (tmp_path / "rep" / "report.html").exists()


# ---- malformed inputs: one sentence, exit 2 -------------------------------------------------------

def _evaluate_file(tmp_path: Path, name: str, data: bytes) -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_bytes(data)
    return run_cli("evaluate", "--real", str(path), "--synthetic", str(path), "-o", str(tmp_path / "rep"))


# (file name, bytes, what the one sentence says); each crashed with a traceback or worse before
MALFORMED = {
    "jsonl_line_that_is_a_scalar": ("t.jsonl", b'{"a": 1}\n5\n', "t.jsonl:2: a JSON number where a JSON object"),
    "invalid_utf8_in_a_csv": ("t.csv", b"a,b\n\xff\xfe,1\nx,2\n", "not UTF-8"),
    "invalid_utf8_in_a_jsonl": ("t.jsonl", b'{"a": 1}\n{"a": "\xff", "b": [1]}\n', "t.jsonl:2: not UTF-8"),
    # Arrow's JSON reader recursed into this until the process died of a segmentation fault
    "deeply_nested_jsonl": ("t.jsonl", b'{"a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}\n",
                            "t.jsonl:1: JSON nested too deeply"),
    # found by tests/test_fuzz.py: Arrow's JSON reader died of a segmentation fault on this file
    "jsonl_of_a_bare_null": ("t.jsonl", b"null\n", "t.jsonl:1: a JSON null where a JSON object"),
    # found by tests/test_fuzz.py: Arrow decodes column names only when asked, outside the reader's try
    "csv_header_that_is_not_utf8": ("t.csv", b"\x80\r", "not UTF-8"),
    "duplicate_csv_column_names": ("t.csv", b"a,a,b\n1,2,3\n4,5,6\n", "'a' appear more than once"),
}


@pytest.mark.parametrize("attack", MALFORMED)
def test_a_malformed_table_file_is_one_sentence(tmp_path, attack):
    name, data, words = MALFORMED[attack]
    result = _evaluate_file(tmp_path, name, data)
    assert result.returncode == 2
    assert words in _one_error_line(result)


def test_arrow_file_with_a_huge_header_is_one_sentence(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "data-00000-of-00001.arrow").write_bytes(b"\xff\xff\xff\xff" + struct.pack("<i", 2**31 - 8) + bytes(64))
    result = run_cli("evaluate", "--real", str(folder), "--synthetic", str(folder), "-o", str(tmp_path / "rep"))
    assert result.returncode == 2
    assert "metadata" in _one_error_line(result)


def _saved_model(tmp_path: Path) -> dict:
    from synthloom.tabular import GaussianCopula

    path = tmp_path / "m.slm"
    GaussianCopula(seed=0).fit(pd.DataFrame(_mixed())).save(path)
    return json.loads(gzip.decompress(path.read_bytes()))


def test_model_file_with_a_missing_key_is_one_sentence(tmp_path):
    doc = _saved_model(tmp_path)
    del doc["meta"]
    (tmp_path / "bad.slm").write_bytes(gzip.compress(json.dumps(doc).encode()))
    result = run_cli("tabular", "sample", str(tmp_path / "bad.slm"), "-n", "3", "-o", str(tmp_path / "o.parquet"))
    assert result.returncode == 2
    assert "lacks the field 'meta'" in _one_error_line(result)


def test_model_file_with_a_wrong_type_is_one_sentence(tmp_path):
    doc = _saved_model(tmp_path)
    doc["types"] = ["int64"]
    (tmp_path / "bad.slm").write_bytes(gzip.compress(json.dumps(doc).encode()))
    result = run_cli("tabular", "sample", str(tmp_path / "bad.slm"), "-n", "3", "-o", str(tmp_path / "o.parquet"))
    assert result.returncode == 2
    assert "is damaged" in _one_error_line(result)


def test_model_file_with_a_corrupt_gzip_stream_is_one_sentence(tmp_path):
    # found by tests/test_fuzz.py: zlib.error is not an OSError and escaped the loader
    good = gzip.compress(json.dumps(_saved_model(tmp_path)).encode())
    (tmp_path / "bad.slm").write_bytes(good[:10] + bytes(b ^ 0x5A for b in good[10:40]) + good[40:])
    result = run_cli("tabular", "sample", str(tmp_path / "bad.slm"), "-n", "3", "-o", str(tmp_path / "o.parquet"))
    assert result.returncode == 2
    assert "is not a synthloom tabular model" in _one_error_line(result)


def test_gzip_bomb_model_file_stops_at_the_size_cap(tmp_path):
    bomb = tmp_path / "bomb.slm"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        block = b"0" * (1 << 24)
        for _ in range(12):  # 192 MiB unpacked from a file of about 200 KB
            fh.write(block)
    probe = (
        "import sys\n"
        "from synthloom.tabular import Synthesizer\n"
        "from synthloom.config.errors import SynthloomError\n"
        "try:\n    Synthesizer.load(sys.argv[1])\nexcept SynthloomError as e:\n    print(e)\n"
        # VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec (pytest's, in a full run)
        "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(bomb)], capture_output=True, text=True, timeout=120)
    message, peak_kib = out.stdout.strip().splitlines()
    assert "unpacks to more than 128 MiB" in message
    assert int(peak_kib) < 900 * 1024  # bounded by the cap, not by the bomb
    result = run_cli("tabular", "sample", str(bomb), "-n", "3", "-o", str(tmp_path / "o.parquet"))
    assert result.returncode == 2
    assert "unpacks to more than" in _one_error_line(result)


def test_evaluate_a_table_of_fewer_than_five_rows(tmp_path):
    real = _table(tmp_path, "real.csv", _mixed(12))
    synth = _table(tmp_path, "syn.csv", _mixed(3))
    result = run_cli("evaluate", "--real", str(real), "--synthetic", str(synth), "-o", str(tmp_path / "rep"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert report["fidelity"]["detection"]["folds"] == 3
    one = _table(tmp_path, "one.csv", _mixed(1))
    result = run_cli("evaluate", "--real", str(real), "--synthetic", str(one), "-o", str(tmp_path / "rep1"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "rep1" / "report.json").read_text())
    assert "1 row" in report["fidelity"]["detection"]["skipped"]


# ---- spreadsheets' CSV -----------------------------------------------------------------------------

def test_semicolon_csv_with_a_byte_order_mark_is_read(tmp_path):
    from synthloom.data.files.tables import read_table

    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffname;age;city\nAna;31;Köln\nBo;42;Lyon\n".encode("utf-8"))
    table = read_table(path)
    assert table.column_names == ["name", "age", "city"]
    assert table.column("age").to_pylist() == [31, 42]
    result = run_cli("evaluate", "--real", str(path), "--synthetic", str(path), "-o", str(tmp_path / "rep"))
    assert result.returncode == 0, result.stderr


def test_tab_and_pipe_separated_csv_are_read(tmp_path):
    from synthloom.data.files.tables import read_table

    for sep in ("\t", "|"):
        path = tmp_path / "t.csv"
        path.write_text(f"a{sep}b\n1{sep}x, y\n")
        assert read_table(path).to_pylist() == [{"a": 1, "b": "x, y"}]


def test_a_broken_quote_is_named_with_its_line(tmp_path):
    from synthloom.data.files.tables import read_table

    path = tmp_path / "t.csv"
    path.write_text('a,b,c\n1,2,3\n4,"five,6\n7,8,9\n10,11,12\n')
    with pytest.raises(SynthloomError, match=r"line 3 opens a quote"):
        read_table(path)
    result = run_cli("evaluate", "--real", str(path), "--synthetic", str(path), "-o", str(tmp_path / "rep"))
    assert result.returncode == 2
    assert "line 3 opens a quote" in _one_error_line(result)


def test_a_row_of_the_wrong_width_is_named_with_its_line(tmp_path):
    from synthloom.data.files.tables import read_table

    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n")
    with pytest.raises(SynthloomError, match=r"line 3 has 2 fields where the header has 3"):
        read_table(path)


# ---- --debug -------------------------------------------------------------------------------------

def test_an_unexpected_error_is_one_line_with_exit_1(capsys):
    import typer

    from synthloom.cli.errors import friendly_errors

    @friendly_errors
    def broken() -> None:
        raise ZeroDivisionError("division by zero\nTraceback (most recent call last):")

    with pytest.raises(typer.Exit) as exit_info:
        broken()
    assert exit_info.value.exit_code == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "ZeroDivisionError" in err and "--debug" in err


def test_debug_shows_the_traceback_that_is_hidden_otherwise(tmp_path):
    args = ("tabular", "sample", str(tmp_path / "none.slm"), "-n", "1", "-o", str(tmp_path / "o.parquet"))
    plain = run_cli(*args)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    debug = run_cli("--debug", *args)
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "SynthloomError" in debug.stderr
