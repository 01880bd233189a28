"""Tables and summaries for the terminal."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from synthloom.cli.safe_text import one_line, safe
from synthloom.generate import RunSummary
from synthloom.models.token_count import ESTIMATE_RULE as TOKEN_ESTIMATE


def _cell(value: Any, width: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text if len(text) <= width else text[: width - 1] + "…"
    return safe(text)  # a model's answer: no markup, no escape sequences


def rows_table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=safe(title), show_lines=True)
    columns = list(dict.fromkeys(k for r in rows for k in r))
    for c in columns:
        table.add_column(one_line(c), overflow="fold")
    for r in rows:
        table.add_row(*(_cell(r.get(c, "")) for c in columns))
    return table


def print_summary(console: Console, summary: RunSummary, shown: frozenset[str] = frozenset()) -> None:
    """`shown`: notices already printed when the run started."""
    for notice in summary.notices:
        if notice not in shown:
            console.print(f"[yellow]note:[/] {safe(notice)}")
    colour = "green" if summary.status == "complete" else "yellow"
    console.print(
        f"[{colour}]{summary.status}[/]: {summary.accepted}/{summary.target} rows accepted, "
        f"{summary.rejected} rejected, {summary.batches} batches, {summary.elapsed_s:.1f}s"
    )
    if summary.rejections:
        t = Table(title="rejected rows by reason")
        t.add_column("column")
        t.add_column("reason", overflow="fold")
        t.add_column("rows", justify="right")
        for col, reason, n in summary.rejections[:15]:
            t.add_row(one_line(col), safe(reason), str(n))
        console.print(t)
    if summary.usage:
        estimated = summary.estimated_tokens
        t = Table(title="token usage")
        headers = ("column", "model", "calls", "cached", "prompt tok", "completion tok",
                   *(("estimated tok",) if estimated else ()), "cost $")
        for h in headers:
            t.add_column(h, justify="right" if h not in ("column", "model") else "left")
        for u in summary.usage:
            t.add_row(
                one_line(u.column), one_line(u.model), str(u.calls), str(u.cached_calls), f"{u.prompt_tokens:,}",
                f"{u.completion_tokens:,}", *((f"{u.estimated_tokens:,}",) if estimated else ()), f"{u.cost_usd:.4f}",
            )
        console.print(t)
        if estimated:
            console.print(
                f"[yellow]estimated:[/] {estimated:,} of {summary.tokens:,} tokens ({TOKEN_ESTIMATE}); the server "
                "reported no token usage for them, and the cost and the budget used the estimate"
            )
    run_dir = safe(summary.run_dir)
    console.print(f"data: {run_dir}/shards  rejected: {run_dir}/rejected")
    console.print(f"manifest: {run_dir}/manifest.json  lineage: {run_dir}/run.sqlite")
