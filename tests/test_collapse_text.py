"""The text setup of the collapse loop (collapse/text_setup.py): a bigram model trained on real
sentences of Python's documentation, then on its own text. Replace mode loses rare words and word
pairs for good and its perplexity on held-out real text climbs; accumulate keeps every real word.
The monitor's alarm, calibrated once (alarm.py), fires by generation 2 on replace and stays quiet
on accumulate; `synthloom drift` reads plain text files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from synthloom.collapse.alarm import first_alarm
from synthloom.collapse.corpus import python_docs_sentences, words
from synthloom.collapse.loop import Mix, run
from synthloom.collapse.signals import generation_signals
from synthloom.collapse.simulation import simulate_setup
from synthloom.collapse.text_setup import TextLoop

from .conftest import run_cli


class _Unmeasured(TextLoop):
    def measure(self, *args):  # the monitor reads the generations' text, not the model
        return {}


def _generations(mode: str, generations: int, seed: int) -> tuple[list[str], list[list[str]]]:
    setup, texts = _Unmeasured(1000), []
    run(setup, Mix(mode), generations, seed, observe=lambda g, rows: texts.append(rows))
    real = setup.real(setup.world(np.random.default_rng(seed)), np.random.default_rng(seed))
    return real, texts


def _alarm(real: list[str], texts: list[list[str]]):
    reference = pd.DataFrame({"text": real})
    return first_alarm([generation_signals(reference, pd.DataFrame({"text": t})) for t in texts])


def test_the_corpus_is_real_prose_that_ships_with_python():
    sentences = python_docs_sentences()
    assert len(sentences) > 2000
    assert len({w for s in sentences for w in words(s)}) > 2000
    assert not any(s.lstrip().startswith(">>>") for s in sentences)


def test_replace_raises_the_alarm_by_generation_2():
    fired = [_alarm(*_generations("replace", 3, 700 + seed)) for seed in range(10)]
    assert all(a is not None and a.generation <= 2 for a in fired), fired
    assert all("word pairs" in a.reason for a in fired)


def test_accumulate_raises_no_alarm():
    fired = [_alarm(*_generations("accumulate", 12, 900 + seed)) for seed in range(4)]
    assert fired == [None] * 4


def test_replace_loses_rare_words_for_good_and_accumulate_keeps_them():
    report = simulate_setup("text", generations=4, seeds=2, modes=("replace", "accumulate"))
    replace, accumulate = report["modes"]["replace"], report["modes"]["accumulate"]
    assert replace["rare_types_retained"]["mean"][-1] < 0.6 <= 1.0 == accumulate["rare_types_retained"]["mean"][-1]
    assert replace["perplexity"]["mean"][-1] > 1.5 * replace["perplexity"]["mean"][0]
    assert accumulate["perplexity"]["mean"][-1] < 1.25 * accumulate["perplexity"]["mean"][0]
    assert replace["distinct_2"]["mean"][-1] < accumulate["distinct_2"]["mean"][-1]


def test_drift_reads_text_files_and_names_the_alarm(tmp_path):
    real, texts = _generations("replace", 3, 5)
    (tmp_path / "real.txt").write_text("\n".join(real) + "\n")
    paths = []
    for g, rows in enumerate(texts, start=1):
        paths.append(tmp_path / f"gen{g}.txt")
        paths[-1].write_text("\n".join(rows) + "\n")
    done = run_cli("drift", str(tmp_path / "real.txt"), *map(str, paths), "-o", str(tmp_path / "out"),
                   "--embedding", "tfidf")
    assert done.returncode == 0, done.stderr
    assert "ALARM at generation 2" in done.stdout and "word pairs" in done.stdout
    report = json.loads((tmp_path / "out" / "drift.json").read_text())
    first, second = report["signals"][0], report["signals"][1]
    assert second["pair_coverage"] < first["pair_coverage"] and second["rare_type_coverage"] < first["rare_type_coverage"]
    # the real text reads worse under a model of each later generation (rare words gone); on
    # embeddings, recall falls more slowly (0.90 to 0.83 by generation 7 on this seed)
    assert second["perplexity_generated_model"] > first["perplexity_generated_model"]
    assert all(0 <= second[k] <= 1 for k in ("precision", "recall", "coverage"))
