"""A pool of worker processes that run module-level functions of importable modules.

Each worker is served by one thread of the parent that owns its pipe; calls wait in one queue,
so a free worker takes the next. A worker starts at its first call and runs the pool's `init`
first (loading a model, say). When `init` fails, the pool fails every call with the worker's
own exception, since a second worker would fail the same way. A worker that dies is replaced
at the next call."""

from __future__ import annotations

import itertools
import os
import queue
import signal
import subprocess
import sys
import threading
import weakref
from collections import deque
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable, Iterable

from synthloom.workers import frames

_STDERR_LINES = 40


class RemoteError(Exception):
    """The traceback of an exception raised inside a worker, chained as its cause."""


class WorkerStartError(RuntimeError):
    """A worker could not start or run the pool's `init`; `cause` is its own "Type: message"."""

    def __init__(self, pool: str, cause: str, log: list[str]):
        self.cause = cause
        self.log = log
        super().__init__(f"{pool}: a worker failed to start: {cause}")


class WorkerDied(RuntimeError):
    """A worker process ended in the middle of a call."""


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class _Worker:
    """One child process and the parent's end of its pipes."""

    def __init__(self, env: dict[str, str]):
        if not sys.executable:
            raise WorkerStartError("worker", "this Python does not know its own executable (sys.executable)", [])
        # -P: the caller's folder is not put on the child's path, so a `json.py` there shadows nothing
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "synthloom.workers.child", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, close_fds=True,
        )
        self.stderr: deque[str] = deque(maxlen=_STDERR_LINES)
        self._drain = threading.Thread(target=self._read_stderr, name="synthloom-worker-stderr", daemon=True)
        self._drain.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.stderr.append(raw.decode("utf-8", "replace").rstrip())

    def log(self) -> list[str]:
        self._drain.join(timeout=2)  # the last lines arrive as the process ends
        return [line for line in self.stderr if line.strip()]

    def call(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[bool, Any]:
        """(True, result), or (False, (exception or None, summary, traceback text))."""
        frame = frames.pack((fn, args, kwargs))  # an unpicklable argument fails the call, not the worker
        try:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(frame)
            self.proc.stdin.flush()
            ok, reply = frames.receive(self.proc.stdout)
        except (BrokenPipeError, ConnectionResetError):
            ok, reply = False, None
        if not ok:
            raise WorkerDied(self._exit_story())
        status, *payload = reply
        if status == "ok":
            return True, payload[0]
        return False, tuple(payload)

    def _exit_story(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = None
        log = self.log()
        tail = f"; its last output: {log[-1]}" if log else ""
        return f"the worker process {_describe_exit(code)}{tail}"

    def stop(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()  # end of calls: the child returns
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


def _raise_remote(payload: tuple) -> None:
    exc, summary, text = payload
    if exc is None:
        raise RemoteError(summary)
    exc.__cause__ = RemoteError(f"\n\n(in the worker process)\n{text}")
    raise exc


class WorkerPool:
    """`size` worker processes; `submit(fn, ...)` returns a concurrent.futures.Future.

    `fn` and `init` must be module-level functions of an importable module (never `__main__`,
    which the worker does not import); arguments and results travel pickled."""

    _ids = itertools.count(1)

    def __init__(self, size: int, *, name: str = "workers", init: Callable[..., Any] | None = None,
                 init_args: tuple = (), env: dict[str, str] | None = None):
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        for fn in (init,) if init else ():
            _check_importable(fn)
        self.name = name
        self.size = size
        self._init = init
        self._init_args = init_args
        self._env = _child_env(env or {})
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self.start_error: WorkerStartError | None = None
        # at exit, don't wait for a call in flight: the workers end with this process anyway
        self._finalizer = weakref.finalize(self, _stop_threads, self._calls, self._threads, False)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        _check_importable(fn)
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name}: the worker pool is shut down")
            if self.start_error is not None:
                future.set_exception(self.start_error)
                return future
            if len(self._threads) < self.size:
                self._add_thread()
            self._calls.put((future, fn, args, kwargs))
        return future

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> list[Any]:
        """Results in the order of the arguments; the first failure is raised."""
        futures = [self.submit(fn, *args) for args in zip(*iterables)]
        return [f.result() for f in futures]

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            if cancel_futures:
                while True:
                    try:
                        item = self._calls.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        item[0].cancel()
        _stop_threads(self._calls, self._threads, wait)

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    def _add_thread(self) -> None:
        thread = threading.Thread(target=self._serve, name=f"synthloom-{self.name}-{next(self._ids)}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _start_worker(self) -> _Worker:
        worker = _Worker(self._env)
        if self._init is None:
            return worker
        try:
            ok, payload = worker.call(self._init, self._init_args, {})
        except WorkerDied as exc:
            raise WorkerStartError(self.name, str(exc), worker.log()) from None
        if not ok:
            worker.stop()
            raise WorkerStartError(self.name, payload[1], worker.log())
        return worker

    def _serve(self) -> None:
        worker: _Worker | None = None
        try:
            while True:
                item = self._calls.get()
                if item is None:
                    return
                future, fn, args, kwargs = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    if self.start_error is not None:
                        raise self.start_error
                    if worker is None:
                        worker = self._start_worker()
                    ok, payload = worker.call(fn, args, kwargs)
                    if ok:
                        future.set_result(payload)
                    else:
                        _raise_remote(payload)
                except WorkerStartError as exc:
                    self.start_error = exc
                    future.set_exception(exc)
                except WorkerDied as exc:
                    worker = None  # the next call starts a fresh one
                    future.set_exception(exc)
                except BaseException as exc:  # noqa: BLE001 - the caller's exception, delivered
                    future.set_exception(exc)
        finally:
            if worker is not None:
                worker.stop()


def _stop_threads(calls: queue.SimpleQueue, threads: list[threading.Thread], wait: bool = True) -> None:
    for _ in threads:
        calls.put(None)
    if wait:
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()


def _check_importable(fn: Callable[..., Any]) -> None:
    module = getattr(fn, "__module__", None)
    if module in (None, "__main__", "__mp_main__") or "<locals>" in getattr(fn, "__qualname__", "<locals>"):
        raise TypeError(f"{getattr(fn, '__qualname__', fn)!r} must be a module-level function of an importable "
                        "module to run in a worker process")


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    # The child must import this same synthloom, wherever the parent found it.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_root(), env.get("PYTHONPATH", "")) if p)
    return env
