"""A long-lived confined process per Python validator column (starting one per cell would cost
~30 ms each). The process (sandbox_runner.py, confined by sandbox_confine.py) starts with an
empty environment in a fresh scratch folder (removed once it started there), in its own
session, and dies with this process.

Every failure of a call (timeout, crash, kill by the kernel, oversized or malformed answer)
becomes that cell's rejection reason and the process is restarted; a rejection reason is the
user's text, so it is cut to MAX_REASON characters. Code that cannot load at start (syntax,
exception, endless loop at import) is a recipe error. Where the kernel cannot confine the process,
python validators refuse to run unless the user (not the recipe) opts in with the environment
variable SYNTHLOOM_ALLOW_UNCONFINED_VALIDATORS=1 or `allow_unconfined=True`."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from synthloom.config.errors import SynthloomError

RUNNER = Path(__file__).with_name("sandbox_runner.py")
MAX_ANSWER = 1 << 20  # bytes of one answer frame (sandbox_runner.MAX_ANSWER)
MAX_REASON = 500  # characters of a rejection reason
STARTUP_S = 10.0  # seconds to start the interpreter and load the code, on top of timeout_s
UNCONFINED_ENV = "SYNTHLOOM_ALLOW_UNCONFINED_VALIDATORS"


class _Broken(Exception):
    """The process broke the protocol or died; the message is the cell's rejection reason."""


def _cap(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[:MAX_REASON] + f"... ({len(text)} characters)"


def _interpreter() -> str:
    """This very interpreter. When its path is not ours to follow (a venv whose interpreter sits
    in another user's home), the kernel's link to the running binary still is; argv[0] keeps the
    venv's path so the child finds the same site-packages."""
    if os.access(sys.executable, os.X_OK) or not os.path.exists("/proc/self/exe"):
        return sys.executable
    return "/proc/self/exe"


class SandboxWorker:
    def __init__(self, code: str, *, timeout_s: float, memory_mb: int, column: str = "validator",
                 allow_unconfined: bool | None = None, startup_s: float = STARTUP_S):
        self.code = code
        self.startup_s = startup_s + timeout_s
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.column = column
        self.allow_unconfined = (os.environ.get(UNCONFINED_ENV) == "1") if allow_unconfined is None else allow_unconfined
        # the kernel kills the process past cpu_s seconds of CPU; it is recycled well before an
        # honest validator gets there (calls are bounded by timeout_s, which is <= cpu_s / 4)
        self.cpu_s = int(max(30.0, 4 * timeout_s)) + 1
        self.confinement: str | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.answers: asyncio.StreamReader | None = None
        self._transport: asyncio.BaseTransport | None = None
        self.lock = asyncio.Lock()
        self._seq = 0
        self._busy_s = 0.0

    async def start(self) -> None:
        """Start the process and load the code; a failure is a recipe error."""
        try:
            await self._start()
        except _Broken as exc:
            raise SynthloomError(f"validator column '{self.column}': {exc}") from None

    async def _start(self) -> None:
        await self._kill()
        if not sys.platform.startswith("linux") and not self.allow_unconfined:
            raise _Broken(self._refusal(f"this system is {sys.platform}, not Linux"))
        scratch = tempfile.mkdtemp(prefix="synthloom-validator-")
        read_fd, write_fd = os.pipe()
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-I", "-B", str(RUNNER), str(write_fd), str(os.getpid()),
                str(self.memory_mb), str(self.cpu_s), str(int(self.allow_unconfined)),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL, env={}, cwd=scratch,
                start_new_session=True, pass_fds=(write_fd,), executable=_interpreter(),
            )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
            # the process has its working directory by now (it is set before exec); an empty
            # folder removed at once leaks nothing even if this process is killed
            shutil.rmtree(scratch, ignore_errors=True)
        loop = asyncio.get_running_loop()
        self.answers = asyncio.StreamReader(limit=MAX_ANSWER + 8)
        self._transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(self.answers), os.fdopen(read_fd, "rb", buffering=0))
        self._busy_s = 0.0
        started = time.monotonic()
        self._send({"code": self.code})
        try:
            ready = await asyncio.wait_for(self._read(), self.startup_s)
        except (asyncio.TimeoutError, TimeoutError):
            await self._kill()
            raise _Broken(f"its code did not finish loading within {self.startup_s:g} s "
                          "(an endless loop at module level?); make loading quick") from None
        except _Broken as exc:
            code = await self._wait_dead()
            raise _Broken(f"its code cannot be loaded ({exc or self._death(code)})") from None
        self._busy_s += time.monotonic() - started
        if ready.get("unconfined"):
            await self._kill()
            raise _Broken(self._refusal(str(ready["unconfined"])))
        if not ready.get("ready"):
            await self._kill()
            raise _Broken(_cap(f"its code cannot be loaded ({ready.get('error')}); it must define validate(value, row)"))
        self.confinement = str(ready.get("confinement"))

    @staticmethod
    def _refusal(why: str) -> str:
        return _cap(f"python validators run only under the kernel's confinement (seccomp), which is not "
                    f"available here ({why}); to run them unconfined at your own risk, set {UNCONFINED_ENV}=1")

    def _send(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        data = json.dumps(message, default=str).encode()
        self.proc.stdin.write(struct.pack(">I", len(data)) + data)

    async def _read(self) -> dict[str, Any]:
        assert self.answers is not None
        try:
            head = await self.answers.readexactly(4)
            size = struct.unpack(">I", head)[0]
            if size > MAX_ANSWER:
                raise _Broken(f"validator sent an answer of {size} bytes, over the limit of {MAX_ANSWER}")
            message = json.loads(await self.answers.readexactly(size))
        except asyncio.IncompleteReadError:
            raise _Broken("") from None  # the process died: the caller names how
        except (ValueError, UnicodeDecodeError):
            raise _Broken("validator sent an answer that is not JSON") from None
        if not isinstance(message, dict):
            raise _Broken("validator sent an answer that is not a JSON object")
        return message

    def _death(self, code: int | None) -> str:
        how = f" (signal {-code})" if code is not None and code < 0 else ""
        return f"validator process died{how}: memory limit {self.memory_mb} MB, CPU limit, or a forbidden call"

    async def validate(self, value: Any, row: dict[str, Any]) -> str | None:
        """None when valid, else the reason (capped at MAX_REASON characters)."""
        async with self.lock:
            if self.proc is None or self.proc.returncode is not None or self._busy_s > self.cpu_s / 2:
                try:
                    await self._start()
                except _Broken as exc:
                    return _cap(f"validator could not restart: {exc}")
            self._seq += 1
            seq = self._seq
            started = time.monotonic()
            try:
                self._send({"seq": seq, "value": value, "row": row})
                answer = await asyncio.wait_for(self._answer(seq), self.timeout_s)
            except (asyncio.TimeoutError, TimeoutError):
                await self._kill()
                return f"validator timed out after {self.timeout_s:g}s"
            except (BrokenPipeError, ConnectionResetError):
                return self._death(await self._wait_dead())
            except _Broken as exc:
                if str(exc):  # it broke the protocol: no need to wait for it
                    await self._kill()
                    return _cap(str(exc))
                return self._death(await self._wait_dead())
            finally:
                self._busy_s += time.monotonic() - started
            if answer.get("ok") is True:
                return None
            return _cap(str(answer.get("error") or "validator rejected the value"))

    async def _answer(self, seq: int) -> dict[str, Any]:
        while True:  # frames the user's code forged on the pipe carry another seq: skipped
            message = await self._read()
            if message.get("seq") == seq:
                return message

    async def _wait_dead(self) -> int | None:
        """After a broken answer: let a dying process report how it ended, then make sure."""
        code = None
        if self.proc is not None:
            try:
                code = await asyncio.wait_for(self.proc.wait(), 1.0)
            except (asyncio.TimeoutError, TimeoutError):
                pass
        await self._kill()
        return code

    async def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.returncode is None:
                try:
                    proc.kill()
                except ProcessLookupError:
                    pass
            await proc.wait()
        if self._transport is not None:
            self._transport.close()
        self._transport = self.answers = None

    async def aclose(self) -> None:
        if self.proc is not None and self.proc.returncode is None and self.proc.stdin:
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 2)
            except (asyncio.TimeoutError, TimeoutError):
                pass
        await self._kill()
