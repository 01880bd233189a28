"""The review web app: one FastAPI process over one review.sqlite. The page (static/) is plain
HTML, CSS and JavaScript served by the app itself; the rest is a JSON API.

Every route but the sign-in needs a session; every change also needs the session's CSRF token in
the `X-CSRF-Token` header. Row content reaches the page only as JSON and is shown as text, never
as markup, and the Content-Security-Policy allows no script but the app's own file. A Host header
other than the address served is refused (a page of another site cannot rebind its name to
127.0.0.1 and read the rows)."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from synthloom.data.review import query
from synthloom.data.review.outcome import summarize
from synthloom.data.review.query import Filter, FilterError
from synthloom.data.review.sampling import assigned, riskiest_first, sample_size, stratified, uniform
from synthloom.data.review.events import searchable_text
from synthloom.data.review.store import ReviewError, ReviewStore
from synthloom.review.auth import COOKIE, CSRF_HEADER, LoginLimiter, Session, Sessions, csrf_ok
from synthloom.review.risk import JudgeScale, RiskIndex, pii_spans
from synthloom.review.similar import MoreLikeThis

STATIC = {"app.js": "text/javascript", "app.css": "text/css", "login.js": "text/javascript", "login.css": "text/css"}
PUBLIC = {"/login", "/static/login.css", "/static/login.js"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
PAGE_LIMIT = 200
PREVIEW_CHARS = 160
REASONS = ["made-up fact", "wrong answer", "off-topic", "unsafe or toxic", "leaks personal data",
           "poor quality", "duplicate"]


def _static(name: str) -> bytes:
    return resources.files("synthloom.review").joinpath("static", name).read_bytes()


def _preview(row: dict[str, Any]) -> str:
    """The row's texts and numbers, nested ones too, on one line."""
    return " · ".join(" ".join(part.split()) for part in searchable_text(row).split("\n"))[:PREVIEW_CHARS]


def create_app(store: ReviewStore, *, title: str, allowed_hosts: set[str] | None = None,
               lineage: Callable[[str], dict[str, Any] | None] | None = None,
               scales: list[JudgeScale] | None = None, references: list[str] | None = None) -> FastAPI:
    """`allowed_hosts`: the Host headers taken (None: any, for a server reached by name);
    `lineage(row_id)`: where a run's row came from, shown beside it; `scales` and `references`:
    the run's judge attributes and seed texts, for the risk-first queue."""
    risk = RiskIndex(store, scales or [], references or [])
    app = FastAPI(title="synthloom review", docs_url=None, redoc_url=None, openapi_url=None)
    sessions, limiter = Sessions(), LoginLimiter()
    app.state.sessions = sessions

    def session_of(request: Request) -> Session | None:
        return sessions.get(request.cookies.get(COOKIE))

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Any]) -> Response:
        host = request.headers.get("host", "")
        if allowed_hosts is not None and host not in allowed_hosts:
            return _secured(JSONResponse({"error": "this address is not served here"}, status_code=421))
        path = request.url.path
        if path not in PUBLIC:
            session = session_of(request)
            if session is None:
                if path.startswith("/api/"):
                    return _secured(JSONResponse({"error": "sign in first"}, status_code=401))
                return _secured(RedirectResponse("/login", status_code=303))
            if request.method not in ("GET", "HEAD") and not csrf_ok(session, request.headers.get(CSRF_HEADER)):
                return _secured(JSONResponse({"error": "missing or wrong CSRF token"}, status_code=403))
            request.state.session = session
        return _secured(await call_next(request))

    # ---- pages ----
    @app.get("/login")
    async def login_page() -> Response:
        return Response(_static("login.html"), media_type="text/html")

    @app.post("/login")
    async def login(request: Request) -> Response:
        client = request.client.host if request.client else "?"
        if limiter.blocked(client):
            return JSONResponse({"error": "too many failed sign-ins; wait a minute"}, status_code=429)
        body = (await request.body())[:4096].decode("utf-8", "replace")
        token = (parse_qs(body).get("token") or [""])[0].strip()
        reviewer = store.reviewer_for(token)
        if reviewer is None:
            limiter.failed(client)
            return RedirectResponse("/login?failed=1", status_code=303)
        sid, _ = sessions.start(reviewer)
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(COOKIE, sid, httponly=True, samesite="strict", path="/")
        return resp

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        sessions.end(request.cookies.get(COOKIE))
        resp = JSONResponse({"ok": True})
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @app.get("/")
    async def index() -> Response:
        return Response(_static("index.html"), media_type="text/html")

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        if name not in STATIC:
            return JSONResponse({"error": "no such file"}, status_code=404)
        return Response(_static(name), media_type=STATIC[name])

    # ---- reading ----
    @app.get("/api/me")
    async def me(request: Request) -> dict[str, Any]:
        session: Session = request.state.session
        return {"reviewer": session.reviewer, "csrf": session.csrf, "title": title, "rows": store.count(),
                "reviewers": store.reviewers(), "reasons": REASONS}

    @app.get("/api/fields")
    async def fields() -> list[dict[str, Any]]:
        return query.fields(store.conn)

    @app.get("/api/items")
    async def items(filter: str = "", offset: int = 0, limit: int = 50) -> dict[str, Any]:
        flt = Filter.from_json(filter)
        limit = max(1, min(limit, PAGE_LIMIT))
        found = query.matching(store.conn, flt, offset=max(0, offset), limit=limit)
        state = _states(store, found)
        return {"total": query.count(store.conn, flt), "offset": offset,
                "items": [{"item": i, "row_id": store.row_id(i), "preview": _preview(store.current(i)),
                           **state.get(i, {})} for i in found]}

    @app.get("/api/reasons")
    async def reasons() -> list[dict[str, Any]]:
        """The reasons rows stand rejected for now, most used first."""
        return [{"reason": r, "rows": n} for r, n in store.conn.execute(
            "SELECT reason, COUNT(*) FROM item_state WHERE decision = 'reject' GROUP BY reason ORDER BY 2 DESC")]

    @app.get("/api/flags")
    async def flags() -> list[dict[str, Any]]:
        return query.flag_counts(store.conn)

    @app.get("/api/ids")
    async def ids(filter: str = "") -> dict[str, Any]:
        return {"ids": query.matching(store.conn, Filter.from_json(filter), limit=None)}

    @app.get("/api/queue")
    async def queue(request: Request, kind: str = "uniform", n: int = 0, by: str = "", seed: int = 0,
                    k: int = 2) -> dict[str, Any]:
        if kind == "assigned":
            # k-way overlap: each row goes to k reviewers, for agreement; this reviewer's own,
            # those they have not decided yet
            me, people = request.state.session.reviewer, store.reviewers()
            k = max(1, min(k, len(people)))
            mine = [i for i, row_id in store.conn.execute(
                "SELECT i.item, i.row_id FROM items i LEFT JOIN item_state s ON s.item = i.item "
                "WHERE json_extract(COALESCE(s.decisions, '{}'), ?) IS NULL ORDER BY i.item",
                (query.json_path("/" + me),)) if me in assigned(row_id, people, k)]
            return {"ids": mine[:n] if n > 0 else mine, "kind": kind, "size": len(mine), "overlap": k}
        everything = query.matching(store.conn, Filter(state="undecided"), limit=None)
        size = n if n > 0 else sample_size(len(everything))
        if kind == "uniform":
            picked = uniform(everything, size, seed)
        elif kind == "stratified":
            if not by:
                raise FilterError("a stratified queue needs a field to group by (by=/topic)")
            path = query.json_path(by)
            groups = dict(store.conn.execute("SELECT item, json_extract(data, ?) FROM items", (path,)))
            picked = stratified(everything, size, lambda i: str(groups.get(i)), seed)
        elif kind == "risk":
            scores = risk.scores()  # computed once per app: near duplicates compare all rows
            picked = riskiest_first(everything, lambda i: scores[i][0], size)
        else:
            raise FilterError("a queue is uniform, stratified, risk or assigned")
        return {"ids": picked, "kind": kind, "size": len(picked), "undecided": len(everything)}

    similar = MoreLikeThis(store)

    @app.get("/api/similar/{item}")
    async def more_like(item: int, n: int = 50) -> dict[str, Any]:
        return await similar(item, max(1, min(n, PAGE_LIMIT)))

    @app.get("/api/items/{item}")
    async def one(item: int) -> dict[str, Any]:
        row_id = store.row_id(item)
        original, current = store.original(item), store.current(item)
        return {"item": item, "row_id": row_id, "data": current, "original": original, "pii": pii_spans(current),
                "state": _states(store, [item]).get(item, {}), "risk": risk.reasons(item, original),
                "flags": store.flags(item),
                "events": [e.to_json() for e in store.events(item)],
                "lineage": lineage(row_id) if lineage is not None else None}

    @app.get("/api/stats")
    async def stats() -> dict[str, Any]:
        outcome = summarize(store)
        return {"summary": outcome.summary(), "detail": outcome.to_json()}

    # ---- changing ----
    async def body_of(request: Request) -> dict[str, Any]:
        try:
            data = json.loads((await request.body())[:1_000_000] or b"{}")
        except ValueError:
            raise ReviewError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise ReviewError("the request body is a JSON object")
        return data

    @app.post("/api/items/{item}/decide")
    async def decide(item: int, request: Request) -> dict[str, Any]:
        data = await body_of(request)
        event = store.decide(item, request.state.session.reviewer, str(data.get("decision")), data.get("reason"))
        return {"event": event, "state": _states(store, [item]).get(item, {})}

    @app.post("/api/items/{item}/edit")
    async def edit(item: int, request: Request) -> dict[str, Any]:
        data = await body_of(request)
        event = store.edit(item, request.state.session.reviewer, str(data.get("field", "")), data.get("value"),
                           expected=data.get("expected"), check_expected="expected" in data)
        return {"event": event, "data": store.current(item)}

    @app.post("/api/items/{item}/comment")
    async def comment(item: int, request: Request) -> dict[str, Any]:
        data = await body_of(request)
        return {"event": store.comment(item, request.state.session.reviewer, str(data.get("text", "")))}

    @app.post("/api/undo")
    async def undo(request: Request) -> dict[str, Any]:
        data = await body_of(request)
        item = data.get("item")
        event = store.undo(request.state.session.reviewer, int(item) if item is not None else None)
        return {"event": event, "item": store.conn.execute("SELECT item FROM events WHERE event=?", (event,)).fetchone()[0]}

    @app.post("/api/bulk")
    async def bulk(request: Request) -> dict[str, Any]:
        data = await body_of(request)
        flt = Filter.from_json(data.get("filter"))
        found = query.matching(store.conn, flt, limit=None)
        expected = data.get("expected")
        if expected is not None and expected != len(found):
            raise ReviewError(f"the filter now matches {len(found)} rows, not the {expected} shown; look again")
        decided = store.decide_many(found, request.state.session.reviewer, str(data.get("decision")),
                                    data.get("reason"))
        return {"decided": decided}

    @app.exception_handler(ReviewError)
    async def review_error(_request: Request, exc: ReviewError) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(FilterError)
    async def filter_error(_request: Request, exc: FilterError) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    return app


def _states(store: ReviewStore, items: list[int]) -> dict[int, dict[str, Any]]:
    if not items:
        return {}
    marks = ",".join("?" * len(items))
    rows = store.conn.execute(
        f"SELECT item, decision, by, reason, edited, comments FROM item_state WHERE item IN ({marks})", items)
    return {i: {"decision": d, "by": by, "reason": reason, "edited": bool(e), "comments": c}
            for i, d, by, reason, e, c in rows}


def _secured(resp: Response) -> Response:
    for key, value in SECURITY_HEADERS.items():
        resp.headers.setdefault(key, value)
    return resp
