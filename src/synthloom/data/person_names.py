"""Person names without an NER model: first and last names from the person providers of Faker's
locales (shipped with the faker package), matched on capitalised words, plus context rules
(titles, "my name is", greetings) that catch names the gazetteer lacks. Words that are names
and also common words ("Will", "May", "Grant") count only next to a last name or in context."""

from __future__ import annotations

import importlib
import re
from functools import lru_cache

LOCALES = ("en_US", "en_GB", "en_IN", "de_DE", "fr_FR", "es_ES", "es_MX", "it_IT", "pt_BR", "pt_PT", "nl_NL",
           "pl_PL", "sv_SE", "da_DK", "no_NO", "fi_FI", "tr_TR", "cs_CZ", "hu_HU", "ro_RO", "ja_JP", "zh_CN",
           "ko_KR", "ar_AA", "id_ID", "vi_VN", "ga_IE")
# Names that are also everyday words, places or brands: accepted only with a surname or context.
AMBIGUOUS = set("""will may june april august mark bill grant rose summer hope faith joy chase art dean drew
gene jack ray sky river miles page reed hunter king long young white black brown green wood stone hill park
lane church north south west east new city paris london jordan victoria georgia florida washington lincoln
ford apple amazon tesla dallas austin houston phoenix sydney adelaide florence china india asia europe may
case price cash gold silver pearl ruby amber jade crystal holly ivy daisy lily iris violet hazel basil sage
rich frank earnest honest sunny dawn eve christian guy sue pat max bob rob nick sally carol penny
constance prudence patience clement felix major colt cliff glen dale forest heath moss marsh brook
cole rock shade storm winter autumn spring day night star moon sun rain snow bay field banks""".split())
# Capitalised words that start place and organisation names, never a person's.
NOT_FIRST = set("""the a an in on at of for and or but if when this that these those los las san santa
new old north south east west great saint st mount lake port fort golden royal national united university
hotel hospital bank street river bridge park college school church city county state republic kingdom
meeting please dear hi hello thanks monday tuesday wednesday thursday friday saturday sunday""".split())
TITLES = (r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lady|Lord|Herr|Frau|Sr|Sra|Srta|Señor|Señora|Don|"
          r"Doña|M|Mme|Mlle|Monsieur|Madame|Signor|Signora|Sig|Dott|Pan|Pani|Dhr|Mevr|Bay|Bayan")
_UP, _LOW = "A-ZÀ-ÖØ-ÞĀ-Ž", "a-zß-öø-ÿā-ž"
_WORD = rf"[{_UP}][{_LOW}]*(?:['’-][{_UP}]?[{_LOW}]+)*"
_PARTICLE = r"(?:de|da|di|del|della|van|von|der|den|du|le|la|al|bin|ibn|dos|das)"
_NAME = rf"{_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_WORD}){{0,2}}"
_TITLE_NAME = re.compile(rf"\b(?:{TITLES})\.?\s+({_NAME})")
_STRONG = re.compile(
    r"(?i:my name is|my name's|i am called|i'm called|named|signed|sincerely,?|regards,?|"
    r"je m'appelle|ich heiße|ich heisse|mein name ist|me llamo|mi nombre es|mi chiamo|"
    r"meu nome é|chamo-me|mijn naam is|ik heet|nazywam się|jag heter|adım)[\s,:]+"
    rf"({_NAME})")
_WEAK = re.compile(r"(?i:dear|hi|hello|hey|thanks|thank you|cc|contact|ask for|patient|according to|attn)[\s,:]+"
                   rf"({_NAME})")
_RUN = re.compile(rf"\b{_NAME}\b")
_PERSON_VERB = re.compile(r"\s+(?:called|said|says|wrote|writes|will|reported|asked|told|emailed|phoned|"
                          r"signed|visited|joined|left|presented)\b")


@lru_cache(maxsize=1)
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names), lower-cased, from every locale above that Faker has."""
    first: set[str] = set()
    last: set[str] = set()
    for loc in LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except (ImportError, AttributeError):
            continue
        for attr, into in (("first_names", first), ("first_names_male", first), ("first_names_female", first),
                           ("first_romanized_names", first), ("first_names_unisex", first),
                           ("first_names_nonbinary", first), ("last_names", last), ("last_romanized_names", last),
                           ("last_names_female", last), ("last_names_male", last), ("male_last_names", last),
                           ("female_last_names", last), ("unisex_last_names", last)):
            for name in getattr(provider, attr, ()) or ():
                if isinstance(name, str) and name[:1].isalpha():
                    into.add(name.lower())
    return frozenset(first), frozenset(last)


def _words(span: str) -> list[str]:  # the words of a name without its particles
    return [w for w in span.split() if not re.fullmatch(_PARTICLE, w)]


def find_names(text: str) -> list[tuple[int, int]]:
    """Character spans of person names."""
    first, last = gazetteer()
    spans: list[tuple[int, int]] = []

    def add(start: int, end: int) -> None:
        if all(end <= s or start >= e for s, e in spans):
            spans.append((start, end))

    def known_first(w: str) -> bool:
        return w.lower() in first and w.lower() not in AMBIGUOUS

    for m in _TITLE_NAME.finditer(text):
        add(m.start(1), m.end(1))
    for m in _STRONG.finditer(text):  # "my name is X Y": whatever is capitalised
        add(m.start(1), m.end(1))
    for m in _WEAK.finditer(text):  # "Dear X Y": two names, or one known first name
        words = _words(m.group(1))
        if len(words) >= 2 and words[0].lower() not in NOT_FIRST:
            add(m.start(1), m.end(1))
        elif known_first(words[0]):
            add(m.start(1), m.start(1) + len(words[0]))
    for m in _RUN.finditer(text):  # a capitalised run may start with a non-name ("Mail Anna Smith")
        tokens = [(w.start() + m.start(), w.end() + m.start()) for w in re.finditer(r"\S+", m.group())
                  if not re.fullmatch(_PARTICLE, w.group())]
        for i in range(len(tokens) - 1):
            a = text[tokens[i][0]:tokens[i][1]].lower()
            b = text[tokens[i + 1][0]:tokens[i + 1][1]].lower().rstrip("'’s")
            if a in NOT_FIRST:
                continue
            by_gazetteer = (known_first(a) or (a in first and b in last and b not in AMBIGUOUS)
                            or (b in last and b not in first and b not in AMBIGUOUS and a not in AMBIGUOUS and len(b) > 2))
            by_context = i == 0 and len(tokens) <= 3 and _PERSON_VERB.match(text, m.end()) is not None
            if by_gazetteer or by_context:
                add(tokens[i][0], m.end())
                break
    return sorted(spans)
