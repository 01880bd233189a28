"""What the builders of the labelled PII test sets (tests/data/build_pii_*.py) share.

Checksums (Luhn, IBAN mod-97, SSN ranges), makers of cards, IBANs and SSNs, the row format, the
assembly of structured and bad-value rows from a builder's specs (the blind sets), the checks every
set must pass (and those of the sets whose names carry particles), the name-overlap check between
sets and the JSONL writer. Standard library only. tests/data is not a package: each builder puts its own folder on sys.path and
imports from here.

Every set is a JSONL file of rows (see row and write_set): {"text": str, "pii": [{"kind": K, "value": V},
...]}, where V is the exact substring of the text that is the PII and an empty list means the text has none.
Kinds (KINDS): email, phone, credit_card, iban, us_ssn, ip_address, url_credentials, street_address, person.

The makers take the builder's random.Random and draw from it in a fixed order, so a builder's
output depends only on its seed and its own data. The builders' name lists, sentences and
negatives stay in the builders: they are each set's data.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

KINDS = frozenset({"email", "phone", "credit_card", "iban", "us_ssn", "ip_address", "url_credentials",
                   "street_address", "person"})
DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# --------------------------------------------------------------------------- checksums


def luhn_ok(number: str) -> bool:
    """True if the digits of number (spaces, dashes and other separators ignored) pass the Luhn check."""
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return bool(digits) and total % 10 == 0


def luhn_digit(body: str) -> str:
    """The Luhn check digit to append to a string of digits."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def _iban_number(s: str) -> int:
    return int("".join(str(int(c, 36)) for c in s))


def iban_ok(iban: str) -> bool:
    """True if iban (spaces allowed) has the IBAN shape and its check digits pass mod 97."""
    raw = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", raw):
        return False
    return _iban_number(raw[4:] + raw[:4]) % 97 == 1


def iban_check_digits(country: str, bban: str) -> int:
    return 98 - _iban_number(bban + country + "00") % 97


def ssn_ok(ssn: str) -> bool:
    """True if the nine digits of ssn (any separators) were issuable: area not 000, 666 or 9xx, group not 00,
    serial not 0000."""
    digits = re.sub(r"\D", "", ssn)
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return len(digits) == 9 and area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


# Published test vectors: the Luhn example 7992739871-3, the Visa and Amex test cards, ECBS example IBANs.
assert luhn_digit("7992739871") == "3" and luhn_ok("79927398713")
assert not luhn_ok("79927398710") and not luhn_ok("79927398714")
assert luhn_ok("4111 1111 1111 1111") and luhn_digit("411111111111111") == "1"
assert luhn_ok("3782 822463 10005") and luhn_digit("37828224631000") == "5"
assert iban_check_digits("GB", "WEST12345698765432") == 82 and iban_ok("GB82 WEST 1234 5698 7654 32")
assert iban_check_digits("DE", "370400440532013000") == 89 and not iban_ok("DE88370400440532013000")
assert iban_check_digits("BE", "539007547034") == 68 and iban_ok("BE68 5390 0754 7034")
assert iban_check_digits("FR", "20041010050500013M02606") == 14 and not iban_ok("FR1520041010050500013M02606")
assert ssn_ok("123-45-6789") and not ssn_ok("666-45-6789") and not ssn_ok("123-00-6789")
assert not ssn_ok("123-45-0000")

# --------------------------------------------------------------------------- makers (they draw from the rng given)


def random_digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(DIGITS) for _ in range(n))


def random_bban(rng: random.Random, pattern: str) -> str:
    """A BBAN after pattern: n a digit, a a capital letter."""
    return "".join(rng.choice(LETTERS) if p == "a" else rng.choice(DIGITS) for p in pattern)


def group_by_four(s: str) -> str:
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def card_number(rng: random.Random, prefix: str, length: int, valid: bool = True) -> str:
    """length digits starting with prefix; the last is the Luhn digit, or with valid=False a wrong one."""
    body = prefix + random_digits(rng, length - len(prefix) - 1)
    check = luhn_digit(body)
    if not valid:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    number = body + check
    assert luhn_ok(number) == valid, number
    return number


def format_card(number: str, style: str) -> str:
    """style "none", "space" or "dash"; Diners (14 digits) is grouped 4-6-4, Amex (15) 4-6-5, others by four."""
    if style == "none":
        return number
    sep = " " if style == "space" else "-"
    if len(number) in (14, 15):
        parts = [number[:4], number[4:10], number[10:]]
    else:
        parts = [number[i:i + 4] for i in range(0, len(number), 4)]
    return sep.join(parts)


def make_iban(rng: random.Random, country: str, bban: str | Callable[[], str], grouped: bool = True,
              corrupt: str | None = None) -> str:
    """An IBAN with valid check digits around a BBAN drawn after a pattern (see random_bban) or made by a function.

    corrupt="check" gives another check pair (any other value in 2..98 leaves a remainder other than 1),
    corrupt="swap" swaps two adjacent different digits of the BBAN: either way the IBAN is not valid.
    """
    bban = bban() if callable(bban) else random_bban(rng, bban)
    check = iban_check_digits(country, bban)
    if corrupt == "check":
        check = rng.choice([c for c in range(2, 99) if c != check])
    elif corrupt == "swap":
        i = next(i for i in range(len(bban) - 1) if bban[i] != bban[i + 1] and bban[i:i + 2].isdigit())
        bban = bban[:i] + bban[i + 1] + bban[i] + bban[i + 2:]
    elif corrupt is not None:
        raise ValueError(corrupt)
    raw = f"{country}{check:02d}{bban}"
    assert iban_ok(raw) == (corrupt is None), raw
    return group_by_four(raw) if grouped else raw


def sized_iban(rng: random.Random, lengths: dict[str, int], country: str, bban: str | Callable[[], str],
               grouped: bool = True, corrupt: str | None = None) -> str:
    """make_iban, checked to have the official length of the country's IBANs (lengths: country -> length)."""
    v = make_iban(rng, country, bban, grouped, corrupt)
    assert len(v.replace(" ", "")) == lengths[country], v
    return v


def nib_check_pair(body: str) -> str:
    """The national check pair 98 - body*100 mod 97 (the Portuguese NIB, the Slovenian BBAN): with it the IBAN
    check digits are the same for every BBAN of the country."""
    return f"{98 - int(body) * 100 % 97:02d}"


def make_ssn(rng: random.Random, sep: str = "-", max_area: int = 772) -> str:
    """An issuable SSN with an area from 001 to max_area (666 left out); 001-772 were all issued before 2011."""
    area = rng.choice([a for a in range(1, max_area + 1) if a != 666])
    ssn = sep.join([f"{area:03d}", f"{rng.randint(1, 99):02d}", f"{rng.randint(1, 9999):04d}"])
    assert ssn_ok(ssn), ssn
    return ssn


def luhn_runs(text: str, loose: bool = False) -> list[str]:
    """Runs of 13 to 19 digits in text that pass Luhn: digits with single spaces or dashes between them, or with
    loose=True any spaces and dashes between them."""
    out = []
    for run in re.findall(r"\d[\d -]{11,}\d" if loose else r"\d(?:[ -]?\d){12,}", text):
        d = re.sub(r"\D", "", run)
        if 13 <= len(d) <= 19 and luhn_ok(d):
            out.append(run)
    return out


def draw_without_card(make: Callable[..., str], *args, **kwargs) -> str:
    """make(*args, **kwargs), drawn again while some digit run in it would pass as a card by accident."""
    v = make(*args, **kwargs)
    while luhn_runs(v):
        v = make(*args, **kwargs)
    return v


# --------------------------------------------------------------------------- rows


def row(text: str, labels: Iterable[tuple[str, str]]) -> dict:
    return {"text": text, "pii": [{"kind": k, "value": v} for k, v in labels]}


def slot_row(template: str, kind: str, value: str) -> dict:
    """template with {v} filled by value, labelled as kind."""
    return row(template.format(v=value), [(kind, value)])


def person_rows(items: Iterable[tuple[str, list[str]]]) -> list[dict]:
    """Rows from (text, [person names as written]) pairs."""
    return [row(text, [("person", n) for n in names]) for text, names in items]


def negative_rows(bad_ssn_texts: Iterable[str], negatives: Iterable[str]) -> list[dict]:
    """Rows without PII: texts holding an SSN-shaped number that was never issued (checked), then the negatives."""
    out = []
    for text in bad_ssn_texts:
        ssn = re.search(r"\d{3}-\d{2}-\d{4}", text).group()
        assert not ssn_ok(ssn), ssn
        out.append(row(text, []))
    return out + [row(text, []) for text in negatives]


def structured_rows(rng: random.Random, phone_specs: Iterable[tuple], card_specs: Iterable[tuple],
                    iban_specs: Iterable[tuple], iban_lengths: dict[str, int], ssn_contexts: Iterable[tuple[str, str]],
                    hand_structured: Iterable[tuple[str, list]], mixed: Iterable[tuple], *, mixed_card_prefix: str,
                    mixed_iban: tuple[str, str]) -> list[dict]:
    """Rows of structured PII, drawn from rng in this order.

    A phone per (country, maker, context) of phone_specs, a valid card per (issuer, prefix, length, grouping,
    context) of card_specs, an IBAN of the official length per (country, BBAN pattern or maker, grouped, context)
    of iban_specs, an SSN per (separator, context) of ssn_contexts; the hand-written (text, labels) items; then
    the mixed items (text, labels, phone maker or None), whose {phone}, {ssn}, {card} and {iban} slots (in text
    and labels) take a phone (empty without a maker), an SSN, a 16-digit card after mixed_card_prefix grouped by
    spaces and a grouped IBAN of mixed_iban (country, BBAN pattern), all four drawn for every item. Phones and
    IBANs are drawn again while a digit run in them would pass as a card.
    """
    out = [slot_row(context, "phone", draw_without_card(make)) for _, make, context in phone_specs]
    for _, prefix, length, style, context in card_specs:
        number = card_number(rng, prefix, length)
        assert len(number) == length, number
        out.append(slot_row(context, "credit_card", format_card(number, style)))
    for country, bban, grouped, context in iban_specs:
        out.append(slot_row(context, "iban", draw_without_card(sized_iban, rng, iban_lengths, country, bban, grouped)))
    out += [slot_row(context, "us_ssn", make_ssn(rng, sep)) for sep, context in ssn_contexts]
    out += [row(text, labels) for text, labels in hand_structured]
    mixed_country, mixed_pattern = mixed_iban
    for text, labels, make_phone in mixed:
        slots = {"phone": draw_without_card(make_phone) if make_phone else "", "ssn": make_ssn(rng),
                 "card": format_card(card_number(rng, mixed_card_prefix, 16), "space"),
                 "iban": draw_without_card(sized_iban, rng, iban_lengths, mixed_country, mixed_pattern, True)}
        out.append(row(text.format(**slots), [(k, v.format(**slots)) for k, v in labels]))
    return out


def bad_value_rows(rng: random.Random, card_specs: list[tuple], bad_card_contexts: Iterable[str],
                   iban_specs: Iterable[tuple], iban_lengths: dict[str, int],
                   bad_iban_contexts: Iterable[tuple[str, str, str]], *, card_step: int,
                   card_styles: list[str]) -> list[dict]:
    """Rows without PII, drawn from rng in this order: a card failing Luhn in each of bad_card_contexts, after the
    (issuer, prefix, length, ...) spec number i * card_step (cyclic) of card_specs, grouped after card_styles in
    turn; then an IBAN of the official length failing mod 97 in each (country, corruption, context) of
    bad_iban_contexts, with the BBAN pattern or maker of the country's row in iban_specs, grouped every other
    time (see make_iban for the corruptions)."""
    out = []
    for i, context in enumerate(bad_card_contexts):
        _, prefix, length, _, _ = card_specs[(i * card_step) % len(card_specs)]
        number = card_number(rng, prefix, length, valid=False)
        out.append(row(context.format(v=format_card(number, card_styles[i % len(card_styles)])), []))
    specs = {spec[0]: spec for spec in iban_specs}
    for j, (country, corrupt, context) in enumerate(bad_iban_contexts):
        _, bban, _, _ = specs[country]
        v = draw_without_card(sized_iban, rng, iban_lengths, country, bban, grouped=j % 2 == 0, corrupt=corrupt)
        out.append(row(context.format(v=v), []))
    return out


# --------------------------------------------------------------------------- checks

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
LOOSE_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
URL_CREDENTIALS_RE = re.compile(r"[a-z][a-z0-9+.-]*://[^:/@\s]+:[^@/\s]+@[^/:\s]+(:\d+)?")
IBAN_CANDIDATE_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
SSN_CANDIDATE_RE = re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b")
TITLES_RE = re.compile(r"(Dr|Mr|Mrs|Ms|Prof|Herr|Frau|Mme|Sr|Sra|Sig|Sig\.ra|Dott|dott|Pani|Cllr|Coach|Le conseiller)"
                       r"\.?\s")
LOOKALIKE_KINDS = frozenset({"credit_card", "iban", "us_ssn", "email"})


def _check_label(lab: dict, r: dict, known_names: set[str] | None) -> None:
    kind, value = lab["kind"], lab["value"]
    assert kind in KINDS, lab
    assert value and value in r["text"], (lab, r["text"])
    assert value == value.strip(), lab
    if kind == "credit_card":
        assert luhn_ok(value) and 13 <= len(re.sub(r"\D", "", value)) <= 19, lab
    if kind == "iban":
        assert iban_ok(value), lab
    if kind == "us_ssn":
        assert ssn_ok(value), lab
    if kind == "email":
        assert EMAIL_RE.fullmatch(value), lab
    if kind == "phone":
        assert 7 <= len(re.sub(r"\D", "", value)) <= 15 and re.fullmatch(r"[+(\d][\d ()./-]*\d", value), lab
        assert not luhn_runs(value) and not luhn_runs(value, loose=True), lab
    if kind == "person":  # the name as written: no title before it, no possessive after it, not inside an e-mail
        assert known_names is None or value in known_names, lab
        assert not TITLES_RE.match(value), lab
        assert not value.endswith(("'s", "’s", "-san")), lab
        assert not any(value.lower() in e["value"].lower() for e in r["pii"] if e["kind"] == "email"), lab
    if kind == "url_credentials":  # scheme://user:password@host[:port], no path
        assert URL_CREDENTIALS_RE.fullmatch(value), lab
    if kind == "ip_address":
        assert re.fullmatch(r"(\d{1,3}\.){3}\d{1,3}", value) or re.fullmatch(r"[0-9a-f:]+", value), lab
        if "." in value:
            assert all(0 <= int(p) <= 255 for p in value.split(".")), lab
        else:
            assert value.count(":") >= 2 and value.count("::") <= 1, lab
    if kind == "street_address":  # number and street only, no flat, postcode or city
        assert re.search(r"\d", value) and re.search(r"[^\W\d_]{3,}", value), lab
        assert not re.search(r"\b\d{4,5}\s+[A-Z][a-z]+$|\b(Apt|Flat|Suite|Unit|Level)\b", value), lab


def _check_lookalikes(r: dict, kinds: frozenset[str]) -> None:
    """No valid card, IBAN, SSN or e-mail in the text that is not labelled as one."""
    text, labels = r["text"], r["pii"]
    labelled = {k: {lab["value"] for lab in labels if lab["kind"] == k} for k in LOOKALIKE_KINDS}
    if "credit_card" in kinds:
        cards = {re.sub(r"\D", "", v) for v in labelled["credit_card"]}
        for run in luhn_runs(text) + luhn_runs(text, loose=True):
            assert re.sub(r"\D", "", run) in cards, (run, text)
    if "iban" in kinds:
        ibans = {v.replace(" ", "") for v in labelled["iban"]}
        for cand in IBAN_CANDIDATE_RE.findall(text):
            assert not iban_ok(cand) or cand.replace(" ", "") in ibans, (cand, text)
    if "us_ssn" in kinds:
        for cand in SSN_CANDIDATE_RE.findall(text):
            assert not ssn_ok(cand) or cand in labelled["us_ssn"], (cand, text)
    if "email" in kinds:
        url_spans = [(m.start(), m.end()) for lab in labels if lab["kind"] == "url_credentials"
                     for m in re.finditer(re.escape(lab["value"]), text)]
        for m in EMAIL_RE.finditer(text):  # user:password@host inside a credentials URL is not an e-mail
            if not any(a <= m.start() < b for a, b in url_spans):
                assert m.group() in labelled["email"], (m.group(), text)
        assert labels or not LOOSE_EMAIL_RE.search(text), text  # a negative holds nothing e-mail-like


def check_rows(rows: list[dict], known_names: set[str] | None = None, *, unique_texts: bool = True,
               lookalikes: Iterable[str] = LOOKALIKE_KINDS, lookalikes_in_labelled: bool = True) -> None:
    """The checks every set passes.

    Each label: a known kind; its value is a non-empty substring of the text without surrounding blanks; cards
    pass Luhn with 13 to 19 digits, IBANs mod 97, SSNs the issuing rules; e-mails, phones, credentials URLs, IP
    addresses and street addresses have the labelled shape; a person is one of known_names (when given), with
    no title or possessive and not inside a labelled e-mail. Texts are unique (unless unique_texts=False).
    No text holds a valid card, IBAN, SSN or e-mail (the kinds in lookalikes) that is not labelled: in every
    text, or only in the negatives with lookalikes_in_labelled=False.
    """
    if unique_texts:
        texts = [r["text"] for r in rows]
        assert len(texts) == len(set(texts)), [t for t in texts if texts.count(t) > 1]
    kinds = frozenset(lookalikes)
    assert kinds <= LOOKALIKE_KINDS, kinds
    for r in rows:
        for lab in r["pii"]:
            _check_label(lab, r, known_names)
        if lookalikes_in_labelled or not r["pii"]:
            _check_lookalikes(r, kinds)


def check_name_lists(rows: list[dict], full_names: dict[str, list[str]], given_names: list[str],
                     written_forms: dict[str, str] | None = None) -> set[str]:
    """The name lists of a set are sound and all used: full names by language (60 or more, in 15 groups or
    more, none listed twice), given names (20 or more) and written forms (written form -> full name, with the
    same name tokens). Returns every name a person label may carry."""
    written_forms = written_forms or {}
    full = {n for names in full_names.values() for n in names}
    assert len(full) == sum(len(v) for v in full_names.values()), "a full name is listed twice"
    for form, name in written_forms.items():  # a written form has the same tokens as its name
        assert name in full and name_tokens(form) == name_tokens(name), form
    used = {lab["value"] for r in rows for lab in r["pii"] if lab["kind"] == "person"}
    used_canonical = {written_forms.get(u, u) for u in used}
    assert full <= used_canonical, sorted(full - used_canonical)
    assert set(written_forms) <= used, sorted(set(written_forms) - used)
    assert set(given_names) <= used, sorted(set(given_names) - used)
    assert len(full) >= 60 and len(full_names) >= 15 and len(given_names) >= 20
    return full | set(given_names) | set(written_forms)


def name_tokens(s: str) -> set[str]:
    """Case-folded letter runs of two or more letters, accents stripped (Ø, Þ, Ð, Đ, Ł kept as letters)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return {t.casefold() for t in re.findall(r"[^\W\d_]{2,}", plain)}


def check_no_overlap(rows: list[dict], other_builders: Iterable[Path], names: Iterable[str] = (),
                     particles: Iterable[str] = ()) -> None:
    """No person-name token, text or labelled value of this set appears in the other builders.

    The other builders' source is read as plain text (nothing is imported or run). A token of a labelled
    person or of names, particles aside (name particles such as van, de, al are also common words), must not
    occur anywhere in their source as a word: that covers their name lists, given names, template words and
    the names inside their e-mail addresses. No text and no labelled value (case-folded) may occur in their
    source. Randomly drawn values (cards, IBANs, SSNs) are not in the source; each set draws them from its own
    seed over 10^9 to 10^20 values.
    """
    particles = {p.casefold() for p in particles}
    other_text = "\n".join(Path(p).read_text(encoding="utf-8") for p in other_builders)
    ours = {lab["value"] for r in rows for lab in r["pii"] if lab["kind"] == "person"} | set(names)
    assert not {n.casefold() for n in ours} & particles, "a particle is used as a name on its own"
    shared = ({t for name in ours for t in name_tokens(name)} - particles) & name_tokens(other_text)
    assert not shared, f"name tokens shared with the other sets: {sorted(shared)}"
    folded = other_text.casefold()
    for r in rows:
        assert r["text"] not in other_text, r["text"]
        for lab in r["pii"]:
            assert lab["value"].casefold() not in folded, lab


def check_particles(full_names: dict[str, list[str]], particles: set[str], *,
                    lower_case_except: Iterable[str] | None = None, all_used: bool = False) -> None:
    """Name particles (case-folded in particles) stand only inside a full name, never first; with
    lower_case_except, only in lower case but for the forms listed; with all_used, every particle is used."""
    full = {n for names in full_names.values() for n in names}
    keep = set(lower_case_except or ())
    for name in full:
        toks = name.replace("-", " ").split()
        assert toks[0].casefold() not in particles, name
        if lower_case_except is not None:
            assert all(t.casefold() not in particles or t in keep or t.islower() for t in toks), name
    if all_used:
        used = {t.casefold() for n in full for t in n.replace("-", " ").split()} & particles
        assert used == particles, particles - used


def check_iban_lengths(rows: list[dict], lengths: dict[str, int], *, min_countries: int = 10,
                       fixed_check_digits: dict[str, str] | None = None) -> None:
    """Every labelled IBAN has the official length of its country (lengths: country -> length), they come from
    min_countries countries or more, and a country of fixed_check_digits (country -> check digits, fixed by the
    national check inside the BBAN) has IBANs, all with those check digits."""
    ibans = [lab["value"] for r in rows for lab in r["pii"] if lab["kind"] == "iban"]
    assert all(len(v.replace(" ", "")) == lengths[v[:2]] for v in ibans), ibans
    assert len({v[:2] for v in ibans}) >= min_countries
    for country, check in (fixed_check_digits or {}).items():
        ours = [v for v in ibans if v.startswith(country)]
        assert ours and all(v.startswith(country + check) for v in ours), ours


def check_set_with_particles(rows: list[dict], full_names: dict[str, list[str]], given_names: list[str],
                             written_forms: dict[str, str], particles: set[str], iban_lengths: dict[str, int],
                             other_builders: Iterable[Path], *, particles_lower_except: Iterable[str] | None = None,
                             all_particles_used: bool = False,
                             fixed_iban_check_digits: dict[str, str] | None = None) -> None:
    """The checks of a set whose names carry particles: the name lists (check_name_lists), the particles
    (check_particles), the shared checks in every text (check_rows), IBANs of the official length and of ten
    countries or more (check_iban_lengths) and no overlap with the other builders, particles aside
    (check_no_overlap)."""
    known = check_name_lists(rows, full_names, given_names, written_forms)
    check_particles(full_names, particles, lower_case_except=particles_lower_except, all_used=all_particles_used)
    check_rows(rows, known)
    check_iban_lengths(rows, iban_lengths, fixed_check_digits=fixed_iban_check_digits)
    check_no_overlap(rows, other_builders, known, particles)


# --------------------------------------------------------------------------- output


def write_set(rows: list[dict], path: Path) -> None:
    """Write rows as JSON lines (UTF-8, non-ASCII kept) and print a summary."""
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for r in rows:
        for lab in r["pii"]:
            counts[lab["kind"]] = counts.get(lab["kind"], 0) + 1
    with_person = sum(any(lab["kind"] == "person" for lab in r["pii"]) for r in rows)
    print(f"{Path(path).name}: {len(rows)} items, {with_person} with a person, "
          f"{sum(not r['pii'] for r in rows)} without PII; labels: {counts}")
