"""run.sqlite: committed batches, the response cache, token usage and row lineage.

A batch's shard files are renamed into place *before* its row here is committed; on resume,
a shard with no committed batch row is an orphan and is removed (it will be regenerated,
mostly from the cache)."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
  batch INTEGER PRIMARY KEY, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL,
  shard TEXT, rejected_file TEXT, committed_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS cache (
  key TEXT PRIMARY KEY, model TEXT NOT NULL, response TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS usage (
  batch INTEGER NOT NULL, column_name TEXT NOT NULL, model TEXT NOT NULL,
  calls INTEGER NOT NULL, cached_calls INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL,
  estimated_tokens INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (batch, column_name, model));
CREATE TABLE IF NOT EXISTS uncommitted_usage (
  batch INTEGER NOT NULL, column_name TEXT NOT NULL, model TEXT NOT NULL,
  calls INTEGER NOT NULL, cached_calls INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL,
  recorded_at REAL NOT NULL, estimated_tokens INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS rejections (
  batch INTEGER NOT NULL, column_name TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (batch, column_name, reason));
CREATE TABLE IF NOT EXISTS lineage (
  row_id TEXT PRIMARY KEY, batch INTEGER NOT NULL, status TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS curation_steps (
  position INTEGER PRIMARY KEY, step TEXT NOT NULL, kind TEXT NOT NULL, rows_in INTEGER NOT NULL,
  removed INTEGER NOT NULL, rewritten INTEGER NOT NULL, seconds REAL NOT NULL);
CREATE TABLE IF NOT EXISTS curation_rows (
  row_id TEXT NOT NULL, step TEXT NOT NULL, action TEXT NOT NULL, reason TEXT, matched TEXT,
  PRIMARY KEY (row_id, step));
"""


@dataclass
class CachedResponse:
    texts: list[str]
    prompt_tokens: int
    completion_tokens: int


@dataclass
class UsageRow:
    column: str
    model: str
    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    # of the tokens above, those the server did not report and synthloom estimated (token_count.py)
    estimated_tokens: int = 0


# Columns added after runs were made with the tables above: run.sqlite files of those runs get them.
_ADDED_COLUMNS = {
    "usage": [("estimated_tokens", "INTEGER NOT NULL DEFAULT 0")],
    "uncommitted_usage": [("estimated_tokens", "INTEGER NOT NULL DEFAULT 0")],
}
_USAGE_FIELDS = "column_name, model, calls, cached_calls, prompt_tokens, completion_tokens, cost_usd, estimated_tokens"


def read_only_connection(path: Path) -> sqlite3.Connection:
    """A connection that writes nothing into the run's folder. With no `-wal` file beside the
    database no writer is connected, so it opens as immutable (no `-wal` / `-shm` files appear);
    otherwise read-only, reading the WAL too. A run.sqlite from an older synthloom reads as if it
    had today's tables: those it lacks stand empty, and columns added since read as their
    default, through stand-ins in the connection's own temp schema, which names resolve first."""
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True, isolation_level=None,
                           check_same_thread=False)
    have = {name for (name,) in conn.execute("SELECT name FROM main.sqlite_master WHERE type='table'")}
    for statement in SCHEMA.split(";"):
        table = statement.split("(", 1)[0].split()[-1] if "CREATE TABLE" in statement else None
        if table is not None and table not in have:
            conn.execute(statement.replace("CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE"))
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in conn.execute(f"PRAGMA main.table_info({table})")}
        added = [f"{decl.rsplit('DEFAULT ', 1)[1]} AS {name}" for name, decl in columns if name not in present]
        if table in have and added:
            conn.execute(f"CREATE TEMP VIEW {table} AS SELECT *, {', '.join(added)} FROM main.{table}")
    return conn


BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for the other (the batch commit, the cache writer)


class RunDB:
    def __init__(self, path: Path, *, readonly: bool = False):
        """readonly: nothing in the run's files changes (`read_only_connection`); the writing
        methods then fail. Otherwise the file gets the tables and columns it lacks."""
        self.path = Path(path)
        if readonly:
            self.conn = read_only_connection(self.path)
            return
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # the cache writer's thread writes too
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        for table, columns in _ADDED_COLUMNS.items():
            have = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
            for name, decl in columns:
                if name not in have:
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")

    def close(self) -> None:
        self.conn.close()

    # ---- meta ----
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # ---- cache ----
    def cache_get(self, key: str) -> CachedResponse | None:
        row = self.conn.execute(
            "SELECT response, prompt_tokens, completion_tokens FROM cache WHERE key=?", (key,)
        ).fetchone()
        if row is None:
            return None
        return CachedResponse(json.loads(row[0]), row[1], row[2])

    def cache_is_empty(self) -> bool:
        return self.conn.execute("SELECT 1 FROM cache LIMIT 1").fetchone() is None

    def cache_put(self, key: str, model: str, resp: CachedResponse) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?, ?, ?)",
            (key, model, json.dumps(resp.texts), resp.prompt_tokens, resp.completion_tokens, time.time()),
        )

    # ---- batches ----
    def committed_batches(self) -> dict[int, tuple[int, int, str | None, str | None]]:
        rows = self.conn.execute("SELECT batch, accepted, rejected, shard, rejected_file FROM batches")
        return {b: (a, r, s, rf) for b, a, r, s, rf in rows}

    def commit_batch(
        self,
        batch: int,
        accepted: int,
        rejected: int,
        shard: str | None,
        rejected_file: str | None,
        usage: list[UsageRow],
        rejections: dict[tuple[str, str], int],
        lineage: list[tuple[str, str, dict[str, Any]]],
    ) -> None:
        """Everything about one batch in one transaction: it happened entirely or not at all."""
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?)",
                (batch, accepted, rejected, shard, rejected_file, time.time()),
            )
            self.conn.executemany(
                f"INSERT INTO usage (batch, {_USAGE_FIELDS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (batch, u.column, u.model, u.calls, u.cached_calls, u.prompt_tokens, u.completion_tokens, u.cost_usd,
                     u.estimated_tokens)
                    for u in usage
                ],
            )
            self.conn.executemany(
                "INSERT INTO rejections VALUES (?, ?, ?, ?)",
                [(batch, col, reason, n) for (col, reason), n in rejections.items()],
            )
            self.conn.executemany(
                "INSERT INTO lineage VALUES (?, ?, ?, ?)",
                [(rid, batch, status, json.dumps(data, default=str)) for rid, status, data in lineage],
            )

    def record_uncommitted_usage(self, batch: int, usage: list[UsageRow]) -> None:
        """Usage of a batch that will not commit this session (stopped by the budget, cancelled,
        or set aside behind one that did not finish): paid for, so counted. If the batch runs
        again on resume, its answers come from the cache and cost nothing the second time."""
        rows = [u for u in usage if u.calls]
        if not rows:
            return
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany(
                f"INSERT INTO uncommitted_usage (batch, {_USAGE_FIELDS}, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(batch, u.column, u.model, u.calls, u.cached_calls, u.prompt_tokens, u.completion_tokens,
                  u.cost_usd, u.estimated_tokens, now) for u in rows],
            )

    def reset_results(self) -> None:
        """Forget generated rows but keep the response cache (a rerun reuses it)."""
        with self.conn:
            self.conn.execute("BEGIN")
            for table in ("batches", "usage", "uncommitted_usage", "rejections", "lineage", "curation_steps",
                          "curation_rows"):
                self.conn.execute(f"DELETE FROM {table}")

    # ---- summaries ----
    def usage_totals(self) -> list[UsageRow]:
        """Everything the run paid for: committed batches and those that never committed."""
        fields = _USAGE_FIELDS
        rows = self.conn.execute(
            "SELECT column_name, model, SUM(calls), SUM(cached_calls), SUM(prompt_tokens), "
            f"SUM(completion_tokens), SUM(cost_usd), SUM(estimated_tokens) FROM (SELECT {fields} FROM usage "
            f"UNION ALL SELECT {fields} FROM uncommitted_usage) GROUP BY column_name, model ORDER BY column_name"
        )
        return [UsageRow(*r) for r in rows]

    def rejection_totals(self) -> list[tuple[str, str, int]]:
        rows = self.conn.execute(
            "SELECT column_name, reason, SUM(count) FROM rejections GROUP BY column_name, reason "
            "ORDER BY SUM(count) DESC"
        )
        return [tuple(r) for r in rows]

    def accepted_lineage(self) -> list[dict[str, Any]]:
        return list(self.accepted_lineage_by_id().values())

    def accepted_lineage_by_id(self) -> dict[str, dict[str, Any]]:
        """The lineage of every accepted row, by row id (in row id order)."""
        rows = self.conn.execute("SELECT row_id, data FROM lineage WHERE status='accepted' ORDER BY row_id")
        return {row_id: json.loads(data) for row_id, data in rows}

    def lineage_of(self, row_id: str) -> dict[str, Any] | None:
        """How a row was made and, once the run is curated, what curation did to it."""
        row = self.conn.execute("SELECT data FROM lineage WHERE row_id=?", (row_id,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        events = self.conn.execute(
            "SELECT step, action, reason, matched FROM curation_rows WHERE row_id=? ORDER BY rowid", (row_id,))
        curation = [{"step": s, "action": a, "reason": r, "matched": m} for s, a, r, m in events]
        return {**data, "curation": curation} if curation else data

    # ---- curation ----
    def record_curation(self, steps: list[tuple[str, str, int, int, int, float]],
                        rows: list[tuple[str, str, str, str | None, str | None]]) -> None:
        """Replace the run's curation record: counts per step, and each removed or rewritten row
        (row_id, step, action, reason, matched). A run curated again keeps only the latest."""
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM curation_steps")
            self.conn.execute("DELETE FROM curation_rows")
            self.conn.executemany("INSERT INTO curation_steps VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  [(k, *s) for k, s in enumerate(steps)])
            self.conn.executemany("INSERT INTO curation_rows VALUES (?, ?, ?, ?, ?)", rows)

    def curation_steps(self) -> list[dict[str, Any]]:
        cur = self.conn.execute(
            "SELECT step, kind, rows_in, removed, rewritten, seconds FROM curation_steps ORDER BY position")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur]
