"""How long `synthloom collapse simulate` takes for each setup at its default generations and
seeds (issue 18 asks for all of them in under 5 minutes on this machine), each in its own process
as a user runs it.

    .venv/bin/python benchmarks/collapse_simulate.py [--setups linear gaussian gmm text tabular]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETUPS = ["linear", "gaussian", "gmm", "text", "tabular"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--setups", nargs="*", default=SETUPS, choices=SETUPS)
    args = ap.parse_args()
    synthloom = Path(sys.executable).parent / "synthloom"
    times = {}
    with tempfile.TemporaryDirectory() as out:
        for setup in args.setups:
            started = time.perf_counter()
            subprocess.run([str(synthloom), "collapse", "simulate", setup, "-o", f"{out}/{setup}"], check=True,
                           stdout=subprocess.DEVNULL)
            times[setup] = time.perf_counter() - started
            print(f"RESULT collapse_simulate setup={setup} seconds={times[setup]:.1f}", flush=True)
    print("RESULT collapse_simulate setup=all " + f"seconds={sum(times.values()):.1f} "
          + " ".join(f"{k}={v:.1f}" for k, v in times.items()))


if __name__ == "__main__":
    main()
