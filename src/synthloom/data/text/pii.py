"""Personal details in free text: patterns with checksums for structured identifiers, and a
gazetteer with context rules for person names (no NER model is needed; see person_names.py).
`find_pii` returns non-overlapping spans; `redact` replaces them with [KIND] placeholders."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Callable, Iterable

from synthloom.data.text.person_names import find_names
from synthloom.data.text.spans import DisjointSpans


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int
    text: str


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    s = iban.replace(" ", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


# Visa, Mastercard, Amex, Discover, UnionPay, JCB, Diners, Maestro, Mir
_CARD_PREFIX = re.compile(r"^(4|5[1-5]|2[2-7]|3[47]|6011|64[4-9]|65|62|35|3[068]|50|5[6-9]|6[3-9]|220[0-4])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_URL_CREDENTIALS = re.compile(r"(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*+://[^\s:/@]+:[^\s/@]+@[^\s/]+")
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])")
_SSN_CONTEXT = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\)?\s*(?:#|:|is)?\s*"
                          r"((?!000|666|9\d\d)\d{3}[ ]?(?!00)\d{2}[ ]?(?!0000)\d{4})\b")
_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.]\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# dotted numbers after these words are versions or section numbers, not addresses
_VERSION_BEFORE = re.compile(r"(?i)(?:\b(?:v|version|versión|versão|versione|wersja|ver\.?|release|build|clause|section|sec\.|chapter|ch\.|article|art\.|"
                             r"rule|step|figure|fig\.|table|paragraph|para\.|item|no\.|firmware|fw|bios|kernel|driver|patch|"
                             r"android|ios|macos|windows|update|upgrade)|§)\s*$")
_PHONE = re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,8}+\)?){1,6}(?![\w-])|"
                    r"(?<![\w+])(?:\(\d{1,5}\)[\s.-]?\d{3,8}(?:[\s.-]\d{2,8}){0,3}|\d{2,5}(?:(?:[\s.-]| ?/ ?)\d{2,8}){1,4})(?![\w-])")
# Words that say a phone number follows, in the languages the set covers.
_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:tel|tel\.|phone|telephone|call|ring|fax|mobile|cell|handy|telefon|tél|téléphone|appelez|portable|"
    r"teléfono|llámenos|llame|móvil|celular|telefone|ligue|telefono|chiamare|cellulare|bel|mobiel|telefoon|"
    r"zadzwoń|komórka|ring)\b\.?[^\d\n]{0,12}$")
# "Meter ID 0045 9921 7730", "order no. 12 345 678": numbers that are ids unless a phone word is near
_ID_BEFORE = re.compile(r"(?i)\b(?:id|nr|no|number|ref|meter|account|acct|order|invoice|tracking|serial|"
                        r"batch|lot|ticket|case|policy|member|customer)\.?\s*(?:#|:)?\s*$")
_SSN_SHAPE = re.compile(r"^\d{3}([- ])\d{2}\1\d{4}$")  # never a phone grouping, valid SSN or not
_DATE_LIKE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")
_STREET_TYPES = (r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
                 r"Terrace|Square|Sq|Highway|Hwy|Parkway|Pkwy|Circle|Close|Crescent|Grove|Rise|Row|Mews|Walk|Gardens|"
                 r"Parade|Esplanade|Green|Vale|Gate|Wharf|Quay|Alley|Trail|Path")
_STREET = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+\.?\s+){{1,3}}(?:{_STREET_TYPES})\b\.?"
    r"|\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|gracht|straat|laan|plein|"
    r"kade|singel|dijk|steeg)\s+\d{1,4}[a-z]?\b"
    r"|\b[A-ZÄÖÜ][a-zäöüß]+\s+(?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Ring|Damm)\s+\d{1,4}[a-z]?\b"
    r"|\b(?:Am|An der|Auf der|Im|In der|Zum|Zur|Unter den)\s+[A-ZÄÖÜ][a-zäöüß]+\s+\d{1,4}[a-z]?\b(?![.:,]\d)"
    r"|\b\d{1,4}(?:\s*(?:bis|ter))?,?\s+(?:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai)\s+"
    r"(?:(?:de la|de l'|du|des|de|d')\s*)?[A-ZÉ][\w'-]+(?:\s+[A-ZÉ][\w'-]+)*"
    r"|\b(?:Calle|C/|Avenida|Avda\.|Av\.|Avenue|Plaza|Paseo|Passeig|Carrer|Rambla|Via|Viale|Piazza|Corso|Largo|"
    r"Rua|Praça|Travessa|Laan|Chaussée|Boulevard|Rue|ul\.|ulica|al\.|pl\.)\s+"
    r"(?:(?:de|del|de la|dels|van|dos|das|da|di|dei|degli|delle|du|des|de l')\s*)?"
    r"[A-ZÁÉÍÓÚŁŚŻŹ][\w'-]+(?:\s+[A-ZÁÉÍÓÚŁŚŻŹ][\w'-]+)*,?\s+(?:n[º°o]\.?\s*)?\d{1,4}(?:/[A-Z0-9]{1,3})?\b")


def _emails(text: str) -> Iterable[Span]:
    for m in _EMAIL.finditer(text):
        if not re.match(r":[\w~/]", text[m.end():]):  # git@host:repo is an SSH remote, not a mailbox
            yield Span("email", m.start(), m.end(), m.group())


_PLACEHOLDER = re.compile(r"[${<]|%\(|%s|\*{3}|[xX]{3}|^[A-Z_]+:[A-Z_]+$")  # ${PASS}, {user}, USERNAME:PASSWORD


def _url_credentials(text: str) -> Iterable[Span]:
    for m in _URL_CREDENTIALS.finditer(text):
        secret = m.group().split("://", 1)[1].rsplit("@", 1)[0]
        if not _PLACEHOLDER.search(secret):  # ${DB_PASSWORD}, <password>, ***: a template, no secret
            yield Span("url_credentials", m.start(), m.end(), m.group())


def _cards(text: str) -> Iterable[Span]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and luhn_ok(digits):
            yield Span("credit_card", m.start(), m.end(), m.group())


def _ibans(text: str) -> Iterable[Span]:
    for m in _IBAN.finditer(text):
        value = m.group().rstrip()
        if iban_ok(value):
            yield Span("iban", m.start(), m.start() + len(value), value)


def _ssns(text: str) -> Iterable[Span]:
    for m in _SSN.finditer(text):
        yield Span("us_ssn", m.start(), m.end(), m.group())  # 3-2-4 digits, one separator throughout
    for m in _SSN_CONTEXT.finditer(text):
        yield Span("us_ssn", m.start(1), m.end(1), m.group(1))


def _ips(text: str) -> Iterable[Span]:
    for m in _IPV4.finditer(text):
        if not _VERSION_BEFORE.search(text[max(0, m.start() - 10):m.start()]):
            yield Span("ip_address", m.start(), m.end(), m.group())
    for m in _IPV6.finditer(text):
        try:
            ipaddress.IPv6Address(m.group())
        except ValueError:
            continue
        if m.group().count(":") >= 2 and any(c.isalnum() for c in m.group()):
            yield Span("ip_address", m.start(), m.end(), m.group())


def _phones(text: str) -> Iterable[Span]:
    for m in _PHONE.finditer(text):
        value = m.group()
        digits = re.sub(r"\D", "", value)
        if _DATE_LIKE.match(value) or _SSN_SHAPE.match(value) or not 7 <= len(digits) <= 15:
            continue
        international = value.startswith("+")
        us_shape = re.fullmatch(r"\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}", value) is not None
        trunk = digits.startswith("0") and 9 <= len(digits) <= 12 and re.search(r"[\s.-]", value) is not None
        area_code = re.fullmatch(r"\(\d{2,5}\)\s?\d{3,5}[\s.-]?\d{3,4}", value) is not None  # (21) 99634-2207
        before = text[max(0, m.start() - 24):m.start()]
        part_of_code = re.search(r"[A-Za-z]+\d+\s$|[A-Za-z]\d*-$", before)
        labelled = _PHONE_CONTEXT.search(before) is not None
        an_id = _ID_BEFORE.search(before) is not None
        if digits.startswith("000") or part_of_code or (an_id and not labelled and not international):
            continue
        if (international and len(digits) >= 8) or us_shape or trunk or area_code or (labelled and len(digits) >= 8):
            yield Span("phone", m.start(), m.end(), value)


def _streets(text: str) -> Iterable[Span]:
    for m in _STREET.finditer(text):
        yield Span("street_address", m.start(), m.end(), m.group().rstrip(" ,"))


def _people(text: str) -> Iterable[Span]:
    for start, end in find_names(text):
        yield Span("person", start, end, text[start:end])


# In order of precedence where spans overlap: the more specific pattern wins.
DETECTORS: dict[str, Callable[[str], Iterable[Span]]] = {
    "url_credentials": _url_credentials, "email": _emails, "iban": _ibans, "credit_card": _cards,
    "us_ssn": _ssns, "ip_address": _ips, "phone": _phones, "street_address": _streets, "person": _people,
}


Detector = Callable[[str], Iterable[Span]]


def find_pii(text: str, kinds: Iterable[str] | None = None, extra: Iterable[Detector] = ()) -> list[Span]:
    """Spans of the wanted kinds; `extra` detectors (a user's own, or an NER model's) come after
    the structured patterns and before the name gazetteer."""
    wanted = list(DETECTORS) if kinds is None else [k for k in DETECTORS if k in set(kinds)]
    order = [DETECTORS[k] for k in wanted if k != "person"] + list(extra)
    order += [DETECTORS["person"]] if "person" in wanted else []
    taken, kept = DisjointSpans(), []
    for detect in order:
        for span in detect(text):
            if taken.add(span.start, span.end):
                kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def redact(text: str, spans: list[Span]) -> str:
    out, last = [], 0
    for s in sorted(spans, key=lambda s: s.start):
        out += [text[last:s.start], f"[{s.kind.upper()}]"]
        last = s.end
    return "".join(out) + text[last:]


def pii_counts(texts: Iterable[str]) -> dict[str, int]:
    counts = {k: 0 for k in DETECTORS}
    for t in texts:
        for span in find_pii(t):
            counts[span.kind] += 1
    return counts
