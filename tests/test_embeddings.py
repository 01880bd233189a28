"""Sentence embeddings: the shipped MiniLM weights load offline and rank a paraphrase above an
unrelated sentence; the TF-IDF fallback does the same for word overlap; text evaluation names
the embedder it used."""

from __future__ import annotations

import numpy as np
import pytest

from synthloom.config.errors import SynthloomError
from synthloom.evaluate.text import text_report
from synthloom.models.embeddings import MiniLM, Tfidf, embedder, minilm_available

ANCHOR = "How do I reset my password?"
PARAPHRASE = "What are the steps to change a forgotten login password?"
UNRELATED = "The tide rises twice a day because of the moon's gravity."


@pytest.mark.skipif(not minilm_available(), reason="the embed extra is not installed")
def test_minilm_ranks_a_paraphrase_above_an_unrelated_sentence(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    z = MiniLM().encode([ANCHOR, PARAPHRASE, UNRELATED])
    assert z.shape == (3, 384) and np.allclose(np.linalg.norm(z, axis=1), 1, atol=1e-5)
    assert z[0] @ z[1] > 0.5 > z[0] @ z[2]
    assert np.array_equal(z, MiniLM().encode([ANCHOR, PARAPHRASE, UNRELATED]))  # reproducible
    assert embedder("auto", []).name.startswith("all-MiniLM")


def test_tfidf_fallback_is_unit_length_and_follows_word_overlap():
    corpus = [ANCHOR, PARAPHRASE, UNRELATED, "reset the password of my account", "moon and tide tables"]
    model = Tfidf(corpus)
    z = model.encode([ANCHOR, "reset my password", UNRELATED])
    assert np.allclose(np.linalg.norm(z, axis=1), 1, atol=1e-5)
    assert z[0] @ z[1] > z[0] @ z[2]
    assert embedder("tfidf", corpus).name.startswith("tf-idf")
    with pytest.raises(SynthloomError, match="choose auto, minilm or tfidf"):
        embedder("bert", corpus)  # type: ignore[arg-type]


@pytest.mark.skipif(not minilm_available(), reason="the embed extra is not installed")
def test_text_fidelity_on_minilm_separates_a_paraphrased_set_from_an_unrelated_one():
    reference = [f"How can I {verb} my {thing}?" for verb in ("reset", "change", "recover", "update")
                 for thing in ("password", "login", "account pin", "security question")]
    close = [f"What is the way to {verb} the {thing} of my account?" for verb in ("reset", "change", "recover")
             for thing in ("password", "login", "pin", "security answer")]
    far = [f"Tides near {place} rise {n} times a day." for place in ("Brest", "Oslo", "Lima") for n in range(4)]
    near_report = text_report(close, reference, embedding="minilm")["fidelity"]
    far_report = text_report(far, reference, embedding="minilm")["fidelity"]
    assert near_report["embedding"].startswith("all-MiniLM")
    assert near_report["frechet_distance"] < far_report["frechet_distance"]
