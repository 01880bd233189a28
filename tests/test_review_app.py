"""The review app's HTTP surface on a real server (127.0.0.1): sign-in, sessions, CSRF, the Host
check, security headers, rate-limited sign-in, and the JSON API a page uses."""

from __future__ import annotations

import json

import httpx
import pytest

from synthloom.config.errors import SynthloomError
from synthloom.review.serve import serve
from synthloom.review.target import open_review

from .review_server import review_server


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [{"_row_id": f"r{i}", "topic": ["tides", "volcanoes"][i % 2], "score": {"helpfulness": i % 5},
             "messages": [{"role": "user", "content": f"question {i}"},
                          {"role": "assistant", "content": f"answer {i}"}]} for i in range(30)]
    rows[3]["messages"][1]["content"] = "write to jo@example.com"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with open_review(path) as store:
        token = store.add_reviewer("ana")
        store.add_reviewer("ben")
    return path, token


def _signed_in(url: str, token: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, follow_redirects=False)
    resp = client.post("/login", data={"token": token})
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and token.lower() not in cookie
    return client, client.get("/api/me").json()["csrf"]


def test_nothing_without_a_session(dataset):
    path, _ = dataset
    with review_server(path) as url, httpx.Client(base_url=url, follow_redirects=False) as anon:
        assert anon.get("/api/me").status_code == 401
        assert anon.get("/api/items/1").status_code == 401
        assert anon.get("/").status_code == 303 and anon.get("/static/app.js").status_code == 303
        assert anon.post("/api/items/1/decide", json={"decision": "accept"}).status_code == 401
        assert anon.get("/login").status_code == 200  # the sign-in page and its own style and script only
        anon.cookies.set("synthloom_review", "made-up-session")
        assert anon.get("/api/me").status_code == 401


def test_changes_need_the_csrf_token(dataset):
    path, token = dataset
    with review_server(path) as url:
        client, csrf = _signed_in(url, token)
        for headers in ({}, {"X-CSRF-Token": "wrong"}):
            resp = client.post("/api/items/1/decide", json={"decision": "accept"}, headers=headers)
            assert resp.status_code == 403 and "CSRF" in resp.json()["error"]
        ok = client.post("/api/items/1/decide", json={"decision": "accept"}, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 200 and ok.json()["state"]["decision"] == "accept"
        assert client.get("/api/items/1").json()["events"][0]["reviewer"] == "ana"


def test_other_hosts_are_refused_and_pages_carry_security_headers(dataset):
    path, token = dataset
    with review_server(path) as url:
        client, _ = _signed_in(url, token)
        assert client.get("/api/me", headers={"Host": "attacker.example"}).status_code == 421
        page = client.get("/")
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "<script src=\"/static/app.js\"></script>" in page.text and "http" not in page.text.lower().replace(
            "http-equiv", "")  # no asset from elsewhere


def test_failed_sign_ins_are_limited(dataset):
    path, token = dataset
    with review_server(path) as url, httpx.Client(base_url=url, follow_redirects=False) as client:
        for _ in range(5):
            assert client.post("/login", data={"token": "guess"}).headers["location"] == "/login?failed=1"
        assert client.post("/login", data={"token": "guess"}).status_code == 429
        assert client.post("/login", data={"token": token}).status_code == 429  # even the right one, for a while


def test_the_api_a_page_uses(dataset):
    path, token = dataset
    with review_server(path) as url:
        client, csrf = _signed_in(url, token)
        h = {"X-CSRF-Token": csrf}
        row = client.get("/api/items/4").json()
        assert row["pii"] == [["/messages/1/content", 9, 23, "email"]] and "personal details: email" in row["risk"]
        edit = client.post("/api/items/2/edit", headers=h,
                           json={"field": "/messages/1/content", "value": "better", "expected": "answer 1"})
        assert edit.json()["data"]["messages"][1]["content"] == "better"
        stale = client.post("/api/items/2/edit", headers=h,
                            json={"field": "/messages/1/content", "value": "x", "expected": "answer 1"})
        assert stale.status_code == 400 and "someone else" in stale.json()["error"]
        tides = json.dumps({"where": [["/topic", "=", "tides"]]})
        listed = client.get("/api/items", params={"filter": tides, "limit": 5}).json()
        assert listed["total"] == 15 and len(listed["items"]) == 5
        moved = client.post("/api/bulk", headers=h, json={"filter": json.loads(tides), "decision": "reject",
                                                          "reason": "off-topic", "expected": 14})
        assert moved.status_code == 400 and "not the 14 shown" in moved.json()["error"]
        done = client.post("/api/bulk", headers=h, json={"filter": json.loads(tides), "decision": "reject",
                                                         "reason": "off-topic", "expected": 15})
        assert done.json() == {"decided": 15}
        assert client.get("/api/reasons").json() == [{"reason": "off-topic", "rows": 15}]
        stats = client.get("/api/stats").json()["summary"]
        assert stats["review.reviewed"] == 15 and stats["review.acceptance_rate"] == 0.0
        undo = client.post("/api/undo", headers=h, json={"item": 1}).json()
        assert undo["item"] == 1 and client.get("/api/items/1").json()["state"] == {}
        queue = client.get("/api/queue", params={"kind": "uniform"}).json()
        assert queue["size"] == queue["undecided"] == 16  # the sample size for +-5% of 16 rows is all of them
        strat = client.get("/api/queue", params={"kind": "stratified", "by": "/topic", "n": 4}).json()
        assert strat["size"] == 4
        risky = client.get("/api/queue", params={"kind": "risk", "n": 1}).json()["ids"]
        assert risky == [4]
        bad = client.get("/api/items", params={"filter": "{nope"})
        assert bad.status_code == 400 and "JSON" in bad.json()["error"]


def test_another_address_needs_allow_remote(dataset):
    path, _ = dataset
    with pytest.raises(SynthloomError, match="--allow-remote"):
        serve(path, host="0.0.0.0", port=1)


def test_more_like_this_and_each_reviewers_share(dataset):
    path, token = dataset
    with open_review(path) as store:
        other = store.add_reviewer("cy")
    with review_server(path) as url:
        client, csrf = _signed_in(url, token)
        similar = client.get("/api/similar/2", timeout=120).json()  # the first loads the embedding model
        assert similar["ids"] and 2 not in similar["ids"] and similar["by"]
        mine = client.get("/api/queue", params={"kind": "assigned", "k": 2}).json()
        theirs_client, _ = _signed_in(url, other)
        theirs = theirs_client.get("/api/queue", params={"kind": "assigned", "k": 2}).json()
        assert mine["overlap"] == 2 and 0 < mine["size"] < 30 and 0 < theirs["size"] < 30
        # three reviewers and k = 3: every row is everyone's
        ben = client.get("/api/queue", params={"kind": "assigned", "k": 3}).json()
        assert ben["size"] == 30
        client.post(f"/api/items/{mine['ids'][0]}/decide", headers={"X-CSRF-Token": csrf}, json={"decision": "accept"})
        again = client.get("/api/queue", params={"kind": "assigned", "k": 2}).json()
        assert again["size"] == mine["size"] - 1 and mine["ids"][0] not in again["ids"]
