"""Who is asking: reviewers sign in with their token once, and get a session cookie (HttpOnly,
SameSite=Strict, never a token in a URL). Every change also carries the session's CSRF token in
a header, which a page of another site cannot read or set. Failed sign-ins are limited per client
address, so a token cannot be guessed by trying."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

COOKIE = "synthloom_review"
CSRF_HEADER = "x-csrf-token"
SESSION_HOURS = 12
FAILED_LOGINS = 5  # per client address and window
LOGIN_WINDOW_S = 60.0


@dataclass(frozen=True)
class Session:
    reviewer: str
    csrf: str
    expires: float


class Sessions:
    def __init__(self) -> None:
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, reviewer: str) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        session = Session(reviewer, secrets.token_urlsafe(32), time.time() + SESSION_HOURS * 3600)
        with self._lock:
            self._by_id[sid] = session
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            session = self._by_id.get(sid)
            if session is not None and session.expires < time.time():
                del self._by_id[sid]
                return None
        return session

    def end(self, sid: str | None) -> None:
        with self._lock:
            self._by_id.pop(sid or "", None)

    def end_all(self, reviewer: str) -> None:
        with self._lock:
            for sid in [k for k, s in self._by_id.items() if s.reviewer == reviewer]:
                del self._by_id[sid]


def csrf_ok(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf, sent or "")


class LoginLimiter:
    """At most FAILED_LOGINS failed sign-ins per client address in LOGIN_WINDOW_S."""

    def __init__(self, limit: int = FAILED_LOGINS, window_s: float = LOGIN_WINDOW_S):
        self.limit, self.window_s = limit, window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = self._failures.get(client)
            while recent and now - recent[0] > self.window_s:
                recent.popleft()
            return bool(recent) and len(recent) >= self.limit

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures.setdefault(client, deque()).append(time.monotonic())
