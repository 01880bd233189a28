"""Person names without an NER model: first and last names from the person providers of every
Faker locale (shipped with the faker package; Cyrillic and Greek transliterated, accents folded),
matched on capitalised words, plus context rules (titles, "my name is", greetings, sign-offs,
chat speakers, "reviewed by") that catch names the gazetteer lacks, and an East Asian rule
(a common surname, then a romanised given name). Words that are names and also common words
("Will", "May", "Grant") count only next to a last name or in context; runs that end in an
organisation or place word ("... Airport", "... County") and well-known brands and characters
named like people ("Earl Grey", "Harry Potter") are not persons."""

from __future__ import annotations

import importlib
import pkgutil
import re
import unicodedata
from functools import lru_cache

from synthloom.data.text.spans import DisjointSpans
# Names that are also everyday words, places or brands: accepted only with a surname or context.
AMBIGUOUS = set("""will may june april august mark bill grant rose summer hope faith joy chase art dean drew
gene jack ray sky river miles page reed hunter king long young white black brown green wood stone hill park
lane church north south west east new city paris london jordan victoria georgia florida washington lincoln
ford apple amazon tesla dallas austin houston phoenix sydney adelaide florence china india asia europe may
case price cash gold silver pearl ruby amber jade crystal holly ivy daisy lily iris violet hazel basil sage
rich frank earnest honest sunny dawn eve christian guy sue pat max bob rob nick sally carol penny
constance prudence patience clement felix major colt cliff glen dale forest heath moss marsh brook
cole rock shade storm winter autumn spring day night star moon sun rain snow bay field banks
do go so no to be me we he on in an at as is it or if us up am my by of ok all one man men son sea
ever even love lucky happy kind hero angel sonny duke earl baron prince princess queen america africa kenya
israel chad nile""".split())
# Capitalised words that start place and organisation names, never a person's.
NOT_FIRST = set("""the a an in on at of for and or but if when this that these those los las san santa
new old north south east west great saint st mount lake port fort golden royal national united university
hotel hospital bank street river bridge park college school church city county state republic kingdom
meeting please dear hi hello thanks monday tuesday wednesday thursday friday saturday sunday
january february march april june july september october november december general grand upper lower
central sie ihr ihre ihnen bitte der die das dem des ein eine einen le la les un une el los del
american chinese english french german spanish italian japanese korean indian russian british european
african asian canadian australian mexican brazilian dutch swedish polish turkish arab arabic irish scottish
welsh greek portuguese norwegian danish finnish swiss austrian belgian egyptian nigerian""".split())
# A run of names followed by (or ending in) one of these names a place or an organisation.
ORG_WORDS = set("""airport county university school college station street avenue road boulevard hospital
clinic bank hotel institute foundation group inc ltd llc plc corp corporation company co gmbh ag sa
partners associates bridge square center centre museum library church cathedral stadium arena hall
tower building river lake mountain mount island valley beach bay airlines airways motors trust fund prize
award syndrome disease law effect theorem equation principle scale test method algorithm prison castle
palace garden gardens avenue lane district province region state city town village elementary academy
restaurant cafe bar pub foods brewery records studios press times post journal plan act doctrine treaty
accord agreement report index cup trophy medal lecture memorial fellowship scholarship team department
support desk office staff crew squad committee board service services world house day manager engineer
officer director head lead president assistant analyst designer developer consultant specialist coordinator
administrator architect scientist researcher virus fever flu""".split())
# Brands, firms and characters with the shape of a person's name (a short list of famous ones).
NOT_PERSON = set("""morgan stanley|goldman sachs|wells fargo|charles schwab|dow jones|merrill lynch|
lehman brothers|warner bros|walt disney|procter gamble|johnson johnson|harley davidson|rolls royce|
louis vuitton|calvin klein|ralph lauren|tommy hilfiger|hugo boss|estee lauder|dolce gabbana|john deere|
jack daniels|johnnie walker|jim beam|earl grey|granny smith|mercedes benz|marks spencer|ben jerry|
harry potter|sherlock holmes|don quixote|madame bovary|forrest gump|james bond|santa claus|peter pan|
robin hood|mickey mouse|jane eyre|anna karenina|oliver twist|tom sawyer|huckleberry finn|bovary|
quixote|frankenstein|dracula|winnie the pooh|alice in wonderland|tim hortons""".replace("\n", "").split("|"))
# Common romanised Korean and Vietnamese surnames (Faker has these in Hangul, or only ten).
EAST_ASIAN_SURNAMES = frozenset("""kim lee yi park choi jung jeong kang cho jo yoon yun jang lim im han oh
seo shin kwon hwang ahn song yoo ryu hong jeon ko moon yang son bae baek heo nam noh ha kwak sung cha joo
woo min nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh truong mai cao lam trinh
luong""".split())
TITLES = (r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lady|Lord|Herr|Frau|Sr|Sra|Srta|Señor|Señora|Don|"
          r"Doña|M|Mme|Mlle|Monsieur|Madame|Signor|Signora|Sig|Dott|Pan|Pani|Dhr|Mevr|Bay|Bayan")
_UP, _LOW = "A-ZÀ-ÖØ-ÞĀ-ŽḀ-Ỿ", "a-zß-öø-ÿā-žḁ-ỿ"  # the last ranges hold both cases: see _capitalised
_WORD = rf"(?:Mc|Mac)?[{_UP}][{_LOW}]*+(?:['’-][{_UP}]?+[{_LOW}]++)*+"  # MacLeod, O'Brien, Al-Sayed
_PARTICLE = r"(?:de|da|di|del|della|van|von|der|den|du|le|la|al|bin|ibn|dos|das|ter|ten)"
_NAME = rf"{_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}(?:[A-Z]\.[ \t]+)?{_WORD}){{0,2}}\b"  # Rupert J. Ellingham
_LATIN = re.compile(r"[a-z][a-z'’ -]*")
_TITLE_NAME = re.compile(rf"\b(?:{TITLES})\.?\s+({_NAME})")
# Where any capitalised words are a name: after "my name is", a sign-off line, a timestamped chat speaker.
_STRONG = re.compile(
    r"(?i:\b(?:my name is|my name's|i am called|i'm called|named|signed|sincerely,?|regards,?|"
    r"je m'appelle|ich heiße|ich heisse|mein name ist|me llamo|mi nombre es|mi chiamo|"
    r"meu nome é|chamo-me|mijn naam is|ik heet|nazywam się|jag heter|adım|je suis|ich bin|soy|sono|sou|"
    r"ik ben|jestem|jag är))[\s,:]+"
    rf"({_NAME})")
_SIGN_OFF = re.compile(
    r"(?m)^[ \t]*(?i:cheers|best|best wishes|all the best|(?:best |kind |warm |warmest )?regards|thanks|many thanks|"
    r"thank you|sincerely|yours(?: truly| sincerely)?|love|take care|cordialement|bien à vous|amitiés|"
    r"(?:viele |liebe |beste )?grüße|mit freundlichen grüßen|lg|vg|saludos|un saludo|atentamente|"
    r"(?:cordiali )?saluti|un saluto|abraços|atenciosamente|(?:met vriendelijke )?groet(?:en)?|pozdrawiam|"
    r"hälsningar|mvh|hilsen|(?:warm(?:est)? |best )?wishes)[ \t]*[,!.]?[ \t]*\r?\n[ \t]*"
    rf"({_NAME})[ \t]*$")
_CHAT = re.compile(rf"(?m)^[ \t]*(?:\[\d{{1,2}}:\d{{2}}(?::\d{{2}})?\]|\d{{1,2}}:\d{{2}}(?: [AP]M)?|<)[ \t]*({_NAME})>?:")
# Where one known first name, or two capitalised words, are a name.
_WEAK = re.compile(
    r"(?i:\b(?:dear|hi|hello|hey|thanks|thank you(?: so much)?|many thanks|cheers|cc|cc'?ing|contact|ask|ask for|"
    r"ping|patient|according to|attn|merci(?: beaucoup)?|gracias|danke(?: schön)?|grazie(?: mille)?|"
    r"obrigad[oa]|shout-?out to|kudos to|congrat(?:ulation)?s(?: to)?|welcome|goes to|assigned to|"
    r"forwarded to|from:|to:|author:|owner:|assignee:|reviewer:|passenger:?|witness(?:es)?:?|attendees?:|"
    r"speaker|presenter|host|moderator|interviewer|interviewee|candidate|applicant|(?:full )?name:|"
    r"contact person|emergency contact|next of kin|guardian|employee|customer|client|tenant|landlord|"
    r"sender|recipient|chair|secretary|ciao|salve|hallo|liebe|lieber|bonjour|salut|hola|olá|hej|moin|"
    r"i'm|i am|this is|husband|wife|partner|thanks again|"
    r"thanked|met|invited|hired|interviewed|introduced|emailed|called|told|asked|"
    r"(?:taken|reviewed|approved|prepared|written|authored|reported|submitted|signed|sent|requested|created|"
    r"opened|closed|translated|presented|edited|led|hosted|organi[sz]ed|chaired|filed|raised) by))[\s,:*]+"
    rf"({_NAME})")
# "my brother Arash", "our doctor Okafor": whatever capitalised word follows is a name
_RELATIVE = re.compile(
    r"(?i:\b(?:my|our|your|his|her|their) (?:daughter|son|wife|husband|partner|mother|father|mum|mom|dad|brother|"
    r"sister|friend|colleague|boss|manager|neighbou?r|cousin|aunt|uncle|grandmother|grandfather|grandson|"
    rf"granddaughter|doctor|nurse|teacher|student|client))[ \t,]+({_NAME})")
_MENTION = re.compile(rf"(?<![\w.])@({_WORD})")
_RUN = re.compile(rf"\b{_NAME}\b")
_PERSON_AFTER = re.compile(
    r"(?:\*\*)?(?:\s+(?:called|said|says|wrote|writes|will|would|reported|asked|told|emailed|phoned|signed|visited|joined|"
    r"left|presented|mentioned|replied|answered|thinks|thought|knows|knew|wants|wanted|agreed|here|commented|"
    r"thanked|teaches|taught|finished|has been)\b|['’]s\b|\s*\((?:he|she|they)/(?:him|her|them)\))")
# After one known first name at the start of a sentence: "Ignacio is ...", "Saoirse, could you ..."
_SINGLE_AFTER = re.compile(r",\s")
# Verbs that follow a name at the start of a sentence ("Goran fixed", "Marisol dijo", "Anouk zit").
_VERB_AFTER = re.compile(r"[ \t]+(?:\*\*[ \t]*)?([a-zà-ÿ]+)\b")
IRREGULAR = set("""is was has had got took sent made gave came went found told said wrote ran won led left met paid put
set read brought bought caught taught thought kept held built spent sold stood began drove flew hit cut lost chose
did does will would can could should must may might just also still never always often hat ist war wird kann
a est va fait sont ha è sta es fue dijo hizo tiene está zit is heeft kwam gaat je jest ma był była ska är var har
""".split())
# A line that is only a name (the head of a CV, a bold name in markdown, a table cell).
_NAME_LINE = re.compile(rf"(?m)^[ \t>|*#]*(?:\*\*)?({_NAME})(?:\*\*)?[ \t|*]*$")
_LINE_SPEAKER = re.compile(rf"(?m)^[ \t]*({_WORD}):[ \t]")  # "Aylin: are we still on?"
_CAPS_RUN = re.compile(r"\b([A-ZÀ-Þ]{2,}(?:[ \t]+[A-ZÀ-Þ]{2,}){1,2})\b")
# possessive quantifiers: a long run of vowels must not be split every possible way
_EAST_GIVEN = re.compile(r"(?:[bcdfghjklmnpqrstvwxyz]{0,3}+[aeiouy]{1,3}+(?:ng|n|m|r|k|p|t|l)?+-?)++")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n[ \t]*\n\s*|[\"“(]\s*)$")


_TRANSLIT = str.maketrans({
    **dict(zip("абвгдезийклмнопрстуфыэіґ", "abvgdeziyklmnoprstufyeig")),
    "ё": "yo", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ь": "", "ю": "yu",
    "я": "ya", "ї": "yi", "є": "ye",
    **dict(zip("αβγδεζηικλμνξοπρστυφω", "avgdezikklmnxoprstyfo")), "θ": "th", "χ": "ch", "ψ": "ps", "ς": "s"})
_TRANSLIT[ord("ι")] = "i"


def fold(word: str) -> str:
    """Lower case without accents, Cyrillic and Greek in Latin letters: the gazetteer's key."""
    word = unicodedata.normalize("NFD", word.lower().replace("ου", "ou").replace("ού", "ou"))
    word = "".join(c for c in word if not unicodedata.combining(c)).translate(_TRANSLIT)
    return word.replace("ß", "ss").replace("ł", "l").replace("đ", "d").replace("ø", "o").replace("ı", "i")


def _locales() -> list[str]:
    import faker.providers.person as person

    return [m.name for m in pkgutil.iter_modules(person.__path__)]


@lru_cache(maxsize=1)
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names), folded, from every Faker locale whose names are in Latin,
    Cyrillic or Greek letters."""
    first: set[str] = set()
    last: set[str] = set()
    for loc in _locales():
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except (ImportError, AttributeError):
            continue
        for attr, into in (("first_names", first), ("first_names_male", first), ("first_names_female", first),
                           ("first_romanized_names", first), ("first_names_unisex", first),
                           ("first_names_nonbinary", first), ("last_names", last), ("last_romanized_names", last),
                           ("last_names_female", last), ("last_names_male", last), ("male_last_names", last),
                           ("female_last_names", last), ("unisex_last_names", last)):
            names = getattr(provider, attr, ())
            for name in names if isinstance(names, (list, tuple, dict, set, frozenset)) else ():
                if isinstance(name, str) and name[:1].isalpha():
                    key = fold(name)
                    if _LATIN.fullmatch(key):
                        into.add(key)
    return frozenset(first), frozenset(last | EAST_ASIAN_SURNAMES)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Everyday words of several languages (Faker's lorem word lists), folded: a run made of
    them ("People Operations", "Customer Service") is not a name."""
    found: set[str] = set()
    for loc in ("en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "da_DK", "pl_PL"):
        provider = importlib.import_module(f"faker.providers.lorem.{loc}").Provider
        found |= {fold(w) for w in provider.word_list}
    return frozenset(found)


def _common(word: str, common: frozenset[str]) -> bool:
    w = _bare(word)
    return w in common or w.rstrip("s") in common or (w.endswith("es") and w[:-2] in common) or w in ORG_WORDS


@lru_cache(maxsize=1)
def _east_asian_surnames() -> frozenset[str]:
    """Chinese and Japanese romanised surnames from Faker, and the Korean and Vietnamese above."""
    found = set(EAST_ASIAN_SURNAMES)
    for loc in ("zh_CN", "zh_TW", "ja_JP", "vi_VN"):
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        found |= {fold(n) for n in getattr(provider, "last_romanized_names", ()) or getattr(provider, "last_names", ())}
    return frozenset(n for n in found if _LATIN.fullmatch(n))


NOT_A_SURNAME = ORG_WORDS | NOT_FIRST | AMBIGUOUS  # after a known first name in capitals
NOT_A_NAME = AMBIGUOUS | NOT_FIRST  # words that sink an unknown name before a verb


def _words(span: str) -> list[str]:  # the words of a name without its particles
    return [w for w in span.split() if not re.fullmatch(_PARTICLE, w)]


def _capitalised_end(text: str, start: int, end: int) -> int:
    """End of the leading words that really start with a capital (the Ā-Ž and Ḁ-Ỿ ranges mix
    cases), particles and initials allowed inside."""
    last = start
    for w in re.finditer(r"\S+", text[start:end]):
        word = w.group()
        if word[0].isupper() and word[-1] != ".":
            last = start + w.end()
        elif not (re.fullmatch(_PARTICLE, word) or re.fullmatch(r"[A-Z]\.", word)):
            break
    return last


def _bare(word: str) -> str:
    return fold(re.sub(r"['’]s$", "", word))


def _not_person(text: str, start: int, end: int) -> bool:
    """An organisation, place, brand or character rather than a person."""
    words = [_bare(w) for w in re.findall(r"[\w'’-]+", text[start:end])]
    after = re.match(r"\s+([\w'’-]+)", text[end:])
    before = [w for w in re.findall(r"[\w'’-]+", text[max(0, start - 30):start]) if w.lower() != "and"]
    names = " ".join(w for w in words if w not in ("and", "&"))
    possessive = re.match(r"['’]s\b", text[end:]) is not None  # "Tehrani's clinic" is the person's clinic
    return (bool(words) and words[-1] in ORG_WORDS
            or (after is not None and not possessive and _bare(after.group(1)) in ORG_WORDS)
            or names in NOT_PERSON or (bool(before) and f"{_bare(before[-1])} {names}" in NOT_PERSON))


def find_names(text: str) -> list[tuple[int, int]]:
    """Character spans of person names."""
    first, last = gazetteer()
    east = _east_asian_surnames()
    common = common_words()
    spans = DisjointSpans()

    def add(start: int, end: int) -> None:
        end = _capitalised_end(text, start, end)
        if re.search(r"['’]s$", text[start:end]):  # Tehrani's clinic: the name without the possessive
            end -= 2
        if end <= start or not spans.free(start, end):
            return
        span = text[start:end]
        if len(span) < 2 or re.search(r"(?:^|\s)\w$", span) or re.fullmatch(rf"(?:{TITLES})\.?", span):
            return  # "Building C", "I", "Dr"
        words = _words(span)
        if not any(known_first(w) or _bare(w) in last for w in words) and any(_common(w, common) for w in words):
            return  # "People Operations", "Customer:", "IT Service Desk"
        if not _not_person(text, start, end):
            spans.add(start, end)

    def known_first(w: str) -> bool:
        return _bare(w) in first and _bare(w) not in AMBIGUOUS

    def starts_sentence(start: int) -> bool:
        # a line break starts a sentence only after a full stop or a blank line (text is often
        # hard-wrapped); only the 200 characters before the word are looked at
        return _SENTENCE_START.search(text[max(0, start - 200):start]) is not None

    def verb_next(end: int) -> bool:
        """A lower-case word that reads as a verb follows: a past tense, or a known auxiliary."""
        v = _VERB_AFTER.match(text, end)
        if v is None:
            return False
        w = v.group(1)
        return w in IRREGULAR or (w.endswith("ed") and len(w) > 3) or (
            w.endswith("s") and len(w) > 3 and (w[:-1] in common or w[:-2] in common))

    def weak(start: int, name: str) -> None:  # two names, or one known first name
        words = _words(name)
        if len(words) >= 2 and fold(words[0]) not in NOT_FIRST:
            add(start, start + len(name))
        elif known_first(words[0]):
            add(start, start + len(words[0]))

    for rule in (_TITLE_NAME, _STRONG, _SIGN_OFF, _CHAT):  # whatever is capitalised there
        for m in rule.finditer(text):
            add(m.start(1), m.end(1))
    for rule in (_WEAK, _MENTION):
        for m in rule.finditer(text):
            weak(m.start(1), m.group(1))
    for m in _RELATIVE.finditer(text):  # "my brother Arash"
        add(m.start(1), m.end(1))
    for m in _NAME_LINE.finditer(text):  # alone on its line: a name if the gazetteer knows part of it
        words = [_bare(w) for w in _words(m.group(1))]
        if 2 <= len(words) <= 4 and words[0] not in NOT_FIRST and (known_first(words[0]) or words[-1] in last):
            add(m.start(1), m.end(1))
    for m in _LINE_SPEAKER.finditer(text):
        if known_first(m.group(1)):
            add(m.start(1), m.end(1))
    for m in _CAPS_RUN.finditer(text):  # IMOGEN FAIRCLOUGH: a known first name, then a known last name
        words = [fold(w) for w in m.group(1).split()]
        if known_first(words[0]) and len(words[1]) > 2 and words[1] not in NOT_A_SURNAME:
            add(m.start(1), m.end(1))
    for m in _RUN.finditer(text):  # a capitalised run may start with a non-name ("Mail Anna Smith")
        tokens = [(w.start() + m.start(), w.end() + m.start()) for w in re.finditer(r"\S+", m.group())
                  if not re.fullmatch(_PARTICLE, w.group())]
        if len(tokens) == 1:  # one known first name, followed by what people do ("Soraya said", "Ana's")
            possessive = re.search(r"['’]s$", m.group())
            if known_first(m.group()) and (possessive or _PERSON_AFTER.match(text, m.end()) or (
                    starts_sentence(m.start()) and (_SINGLE_AFTER.match(text, m.end()) or verb_next(m.end())))):
                add(m.start(), m.start() + possessive.start() if possessive else m.end())
            continue
        raw = m.group().split()
        if (fold(raw[0]) in east and (fold(raw[0]) not in AMBIGUOUS or "-" in raw[1]) and len(raw[1]) <= 16
                and _EAST_GIVEN.fullmatch(fold(raw[1])) and fold(raw[1]) not in ORG_WORDS):
            add(m.start(), m.end())  # Chen Jiahui, Nguyen Van An, Park Ji-sung: surname first
            continue
        if "-" in raw[0] and len(raw[0]) <= 16 and _EAST_GIVEN.fullmatch(fold(raw[0])) and fold(raw[1]) in east:
            add(m.start(), m.end())  # Seo-yeon Park: given name first
            continue
        for i in range(len(tokens) - 1):
            a, b = (_bare(text[s:e]) for s, e in tokens[i:i + 2])
            if a in NOT_FIRST:
                continue
            by_gazetteer = (known_first(a) or (a in first and b in last and b not in AMBIGUOUS)
                            or (a in last and a not in first and known_first(b))  # Kovács Eszter
                            or (b in last and b not in first and b not in AMBIGUOUS and a not in AMBIGUOUS and len(b) > 2
                                and not _common(text[tokens[i][0]:tokens[i][1]], common)
                                and not _common(text[tokens[i + 1][0]:tokens[i + 1][1]], common)))
            by_context = i == 0 and len(tokens) <= 3 and (
                _PERSON_AFTER.match(text, m.end()) is not None
                or (starts_sentence(m.start()) and verb_next(m.end())
                    and not any(_common(text[s:e], common) or _bare(text[s:e]) in NOT_A_NAME
                                for s, e in tokens)))
            if by_gazetteer or by_context:
                add(tokens[i][0], m.end())
                break
    return list(zip(spans.starts, spans.ends))
