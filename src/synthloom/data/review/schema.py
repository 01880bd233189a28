"""The tables of review.sqlite (store.py says what each holds)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
  item INTEGER PRIMARY KEY,
  row_id TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL,
  search TEXT NOT NULL,
  flags TEXT NOT NULL DEFAULT '[]'  -- what curation did to the row ("pii: redacted"), a JSON list
);
CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5(search, content='items', content_rowid='item');
CREATE VIRTUAL TABLE IF NOT EXISTS items_vocab USING fts5vocab(items_fts, 'row');
CREATE TABLE IF NOT EXISTS reviewers (
  name TEXT PRIMARY KEY,
  token_sha256 TEXT NOT NULL UNIQUE,
  created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  event INTEGER PRIMARY KEY,
  item INTEGER NOT NULL REFERENCES items(item),
  reviewer TEXT NOT NULL REFERENCES reviewers(name),
  at REAL NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'edit', 'comment', 'undo')),
  reason TEXT,
  field TEXT,
  before TEXT,
  after TEXT,
  target INTEGER REFERENCES events(event)
);
CREATE INDEX IF NOT EXISTS events_by_item ON events(item, event);
CREATE INDEX IF NOT EXISTS events_by_reviewer ON events(reviewer, event);
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
CREATE TABLE IF NOT EXISTS item_state (
  item INTEGER PRIMARY KEY REFERENCES items(item),
  decision TEXT,
  by TEXT,
  reason TEXT,
  edited INTEGER NOT NULL DEFAULT 0,
  comments INTEGER NOT NULL DEFAULT 0,
  decisions TEXT NOT NULL DEFAULT '{}',
  updated REAL
);
CREATE INDEX IF NOT EXISTS item_state_by_decision ON item_state(decision);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
