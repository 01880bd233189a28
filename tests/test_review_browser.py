"""The review app in Debian's Chromium, driven by Playwright (never a downloaded browser): a
reviewer signs in, works 20 rows by keyboard alone (accept, reject with a reason, edit a nested
field, comment, undo, next / previous), rejects a filter's matches in bulk; `synthloom export`
then holds exactly the rows not rejected, the edit applied. A row whose text is an XSS payload
stays text. Screenshots of both views are saved to build/screenshots/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import run_cli
from .review_server import review_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it as root)")
SHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def run(tmp_path, scripted_server):
    from .test_builtin_recipes import run_builtin

    server = scripted_server(enum_choice="max")
    summary, _, _ = run_builtin("nemotron_dialogue", tmp_path, server, ["target_rows=30"])
    return summary.run_dir


def _plant_payload(run_dir: Path) -> str:
    """Make the first kept row's last turn an XSS payload, in the review's own copy of it (as if
    the model had written it): its row id."""
    from synthloom.review.target import open_review

    with open_review(run_dir) as store:
        data = store.original(1)
        data["dialogue"][-1]["content"] = XSS
        store.conn.execute("UPDATE items SET data=? WHERE item=1", (json.dumps(data),))
        return store.row_id(1)


def test_a_reviewer_works_by_keyboard_and_export_follows(run, browser, tmp_path):
    from synthloom.review.target import open_review

    with open_review(run) as store:
        token = store.add_reviewer("ana")
        rows = {store.row_id(i): store.original(i) for i in range(1, store.count() + 1)}
    _plant_payload(run)
    assert len(rows) == 30
    SHOTS.mkdir(parents=True, exist_ok=True)
    with review_server(run) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url + "/")
        assert page.url.endswith("/login")
        page.fill("#token", token)
        page.keyboard.press("Enter")
        page.wait_for_selector("#row .field")
        assert page.locator("#reviewer").text_content() == "ana"
        # the payload is shown as text, and nothing ran
        assert XSS in page.locator("#row").text_content()
        assert page.evaluate("window.__xss === undefined") and dialogs == []
        assert page.locator("#row img").count() == 0 and page.locator("#row script").count() == 0

        decided: dict[str, str] = {}

        def current() -> str:
            return page.locator("#row .row-id").text_content().split(" · ")[0]

        def wait_for_next(previous: str) -> None:
            page.wait_for_function("p => !document.querySelector('#row .row-id').textContent.startsWith(p)",
                                   arg=previous)

        # 20 rows by keyboard: reject every fifth with a preset reason, edit the 4th, comment the 8th
        for n in range(20):
            row_id = current()
            if n == 3:
                page.keyboard.press("e")
                area = page.locator('#row textarea[data-pointer="/dialogue/1/content"]')
                area.focus()
                page.keyboard.press("Control+a")
                page.keyboard.type("An edited reply, checked by a person.")
                page.keyboard.press("Control+Enter")
                page.wait_for_selector("#row .value.changed")
                edited = row_id
            if n == 7:
                page.keyboard.press("c")
                page.keyboard.type("reads well")
                page.keyboard.press("Enter")
                page.wait_for_selector("#events li:has-text('comment')")
            if n % 5 == 4:
                page.keyboard.press("r")
                page.wait_for_selector("#reasons:not([hidden])")
                page.keyboard.press("3")  # the third preset reason
                decided[row_id] = "reject"
            else:
                page.keyboard.press("a")
                decided[row_id] = "accept"
            wait_for_next(row_id)
        # back one row (rejected), undo that, and accept it instead
        page.keyboard.press("k")
        last = list(decided)[-1]
        assert decided[last] == "reject"
        page.wait_for_function("p => document.querySelector('#row .row-id').textContent.startsWith(p)", arg=last)
        page.keyboard.press("u")
        page.wait_for_selector("#state .badge:has-text('undecided')")
        page.keyboard.press("a")
        decided[last] = "accept"
        wait_for_next(last)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / "review-focus.png"))

        # table view: rows whose first turn mentions a topic word, rejected in bulk
        page.keyboard.press("t")
        page.wait_for_selector("#grid tr")
        page.select_option("#f-field", "/topic")
        topic = rows[next(iter(rows))]["topic"]
        page.fill("#f-value", topic)
        page.click("#f-add")
        page.wait_for_selector(".chip")
        page.wait_for_function("t => document.querySelector('#page-info').textContent.includes('of')", arg=None)
        matching = {rid for rid, row in rows.items() if row["topic"] == topic}
        page.wait_for_function("n => document.querySelector('#page-info').textContent.endsWith('of ' + n)",
                               arg=len(matching))
        page.check("#select-all")
        page.select_option("#bulk-reason", "off-topic")
        page.screenshot(path=str(SHOTS / "review-table.png"))
        page.click("#bulk-reject")
        page.wait_for_selector("#toast:has-text('rejected')")
        assert dialogs == [] and page.evaluate("window.__xss === undefined")

    exported = run_cli("export", str(run), "-f", "sft")
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in (run / "export" / "sft.jsonl").read_text().splitlines()]
    rejected = {rid for rid, d in decided.items() if d == "reject"} | matching
    kept = [rid for rid in rows if rid not in rejected]
    assert len(records) == len(kept) and len(rejected) >= 4
    texts = [m["content"] for r in records for m in r["messages"]]
    assert ("An edited reply, checked by a person." in texts) == (edited not in rejected)
    card = (run / "export" / "README.md").read_text()
    assert "## Human review" in card and f"{len(rejected)} rejected" in card
