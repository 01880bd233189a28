"""What the peer runners share (each runs under its own peer venv, with this folder on its path
as the script's own folder): the engine_vs_peers command line, and a log handler that notes when
distilabel has loaded its step processes."""

from __future__ import annotations

import argparse
import logging


def runner_args() -> argparse.Namespace:
    """`--url --rows --concurrency [--judge] [--seed]`, as engine_vs_peers.py calls every runner."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--concurrency", type=int, required=True)
    ap.add_argument("--judge", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


class LoadedMark(logging.Handler):
    """Notes when distilabel logs that all steps are loaded (its start-up inside run())."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.at: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.at is None and "have been loaded" in record.getMessage():
            self.at = record.created
