"""Validator columns: check another column with a JSON Schema, a regex, or Python code in a
process the kernel confines (sandbox.py; the threat model is docs/security.md). The cell is
{"valid": bool, "error": str | None}; invalid rows are rejected unless
`reject: false`."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema

from synthloom.config import columns as C
from synthloom.generate.cells import CellContext, CellRejected
from synthloom.generate.columns.base import BaseGenerator, BatchEnv, BuildContext
from synthloom.generate.columns.registry import generates
from synthloom.generate.sandbox import SandboxWorker


class _ValidatorGenerator(BaseGenerator[Any]):
    async def check(self, value: Any, row: dict[str, Any]) -> str | None:
        """None when valid, else the reason."""
        raise NotImplementedError

    async def generate(self, ctx: CellContext, env: BatchEnv) -> Any:
        cfg = self.config
        error = await self.check(ctx.row.values.get(cfg.target), ctx.row.values)
        if error is not None and cfg.reject:
            raise CellRejected(f"{cfg.target}: {error}")
        return {"valid": error is None, "error": error}


@generates(C.JsonSchemaValidator)
class JsonSchemaValidatorGenerator(_ValidatorGenerator):
    def __init__(self, config: C.JsonSchemaValidator, ctx: BuildContext):
        super().__init__(config, ctx)
        self._validator = jsonschema.validators.validator_for(config.json_schema)(config.json_schema)

    async def check(self, value: Any, row: dict[str, Any]) -> str | None:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                return f"not valid JSON ({exc.msg})"
        error = jsonschema.exceptions.best_match(self._validator.iter_errors(value))
        if error is None:
            return None
        at = "/".join(str(p) for p in error.absolute_path) or "the top level"
        return f"schema violation at {at}: {error.message}"


@generates(C.RegexValidator)
class RegexValidatorGenerator(_ValidatorGenerator):
    def __init__(self, config: C.RegexValidator, ctx: BuildContext):
        super().__init__(config, ctx)
        self._regex = re.compile(config.pattern)

    async def check(self, value: Any, row: dict[str, Any]) -> str | None:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        match = self._regex.fullmatch(text) if self.config.full_match else self._regex.search(text)
        return None if match else f"does not match /{self.config.pattern}/"


@generates(C.PythonValidator)
class PythonValidatorGenerator(_ValidatorGenerator):
    def __init__(self, config: C.PythonValidator, ctx: BuildContext):
        super().__init__(config, ctx)
        self._sandbox = SandboxWorker(config.code, timeout_s=config.timeout_s, memory_mb=config.memory_mb,
                                      column=config.name)

    async def start(self) -> None:
        await self._sandbox.start()

    async def check(self, value: Any, row: dict[str, Any]) -> str | None:
        return await self._sandbox.validate(value, row)

    async def aclose(self) -> None:
        await self._sandbox.aclose()
