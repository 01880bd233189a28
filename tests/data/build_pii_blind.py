"""Builds tests/data/pii_blind.jsonl, a BLIND labelled test set for the PII detector.

Written without reading the detector's code, its name lists, its tests or any of the .jsonl sets.
The four other builders (build_pii_set.py, build_pii_heldout.py, build_pii_final.py,
build_pii_untouched.py) were read only to copy the output format, the labelling conventions and
the checksum helpers, and to avoid any overlap: this set shares no person-name token (first or last
name, case-folded and accent-stripped) with the source text of any of them (name particles such as
van, de, der, di, al are exempt: they occur in the others as names and words), and uses its own
sentences, negatives and structured values; the script checks that. Do not tune the detector
against this set or look at its per-item results while changing the detector, or it stops being
blind.

Every line is a row in the format of pii_set_kit.py (see its docstring): the text and its PII, each
an exact substring of the text with its kind; an empty list means the text has none.

The texts imitate LLM-generated training data: instruction answers, QA pairs, dialogues, support
chats, e-mails, clinical notes, HR records, CVs, meeting notes, news-style sentences, logs, and JSON,
CSV, markdown and YAML snippets, mostly in English, also in German, French, Spanish, Italian, Dutch,
Portuguese, Polish and Swedish (and a few other languages). Three parts:
  * person names: about eighty full names from more than twenty languages and cultures, each in
    its natural order (Chinese, Japanese, Korean, Vietnamese and Hungarian family name first where
    that is how the text would write it, some given name first), with middle initials, ALL-CAPS
    forms, a "Surname, Given" form, a French "SURNAME Given" form, hyphenated surnames and given
    names, and particles (von der, van, de, dos, Di, al-, bin); about twenty given names alone in
    clear context; texts with two names;
  * structured PII: phones of twenty-one countries (mostly landlines with an area code, written
    after context words such as "Tel.", "call", "Telefon", "Ring", "Bel", "Llame"), cards of nine
    issuers (valid Luhn digit), IBANs of fifteen countries (mod-97 check digits; the Belgian,
    Spanish, French, Norwegian and Portuguese national check digits inside the BBAN are computed
    too), SSNs, IPv4/IPv6, e-mails, URLs with user:password, street addresses in English, German, French,
    Spanish, Italian, Dutch, Portuguese (and one Polish) forms;
  * negatives with no PII: cards failing Luhn and IBANs failing mod-97 under a card/IBAN label,
    SSNs in never-issued ranges, meter/account/order/tracking numbers, dates, versions and build
    numbers (two IP-shaped), coordinates, hashes, code and config with placeholder credentials,
    organisations, places, brands, eponyms, fictional characters and works named after people,
    team or department sign-offs, capitalised headings, empty form fields and table headers, and
    common words that are also given names.

Labelling conventions (the same as build_pii_final.py and build_pii_untouched.py): a person value is
the name as written, without titles or honorifics (Dr., Mr., Mrs., Ms., Prof., Frau, Herr, Mme,
Sr., Sra., Sig.ra, dott., Pani, Cllr, Coach, Esq., RN) and without a possessive 's; particles that
belong to the name (von der, van, de, dos, Di, al-, bin) are part of the value; a name inside an
e-mail address is labelled only as the e-mail; companies, places, products, fictional characters
and works named after people are not persons; a credentials URL is labelled
scheme://user:password@host[:port], without path or query; a street address is the number and
street only, without flat/unit/suite/door, postcode or city; a phone is the number only, without
the context word before it or an extension; numbers with an invalid checksum (Luhn, mod-97) or an
SSN with area 000/666/9xx, group 00 or serial 0000 are not PII, whatever label precedes them.

Regenerate (standard library only, fixed seed): python tests/data/build_pii_blind.py
"""

from __future__ import annotations

import random
import sys
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # tests/data is not a package; the shared helpers live beside this file
from pii_set_kit import (  # noqa: E402
    bad_value_rows, check_set_with_particles, negative_rows, nib_check_pair, person_rows, random_digits,
    structured_rows, write_set,
)

OTHER_BUILDERS = [HERE / "build_pii_set.py", HERE / "build_pii_heldout.py", HERE / "build_pii_final.py",
                  HERE / "build_pii_untouched.py"]
rng = random.Random(31)
digits = partial(random_digits, rng)

# --------------------------------------------------------------------------- person names

# Every full name labelled below, by language or culture; the script checks each label comes from here.
FULL_NAMES = {
    "English, Scottish, Irish, Welsh": ["Harriet Ormerod", "Fergus Lamont", "Bethan Rowlands", "Ciarán Mulcahy",
                                        "Philippa J. Greenhalgh", "Alasdair Munro", "Lucinda Fairbairn-Hughes"],
    "American, Australian": ["Marlon Etheridge", "Colton R. Ashby", "Bronwyn Tregear"],
    "German, Austrian, Swiss": ["Siegfried Lohmann", "Gudrun Oberländer", "Ursula von der Heyde",
                                "Leonie Brändli"],
    "French, Belgian, Quebec": ["Maëlle Quéré", "Apolline de Villiers", "Édouard Thibodeau", "Clotilde Marchal"],
    "Spanish, Catalan, Latin American": ["Inmaculada Ferrándiz", "Rigoberto Zúñiga", "Florencia Achával",
                                         "Marisela Oyarzún", "Jordi Puigvert"],
    "Portuguese, Brazilian": ["Raimundo Bezerra", "Luana dos Anjos"],
    "Italian": ["Filippo Baldacci", "Assunta Mazzarella", "Ernesto Di Girolamo"],
    "Dutch, Frisian": ["Thijs van Oosterhout", "Fenna Postma", "Ruud Terpstra"],
    "Nordic": ["Linnéa Sjöberg", "Mads Kjærgaard", "Tuomas Kärkkäinen", "Ásdís Guðmundsdóttir",
               "Ulla-Britt Nyqvist"],
    "Polish, Czech, Ukrainian, Russian": ["Grzegorz Pawlak", "Jadwiga Kowalczyk-Dąbrowska", "Přemysl Horák",
                                                  "Bohdan Melnychuk", "Yekaterina Sorokina"],
    "Serbian, Latvian": ["Dragana Milošević", "Kristaps Ozoliņš"],
    "Greek": ["Eleftheria Koutsouri"],
    "Hungarian (family name first), Romanian": ["Lakatos Tünde", "Sorin Vlădescu"],
    "Turkish": ["Hülya Kocabaş", "Oğuzhan Erdem"],
    "Arabic (Gulf, Levant)": ["Abdulrahman al-Mutairi", "Yazan Haddadin", "Majid bin Hamad"],
    "Persian": ["Mahsa Jafarzadeh", "Behrouz Nikpour"],
    "Hebrew": ["Tamar Zilberstein"],
    "South Asian (Tamil, Marathi, Sinhala, Gujarati)": [
        "Sivakumar Ramalingam", "Pooja Nadkarni", "Nirmala Wijesekera", "Saurabh Trivedi"],
    "Chinese (family first, and given first), Cantonese": ["Deng Yuxuan", "Song Jiawen", "Kwok Wing-yan",
                                                          "Ruolan Cai"],
    "Japanese (family first, and given first)": ["Sakurai Tomoko", "Daisuke Hamaguchi", "Ogawa Rin"],
    "Korean (family first)": ["Ahn Seul-gi"],
    "Vietnamese (family first)": ["Lâm Tường Vy", "Đặng Thùy Dung"],
    "Thai": ["Nattaporn Wongsawat"],
    "Malay, Filipino": ["Hafiz bin Osman", "Lourdes Dimalanta"],
    "West African (Yoruba, Igbo, Akan, Hausa)": ["Adebayo Ogunleye", "Ngozi Anyanwu", "Efua Asantewaa",
                                                 "Hauwa Abubakar"],
    "Southern and East African (Zulu, Swahili, Amharic)": [
        "Sibusiso Zungu", "Rehema Kombo", "Selamawit Gebremedhin"],
    "Armenian, Georgian": ["Anahit Sargsyan", "Nino Beridze"],
}
# Written forms that differ from the list above: ALL CAPS, surname first with a comma, French SURNAME Given.
WRITTEN_FORMS = {
    "PHILIPPA J. GREENHALGH": "Philippa J. Greenhalgh",
    "Munro, Alasdair": "Alasdair Munro",
    "QUÉRÉ Maëlle": "Maëlle Quéré",
    "OGAWA RIN": "Ogawa Rin",
    "ULLA-BRITT NYQVIST": "Ulla-Britt Nyqvist",
    "GRZEGORZ PAWLAK": "Grzegorz Pawlak",
}
GIVEN_NAMES = ["Wilhelmina", "Ayodele", "Leocadia", "Ksenia", "Dagmar", "Finnian", "Rosaria", "Yusra",
               "Kaveh", "Tjitske", "Oisín", "Soledad", "Obinna", "Haruki", "Lindiwe", "Parveen", "Thiago",
               "Agnese", "Radek", "Vilja", "zuri"]
# Name particles: part of the labelled value, but too common as words to be kept out of the other builders.
PARTICLES = {"von", "der", "van", "de", "dos", "di", "al", "bin"}

# (text, [person names as written]) -- titles, honorifics and possessives are left out of the value.
PERSON_ITEMS = [
    # English-speaking
    ("User: Draft a two-line thank-you card for my neighbour Harriet Ormerod, who fed our cat for a week.\n"
     "Assistant: Here's a warm, short option: \"Thank you for spoiling Biscuit while we were away — "
     "she clearly had a better holiday than we did!\"", ["Harriet Ormerod"]),
    ("Q: Who is the trained first-aider on the third floor?\nA: Fergus Lamont; his desk is by the kitchenette.",
     ["Fergus Lamont"]),
    ("Antenatal booking: Bethan Rowlands, 34, G2P1, dating scan at 12+3 weeks, no concerns raised.",
     ["Bethan Rowlands"]),
    ("Ciarán Mulcahy was named man of the match after the county hurling final.", ["Ciarán Mulcahy"]),
    ("PHILIPPA J. GREENHALGH\nChartered Accountant (ACA) · Leeds\n\nEXPERIENCE\n2019–present  Audit Manager, "
     "mid-tier practice", ["PHILIPPA J. GREENHALGH"]),
    ("Munro, Alasdair — S4 — late-coming detention served 14/03", ["Munro, Alasdair"]),
    ("Lucinda Fairbairn-Hughes will chair the remuneration committee from January.", ["Lucinda Fairbairn-Hughes"]),
    ("hr_record:\n  employee: Marlon Etheridge\n  status: active\n  cost_centre: 7712\n  remote: true",
     ["Marlon Etheridge"]),
    ("Colton R. Ashby, Plaintiff, v. Riverside Self Storage LLC, Defendant. Case dismissed without prejudice.",
     ["Colton R. Ashby"]),
    ("Bronwyn Tregear has run the Bendigo op shop on volunteer hours for twelve years.", ["Bronwyn Tregear"]),
    # German, Austrian, Swiss
    ("Siegfried Lohmann hat der Nebenkostenabrechnung fristgerecht widersprochen.", ["Siegfried Lohmann"]),
    ("Arztbrief\nPatientin: Gudrun Oberländer, *14.05.1949\nAufnahmegrund: Synkope unklarer Genese",
     ["Gudrun Oberländer"]),
    ("Frau Ursula von der Heyde bittet um Rückruf wegen der Grundbuchsache.", ["Ursula von der Heyde"]),
    ("Leonie Brändli gewann den Riesenslalom in Adelboden mit vier Zehnteln Vorsprung.", ["Leonie Brändli"]),
    # French, Belgian, Quebec
    ("Fiche d'adhésion\nNOM Prénom : QUÉRÉ Maëlle\nLieu de naissance : Quimper", ["QUÉRÉ Maëlle"]),
    ("Apolline de Villiers présentera le bilan carbone lors du prochain comité de pilotage.",
     ["Apolline de Villiers"]),
    ("Le conseiller Édouard Thibodeau a voté contre le budget municipal de Trois-Rivières.", ["Édouard Thibodeau"]),
    ("Clotilde Marchal, 52 ans, consulte pour des céphalées persistantes depuis trois semaines.",
     ["Clotilde Marchal"]),
    # Spanish, Catalan, Latin American
    ("Inmaculada Ferrándiz ha sido nombrada directora del colegio público de Elche.", ["Inmaculada Ferrándiz"]),
    ("Paciente: Rigoberto Zúñiga — HTA en tratamiento con enalapril 10 mg, acude por control.",
     ["Rigoberto Zúñiga"]),
    ("Florencia Achával ganó el concurso de cuentos breves del diario de Mendoza.", ["Florencia Achával"]),
    ("—¿Con quién hablo?\n—Con Marisela Oyarzún, del área de contabilidad.", ["Marisela Oyarzún"]),
    ("Jordi Puigvert porta la comptabilitat de la cooperativa des de fa deu anys.", ["Jordi Puigvert"]),
    # Portuguese, Brazilian
    ("Raimundo Bezerra, 71 anos, deu entrada no pronto-socorro com dispneia aos pequenos esforços.",
     ["Raimundo Bezerra"]),
    ("Olá, Luana dos Anjos! Seu pedido saiu para entrega e chega até as 18h.", ["Luana dos Anjos"]),
    # Italian
    ("Filippo Baldacci ha vinto la granfondo amatoriale sulle colline lucchesi.", ["Filippo Baldacci"]),
    ("Verbale dell'assemblea condominiale — presidente: Assunta Mazzarella; segretario: l'amministratore.",
     ["Assunta Mazzarella"]),
    ("Il dott. Ernesto Di Girolamo riceve su appuntamento il lunedì e il giovedì.", ["Ernesto Di Girolamo"]),
    # Dutch, Flemish
    ("Thijs van Oosterhout is gekozen tot penningmeester van de tennisvereniging.", ["Thijs van Oosterhout"]),
    ("Fenna Postma (groep 6) mag vrijdag om 11 uur eerder weg voor de orthodontist.", ["Fenna Postma"]),
    ("Hoi Ruud Terpstra, je pakket ligt klaar bij het servicepunt in de Jumbo.", ["Ruud Terpstra"]),
    # Nordic
    ("Linnéa Sjöberg har blivit antagen till läkarprogrammet i Umeå.", ["Linnéa Sjöberg"]),
    ("Mads Kjærgaard stod for grillen til sommerfesten i kolonihaven.", ["Mads Kjærgaard"]),
    ("Tuomas Kärkkäinen on nimitetty yhtiön myyntijohtajaksi.", ["Tuomas Kärkkäinen"]),
    ("Ásdís Guðmundsdóttir led the glacier walk despite the sleet.", ["Ásdís Guðmundsdóttir"]),
    # Polish, Czech, Slovak, Ukrainian, Russian
    ("Wniosek urlopowy — GRZEGORZ PAWLAK, dział logistyki, 5 dni od 12.08.", ["GRZEGORZ PAWLAK"]),
    ("Pani Jadwiga Kowalczyk-Dąbrowska została wybrana na sołtysa wsi.", ["Jadwiga Kowalczyk-Dąbrowska"]),
    ("Přemysl Horák vyhrál okresní přebor v šachu.", ["Přemysl Horák"]),
    ("Bohdan Melnychuk fixed the conveyor-belt sensor during the night shift.", ["Bohdan Melnychuk"]),
    ("Yekaterina Sorokina's residence permit was extended on Thursday.", ["Yekaterina Sorokina"]),
    # Serbian, Baltic, Greek
    ("Dragana Milošević je osvojila zlatnu medalju na državnom prvenstvu u veslanju.", ["Dragana Milošević"]),
    ("## Team\n- **Kristaps Ozoliņš** — backend (Kotlin, Kafka)\n- infra: shared rota", ["Kristaps Ozoliņš"]),
    ("Admission note: Eleftheria Koutsouri, 68F, elective left THR, nil by mouth since midnight.",
     ["Eleftheria Koutsouri"]),
    # Hungarian, Romanian, Turkish
    ("Lakatos Tünde vette át a városi könyvtár vezetését.", ["Lakatos Tünde"]),
    ("Sorin Vlădescu a câștigat licitația pentru renovarea școlii.", ["Sorin Vlădescu"]),
    ("Hülya Kocabaş yarın sabah İzmir şubesine geçiyor.", ["Hülya Kocabaş"]),
    ("Oğuzhan Erdem pushed the release tag after the smoke tests went green.", ["Oğuzhan Erdem"]),
    # Arabic, Persian, Hebrew
    ("Abdulrahman al-Mutairi signed the supply contract on behalf of the Riyadh branch.",
     ["Abdulrahman al-Mutairi"]),
    ("Yazan Haddadin: shipment cleared Aqaba port this morning, trucks leave at 3", ["Yazan Haddadin"]),
    ("Majid bin Hamad has been appointed to head the Muscat office.", ["Majid bin Hamad"]),
    ("Tamar Zilberstein will mentor both summer interns on the data team.", ["Tamar Zilberstein"]),
    # South Asian
    ("Sivakumar Ramalingam, 58 M, k/c/o T2DM, c/o burning feet x 6 months. Plan: HbA1c, B12.",
     ["Sivakumar Ramalingam"]),
    ("Nirmala Wijesekera will represent the school at the national debating finals.", ["Nirmala Wijesekera"]),
    # East Asian
    ("Deng Yuxuan placed first in the provincial maths olympiad.", ["Deng Yuxuan"]),
    ("Kwok Wing-yan manages stock control at the Kowloon warehouse.", ["Kwok Wing-yan"]),
    ("Ruolan Cai defends her dissertation on Friday at 2 pm in room B104.", ["Ruolan Cai"]),
    ("Sakurai Tomoko will present the quarterly plan at the Osaka branch.", ["Sakurai Tomoko"]),
    ("Guest registration\nGuest: OGAWA RIN    Room: 1207    Nights: 3", ["OGAWA RIN"]),
    ("Ahn Seul-gi won the company photo contest with a long exposure of Jeju harbour.", ["Ahn Seul-gi"]),
    # South-East Asian
    ("Lâm Tường Vy phụ trách tuyển dụng ở văn phòng Cần Thơ.", ["Lâm Tường Vy"]),
    ("Đặng Thùy Dung translated the safety manual into Vietnamese.", ["Đặng Thùy Dung"]),
    ("Nattaporn Wongsawat is the new front-office manager at the Phuket resort.", ["Nattaporn Wongsawat"]),
    ("Hafiz bin Osman led the volunteer beach clean-up in Penang on Saturday.", ["Hafiz bin Osman"]),
    ("Lourdes Dimalanta — caregiver, contract renewed until 2026, next of kin on file", ["Lourdes Dimalanta"]),
    # African
    ("Ngozi Anyanwu has been promoted to Head of Nursing at the Enugu clinic.", ["Ngozi Anyanwu"]),
    ("Efua Asantewaa designed the kente-print uniforms for the church choir.", ["Efua Asantewaa"]),
    ("Sibusiso Zungu is the shop steward for the Durban depot.", ["Sibusiso Zungu"]),
    ("Rehema Kombo, 27, para 2, delivered a healthy boy at 04:12; EBL 300 ml.", ["Rehema Kombo"]),
    ("Selamawit Gebremedhin coordinated the measles vaccination drive in Bahir Dar.", ["Selamawit Gebremedhin"]),
    # Caucasus, Central Asia, Pacific
    ("Anahit Sargsyan restored the frescoes in the Yerevan chapel.", ["Anahit Sargsyan"]),
    # two names in one text
    ("Action items\n- Fergus Lamont: send the revised rota\n- Bethan Rowlands: book the venue for the 14th",
     ["Fergus Lamont", "Bethan Rowlands"]),
    ("reviewers:\n  - Mads Kjærgaard\n  - Tuomas Kärkkäinen\nrequired_approvals: 2",
     ["Mads Kjærgaard", "Tuomas Kärkkäinen"]),
    ("Sorin Vlădescu: did anyone see my charger?\nHülya Kocabaş: it's in the small meeting room",
     ["Sorin Vlădescu", "Hülya Kocabaş"]),
    ("Adebayo Ogunleye defeated Hauwa Abubakar by 212 votes in the student-union runoff.",
     ["Adebayo Ogunleye", "Hauwa Abubakar"]),
    ("Pooja Nadkarni and Saurabh Trivedi co-founded the tutoring startup in Pune.",
     ["Pooja Nadkarni", "Saurabh Trivedi"]),
    ("Handover at 20:00 from Dr. Mahsa Jafarzadeh to Dr. Behrouz Nikpour; bed 4 needs a repeat lactate.",
     ["Mahsa Jafarzadeh", "Behrouz Nikpour"]),
    ("Song Jiawen thanked Deng Yuxuan in her acceptance speech.", ["Song Jiawen", "Deng Yuxuan"]),
    ("| Speaker | Session |\n|---|---|\n| Anahit Sargsyan | Opening |\n| Nino Beridze | Closing panel |",
     ["Anahit Sargsyan", "Nino Beridze"]),
    ("Närvarande: Linnéa Sjöberg, Ulla-Britt Nyqvist. Protokollet justeras på måndag.",
     ["Linnéa Sjöberg", "Ulla-Britt Nyqvist"]),
    ("Fotografía: Jordi Puigvert. Texto: Inmaculada Ferrándiz.", ["Jordi Puigvert", "Inmaculada Ferrándiz"]),
    ("Kaveh and Parveen will finish the slides tonight.", ["Kaveh", "Parveen"]),
    # a given name alone, in a context that makes it a person
    ("Wilhelmina, thank you for covering my Saturday shift!", ["Wilhelmina"]),
    ("Ayodele says the generator needs diesel before tonight.", ["Ayodele"]),
    ("Leocadia, 92, lives alone and receives meals on wheels twice a week.", ["Leocadia"]),
    ("Ksenia — 10:14 — running 5 min late, start without me", ["Ksenia"]),
    ("Hallo Dagmar, die Unterlagen liegen in deinem Fach.", ["Dagmar"]),
    ("Finnian's temperature was 38.4 this morning, so we kept him home.", ["Finnian"]),
    ("Rosaria ha portato le lasagne per tutto l'ufficio.", ["Rosaria"]),
    ("Yusra: can someone unlock the shared drive? I'm locked out", ["Yusra"]),
    ("Tjitske heeft de sleutel van het clubhuis.", ["Tjitske"]),
    ("Oisín is teething, so none of us slept.", ["Oisín"]),
    ("Soledad, ¿me pasas el informe cuando puedas?", ["Soledad"]),
    ("Obinna won't be in today — his daughter is unwell.", ["Obinna"]),
    ("Haruki drew the seating plan for the reception.", ["Haruki"]),
    ("My colleague Lindiwe recommended this dentist.", ["Lindiwe"]),
    ("Thiago, pode fechar a loja hoje?", ["Thiago"]),
    ("Agnese si è offerta di guidare al ritorno.", ["Agnese"]),
    ("Radek napisał, że spóźni się na zebranie.", ["Radek"]),
    ("Vilja fyller sju år på lördag.", ["Vilja"]),
    ("brb, zuri needs help with her homework", ["zuri"]),
]

# --------------------------------------------------------------------------- phones

PHONE_SPECS = [  # (country, maker, context); mostly landlines with an area code, after a context word
    ("US", lambda: f"(503) {rng.randint(220, 989)}-{digits(4)}", "Call our Portland branch at {v}, Mon–Fri 8–5."),
    ("US", lambda: f"617.{rng.randint(220, 989)}.{digits(4)}", "text or call {v} if the gate code doesn't work"),
    ("CA", lambda: f"+1 416 {rng.randint(220, 989)} {digits(4)}", "Tel. {v} (Toronto reception)"),
    ("UK", lambda: f"029 20{digits(2)} {digits(4)}", "Ring the surgery on {v} to book a flu jab."),
    ("DE", lambda: f"0351 4{digits(6)}", "Telefon: {v}"),
    ("DE", lambda: f"0341/{rng.randint(2, 9)}{digits(5)}", "Rückfragen bitte unter Tel. {v}"),
    ("AT", lambda: f"0512 58 {digits(2)} {digits(2)}", "Tel. {v} (Ordination, nur vormittags)"),
    ("CH", lambda: f"+41 31 3{digits(2)} {digits(2)} {digits(2)}", "Sekretariat: {v}"),
    ("FR", lambda: f"04 91 {digits(2)} {digits(2)} {digits(2)}", "Tél. : {v} (standard de la clinique)"),
    ("BE", lambda: f"09 2{digits(2)} {digits(2)} {digits(2)}", "Bel ons op {v} voor een afspraak."),
    ("ES", lambda: f"954 {digits(2)} {digits(2)} {digits(2)}", "Llame al {v} para pedir cita previa."),
    ("IT", lambda: f"055 2{digits(2)} {digits(4)}", "Per disdette chiamare lo {v} entro le 12."),
    ("NL", lambda: f"030-2{digits(2)} {digits(4)}", "Bel gerust: {v}"),
    ("PT", lambda: f"+351 21 3{digits(2)} {digits(4)}", "Contacto telefónico: {v}"),
    ("PL", lambda: f"22 6{digits(2)} {digits(2)} {digits(2)}", "Zadzwoń: {v} (sekretariat szkoły)"),
    ("SE", lambda: f"08-5{digits(2)} {digits(3)} {digits(2)}", "Ring växeln på {v}."),
    ("BR", lambda: f"(31) 3{digits(3)}-{digits(4)}", "Ligue {v} e fale com o setor de cobrança."),
    ("JP", lambda: f"03-5{digits(3)}-{digits(4)}", "TEL: {v}（平日 9:00–18:00）"),
    ("CN", lambda: f"+86 21 6{digits(3)} {digits(4)}", "Shanghai office tel: {v}"),
    ("IN", lambda: f"044-2{digits(3)} {digits(4)}", "Chennai helpline {v}"),
    ("ZA", lambda: f"021 4{digits(2)} {digits(4)}", "Cape Town office: call {v}"),
    ("TR", lambda: f"+90 212 2{digits(2)} {digits(2)} {digits(2)}", "İstanbul ofis: {v}"),
]

# --------------------------------------------------------------------------- cards

CARD_SPECS = [  # (issuer, prefix, length, grouping, context)
    ("Visa", "4", 16, "space",
     "Agent: Please don't post card details in this chat.\nCustomer: too late lol it's {v}"),
    ("Mastercard", "51", 16, "dash", "Zahlung fehlgeschlagen: Karte {v} wurde vom Aussteller abgelehnt."),
    ("Mastercard", "2305", 16, "space", "Nº do cartão: {v} — validade 08/29"),
    ("Amex", "34", 15, "space", "AMEX {v} exp 10/26 — guest asked us to keep it on file for incidentals"),
    ("Amex", "37", 15, "none", 'payment:\n  card: "{v}"\n  cvv_checked: true'),
    ("Discover", "645", 16, "dash", "card_pan,amount\n{v},129.00"),
    ("JCB", "3528", 16, "space", "Hotel folio: settled with JCB {v}."),
    ("Diners Club", "36", 14, "space", "Tarjeta Diners Club {v}, vence 12/27"),
    ("UnionPay", "62", 19, "space", "Refund issued to UnionPay card {v}."),
    ("Maestro", "6761", 16, "none", "Betaald met maestropas {v} op 2 maart."),
    ("Mir", "2202", 16, "space", "Карта МИР {v}, срок действия 07/28"),
]
BAD_CARD_CONTEXTS = [  # the same shapes with a wrong check digit: not PII, whatever the label
    "Sandbox card for QA: {v} (expected result: declined)",
    "Customer typed {v} twice; checkout still says the card number is invalid.",
    "Numer karty {v} — odrzucony, błędna suma kontrolna",
    "Bonuskarte {v}",
    "Kortnummer {v} godtas inte av kassan.",
    "| card | {v} | luhn: fail |",
    "Número do cartão {v} inválido.",
    "Shipment {v} left the sorting centre.",
]


# --------------------------------------------------------------------------- IBANs


def _mod97_pair(n: str) -> str:
    """Belgian national check: the first ten digits mod 97, 97 for a zero remainder."""
    r = int(n) % 97
    return f"{r or 97:02d}"


def bban_be() -> str:
    body = digits(10)
    return body + _mod97_pair(body)


def bban_pt() -> str:  # NIB: bank 4, branch 4, account 11, check 2 (98 - n*100 mod 97); the IBAN check is then 50
    body = digits(19)
    return body + nib_check_pair(body)


def bban_fr() -> str:  # bank 5, branch 5, account 11 (digits here), RIB key 2
    bank, branch, account = digits(5), digits(5), digits(11)
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    return f"{bank}{branch}{account}{key:02d}"


def bban_es() -> str:  # bank 4, branch 4, two control digits (mod 11), account 10
    def dc(s: str) -> str:
        d = 11 - sum(int(c) * w for c, w in zip(s, [1, 2, 4, 8, 5, 10, 9, 7, 3, 6])) % 11
        return "0" if d == 11 else "1" if d == 10 else str(d)
    bank, branch, account = digits(4), digits(4), digits(10)
    return bank + branch + dc("00" + bank + branch) + dc(account) + account


def bban_no() -> str:  # 11 digits, the last a mod-11 check over the first ten; redraw when it would be 10
    while True:
        body = digits(10)
        r = 11 - sum(int(c) * w for c, w in zip(body, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])) % 11
        if r != 10:
            return body + str(0 if r == 11 else r)


# (country, BBAN pattern (n a digit, a a capital letter) or maker, for the official IBAN length; grouped by four?;
# context)
IBAN_SPECS = [
    ("AT", "n" * 16, True, "Die Kaution ist auf das Treuhandkonto {v} zu leisten."),
    ("BE", bban_be, True, "Gelieve het voorschot te storten op rekening {v} met vermelding van uw klantnummer."),
    ("ES", bban_es, True, "Le informamos de que el recibo se cargará en su cuenta {v} el día 5."),
    ("FR", bban_fr, True,
     "Merci d'effectuer le virement du dépôt de garantie sur le compte {v} (titulaire : SCI Les Glycines)."),
    ("PT", bban_pt, True, "Pagamento por transferência para o IBAN {v} — indique o número da fatura."),
    ("PL", "n" * 24, True, "Wpłaty prosimy kierować na rachunek {v} z dopiskiem „składka 2025”."),
    ("SE", "n" * 20, False, "Återbetalningen sätts in på konto {v} inom tio bankdagar."),
    ("DK", "n" * 14, True, "Husleje betales til {v} senest den 1. i måneden."),
    ("IE", "aaaa" + "n" * 14, True, "Refunds go to the IBAN on file ({v}) within 5 working days."),
    ("LU", "n" * 16, False, "payroll:\n  iban: {v}\n  currency: EUR"),
    ("NO", bban_no, True, "Innbetaling til konto {v}, merk betalingen med kundenummer."),
    ("EE", "n" * 16, False, "supplier_id;iban;currency\n4471;{v};EUR"),
    ("LV", "aaaa" + "n" * 13, False, '{{"payout": {{"iban": "{v}", "method": "SEPA"}}}}'),
    ("IT", "a" + "n" * 22, True,
     "Per l'iscrizione versare la quota sul conto {v} intestato all'associazione."),
]
IBAN_LENGTHS = {"AT": 20, "BE": 16, "ES": 24, "FR": 27, "PT": 25, "PL": 28, "SE": 24, "DK": 18, "FI": 18,
                "IE": 22, "LU": 20, "NO": 15, "SK": 24, "EE": 20, "LV": 21, "IT": 27, "DE": 22}
BAD_IBAN_CONTEXTS = [  # (country of an IBAN_SPECS row, corruption, context); never valid, whatever the label
    ("FR", "check", "IBAN {v} — la banque indique un IBAN erroné."),
    ("AT", "check", "Konto {v} ungültig – bitte neu eingeben."),
    ("PL", "check", "Rachunek {v} jest nieprawidłowy."),
    ("LU", "check", "beneficiary:\n  iban: {v}  # typo, the bank rejected it"),
    ("BE", "check", "IBAN {v} is een voorbeeld uit de handleiding en klopt niet."),
    ("IE", "check", "IBAN: {v} (check digits wrong, see ticket 4471)"),
    ("IT", "swap", "Dettato dal cliente al telefono: {v} (due cifre invertite)"),
]

# --------------------------------------------------------------------------- SSNs

SSN_CONTEXTS = [  # (separator, context)
    ("-", "Form SS-5 copy on file — Social Security number: {v}"),
    ("-", "Tenant screening: applicant SSN {v}, credit score 712, no evictions found."),
    ("-", "employee,ssn,filing_status\nE-2291,{v},married"),
    ("-", "User: Can you check whether my SSN {v} was used on two tax returns?\n"
          "Assistant: I can't look that up, but the IRS Identity Protection unit can."),
    ("-", 'applicant:\n  ssn: "{v}"\n  state: GA'),
    ("-", "Medicare enrollment — SSN {v} — Part B effective 01/2025"),
    (" ", "social security no {v} (copied from the card)"),
]
BAD_SSN_ITEMS = [  # never issued: area 000, 666, 9xx; group 00; serial 0000
    "Demo record — SSN 000-71-3382 — do not use in production.",
    "The intake bot rejected 666-08-4471 as an invalid SSN.",
    "SSN field: 943-27-6610 (ITIN range, not an SSN)",
    "ssn: 612-00-3841  # group 00 is never issued",
    "Customer gave SSN 288-45-0000, which fails validation.",
]


# --------------------------------------------------------------------------- hand-written structured PII

HAND_STRUCTURED = [
    # e-mails
    ("Please send the signed timesheet to payroll@harbourgate-clinic.org.uk by Thursday.",
     [("email", "payroll@harbourgate-clinic.org.uk")]),
    ("Anmeldung bitte per Mail an anmeldung@musikschule-elbtal.de.", [("email", "anmeldung@musikschule-elbtal.de")]),
    ("Pour toute question : secretariat@college-montaigu.fr", [("email", "secretariat@college-montaigu.fr")]),
    ("Escríbenos a hola@panaderialaespiga.es y te respondemos en 24 h.", [("email", "hola@panaderialaespiga.es")]),
    ("Scrivete a prenotazioni@agriturismo-poggiolungo.it per la disponibilità.",
     [("email", "prenotazioni@agriturismo-poggiolungo.it")]),
    ("Dúvidas: suporte@mercadinho-bomdia.com.br", [("email", "suporte@mercadinho-bomdia.com.br")]),
    ("Skriv till kundtjanst@cykelverkstan.se om du vill boka service.", [("email", "kundtjanst@cykelverkstan.se")]),
    ("Bug report forwarded from jhonny.k_88@hotmail.co.uk: the app logs him out every hour.",
     [("email", "jhonny.k_88@hotmail.co.uk")]),
    ("alertmanager receiver → alerts+db-prod@ops.vantagegrid.io", [("email", "alerts+db-prod@ops.vantagegrid.io")]),
    # IPv4 / IPv6
    ("kernel: [UFW BLOCK] IN=eth0 SRC=45.95.147.229 DST=10.12.0.4 PROTO=TCP DPT=23",
     [("ip_address", "45.95.147.229"), ("ip_address", "10.12.0.4")]),
    ("Zugriff verweigert für 91.64.183.12 (zu viele Anmeldeversuche).", [("ip_address", "91.64.183.12")]),
    ('peer: {"endpoint": "[2a02:2f0e:c07:4d00::1b]:51820", "allowed_ips": "10.66.0.2/32"}',
     [("ip_address", "2a02:2f0e:c07:4d00::1b"), ("ip_address", "10.66.0.2")]),
    ("Last login: Tue Mar  4 08:12:44 2025 from 95.91.220.37", [("ip_address", "95.91.220.37")]),
    ("Connection closed by 2a01:4f8:c17:3b2e:0:0:0:1 port 50122 [preauth]",
     [("ip_address", "2a01:4f8:c17:3b2e:0:0:0:1")]),
    ("   IPv4 Address. . . . . . . . . . . : 192.168.178.23(Preferred)", [("ip_address", "192.168.178.23")]),
    ("Your session from 100.112.7.88 (Lyon, FR) was ended remotely.", [("ip_address", "100.112.7.88")]),
    ("bind_address: 172.28.14.9\nport: 9092", [("ip_address", "172.28.14.9")]),
    # URLs with credentials (scheme://user:password@host[:port], path and query left out)
    ("Mount the share: smb://backup:Dr0pB0x!9@nas-04.lan/weekly",
     [("url_credentials", "smb://backup:Dr0pB0x!9@nas-04.lan")]),
    ("CLICKHOUSE_DSN=clickhouse://etl:7hGq2wPz@ch-1.analytics.local:9000/events",
     [("url_credentials", "clickhouse://etl:7hGq2wPz@ch-1.analytics.local:9000")]),
    ("proxy: socks5://tunnel:kP3v8sL1@gw.vpn-exit.net:1080",
     [("url_credentials", "socks5://tunnel:kP3v8sL1@gw.vpn-exit.net:1080")]),
    ("Upload der Druckdaten: sftp://uploader:R7mK2xQw@sftp.druckerei-partner.de:22/eingang",
     [("url_credentials", "sftp://uploader:R7mK2xQw@sftp.druckerei-partner.de:22")]),
    ('driver = GraphDatabase.driver("neo4j+s://neo4j:Gr4phP4ss@db7f3a.databases.neo4j.io")',
     [("url_credentials", "neo4j+s://neo4j:Gr4phP4ss@db7f3a.databases.neo4j.io")]),
    ("mqtt_url: mqtt://sensor07:mQ9tL4vz@broker.greenhouse.local:1883",
     [("url_credentials", "mqtt://sensor07:mQ9tL4vz@broker.greenhouse.local:1883")]),
    ("git remote set-url origin https://svc-bot:glpat-4Kx9Rq2mVw@gitlab.intern.example.de/infra/ansible.git",
     [("url_credentials", "https://svc-bot:glpat-4Kx9Rq2mVw@gitlab.intern.example.de")]),
    ("Fauxton is at http://admin:relax99@couch.staging.internal:5984/_utils",
     [("url_credentials", "http://admin:relax99@couch.staging.internal:5984")]),
    # street addresses: English (US, UK, AU), German (DE, AT), French (FR, CH), Spanish (ES, AR), Italian,
    # Dutch, Portuguese (PT, BR)
    ("Send the replacement part to 5127 Bellflower Blvd, Long Beach, CA 90808.",
     [("street_address", "5127 Bellflower Blvd")]),
    ("Our studio is at 88 Quarry Hill Road, Tonbridge, opposite the station.",
     [("street_address", "88 Quarry Hill Road")]),
    ("Suite 300, 1201 W Peachtree St NW, Atlanta, GA 30309", [("street_address", "1201 W Peachtree St NW")]),
    ("Lieferung an: Lindwurmstraße 132, 80337 München", [("street_address", "Lindwurmstraße 132")]),
    ("Die Kanzlei befindet sich am Hohenzollernring 52, 3. OG.", [("street_address", "Hohenzollernring 52")]),
    ("Zustelladresse: Landstraßer Hauptstraße 71/2/14, 1030 Wien",
     [("street_address", "Landstraßer Hauptstraße 71")]),
    ("Le cabinet a déménagé au 17 rue de la Roquette, 75011 Paris.", [("street_address", "17 rue de la Roquette")]),
    ("Adresse : 5 allée des Cygnes, bât. C, 44300 Nantes", [("street_address", "5 allée des Cygnes")]),
    ("Bureau de Genève : Rue du Rhône 48, 1204 Genève", [("street_address", "Rue du Rhône 48")]),
    ("Dirección de envío: Calle Fuencarral 74, 3º dcha., 28004 Madrid", [("street_address", "Calle Fuencarral 74")]),
    ("Oficina: Av. de Mayo 1370, piso 8, CABA", [("street_address", "Av. de Mayo 1370")]),
    ("Sede legale: Via Toledo 256, 80134 Napoli", [("street_address", "Via Toledo 256")]),
    ("Ritiro merce in Viale dei Mille 12/B, Firenze.", [("street_address", "Viale dei Mille 12/B")]),
    ("Afleveradres: Witte de Withstraat 50, 3012 BR Rotterdam", [("street_address", "Witte de Withstraat 50")]),
    ("Morada: Rua Augusta 274, 2.º Esq., 1100-053 Lisboa", [("street_address", "Rua Augusta 274")]),
    ("Entregar na Av. Paulista, 1578 — conjunto 42, São Paulo", [("street_address", "Av. Paulista, 1578")]),
    # several kinds in one text (persons too)
    ("fix(parser): handle empty trailing rows\n\nSigned-off-by: Kristaps Ozoliņš <k.ozolins@rigasoft.lv>",
     [("person", "Kristaps Ozoliņš"), ("email", "k.ozolins@rigasoft.lv")]),
    ('{"actor": "Daisuke Hamaguchi", "action": "login", "ip": "126.78.201.33"}',
     [("person", "Daisuke Hamaguchi"), ("ip_address", "126.78.201.33")]),
    ("Afzender: Thijs van Oosterhout, Nieuwegracht 41, 3512 LE Utrecht",
     [("person", "Thijs van Oosterhout"), ("street_address", "Nieuwegracht 41")]),
    ("Cliente: Hola, soy Florencia Achával, mi correo es flor.achaval@correo-andino.com.ar",
     [("person", "Florencia Achával"), ("email", "flor.achaval@correo-andino.com.ar")]),
    ("Ticket #30417 · requester: Tamar Zilberstein · from 2a0d:6fc0:9a1:200::14",
     [("person", "Tamar Zilberstein"), ("ip_address", "2a0d:6fc0:9a1:200::14")]),
]
# Mixed items with generated values: (text with {phone}/{ssn}/{card}/{iban} slots, labels with the same slots)
MIXED = [
    ("Mit freundlichen Grüßen\n\nLeonie Brändli\nHausverwaltung Elbblick GmbH\nTelefon: {phone}\n"
     "E-Mail: l.braendli@hv-elbblick.de",
     [("person", "Leonie Brändli"), ("phone", "{phone}"), ("email", "l.braendli@hv-elbblick.de")],
     lambda: f"0351 8{digits(6)}"),
    ("Mme Clotilde Marchal\n8 impasse des Lilas\n35000 Rennes\nTél. {phone}",
     [("person", "Clotilde Marchal"), ("street_address", "8 impasse des Lilas"), ("phone", "{phone}")],
     lambda: f"02 99 {digits(2)} {digits(2)} {digits(2)}"),
    ("Paciente: Raimundo Bezerra — contato do filho: {phone}",
     [("person", "Raimundo Bezerra"), ("phone", "{phone}")],
     lambda: f"(31) 9{digits(4)}-{digits(4)}"),
    ("Zamawiający: Grzegorz Pawlak, ul. Piotrkowska 118, 90-006 Łódź, tel. {phone}",
     [("person", "Grzegorz Pawlak"), ("street_address", "ul. Piotrkowska 118"), ("phone", "{phone}")],
     lambda: f"42 6{digits(2)} {digits(2)} {digits(2)}"),
    ("employee:\n  name: Marlon Etheridge\n  ssn: \"{ssn}\"\n  address: 4410 Oakcrest Dr, Tulsa, OK 74105\n"
     "  phone: \"{phone}\"",
     [("person", "Marlon Etheridge"), ("us_ssn", "{ssn}"), ("street_address", "4410 Oakcrest Dr"),
      ("phone", "{phone}")],
     lambda: f"(918) {rng.randint(220, 989)}-{digits(4)}"),
    ("Cardholder: ULLA-BRITT NYQVIST\nCard: {card}\nExpires: 03/28",
     [("person", "ULLA-BRITT NYQVIST"), ("credit_card", "{card}")], None),
    ("Kontoinhaber: Siegfried Lohmann\nIBAN: {iban}\nVerwendungszweck: Miete Juni",
     [("person", "Siegfried Lohmann"), ("iban", "{iban}")], None),
    ("Nino Beridze (nino.b@tbilisi-arts.ge, {phone}) will send the programme on Monday.",
     [("person", "Nino Beridze"), ("email", "nino.b@tbilisi-arts.ge"), ("phone", "{phone}")],
     lambda: f"+995 32 2{digits(2)} {digits(2)} {digits(2)}"),
]

# --------------------------------------------------------------------------- negatives (no PII)

NEGATIVES = [
    # meter, account, order, tracking and reference numbers
    "UPS tracking 1Z7R42X90385617224 — out for delivery today.",
    "Zählernummer 1ESY1161229886, Zählerstand 04512 kWh",
    "Kundennummer 7004 1182 53, Vertragskonto 8100 2947",
    "Order #FR-20931-77A shipped via Colissimo 6A21874530291.",
    "Numer przesyłki InPost: 620041839920551733012",
    "Sendungsnummer 00340434161094042557 wurde zugestellt.",
    "Water meter WM-448172, reading 01733 m³ on 02/01.",
    "Debiteurnummer 100432871 staat op elke factuur.",
    "Account ID 5512-88-4409 has two open invoices.",
    "Número de pedido 40-2231-9987 confirmado.",
    "Ärendenummer 24-118734 hos försäkringskassan.",
    "Part no. 0044-7781-2290 (replacement hinge, left)",
    # dates
    "Valid from 2025-01-01 to 2025-12-31.",
    "Fälligkeitsdatum: 15.08.2025",
    "Le délai court jusqu'au 30/06/2025 inclus.",
    "Cutoff: Friday 21 March 2025, 17:00 GMT",
    "Entrega prevista: 04-11-2025",
    # versions and build numbers (two are IP-shaped)
    "Release 2025.03.1 is tagged and signed.",
    "App version 4.12.3 (build 20931) crashes on launch.",
    "Mesh mode needs firmware 10.4.22.1 or newer on every node.",
    "Microsoft Office 16.0.17328.20162 (Click-to-Run)",
    "iOS 17.4.1 (21E237) fixed the Bluetooth drop-outs.",
    "Versión del esquema: 3.2.0.11",
    # coordinates and hashes
    "Treffpunkt: 47.3769, 8.5417 (vor dem Hauptbahnhof)",
    "GPS: 59°19'46\"N 18°04'07\"E, höjd 28 m",
    "UTM 32U 691607 5334759",
    "Object ID 65f1c2a9e4b0a73d19c8f204 not found",
    "digest: sha256:4bc453b53cb3d914b45f4b250294236adba2c0e09ff6f03793949e7e39fd4cc1",
    "UUIDv7 01912d68-783e-7a3c-9f1e-2b4c6d8e0a1f assigned to the import job",
    "commit e91c0d7 (HEAD -> main) bump lockfile",
    # code and config with placeholder credentials
    "DATABASE_URL=postgresql://<user>:<password>@<host>:5432/<db>",
    'redis_url: "redis://:{{ .Values.redis.password }}@{{ .Release.Name }}-redis:6379"',
    'conn = f"mysql://{user}:{password}@{host}/{db}"',
    "export AMQP_URL=amqp://$RABBIT_USER:$RABBIT_PASS@rabbitmq:5672",
    "# Format: scheme://USERNAME:PASSWORD@HOST:PORT/NAME",
    "smtp:\n  user: ${SMTP_USER}\n  password: ${SMTP_PASSWORD}\n  port: 587",
    'password = os.environ["DB_PASSWORD"]  # never hard-code secrets',
    'uri = "mongodb://%(user)s:%(password)s@%(host)s:27017"',
    # organisations, brands, places and works named after people
    "Dr. Oetker launched a vegan pizza range in Austria.",
    "Hugo Boss and Dolce & Gabbana both raised prices for the spring collections.",
    "The Max Planck Institute and the Karolinska Institutet signed a research agreement.",
    "Levi Strauss & Co. reported weaker denim sales.",
    "Flights into Indira Gandhi International were delayed by fog.",
    "Thomas Cook's collapse stranded thousands of holidaymakers.",
    "We shop at Albert Heijn on Saturdays because it's on the way.",
    "The Frida Kahlo Museum sells timed tickets online only.",
    "Avenida Rio Branco e Praça Tiradentes ficam fechadas durante o desfile.",
    "Die Kaiser-Wilhelm-Gedächtniskirche steht direkt am Breitscheidplatz.",
    "Marie Curie nurses visit the hospice twice a week.",
    "Ponte Vasco da Gama esteve fechada por causa do vento.",
    # medical and scientific eponyms
    "Suspected Guillain–Barré syndrome; neurology review requested.",
    "Raynaud's phenomenon in both hands, worse in winter.",
    "Positive Babinski sign on the left; urgent CT head arranged.",
    "Patient placed in Trendelenburg position for the central line.",
    "Heimlich manoeuvre performed by staff; patient recovered fully.",
    "Run a Mann–Whitney U test instead of Student's t-test for skewed data.",
    "The Fibonacci sequence shows up in exercise 4.",
    "Doppler ultrasound showed normal flow in both legs.",
    # fictional characters and works
    "Miss Marple solves the case without leaving St Mary Mead.",
    "Captain Ahab chases the white whale across the Pacific.",
    "Tintin and Captain Haddock travel to the Moon in the two-part album.",
    "Lisbeth Salander hacks into the journalist's laptop early in the novel.",
    "Il commissario Montalbano mangia arancini in quasi ogni episodio.",
    "Elizabeth Bennet turns down Mr Darcy's first proposal.",
    "Pinocchio's nose grows whenever he lies.",
    # team and department sign-offs
    "Viele Grüße\nIhr Team der Stadtbibliothek",
    "Un saludo,\nEl equipo de Recursos Humanos",
    "Cordiali saluti,\nUfficio Amministrazione",
    "Med vänliga hälsningar\nKundtjänst",
    "Atenciosamente,\nEquipe de Suporte Técnico",
    "Pozdrawiamy,\nZespół Obsługi Klienta",
    # capitalised headings, empty form fields and table headers
    "| First Name | Last Name | Department | Start Date |\n|---|---|---|---|",
    "PERSONAL DETAILS\nFull Name: ____\nDate of Birth: ____\nNationality: ____",
    "### Release Notes\n#### Bug Fixes\n- Fixed Login Redirect Loop",
    "Discharge Summary — Past Medical History — Medications on Discharge",
    "Anhang A: Technische Spezifikation und Abnahmekriterien",
    "Ordre du jour : Approbation du Procès-Verbal, Questions Diverses",
    "name,email,phone,street,city",
    # common words that are also given names
    "Crystal glasses go on the top rack only.",
    "Joy and relief spread through the room when the results came in.",
    "Heather and gorse cover the moor in late summer.",
    "Autumn leaves clog the gutters every October.",
]

# --------------------------------------------------------------------------- assembly, checks, output

if __name__ == "__main__":
    rows = (person_rows(PERSON_ITEMS)
            + structured_rows(rng, PHONE_SPECS, CARD_SPECS, IBAN_SPECS, IBAN_LENGTHS, SSN_CONTEXTS, HAND_STRUCTURED,
                              MIXED, mixed_card_prefix="53", mixed_iban=("DE", "n" * 18))
            + bad_value_rows(rng, CARD_SPECS, BAD_CARD_CONTEXTS, IBAN_SPECS, IBAN_LENGTHS, BAD_IBAN_CONTEXTS,
                             card_step=3, card_styles=["space", "none", "dash"])
            + negative_rows(BAD_SSN_ITEMS, NEGATIVES))
    check_set_with_particles(rows, FULL_NAMES, GIVEN_NAMES, WRITTEN_FORMS, PARTICLES, IBAN_LENGTHS, OTHER_BUILDERS,
                             particles_lower_except=("Di",))
    write_set(rows, HERE / "pii_blind.jsonl")
