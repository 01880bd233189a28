"""Red team: a recipe's `type: python` validator is hostile code. Each test is one escape; each
asserts the attack is blocked AND the run goes on (a real generate run, or the validator column
API, with a fresh process after every failure). The threat model is docs/security.md."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from synthloom.config import load_recipe
from synthloom.config.errors import SynthloomError
from synthloom.data.runs.run_store import open_existing
from synthloom.generate import generate_run
from synthloom.generate.sandbox import SandboxWorker

# Disarms the audit hook the validator runner used to rely on (harmless against the kernel).
DISARM = """
import builtins, sys
main = sys.modules.get("__main__")
if main is not None and hasattr(main, "BLOCKED_PREFIXES"):
    main.BLOCKED_PREFIXES = ()
builtins.any = lambda *_: False
"""


def _validator(attack: str) -> str:
    """Code whose validate(value, row) runs `attack()` on the value 'attack' and accepts 'ok'."""
    return (textwrap.dedent(attack) + "\n\ndef validate(value, row):\n"
            "    if value == 'attack':\n        return str(attack())\n    return True\n")


def _run(tmp_path: Path, code: str, *, timeout_s: float = 3.0, memory_mb: int = 256):
    """A real generate run: rows are 'attack' or 'ok'; returns (summary, reasons, run files' bytes)."""
    recipe = {
        "name": "redteam", "seed": 1, "target_rows": 4, "batch_size": 4, "concurrent_batches": 1,
        "output_dir": str(tmp_path / "runs"), "max_batches": 8,
        "columns": [
            {"name": "kind", "kind": "sampler", "type": "category", "values": ["attack", "ok"]},
            {"name": "check", "kind": "validator", "type": "python", "target": "kind", "code": code,
             "timeout_s": timeout_s, "memory_mb": memory_mb},
        ],
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    summary = asyncio.run(generate_run(load_recipe(path)))
    assert summary.status == "complete" and summary.accepted == 4  # the run went on
    store = open_existing(summary.run_dir)
    reasons = [r["_reason"] for r in store.read_rejected().to_pylist()]
    store.close()
    assert reasons and all(r.startswith("kind: ") for r in reasons)
    files = b"".join(p.read_bytes() for p in summary.run_dir.rglob("*") if p.is_file())
    return summary, reasons, files


def _worker_calls(code: str, values: list, **kw) -> list:
    async def go():
        worker = SandboxWorker(code, timeout_s=kw.pop("timeout_s", 3.0), memory_mb=kw.pop("memory_mb", 256), **kw)
        await worker.start()
        try:
            return [await worker.validate(v, {}) for v in values]
        finally:
            await worker.aclose()

    return asyncio.run(go())


def test_audit_hook_state_cannot_be_reached_to_allow_writes(tmp_path):
    marker = tmp_path / "written-after-disarming"
    _, reasons, _ = _run(tmp_path, _validator(f"""
        import os, sys
        def attack():
            sys.modules["__main__"].BLOCKED_PREFIXES = ()
            sys.modules["__main__"].WRITE_FLAGS = 0  # the hook's own state
            os.write(os.open({str(marker)!r}, os.O_WRONLY | os.O_CREAT), b"escaped")
            return "wrote"
    """))
    assert not marker.exists()
    assert all("Operation not permitted" in r for r in reasons)


def test_replaced_builtins_do_not_open_writes(tmp_path):
    marker = tmp_path / "written-after-replacing-any"
    _, reasons, _ = _run(tmp_path, _validator(f"""
        import builtins
        def attack():
            builtins.any = lambda *_: False
            open({str(marker)!r}, "a").write("escaped")
            return "wrote"
    """))
    assert not marker.exists()
    assert all("Operation not permitted" in r for r in reasons)


def test_process_through_posixsubprocess_without_audit_event(tmp_path):
    marker = tmp_path / "spawned"
    _, reasons, _ = _run(tmp_path, _validator(f"""
        import os, _posixsubprocess
        def attack():
            r, w = os.pipe()
            pid = _posixsubprocess.fork_exec(
                [b"/bin/sh", b"-c", b"touch {marker}"], [b"/bin/sh"], True, (w,), None, None,
                -1, -1, -1, -1, -1, -1, r, w, True, False, -1, None, None, None, -1, None, False)
            os.waitpid(pid, 0)
            return "spawned " + str(pid)
    """))
    time.sleep(0.2)
    assert not marker.exists()
    assert all("Operation not permitted" in r for r in reasons)


def test_process_through_posix_spawn_and_ctypes_fork(tmp_path):
    marker = tmp_path / "spawned"
    _, reasons, _ = _run(tmp_path, _validator(DISARM + f"""
import ctypes, os
def attack():
    out = []
    try:
        os.posix_spawn("/bin/sh", ["sh", "-c", "touch {marker}"], {{}})
        out.append("posix_spawn ran")
    except OSError as exc:
        out.append(f"posix_spawn {{exc.errno}}")
    pid = ctypes.CDLL(None).fork()
    if pid == 0:
        os._exit(0)
    out.append(f"fork={{pid}}")
    return " ".join(out)
"""))
    time.sleep(0.2)
    assert not marker.exists()
    assert all("posix_spawn 1" in r and "fork=-1" in r for r in reasons)


def test_sqlite3_cannot_write_a_database_file(tmp_path):
    db = tmp_path / "dropped.db"
    _, reasons, _ = _run(tmp_path, _validator(f"""
        import sqlite3
        def attack():
            con = sqlite3.connect({str(db)!r})
            con.execute("create table t (x)")
            con.commit()
            return "wrote a database"
    """))
    assert not db.exists()
    assert all("unable to open database file" in r for r in reasons)


def test_delete_rename_truncate_symlink_are_denied(tmp_path):
    victims = {name: tmp_path / name for name in ("delete-me", "rename-me", "truncate-me")}
    for victim in victims.values():
        victim.write_text("precious")
    link = tmp_path / "link"
    _, reasons, _ = _run(tmp_path, _validator(DISARM + f"""
import os
def attack():
    out = []
    for name, call in (("unlink", lambda: os.unlink({str(victims['delete-me'])!r})),
                       ("rename", lambda: os.rename({str(victims['rename-me'])!r}, {str(tmp_path / 'renamed')!r})),
                       ("truncate", lambda: os.truncate({str(victims['truncate-me'])!r}, 0)),
                       ("symlink", lambda: os.symlink("/etc/passwd", {str(link)!r})),
                       ("mkdir", lambda: os.mkdir({str(tmp_path / 'newdir')!r}))):
        try:
            call()
            out.append(name + " done")
        except OSError as exc:
            out.append(f"{{name}} {{exc.errno}}")
    return " ".join(out)
"""))
    assert all(v.read_text() == "precious" for v in victims.values())
    assert not link.is_symlink() and not (tmp_path / "renamed").exists() and not (tmp_path / "newdir").exists()
    assert all("done" not in r for r in reasons)


def test_pidfd_and_kill_cannot_signal_the_parent(tmp_path):
    received = []
    previous = signal.signal(signal.SIGUSR1, lambda *_: received.append(1))
    try:
        _, reasons, _ = _run(tmp_path, _validator(DISARM + """
import os, signal
def attack():
    out = []
    try:
        fd = os.pidfd_open(os.getppid())
        signal.pidfd_send_signal(fd, signal.SIGUSR1)
        out.append("pidfd sent")
    except OSError as exc:
        out.append(f"pidfd {exc.errno}")
    try:
        os.kill(os.getppid(), signal.SIGUSR1)
        out.append("kill sent")
    except OSError as exc:
        out.append(f"kill {exc.errno}")
    return " ".join(out)
"""))
        time.sleep(0.2)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert received == []
    assert all("sent" not in r for r in reasons)


def test_environment_secrets_never_reach_rejected(tmp_path, monkeypatch):
    secret = "sk-redteam-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    _, reasons, files = _run(tmp_path, _validator("""
        import os
        def attack():
            out = [repr(dict(os.environ))]
            for path in (f"/proc/{os.getppid()}/environ", "/proc/1/environ"):
                try:
                    out.append(open(path, "rb").read().decode("latin-1"))
                except OSError as exc:
                    out.append(f"{path}: {exc.errno}")
            return " | ".join(out)
    """))
    assert secret not in " ".join(reasons)
    assert secret.encode() not in files
    assert all("OPENAI_API_KEY" not in r for r in reasons)


def test_files_outside_python_folders_cannot_be_read_into_rejected(tmp_path):
    secret_file = tmp_path / "credentials"
    secret_file.write_text("hunter2-redteam")
    _, reasons, files = _run(tmp_path, _validator(f"""
        def attack():
            return open({str(secret_file)!r}).read()
    """))
    assert b"hunter2-redteam" not in files
    assert all("Permission denied" in r for r in reasons)


def test_import_time_endless_loop_is_a_clear_error_not_a_hang():
    async def go():
        worker = SandboxWorker("while True:\n    pass\n", timeout_s=0.5, memory_mb=256, startup_s=1.0)
        with pytest.raises(SynthloomError, match="did not finish loading"):
            await worker.start()
        assert worker.proc is None
        # the caller goes on: another validator starts and answers
        good = SandboxWorker("def validate(v, r):\n    return v > 0\n", timeout_s=2, memory_mb=256)
        await good.start()
        try:
            return [await good.validate(1, {}), await good.validate(0, {})]
        finally:
            await good.aclose()

    assert asyncio.run(go()) == [None, "validate() returned False"]


def _pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


PARENT_SCRIPT = """
import asyncio, sys
from synthloom.generate.sandbox import SandboxWorker
async def main():
    worker = SandboxWorker("def validate(v, r):\\n    while True:\\n        pass\\n", timeout_s=600, memory_mb=256)
    await worker.start()
    print(worker.proc.pid, flush=True)
    await worker.validate(1, {})
asyncio.run(main())
"""


def test_validator_dies_when_its_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", PARENT_SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        time.sleep(0.3)  # the child is now spinning inside validate()
        assert _pid_alive(child)
        # its scratch folder is already gone: a killed parent leaves nothing behind
        assert os.readlink(f"/proc/{child}/cwd").endswith("(deleted)")
    finally:
        parent.kill()
        parent.wait()
    for _ in range(100):
        if not _pid_alive(child):
            break
        time.sleep(0.05)
    alive = _pid_alive(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive


def test_prints_on_stdout_and_forged_frames_do_not_desync_answers():
    code = """
import json, os, struct, sys
def validate(value, row):
    print('{"ok": true}')
    os.write(1, b'{"ok": true}\\n')
    os.write(2, b'{"ok": true}\\n')
    forged = json.dumps({"seq": -1, "ok": True}).encode()
    os.write(int(sys.argv[1]), struct.pack(">I", len(forged)) + forged)
    return value % 2 == 0
"""
    answers = _worker_calls(code, [0, 1, 2, 3, 4])
    assert answers == [None, "validate() returned False", None, "validate() returned False", None]


def test_20mb_answer_is_a_rejected_cell(tmp_path):
    _, reasons, _ = _run(tmp_path, _validator("""
        import os, struct, sys
        calls = [0]
        def attack():
            calls[0] += 1
            if calls[0] % 2:
                return "x" * (20 * 1024 * 1024)
            # straight onto the answer pipe, past the runner's own check
            os.write(int(sys.argv[1]), struct.pack(">I", 20 * 1024 * 1024) + b"x" * 65536)
            return "raw"
    """), memory_mb=512)
    assert all("over the limit of 1048576" in r for r in reasons)
    assert all(len(r) < 1000 for r in reasons)


def test_rejection_reason_is_capped():
    [reason] = _worker_calls("def validate(v, r):\n    return 'y' * 100_000\n", [1])
    assert reason.startswith("yyy") and len(reason) < 600 and "100000 characters" in reason


def test_network_connect_to_a_local_listener_is_refused(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        _, reasons, _ = _run(tmp_path, _validator(DISARM + f"""
import socket
def attack():
    socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"exfiltrated")
    return "connected"
"""))
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
    assert all("Operation not permitted" in r for r in reasons)


def test_fork_bomb_forks_nothing(tmp_path):
    _, reasons, _ = _run(tmp_path, _validator(DISARM + """
import os
def attack():
    forks = 0
    for _ in range(20):
        try:
            pid = os.fork()
        except OSError:
            continue
        if pid == 0:
            os._exit(0)
        forks += 1
        os.waitpid(pid, 0)
    return f"forks={forks}"
"""))
    assert all(r == "kind: forks=0" for r in reasons)


def test_memory_bomb_is_a_rejected_cell(tmp_path):
    _, reasons, _ = _run(tmp_path, _validator("""
        def attack():
            hog = []
            while True:
                hog.append(bytearray(64 * 1024 * 1024))
    """), memory_mb=256)
    assert all("memory" in r for r in reasons)


def test_writes_outside_and_inside_scratch_are_denied(tmp_path):
    outside = tmp_path / "outside.txt"
    _, reasons, _ = _run(tmp_path, _validator(DISARM + f"""
import os
def attack():
    out = []
    for name, call in (("open", lambda: open({str(outside)!r}, "w")),
                       ("os.open", lambda: os.open({str(outside)!r}, os.O_WRONLY | os.O_CREAT)),
                       ("scratch", lambda: open("here.txt", "w")),
                       ("proc-mem", lambda: open("/proc/self/mem", "r+b"))):
        try:
            call()
            out.append(name + " opened")
        except OSError as exc:
            out.append(f"{{name}} {{exc.errno}}")
    return " ".join(out)
"""))
    assert not outside.exists()
    assert all("opened" not in r for r in reasons)


def test_raw_syscalls_for_io_uring_ptrace_and_prctl_are_denied(tmp_path):
    # io_uring would run file operations seccomp never sees; prctl would clear the death signal
    _, reasons, _ = _run(tmp_path, _validator(DISARM + """
import ctypes, os
def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    params = ctypes.create_string_buffer(120)
    out = []
    for name, call in (("io_uring_setup", lambda: libc.syscall(425, 8, params)),
                       ("ptrace", lambda: libc.syscall(101, 16, os.getppid(), 0, 0)),
                       ("prctl", lambda: libc.prctl(1, 0, 0, 0, 0))):
        out.append(f"{name}={call()}")
    return " ".join(out)
"""))
    assert all(r == "kind: io_uring_setup=-1 ptrace=-1 prctl=-1" for r in reasons)


def test_sysv_shared_memory_and_message_queues_are_denied(tmp_path):
    # other processes of the same user could be reached through them
    _, reasons, _ = _run(tmp_path, _validator(DISARM + """
import ctypes
def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    shm, msg = libc.shmget(0, 4096, 0o1600), libc.msgget(0, 0o1600)
    if shm >= 0:
        libc.shmctl(shm, 0, None)  # IPC_RMID: leave the machine as it was
    if msg >= 0:
        libc.msgctl(msg, 0, None)
    return f"shmget={shm} msgget={msg}"
"""))
    assert all(r == "kind: shmget=-1 msgget=-1" for r in reasons)


def test_a_crash_by_signal_is_a_rejected_cell_and_the_worker_restarts(tmp_path):
    _, reasons, _ = _run(tmp_path, _validator("""
        import os, signal
        def attack():
            os.kill(os.getpid(), signal.SIGSEGV)
    """))
    assert all("validator process died (signal 11)" in r for r in reasons)


@pytest.mark.parametrize("limit", [{"memory_mb": 10**9}, {"timeout_s": 10**9}])
def test_a_recipe_cannot_lift_the_validators_limits(tmp_path, limit):
    column = {"name": "check", "kind": "validator", "type": "python", "target": "kind",
              "code": "def validate(v, r):\n    return True\n", **limit}
    recipe = {"name": "redteam", "target_rows": 2, "output_dir": str(tmp_path / "runs"),
              "columns": [{"name": "kind", "kind": "sampler", "type": "category", "values": ["ok"]}, column]}
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    with pytest.raises(SynthloomError, match=next(iter(limit))):
        load_recipe(path)


UNPRIVILEGED_SCRIPT = """
import asyncio, os, sys
from synthloom.generate.sandbox import SandboxWorker
CODE = '''
import os, signal
def validate(value, row):
    out = [str(os.getuid())]
    for name, call in (("environ", lambda: open(f"/proc/{os.getppid()}/environ").read()),
                       ("pidfd", lambda: signal.pidfd_send_signal(os.pidfd_open(os.getppid()), signal.SIGTERM)),
                       ("write", lambda: open("/tmp/redteam-unprivileged-" + str(os.getppid()), "w")),
                       ("fork", lambda: os.fork())):
        try:
            out.append(f"{name}:{call()!r}")
        except OSError as exc:
            out.append(f"{name}:errno{exc.errno}")
    return " ".join(out)
'''
async def main():
    worker = SandboxWorker(CODE, timeout_s=5, memory_mb=256)
    await worker.start()
    print(worker.confinement)
    print(await worker.validate(1, {}))
    print(await worker.validate(2, {}))
    await worker.aclose()
asyncio.run(main())
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="this test itself is unprivileged; the others run as this user")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="util-linux's setpriv is not installed")
def test_unprivileged_user_gets_the_same_confinement():
    probe = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                            "import synthloom.generate.sandbox"], capture_output=True, text=True, timeout=60, cwd="/")
    if probe.returncode != 0:  # e.g. a checkout inside a folder only root may enter
        pytest.skip(f"uid 65534 cannot import this checkout ({probe.stderr.strip().splitlines()[-1:]})")
    secret = "sk-redteam-unprivileged-42"
    env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": secret}
    done = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", UNPRIVILEGED_SCRIPT],
        capture_output=True, text=True, timeout=120, env=env, cwd="/",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    confinement, first, second = done.stdout.splitlines()[:3]
    assert confinement.startswith("seccomp")
    expected = "65534 environ:errno13 pidfd:errno1 write:errno1 fork:errno1"
    assert first == expected and second == expected  # the parent survived and the worker answers
    assert secret not in done.stdout


SECCOMP_MISSING_SCRIPT = """
import asyncio, errno, sys
import pyseccomp as sc
# this process (and so the validator's) may not load seccomp filters, as on kernels without it
f = sc.SyscallFilter(sc.ALLOW)
f.add_rule(sc.ERRNO(errno.EINVAL), "seccomp")
f.add_rule(sc.ERRNO(errno.EINVAL), "prctl", sc.Arg(0, sc.EQ, 22))
f.load()
from synthloom.config.errors import SynthloomError
from synthloom.generate.sandbox import SandboxWorker
CODE = "def validate(v, r):\\n    return v > 0\\n"
async def main():
    try:
        await SandboxWorker(CODE, timeout_s=5, memory_mb=256).start()
        print("ran unconfined")
    except SynthloomError as exc:
        print("refused:", exc)
    worker = SandboxWorker(CODE, timeout_s=5, memory_mb=256, allow_unconfined=True)
    await worker.start()
    print("opted in:", worker.confinement.split(" ")[0], await worker.validate(0, {}))
    await worker.aclose()
asyncio.run(main())
"""


def test_without_seccomp_validators_refuse_to_run_unless_opted_in():
    done = subprocess.run([sys.executable, "-c", SECCOMP_MISSING_SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    refused, opted = done.stdout.splitlines()[:2]
    assert refused.startswith("refused:") and "SYNTHLOOM_ALLOW_UNCONFINED_VALIDATORS=1" in refused
    assert "seccomp" in refused
    assert opted == "opted in: none validate() returned False"
