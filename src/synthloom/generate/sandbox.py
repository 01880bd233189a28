"""A long-lived sandboxed process per Python validator column (starting one per cell would
cost ~30 ms each); killed and restarted when a call overruns its time limit."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from synthloom.config.errors import SynthloomError

RUNNER = Path(__file__).with_name("sandbox_runner.py")


class SandboxWorker:
    def __init__(self, code: str, *, timeout_s: float, memory_mb: int, column: str = "validator"):
        self.code = code
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.column = column
        self.proc: asyncio.subprocess.Process | None = None
        self.lock = asyncio.Lock()

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-I", "-B", str(RUNNER), str(self.memory_mb),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            limit=2**24,
        )
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write((json.dumps({"code": self.code}) + "\n").encode())
        await self.proc.stdin.drain()
        line = await self.proc.stdout.readline()
        ready = json.loads(line) if line else {"ready": False, "error": "the process exited while loading"}
        if not ready.get("ready"):
            await self.aclose()
            raise SynthloomError(
                f"validator column '{self.column}': its code cannot be loaded ({ready.get('error')}); "
                "it must define validate(value, row)"
            )

    async def validate(self, value: Any, row: dict[str, Any]) -> str | None:
        async with self.lock:
            if self.proc is None or self.proc.returncode is not None:
                await self.start()
            assert self.proc and self.proc.stdin and self.proc.stdout
            payload = json.dumps({"value": value, "row": row}, default=str)
            try:
                self.proc.stdin.write((payload + "\n").encode())
                await self.proc.stdin.drain()
                line = await asyncio.wait_for(self.proc.stdout.readline(), self.timeout_s)
            except (asyncio.TimeoutError, TimeoutError):
                await self._kill()
                return f"validator timed out after {self.timeout_s}s"
            except (BrokenPipeError, ConnectionResetError):
                line = b""
            if not line:
                await self._kill()
                return f"validator process died (memory limit {self.memory_mb} MB?)"
            answer = json.loads(line)
            return None if answer["ok"] else answer["error"]

    async def _kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self.proc = None

    async def aclose(self) -> None:
        if self.proc is not None and self.proc.returncode is None and self.proc.stdin:
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 2)
            except (asyncio.TimeoutError, TimeoutError):
                pass
        await self._kill()
