"""Runs a user's Python validator in its own process, started by sandbox.py as
`python -I -B sandbox_runner.py ANSWER_FD PARENT_PID MEMORY_MB CPU_S UNCONFINED_OK` with an empty
environment, a scratch working directory, its own session, and stdout/stderr on /dev/null.

Frames in both directions are a 4-byte big-endian length then JSON. Requests arrive on stdin
(the first one carries the code); answers leave on the private pipe ANSWER_FD, never on fd 1,
so whatever the user's code prints cannot be taken for an answer. The code is compiled, then
sandbox_confine.py confines this process, then the code runs: its module level is confined too."""

import json
import os
import struct
import sys

MAX_ANSWER = 1 << 20  # bytes of one answer; sandbox.py enforces the same bound


def _read_exactly(n):
    chunks, left = [], n
    while left:
        chunk = os.read(0, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_frame():
    head = _read_exactly(4)
    if head is None:
        return None
    body = _read_exactly(struct.unpack(">I", head)[0])
    return None if body is None else json.loads(body)


def _send(fd, message):
    data = json.dumps(message, default=str).encode()
    if len(data) > MAX_ANSWER:
        data = json.dumps({
            "seq": message.get("seq"), "ok": False,
            "error": f"the validator's answer is {len(data)} bytes, over the limit of {MAX_ANSWER}",
        }).encode()
    frame = struct.pack(">I", len(data)) + data
    while frame:
        frame = frame[os.write(fd, frame):]


def _load(code, namespace):
    try:
        exec(code, namespace)
        validate = namespace["validate"]
        if not callable(validate):
            raise TypeError("`validate` is not a function")
        return validate, None
    except KeyError:
        return None, "the code defines no `validate(value, row)` function"
    except BaseException as exc:  # report any load failure to the parent, then stop
        return None, f"{type(exc).__name__}: {exc}"


def main():
    answer_fd, parent_pid, memory_mb, cpu_s, unconfined_ok = (int(a) for a in sys.argv[1:6])
    os.set_inheritable(answer_fd, False)
    first = _read_frame()
    if first is None:
        return
    try:
        code = compile(first["code"], "<validator>", "exec")
    except BaseException as exc:
        _send(answer_fd, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    # numerical libraries start no thread pools: this process may not create threads
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import sandbox_confine
    finally:
        del sys.path[0]
    try:
        confinement = sandbox_confine.confine(parent_pid=parent_pid, memory_mb=memory_mb, cpu_s=cpu_s)
    except BaseException as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if not unconfined_ok:
            _send(answer_fd, {"ready": False, "unconfined": reason})
            return
        for keep in (lambda: sandbox_confine.die_with_parent(parent_pid),
                     lambda: sandbox_confine.set_limits(memory_mb=memory_mb, cpu_s=cpu_s)):
            try:  # what this system offers of them (another OS may have neither)
                keep()
            except (OSError, AttributeError, ValueError):
                pass
        confinement = f"none ({reason})"
    validate, error = _load(code, {"__name__": "validator"})
    if validate is None:
        _send(answer_fd, {"ready": False, "error": error})
        return
    _send(answer_fd, {"ready": True, "confinement": confinement})
    while True:
        request = _read_frame()
        if request is None:
            return
        answer = {"seq": request["seq"], "ok": True}
        try:
            result = validate(request["value"], request["row"])
            if result is False:
                answer.update(ok=False, error="validate() returned False")
            elif not (result is True or result is None):
                answer.update(ok=False, error=str(result))
        except MemoryError:
            answer.update(ok=False, error="validator ran out of memory")
        except BaseException as exc:
            answer.update(ok=False, error=f"validator raised {type(exc).__name__}: {exc}")
        _send(answer_fd, answer)


if __name__ == "__main__":
    main()
