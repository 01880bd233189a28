"""`synthloom review TARGET`: open the review (importing rows it lacks) and serve the app with
uvicorn, on 127.0.0.1 unless the user asks for another address and says so twice."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synthloom.config.errors import SynthloomError
from synthloom.data.runs.run_reader import is_run_dir, open_run
from synthloom.data.sources.seed_rows import load_seed_rows
from synthloom.review.app import create_app
from synthloom.review.risk import judge_scales
from synthloom.review.target import open_review

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def seed_texts(recipe: Any) -> list[str]:
    """The texts of the run's seed rows, read as generation read them (copying is measured
    against them); a seed that cannot be read now (moved files) gives none."""
    texts: list[str] = []
    for col in recipe.columns:
        if col.kind != "seed":
            continue
        try:
            rows = load_seed_rows(col, recipe.resolve_path)
        except SynthloomError:
            continue
        texts += [v for row in rows for v in row.values() if isinstance(v, str) and len(v.split()) >= 3]
    return texts


def build_app(target: Path, *, host: str = "127.0.0.1", port: int = 8765) -> Any:
    """The app for `target`, with its store open (the caller serves it)."""
    target = Path(target)
    store = open_review(target)
    lineage: Callable[[str], dict[str, Any] | None] | None = None
    scales = []
    title = target.name
    references: list[str] = []
    if is_run_dir(target):
        with open_run(target) as run:
            scales = judge_scales(run.recipe)
            title = f"run {run.recipe.name}"
            references = seed_texts(run.recipe)
        readers: dict[str, Any] = {}

        def lineage(row_id: str) -> dict[str, Any] | None:
            if "run" not in readers:  # opened on the serving thread, on first use
                readers["run"] = open_run(target)
            return readers["run"].lineage(row_id)

    allowed = {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")} if is_loopback(host) else None
    app = create_app(store, title=title, allowed_hosts=allowed, lineage=lineage, scales=scales,
                     references=references)
    app.state.store = store
    return app


def serve(target: Path, *, host: str = "127.0.0.1", port: int = 8765, allow_remote: bool = False,
          say: Callable[[str], None] = print) -> None:
    if not is_loopback(host) and not allow_remote:
        raise SynthloomError(f"--host {host} would let other machines reach the review; add --allow-remote "
                             "if that is what you want (the app has no TLS: use it on a network you trust)")
    import uvicorn

    app = build_app(target, host=host, port=port)
    store = app.state.store
    if not store.reviewers():
        say(f"no reviewers yet: run `synthloom review add-user {target} NAME` and sign in with its token")
    if not is_loopback(host):
        say(f"WARNING: serving on {host}:{port}: anyone who can reach it sees the sign-in page "
            "(rows still need a reviewer's token); there is no TLS")
    say(f"reviewing {store.count()} rows of {target} at http://{'127.0.0.1' if is_loopback(host) else host}:{port}/ "
        f"(Ctrl-C stops; decisions are in {store.path})")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        store.close()
