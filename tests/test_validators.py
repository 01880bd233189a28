"""Validator columns, including Python code in its confined process (attacks: test_redteam_validators.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from synthloom.config import columns as C
from synthloom.config.errors import SynthloomError
from synthloom.generate.columns import BuildContext, build_generator


def validator(column):
    return build_generator(column, BuildContext(seed=0, resolve_path=Path))


def _check(column, value, row=None):
    async def go():
        gen = validator(column)
        await gen.start()
        try:
            return await gen.check(value, row or {})
        finally:
            await gen.aclose()

    return asyncio.run(go())


def py(code, **kw):
    return C.PythonValidator(name="v", kind="validator", type="python", target="x", code=code, **kw)


def test_json_schema_and_regex_validators():
    js = C.JsonSchemaValidator(name="v", kind="validator", type="json_schema", target="x",
                               schema={"type": "object", "required": ["a"]})
    assert _check(js, {"a": 1}) is None
    assert "'a' is a required property" in _check(js, {"b": 1})
    assert "not valid JSON" in _check(js, "{oops")
    rx = C.RegexValidator(name="v", kind="validator", type="regex", target="x", pattern=r"\d{3}")
    assert _check(rx, "123") is None
    assert "does not match" in _check(rx, "1234")


def test_python_validator_accepts_rejects_and_explains():
    code = "def validate(value, row):\n    return True if value > row['min'] else f'{value} is too small'\n"
    assert _check(py(code), 5, {"min": 1}) is None
    assert _check(py(code), 0, {"min": 1}) == "0 is too small"
    assert "ZeroDivisionError" in _check(py("def validate(v, r):\n    return 1/0\n"), 1)


def test_python_validator_has_no_network():
    code = (
        "import socket\n"
        "def validate(value, row):\n"
        "    socket.create_connection(('127.0.0.1', 9))\n"
        "    return True\n"
    )
    reason = _check(py(code), 1)
    assert reason is not None and "Operation not permitted" in reason


def test_python_validator_cannot_start_processes_or_write_files(tmp_path):
    target, marker = tmp_path / "x.txt", tmp_path / "spawned"
    # libc's system() reports the failed clone as a status, not an exception
    assert _check(py(f"import os\ndef validate(v, r):\n    return str(os.system('touch {marker}'))\n"), 1) != "0"
    assert not marker.exists()
    assert "Operation not permitted" in _check(py(f"def validate(v, r):\n    open({str(target)!r}, 'w')\n"), 1)
    assert not target.exists()


def test_python_validator_time_limit_kills_and_recovers():
    code = "import time\ndef validate(value, row):\n    if value: time.sleep(30)\n    return True\n"

    async def go():
        gen = validator(py(code, timeout_s=0.5))
        await gen.start()
        try:
            slow = await gen.check(1, {})
            fast = await gen.check(0, {})  # a fresh process after the kill
            return slow, fast
        finally:
            await gen.aclose()

    slow, fast = asyncio.run(go())
    assert "timed out after 0.5s" in slow and fast is None


def test_python_validator_memory_limit():
    code = "def validate(value, row):\n    x = bytearray(400 * 1024 * 1024)\n    return True\n"
    reason = _check(py(code, memory_mb=128), 1)
    assert reason is not None and ("memory" in reason)


def test_python_validator_without_validate_function_is_a_user_error():
    with pytest.raises(SynthloomError, match="validate"):
        _check(py("x = 1\n"), 1)
