"""Runs a user's Python validator in its own process (started by sandbox.py with `python -I -B`).

Limits: address space (RLIMIT_AS); no sockets, no new processes, no ctypes, no file writes
(enforced by an audit hook, which cannot be removed once installed). The wall-clock limit
is enforced by the parent, which kills this process. Reads JSON lines on stdin, answers
JSON lines on the original stdout; the user's prints go to stderr."""

import json
import os
import resource
import sys

BLOCKED_PREFIXES = (
    "socket.", "subprocess.", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork",
    "os.forkpty", "pty.", "ctypes.", "os.kill", "os.putenv", "winreg.", "urllib.Request", "http.client.",
)
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event, args):
    if event.startswith(BLOCKED_PREFIXES):
        raise PermissionError(f"{event} is not allowed in a validator (no network, no processes)")
    if event == "open":
        mode, flags = args[1], args[2]
        writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & WRITE_FLAGS)
        if writing:
            raise PermissionError("writing files is not allowed in a validator")


def main():
    memory = int(sys.argv[1]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout = sys.stderr
    code = json.loads(sys.stdin.readline())["code"]
    sys.addaudithook(_audit)
    namespace = {"__name__": "validator"}
    try:
        exec(compile(code, "<validator>", "exec"), namespace)
        validate = namespace["validate"]
        if not callable(validate):
            raise TypeError("`validate` is not a function")
    except BaseException as exc:  # report any load failure to the parent, then stop
        message = "the code defines no `validate(value, row)` function" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        channel.write(json.dumps({"ready": False, "error": message}) + "\n")
        return
    channel.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            result = validate(request["value"], request["row"])
            if result is True or result is None:
                answer = {"ok": True}
            elif result is False:
                answer = {"ok": False, "error": "validate() returned False"}
            else:
                answer = {"ok": False, "error": str(result)}
        except MemoryError:
            answer = {"ok": False, "error": "validator ran out of memory"}
        except BaseException as exc:
            answer = {"ok": False, "error": f"validator raised {type(exc).__name__}: {exc}"}
        channel.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
