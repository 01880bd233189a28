"""synthloom's worker processes: they never import the caller's `__main__`, report a failure
inside them as it was, survive a worker's death, and die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from synthloom.workers import RemoteError, WorkerDied, WorkerPool, WorkerStartError


def _run_script(tmp_path, code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=timeout)


def test_a_script_without_a_main_guard_runs_once_while_workers_compute(tmp_path):
    # Under multiprocessing's spawn, each worker re-imported this script and printed again.
    done = _run_script(tmp_path, """
        from synthloom.data.text.minhash import corpus_signatures
        print("script body ran")
        texts = [f"document {i} about topic {i % 7} with a few more words" for i in range(400)]
        many = corpus_signatures(texts, chunk=100, workers=2)
        one = corpus_signatures(texts, chunk=100, workers=1)
        print("same signatures:", bool((many == one).all()))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("script body ran") == 1
    assert "same signatures: True" in done.stdout


def test_a_file_next_to_the_script_does_not_shadow_a_module_in_the_worker(tmp_path):
    (tmp_path / "pickle.py").write_text("raise SystemExit('the caller folder was imported')\n")
    with WorkerPool(1) as pool:
        old = os.getcwd()
        os.chdir(tmp_path)
        try:
            assert pool.submit(os.getcwd).result(timeout=60) == str(tmp_path)
        finally:
            os.chdir(old)


def test_an_exception_inside_a_worker_arrives_as_itself_with_the_worker_traceback():
    with WorkerPool(1) as pool:
        with pytest.raises(ValueError, match="invalid literal") as caught:
            pool.submit(int, "not a number").result(timeout=60)
        assert isinstance(caught.value.__cause__, RemoteError)
        assert "in the worker process" in str(caught.value.__cause__)
        assert pool.submit(int, "12").result(timeout=60) == 12  # the worker lives on


def test_a_failing_init_reports_the_workers_own_exception_and_fails_later_calls_fast():
    with WorkerPool(2, name="loader", init=int, init_args=("bad model",)) as pool:
        with pytest.raises(WorkerStartError) as caught:
            pool.submit(os.getpid).result(timeout=60)
        assert caught.value.cause == "ValueError: invalid literal for int() with base 10: 'bad model'"
        assert "loader" in str(caught.value)
        started = time.monotonic()
        with pytest.raises(WorkerStartError):
            pool.submit(os.getpid).result(timeout=60)
        assert pool.start_error is caught.value
        assert time.monotonic() - started < 30  # no second model load was attempted


def test_a_worker_killed_mid_call_is_named_and_replaced():
    with WorkerPool(1) as pool:
        first = pool.submit(os.getpid).result(timeout=60)
        sleeping = pool.submit(time.sleep, 60)
        time.sleep(0.5)
        os.kill(first, signal.SIGKILL)
        with pytest.raises(WorkerDied, match="killed by SIGKILL"):
            sleeping.result(timeout=30)
        second = pool.submit(os.getpid).result(timeout=60)
        assert second != first


def test_c_level_writes_to_stdout_do_not_corrupt_the_answers():
    with WorkerPool(1) as pool:
        assert pool.submit(os.system, "echo 'noise on file descriptor 1'").result(timeout=60) == 0
        assert pool.submit(os.write, 1, b"more noise\n").result(timeout=60) == len(b"more noise\n")
        assert pool.submit(int, "5").result(timeout=60) == 5


def test_arguments_that_cannot_be_sent_fail_the_call_not_the_pool():
    with WorkerPool(1) as pool:
        with pytest.raises((TypeError, AttributeError)):
            pool.submit(len, [lambda: None]).result(timeout=60)
        assert pool.submit(len, [1, 2]).result(timeout=60) == 2


def test_functions_of_main_or_closures_are_refused_with_a_reason():
    def local():
        return 1

    with WorkerPool(1) as pool, pytest.raises(TypeError, match="module-level function"):
        pool.submit(local)


def test_environment_additions_reach_the_workers():
    with WorkerPool(2, env={"SYNTHLOOM_TEST_MARK": "7"}) as pool:
        assert pool.map(os.getenv, ["SYNTHLOOM_TEST_MARK"] * 3) == ["7", "7", "7"]


def test_workers_die_with_a_parent_killed_in_the_middle_of_a_call(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import os, sys, time
        from synthloom.workers import WorkerPool
        pool = WorkerPool(1)
        print(pool.submit(os.getpid).result(), flush=True)
        pool.submit(time.sleep, 120)
        time.sleep(120)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())
        time.sleep(0.5)
        parent.kill()
        parent.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _alive(worker):
            time.sleep(0.1)
        assert not _alive(worker)
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False
