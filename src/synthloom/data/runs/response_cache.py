"""The run's response cache as the engine uses it while generating. Reads go to run.sqlite (or
to answers not yet written); writes go to a thread of their own that stores them a batch at a
time, so the event loop that keeps the model slots busy never waits on SQLite.

An answer is written within FLUSH_S of arriving. A process killed with kill -9 loses at most
those: their batches are not committed either, so a resume asks the model again (the rows are
the same, since a batch is a pure function of recipe, index, seed and cache)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np

from synthloom.data.runs.run_db import BUSY_TIMEOUT_MS, CachedResponse, RunDB

FLUSH_S = 0.05
# A run that starts with an empty cache answers its misses from memory (a hash per answer put);
# past this many answers it falls back to asking SQLite, to bound that memory.
MEMORY_KEYS = 2_000_000


class BufferedResponseCache:
    def __init__(self, db: RunDB):
        self._db = db  # reads, on the caller's thread
        self._path: Path = db.path
        self._pending: dict[str, tuple[str, CachedResponse, float]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        # When run.sqlite holds no answers yet, a key not put by this process is a miss, known
        # without a query (a query per model call is a large share of the engine's CPU).
        self._started_empty = db.cache_is_empty()
        self._put_hashes: set[int] | None = set() if self._started_empty else None

    @property
    def path(self) -> Path:
        return self._path

    def started_empty(self) -> bool:
        """Whether run.sqlite held no answers when the run began (every other key is a miss)."""
        return self._started_empty

    def cache_get(self, key: str) -> CachedResponse | None:
        with self._lock:
            pending = self._pending.get(key)
        if pending is not None:
            return pending[1]
        if self._put_hashes is not None and hash(key) not in self._put_hashes:
            return None
        return self._db.cache_get(key)

    def cache_put(self, key: str, model: str, resp: CachedResponse) -> None:
        if self._error is not None:
            raise self._error
        with self._lock:
            self._pending[key] = (model, resp, time.time())
        if self._put_hashes is not None:
            self._put_hashes.add(hash(key))  # a collision only costs a query
            if len(self._put_hashes) > MEMORY_KEYS:
                self._put_hashes = None
        if self._thread is None:
            self._thread = threading.Thread(target=self._write_loop, name="synthloom-cache-writer", daemon=True)
            self._thread.start()
        self._wake.set()

    def close(self) -> None:
        """Write what is pending and stop the writer."""
        self._closing = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error

    def _write_loop(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if not self._closing:
                    time.sleep(FLUSH_S)  # gather the answers of the next moments into one transaction
                with self._lock:
                    batch, self._pending = self._pending, {}
                if batch:
                    rows = [(k, m, json.dumps(r.texts), r.prompt_tokens, r.completion_tokens, t)
                            for k, (m, r, t) in batch.items()]
                    with conn:
                        conn.execute("BEGIN")
                        conn.executemany("INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?, ?, ?)", rows)
                if self._closing:
                    with self._lock:
                        if not self._pending:
                            return
        except BaseException as exc:  # the next put (or close) raises it on the engine's side
            self._error = exc
        finally:
            conn.close()


def key_digest(key: str) -> int:
    """A cache key in 64 bits, the same in every process (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


def cache_digests(path: Path) -> np.ndarray:
    """The sorted digests of every key run.sqlite's cache holds now (8 bytes an answer), so a
    process elsewhere knows its misses without asking."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        digests = [key_digest(k) for (k,) in conn.execute("SELECT key FROM cache")]
    finally:
        conn.close()
    return np.sort(np.array(digests, dtype=np.uint64))


class CacheFile:
    """Read-only lookups in a run.sqlite's cache, from a process other than the run's (its writer
    keeps going; SQLite's WAL lets a reader in at the same time)."""

    def __init__(self, path: Path):
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def get(self, key: str) -> CachedResponse | None:
        row = self._conn.execute(
            "SELECT response, prompt_tokens, completion_tokens FROM cache WHERE key=?", (key,)).fetchone()
        return None if row is None else CachedResponse(json.loads(row[0]), row[1], row[2])
