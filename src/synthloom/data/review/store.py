"""The review of one run or dataset: `review.sqlite`, beside what is reviewed.

- `items`: the rows as they were imported (JSON), in import order, each with its row id and the
  text that full-text search (FTS5) indexes.
- `reviewers`: names and the SHA-256 of their tokens (a token is shown once, when made).
- `events`: every decision, append-only (triggers refuse UPDATE and DELETE): who, when, what
  (accept, reject, edit, comment, undo), the reason, and for an edit the field (a JSON pointer)
  with its value before and after. An undo names the event it takes back.

What a row is now follows from the events: its imported data with the edits not undone applied in
order, and its decision the latest accept or reject not undone (by anyone: for agreement, each
reviewer's own latest counts). `item_state` keeps that per row, updated in the transaction that
appends an event, so filters on the review state are an index lookup; `replayed_state()` derives
it from the events alone (the tests hold the two equal)."""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from synthloom.data.review.events import DECISIONS, Event, fold_events, searchable_text
from synthloom.data.review.pointer import PointerError, get_at, set_at
from synthloom.data.review.schema import SCHEMA

ACTIONS = (*DECISIONS, "edit", "comment", "undo")
BUSY_TIMEOUT_MS = 10_000



class ReviewError(Exception):
    """A review action that cannot be taken (the message says why, in one sentence)."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ReviewStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # ---- meta ----
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # ---- items ----
    def import_rows(self, rows: Iterable[dict[str, Any]], *, id_field: str = "_row_id", chunk: int = 5000) -> int:
        """Add the rows not here yet (by row id); rows already imported keep their events.
        A row without `id_field` is named by its position in `rows`, so importing the same
        dataset again adds nothing. Returns how many were added."""
        added, position = 0, 0
        with self._transaction() as conn:
            batch: list[tuple[str, str, str]] = []
            for row in rows:
                row_id = str(row.get(id_field) if row.get(id_field) is not None else f"row-{position}")
                position += 1
                batch.append((row_id, json.dumps(row, ensure_ascii=False, default=str), searchable_text(row)))
                if len(batch) >= chunk:
                    added += self._insert(conn, batch)
                    batch = []
            added += self._insert(conn, batch)
        return added

    @staticmethod
    def _insert(conn: sqlite3.Connection, batch: list[tuple[str, str, str]]) -> int:
        if not batch:
            return 0
        last = conn.execute("SELECT COALESCE(MAX(item), 0) FROM items").fetchone()[0]
        before = conn.total_changes
        conn.executemany("INSERT OR IGNORE INTO items(row_id, data, search) VALUES (?, ?, ?)", batch)
        added = conn.total_changes - before
        # the FTS index learns the rows just added (external content: it keeps no copy of them)
        conn.execute("INSERT INTO items_fts(rowid, search) SELECT item, search FROM items WHERE item > ?", (last,))
        return added

    def set_flags(self, flags: dict[str, list[str]]) -> None:
        """Each row's curation flags, by row id (rows not named have none)."""
        with self._transaction() as conn:
            conn.execute("UPDATE items SET flags='[]' WHERE flags != '[]'")
            conn.executemany("UPDATE items SET flags=? WHERE row_id=?",
                             ((json.dumps(sorted(set(f))), row_id) for row_id, f in flags.items() if f))

    def flags(self, item: int) -> list[str]:
        row = self.conn.execute("SELECT flags FROM items WHERE item=?", (item,)).fetchone()
        return json.loads(row[0]) if row else []

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]

    def item_of(self, row_id: str) -> int:
        row = self.conn.execute("SELECT item FROM items WHERE row_id=?", (row_id,)).fetchone()
        if row is None:
            raise ReviewError(f"no row {row_id!r} in this review")
        return row[0]

    def original(self, item: int) -> dict[str, Any]:
        row = self.conn.execute("SELECT data FROM items WHERE item=?", (item,)).fetchone()
        if row is None:
            raise ReviewError(f"no item {item} in this review")
        return json.loads(row[0])

    def row_id(self, item: int) -> str:
        row = self.conn.execute("SELECT row_id FROM items WHERE item=?", (item,)).fetchone()
        if row is None:
            raise ReviewError(f"no item {item} in this review")
        return row[0]

    def search(self, query: str, limit: int = 100) -> list[int]:
        """Items whose text matches, best first. The query is taken as words, each a prefix, never
        as FTS5 syntax (which a reviewer's typing would break)."""
        words = [w for w in "".join(c if c.isalnum() else " " for c in query).split() if w]
        if not words:
            return []
        match = " ".join(f'"{w}"*' for w in words)
        return [r[0] for r in self.conn.execute(
            "SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rank LIMIT ?", (match, limit))]

    def more_like(self, item: int, limit: int = 200, terms: int = 12) -> list[int]:
        """Items that share the most distinctive words of this one (its terms weighted by
        frequency here and rarity overall, as a search engine's "more like this"), best first."""
        text = self.conn.execute("SELECT search FROM items WHERE item=?", (item,)).fetchone()
        if text is None:
            raise ReviewError(f"no item {item} in this review")
        counts: dict[str, int] = {}
        for word in "".join(c.lower() if c.isalnum() else " " for c in text[0]).split():
            if len(word) > 2:
                counts[word] = counts.get(word, 0) + 1
        if not counts:
            return []
        marks = ",".join("?" * len(counts))
        docs = dict(self.conn.execute(f"SELECT term, doc FROM items_vocab WHERE term IN ({marks})", list(counts)))
        total = self.count()
        weight = {w: n * math.log((1 + total) / (1 + docs.get(w, 0))) for w, n in counts.items()}
        chosen = sorted(weight, key=lambda w: (-weight[w], w))[:terms]
        match = " OR ".join(f'"{w}"' for w in chosen)
        rows = self.conn.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rank LIMIT ?",
                                 (match, limit + 1))
        return [r[0] for r in rows if r[0] != item][:limit]

    # ---- reviewers ----
    def add_reviewer(self, name: str, *, replace: bool = False) -> str:
        """A new token for `name` (shown once; only its digest is kept)."""
        name = name.strip()
        if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ReviewError("a reviewer's name is 1-64 letters, digits, '-', '_' or '.'")
        exists = self.conn.execute("SELECT 1 FROM reviewers WHERE name=?", (name,)).fetchone()
        if exists and not replace:
            raise ReviewError(f"reviewer {name!r} exists; pass --replace to give them a new token")
        token = secrets.token_urlsafe(32)
        self.conn.execute("INSERT OR REPLACE INTO reviewers(name, token_sha256, created) VALUES (?, ?, ?)",
                          (name, token_digest(token), time.time()))
        return token

    def reviewer_for(self, token: str) -> str | None:
        if not token:
            return None
        row = self.conn.execute("SELECT name FROM reviewers WHERE token_sha256=?", (token_digest(token),)).fetchone()
        return row[0] if row else None

    def reviewers(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM reviewers ORDER BY name")]

    # ---- events ----
    def _event(self, row: tuple[Any, ...]) -> Event:
        e, item, who, at, action, reason, field, before, after, target = row
        return Event(e, item, who, at, action, reason, field,
                     json.loads(before) if before is not None else None,
                     json.loads(after) if after is not None else None, target)

    _COLUMNS = "event, item, reviewer, at, action, reason, field, before, after, target"

    def events(self, item: int | None = None) -> list[Event]:
        if item is None:
            rows = self.conn.execute(f"SELECT {self._COLUMNS} FROM events ORDER BY event")
        else:
            rows = self.conn.execute(f"SELECT {self._COLUMNS} FROM events WHERE item=? ORDER BY event", (item,))
        return [self._event(r) for r in rows]

    def _append(self, conn: sqlite3.Connection, item: int, reviewer: str, action: str, *, reason: str | None = None,
                field: str | None = None, before: Any = None, after: Any = None, target: int | None = None) -> int:
        event = self._insert_event(conn, item, reviewer, action, reason=reason, field=field, before=before,
                                   after=after, target=target)
        self._settle(conn, item)
        return event

    def _insert_event(self, conn: sqlite3.Connection, item: int, reviewer: str, action: str, *, reason: str | None,
                      field: str | None, before: Any, after: Any, target: int | None) -> int:
        cur = conn.execute(
            "INSERT INTO events(item, reviewer, at, action, reason, field, before, after, target) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item, reviewer, time.time(), action, reason, field,
             None if field is None else json.dumps(before, ensure_ascii=False),
             None if field is None else json.dumps(after, ensure_ascii=False), target),
        )
        return int(cur.lastrowid)

    def _check(self, conn: sqlite3.Connection, item: int, reviewer: str) -> None:
        if conn.execute("SELECT 1 FROM items WHERE item=?", (item,)).fetchone() is None:
            raise ReviewError(f"no item {item} in this review")
        if conn.execute("SELECT 1 FROM reviewers WHERE name=?", (reviewer,)).fetchone() is None:
            raise ReviewError(f"no reviewer {reviewer!r}")

    def decide(self, item: int, reviewer: str, decision: str, reason: str | None = None) -> int:
        if decision not in DECISIONS:
            raise ReviewError(f"a decision is accept or reject, not {decision!r}")
        if decision == "reject" and not (reason or "").strip():
            raise ReviewError("a rejection needs a reason")
        with self._transaction() as conn:
            self._check(conn, item, reviewer)
            return self._append(conn, item, reviewer, decision, reason=(reason or "").strip() or None)

    def decide_many(self, items: Iterable[int], reviewer: str, decision: str, reason: str | None = None) -> int:
        """One decision on many items, in one transaction; returns how many."""
        if decision not in DECISIONS:
            raise ReviewError(f"a decision is accept or reject, not {decision!r}")
        if decision == "reject" and not (reason or "").strip():
            raise ReviewError("a rejection needs a reason")
        now, reason = time.time(), (reason or "").strip() or None
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM reviewers WHERE name=?", (reviewer,)).fetchone() is None:
                raise ReviewError(f"no reviewer {reviewer!r}")
            items = list(items)
            before = conn.total_changes
            conn.executemany(
                "INSERT INTO events(item, reviewer, at, action, reason) SELECT item, ?, ?, ?, ? FROM items WHERE item=?",
                ((reviewer, now, decision, reason, i) for i in items),
            )
            added = conn.total_changes - before
            # each of these is now its item's latest decision: the state follows without a replay
            conn.executemany(
                "INSERT INTO item_state(item, decision, by, reason, decisions, updated) "
                "SELECT item, ?, ?, ?, json_object(?, ?), ? FROM items WHERE item=? "
                "ON CONFLICT(item) DO UPDATE SET decision=excluded.decision, by=excluded.by, reason=excluded.reason, "
                "decisions=json_set(item_state.decisions, ?, ?), updated=excluded.updated",
                ((decision, reviewer, reason, reviewer, decision, now, i, f'$."{reviewer}"', decision) for i in items),
            )
            return added

    def comment(self, item: int, reviewer: str, text: str) -> int:
        if not text.strip():
            raise ReviewError("a comment needs some text")
        with self._transaction() as conn:
            self._check(conn, item, reviewer)
            return self._append(conn, item, reviewer, "comment", reason=text.strip())

    def edit(self, item: int, reviewer: str, field: str, after: Any, *, expected: Any = None,
             check_expected: bool = False) -> int:
        """Set the value at JSON pointer `field`. With check_expected, the value there now must be
        `expected` (what the reviewer saw), or someone else changed it meanwhile: refused."""
        if field.startswith("/_"):
            raise ReviewError(f"{field} is synthloom's own bookkeeping, not content to edit")
        with self._transaction() as conn:
            self._check(conn, item, reviewer)
            current = self._current(conn, item)
            try:
                before = get_at(current, field)
                set_at(current, field, after)  # refuses a path the row does not have
            except PointerError as exc:
                raise ReviewError(f"cannot edit {field}: {exc}") from None
            if check_expected and before != expected:
                raise ReviewError(f"{field} was changed by someone else meanwhile; reload the row")
            if before == after:
                raise ReviewError(f"{field} already holds that value")
            return self._append(conn, item, reviewer, "edit", field=field, before=before, after=after)

    def undo(self, reviewer: str, item: int | None = None) -> int:
        """Take back this reviewer's latest event not yet taken back (on `item`, if given)."""
        with self._transaction() as conn:
            undone = {r[0] for r in conn.execute("SELECT target FROM events WHERE action='undo'")}
            query = "SELECT event, item FROM events WHERE reviewer=? AND action != 'undo'"
            args: list[Any] = [reviewer]
            if item is not None:
                query += " AND item=?"
                args.append(item)
            for event, event_item in conn.execute(query + " ORDER BY event DESC", args).fetchall():
                if event not in undone:
                    return self._append(conn, event_item, reviewer, "undo", target=event)
            raise ReviewError("nothing to undo")

    # ---- what the events say ----
    def _effective(self, conn: sqlite3.Connection, item: int) -> list[Event]:
        rows = conn.execute(f"SELECT {self._COLUMNS} FROM events WHERE item=? ORDER BY event", (item,)).fetchall()
        events = [self._event(r) for r in rows]
        undone = {e.target for e in events if e.action == "undo"}
        return [e for e in events if e.action != "undo" and e.event not in undone]

    def _current(self, conn: sqlite3.Connection, item: int) -> dict[str, Any]:
        data = json.loads(conn.execute("SELECT data FROM items WHERE item=?", (item,)).fetchone()[0])
        for e in self._effective(conn, item):
            if e.action == "edit" and e.field is not None:
                set_at(data, e.field, e.after)
        return data

    def current(self, item: int) -> dict[str, Any]:
        """The row with its edits applied."""
        if self.conn.execute("SELECT 1 FROM items WHERE item=?", (item,)).fetchone() is None:
            raise ReviewError(f"no item {item} in this review")
        return self._current(self.conn, item)

    def _settle(self, conn: sqlite3.Connection, item: int) -> None:
        """item_state of one item, from its events."""
        rows = conn.execute(f"SELECT {self._COLUMNS} FROM events WHERE item=? ORDER BY event", (item,)).fetchall()
        s = fold_events(self._event(r) for r in rows).get(item)
        if s is None:
            conn.execute("DELETE FROM item_state WHERE item=?", (item,))
            return
        conn.execute(
            "INSERT OR REPLACE INTO item_state(item, decision, by, reason, edited, comments, decisions, updated) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (item, s["decision"], s["by"], s["reason"], int(s["edited"]), s["comments"], json.dumps(s["decisions"]),
             time.time()),
        )

    def state(self) -> dict[int, dict[str, Any]]:
        """Per item with any event not taken back (see _fold), as item_state keeps it."""
        rows = self.conn.execute("SELECT item, decision, by, reason, edited, comments, decisions FROM item_state")
        return {item: {"decision": d, "by": by, "reason": reason, "edited": bool(edited), "comments": comments,
                       "decisions": json.loads(decisions)}
                for item, d, by, reason, edited, comments, decisions in rows}

    def replayed_state(self) -> dict[int, dict[str, Any]]:
        """The same, derived from the events alone."""
        return fold_events(self.events())

    def edited_rows(self) -> dict[str, dict[str, Any]]:
        """row id -> the row with its edits applied, for rows with an edit not taken back."""
        edited = [i for i, s in self.state().items() if s["edited"]]
        return {self.row_id(i): self.current(i) for i in edited}

    def decisions_by_row(self) -> dict[str, str]:
        """row id -> the latest decision not taken back."""
        names = dict(self.conn.execute("SELECT item, row_id FROM items"))
        return {names[i]: s["decision"] for i, s in self.state().items() if s["decision"] is not None}
