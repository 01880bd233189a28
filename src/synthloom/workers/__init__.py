"""Worker processes that run a synthloom function and never import the caller's `__main__`.

multiprocessing's spawn start method re-imports the script that started the run, so a script
without an `if __name__ == "__main__":` guard starts a second run inside every worker. Our
workers are plain child processes running `python -m synthloom.workers.child`, fed pickled
calls over a private pipe (`pool.py` is the parent side)."""

from synthloom.workers.pool import RemoteError, WorkerDied, WorkerPool, WorkerStartError

__all__ = ["RemoteError", "WorkerDied", "WorkerPool", "WorkerStartError"]
