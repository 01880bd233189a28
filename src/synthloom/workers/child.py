"""The worker side: `python -m synthloom.workers.child PARENT_PID`.

Reads `(fn, args, kwargs)` calls from its stdin and answers each with `("ok", result)` or
`("error", exception or None, "Type: message", traceback text)`. File descriptor 1 is moved
to stderr first, so a C library that prints cannot corrupt the answers."""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
import traceback

from synthloom.workers import frames

PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the prctl took effect
        os._exit(0)


def _private_pipes() -> tuple[object, object]:
    answers = os.fdopen(os.dup(1), "wb")
    calls = os.fdopen(os.dup(0), "rb")
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return calls, answers


def _error_reply(exc: BaseException) -> tuple:
    summary = f"{type(exc).__name__}: {exc}".rstrip(": ")
    text = "".join(traceback.format_exception(exc))
    try:
        pickle.dumps(exc)
        carried: BaseException | None = exc
    except Exception:  # an exception that cannot cross the pipe still gives its summary
        carried = None
    return ("error", carried, summary, text)


def main() -> None:
    _die_with_parent(int(sys.argv[1]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    calls, answers = _private_pipes()
    while True:
        ok, call = frames.receive(calls)
        if not ok:
            return
        fn, args, kwargs = call
        try:
            reply = ("ok", fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the caller
            reply = _error_reply(exc)
        try:
            frames.send(answers, reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            frames.send(answers, _error_reply(TypeError(f"the result of {fn.__qualname__} cannot be sent back: {exc}")))


if __name__ == "__main__":
    main()
