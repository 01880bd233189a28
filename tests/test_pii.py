"""PII detection scored on five labelled sets in tests/data: recall on structured identifiers
and on person names, the share of PII-free texts with any finding, and precision over every span.

Each set after the first was built by someone who had not seen the detector; it was scored once
as it came ("first look"), and its misses then guided general fixes. So only the first look of
each is an honest estimate on unseen text; the floors below guard the fixes against regressions.

    set            items  first look: names  structured  false positives   now: names  structured  FP
    pii_labelled    367   (rules developed on it)                                1.00      1.00     1/75
    pii_heldout     272          0.71          0.94          12/92                0.99      1.00     1/92
    pii_final       344          0.76          0.96          13/121               0.94      1.00     6/121
    pii_untouched   341          0.71          0.92          16/112               0.86      0.98    10/112
    pii_blind       310          0.83          0.95          20/102               0.83      1.00    17/102
    pii_blind2      305          0.63          0.91          12/102          (kept untouched)

pii_blind2 is kept untouched: no rule was changed for it, so it stays an honest estimate (its
floors are its first look). Judge future rule work on it before looking at its misses; most are
names in sentences of languages the context rules do not cover (Polish, Czech, Turkish,
Indonesian, Finnish), "Surname, Given" and SURNAME Given forms, and single given names.

Most false positives left are people's names used for something else: fictional characters,
brands, places and eponyms ("Marie Curie nurses", "Albert Heijn", "Atticus Finch"), which a
gazetteer cannot tell apart; an NER model plugged in through the `presidio:` option can.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from synthloom.data.text.pii import find_pii, iban_ok, luhn_ok, redact

DATA = Path(__file__).parent / "data"


def _found(label: dict, spans) -> bool:
    return any(s.kind == label["kind"] and (label["value"] in s.text or s.text in label["value"])
               and len(s.text) >= 0.5 * len(label["value"]) for s in spans)


FLOORS = {  # set: (structured recall, name recall, false-positive rate at most, precision)
    "pii_labelled": (0.99, 0.85, 0.02, 0.95),
    "pii_heldout": (0.99, 0.85, 0.02, 0.95),
    "pii_final": (0.99, 0.85, 0.06, 0.95),
    "pii_untouched": (0.98, 0.85, 0.10, 0.93),
    "pii_blind": (0.99, 0.80, 0.17, 0.90),
    "pii_blind2": (0.91, 0.62, 0.12, 0.89),
}


@pytest.mark.parametrize("name", list(FLOORS))
def test_labelled_set_recall_and_false_positive_rate(name):
    items = [json.loads(line) for line in (DATA / f"{name}.jsonl").open(encoding="utf-8")]
    assert len(items) >= 250
    hit, total = Counter(), Counter()
    negatives = flagged = right = found = 0
    for item in items:
        spans = find_pii(item["text"])
        found += len(spans)
        right += sum(any(_found(label, [s]) for label in item["pii"]) for s in spans)
        if not item["pii"]:
            negatives += 1
            flagged += bool(spans)
        for label in item["pii"]:
            group = "person" if label["kind"] == "person" else "structured"
            total[group] += 1
            hit[group] += _found(label, spans)
    assert total["person"] >= 100 and total["structured"] >= 90 and negatives >= 60
    structured, names, false_positives, precision = FLOORS[name]
    assert hit["structured"] / total["structured"] >= structured
    assert hit["person"] / total["person"] >= names
    assert flagged / negatives <= false_positives
    assert right / found >= precision


def test_checksums_and_redaction():
    assert luhn_ok("4111 1111 1111 1111") and not luhn_ok("4111 1111 1111 1112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB83 WEST 1234 5698 7654 32")
    text = "Mail Anna Schmidt at anna@example.org, card 4111 1111 1111 1111."
    assert redact(text, find_pii(text)) == "Mail [PERSON] at [EMAIL], card [CREDIT_CARD]."
    assert find_pii(text, kinds=["email"])[0].text == "anna@example.org"


def test_wiki_text_from_the_demo_seeds_has_no_person_names():
    """Hard-wrapped lines, place names, diseases, song titles and nationalities from the bundled
    knowledge documents: none of them is a person (each was once flagged)."""
    texts = ["The black-capped chickadee is widely distributed throughout North\nAmerica, ranging from the north",
             "the potential link between West Nile Virus and black-capped chickadee nesting",
             'the lyrics in her 2009 parody song "Thug Story" with an American record producer',
             "(due to her influence on the music industry). Chinese Swifties dubbed her Meimei"]
    assert [find_pii(t) for t in texts] == [[], [], [], []]


@pytest.mark.timeout(60)  # a guard against hangs, not a speed check: these inputs once took exponential time
def test_inputs_that_once_backtracked_still_give_the_right_answer():
    long_word = "A" + "a" * 60 + "h"
    assert [s.text for s in find_pii(f"Kim {long_word}, how are you")] == [f"Kim {long_word}"]
    assert find_pii("Thanks\nAb" + "-cd" * 60 + "1") == []
    assert find_pii(("+1" + "2" * 40 + "x ") * 115) == []
    assert find_pii("x." * 10000) == []
    many = find_pii("Anna Smith\n" * 4000)
    assert len(many) == 4000 and {s.text for s in many} == {"Anna Smith"}
