"""`synthloom.run` from wherever people write Python: a script without a `__main__` guard, a
notebook (code run inside an event loop), the REPL (code from standard input)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from synthloom.config.errors import SynthloomError

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_run_example() -> str:
    """The README's "From Python" example: the python block that calls `synthloom.run`."""
    blocks = re.findall(r"^```python[^\n]*\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)
    found = [b for b in blocks if "synthloom.run(" in b]
    assert found, "README.md has no python block calling synthloom.run"
    return found[0]


def _python(tmp_path: Path, args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=tmp_path, input=stdin, capture_output=True, text=True,
                          timeout=600)


NOTEBOOK = """
import asyncio, sys

async def cell():  # a notebook kernel runs each cell with its event loop running
    asyncio.get_running_loop()
    exec(compile(sys.stdin.read(), "<cell>", "exec"), {"__name__": "__main__"})

# like ipykernel: a plain loop, so Ctrl-C raises KeyboardInterrupt in the cell (asyncio.run
# would turn it into a cancellation of a task that is blocked in the cell)
asyncio.new_event_loop().run_until_complete(cell())
"""


def test_the_readme_example_runs_in_a_notebook_like_running_event_loop(tmp_path):
    done = _python(tmp_path, ["-c", NOTEBOOK], stdin=_readme_run_example())
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "runs").is_dir() and any((tmp_path / "runs").rglob("part-*.parquet"))


def test_the_readme_example_runs_from_standard_input_as_in_the_repl(tmp_path):
    done = _python(tmp_path, ["-"], stdin=_readme_run_example())
    assert done.returncode == 0, done.stderr[-3000:]
    assert any((tmp_path / "runs").rglob("part-*.parquet"))


def test_a_model_file_that_is_not_gguf_is_refused_with_llama_cpps_own_reason(tmp_path):
    import synthloom

    fake = tmp_path / "broken.gguf"
    fake.write_bytes(b"GGUF but then nothing that follows the format at all")
    recipe = {
        "name": "broken", "target_rows": 1,
        "models": {"default": {"provider": "llamacpp", "path": str(fake), "workers": 1}},
        "columns": [{"name": "t", "kind": "llm_text", "prompt": "hi"}],
    }
    with pytest.raises(SynthloomError) as caught:
        synthloom.run(recipe, output_dir=tmp_path)
    message = str(caught.value)
    assert "ValueError: Failed to load model from file" in message  # the worker's own exception
    assert "llama.cpp: gguf_init_from" in message  # and the loader's line saying why


def test_a_run_started_by_a_spawned_import_of_the_callers_script_says_to_add_the_guard(monkeypatch):
    import multiprocessing
    import types

    from synthloom import api

    monkeypatch.setattr(multiprocessing, "parent_process", lambda: object())
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__mp_main__"))
    with pytest.raises(SynthloomError, match='if __name__ == "__main__":'):
        api.run({"name": "x", "columns": [{"name": "a", "kind": "sampler", "type": "uuid"}]})


def test_run_takes_a_file_a_builtin_name_or_a_dict_and_applies_overrides(tmp_path, monkeypatch):
    from synthloom.api import to_recipe

    monkeypatch.chdir(tmp_path)
    fields = {"name": "tiny", "target_rows": 2, "columns": [{"name": "a", "kind": "sampler", "type": "uuid"}]}
    assert to_recipe(fields, ["target_rows=5"]).target_rows == 5
    (tmp_path / "tiny.yaml").write_text("name: tiny\ntarget_rows: 1\ncolumns:\n  - {name: a, kind: sampler, type: uuid}\n")
    assert to_recipe(tmp_path / "tiny.yaml").name == "tiny"
    assert to_recipe("magpie").name == "magpie"
    with pytest.raises(SynthloomError, match="no built-in recipe"):
        to_recipe("no_such_recipe")


def test_sampler_only_run_completes_inside_a_running_loop_in_process(tmp_path):
    import asyncio

    import synthloom

    async def cell():
        return synthloom.run({"name": "ids", "target_rows": 4, "batch_size": 4,
                              "columns": [{"name": "a", "kind": "sampler", "type": "uuid"}]}, output_dir=tmp_path)

    summary = asyncio.run(cell())
    assert summary.accepted == 4 and summary.run_dir == tmp_path / "ids"


def test_embedded_model_script_without_guard_completes(tmp_path):
    # The README test runs the README's own block this way; this one holds for any script.
    script = tmp_path / "no_guard.py"
    script.write_text(textwrap.dedent("""
        import synthloom
        print("body")
        s = synthloom.run({"name": "hi", "target_rows": 2, "batch_size": 2,
                           "columns": [{"name": "t", "kind": "llm_text", "prompt": "Say hi.", "max_tokens": 8}]})
        print("accepted", s.accepted)
    """))
    done = _python(tmp_path, [str(script)])
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["body", "accepted", "2"]


def test_ctrl_c_in_a_notebook_cancels_the_run_and_keeps_what_it_committed(tmp_path):
    import signal
    import time

    cell = ('import synthloom\n'
            'synthloom.run({"name": "long", "target_rows": 5000000, "batch_size": 500,\n'
            '               "columns": [{"name": "a", "kind": "sampler", "type": "uuid"}]})\n')
    proc = subprocess.Popen([sys.executable, "-c", NOTEBOOK], cwd=tmp_path, stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdin.write(cell)
    proc.stdin.close()
    shards = tmp_path / "runs" / "long" / "shards"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(shards.glob("part-*.parquet")):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=120)  # without the cancel, the run went on for minutes
        err = proc.stderr.read()
    finally:
        proc.kill()
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert any(shards.glob("part-*.parquet"))
