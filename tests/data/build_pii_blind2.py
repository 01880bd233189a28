"""Builds tests/data/pii_blind2.jsonl, a second BLIND labelled test set for the PII detector.

Written without reading the detector's code, its name lists, its tests or any of the .jsonl sets.
The five other builders (build_pii_set.py, build_pii_heldout.py, build_pii_final.py,
build_pii_untouched.py, build_pii_blind.py) were read only to copy the output format and the
labelling conventions and to avoid any overlap: this set shares no person-name token (first or last
name, case-folded and accent-stripped) with the source text of any of them (name particles such as
zu, le, lo, da, ten, el, al are exempt: they are common words in the others), and uses its own
sentences, negatives and structured values; the script checks that. Do not tune the detector
against this set or look at its per-item results while changing the detector, or it stops being
blind.

Every line is a row in the format of pii_set_kit.py (see its docstring): the text and its PII, each
an exact substring of the text with its kind; an empty list means the text has none.

The texts imitate LLM-generated training data and the text it imitates: support chats, e-mails,
clinical and care notes, HR records, CVs, meeting notes, news-style sentences, social posts, logs,
and JSON, CSV, markdown and YAML snippets, mostly in English, also in German, French, Spanish,
Italian, Dutch, Portuguese, Polish, Swedish, Czech, Turkish and Indonesian (and a few other
languages). Three parts:
  * person names: about eighty full names from more than twenty languages and cultures (Chinese,
    Japanese, Korean, Vietnamese and Hungarian family name first, a Chinese and a Japanese name
    given name first), with middle initials, ALL-CAPS forms (three whole names, a Czech and a
    French SURNAME Given), an inverted "Surname, Given" form, a Polish register "Surname Given"
    form, an airline SURNAME/GIVEN form, hyphenated surnames and given names, and particles (zu,
    Le, Lo, da, ten, El, al-); about thirty given names alone in clear context (sentence-initial
    before a verb, possessives, vocatives, chat speakers, sign-offs, a lower-case chat mention);
    texts with two names;
  * structured PII: phones of seventeen countries (landlines with an area code, mobiles, international
    and national forms, some after a context word, some bare in CSV, JSON or a signature), cards of
    eleven issuers (valid Luhn digit), IBANs of sixteen countries (mod-97 check digits; the Dutch,
    Czech, Finnish and Slovenian national checks inside the BBAN are computed too), SSNs (one
    without separators), IPv4/IPv6, e-mails with unusual but valid local parts, URLs with
    user:password, street addresses in English, German, French, Spanish, Catalan, Italian, Dutch,
    Portuguese, Polish, Czech, Swedish, Turkish and Indonesian forms;
  * negatives with no PII: cards failing Luhn and IBANs failing mod-97 under a card/IBAN label,
    SSNs in never-issued ranges, meter/order/tracking/case numbers, EAN and ISBN codes, dates,
    versions and build numbers (two IP-shaped), coordinates, hashes, config with placeholder or
    masked credentials, organisations, places, brands, eponyms, fictional characters and works
    named after people, team or department sign-offs, capitalised headings, form fields and table
    headers, and hard-wrapped encyclopedia-style prose full of capitalised place names and
    nationalities.

Labelling conventions (the same as build_pii_final.py, build_pii_untouched.py and
build_pii_blind.py): a person value is the name as written, without titles or honorifics (Dr.,
Mr., Mrs., Ms., Prof., Frau, Herr, Mme, Sr., Sra., Sig.ra, dott., Pani, Panie, Sayın, Bey, Bu,
Cllr, Coach, Esq., RN) and without a possessive 's (a German genitive -s written without an
apostrophe is left out too); a vocative form is labelled as written (Polish, Czech); particles that
belong to the name (zu, Le, Lo, da, ten, El, al-) are part of the value; a name inside an e-mail
address is labelled only as the e-mail; companies, places, streets, products, fictional characters
and works named after people are not persons; a credentials URL is labelled
scheme://user:password@host[:port], without path or query; a street address is the number and
street only, without flat/unit/suite/door (a Polish "8/14" keeps the house number 8 only),
postcode or city; a phone is the number only, without the context word before it or an extension;
numbers with an invalid checksum (Luhn, mod-97) or an SSN with area 000/666/9xx, group 00 or serial
0000 are not PII, whatever label precedes them; placeholder and masked credentials are not PII.

Regenerate (standard library only, fixed seed): python tests/data/build_pii_blind2.py
"""

from __future__ import annotations

import random
import sys
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # tests/data is not a package; the shared helpers live beside this file
from pii_set_kit import (  # noqa: E402
    bad_value_rows, check_set_with_particles, luhn_digit, negative_rows, nib_check_pair, person_rows,
    random_digits, structured_rows, write_set,
)

OTHER_BUILDERS = [HERE / "build_pii_set.py", HERE / "build_pii_heldout.py", HERE / "build_pii_final.py",
                  HERE / "build_pii_untouched.py", HERE / "build_pii_blind.py"]
rng = random.Random(47)
digits = partial(random_digits, rng)

# --------------------------------------------------------------------------- person names

# Every full name labelled below, by language or culture; the script checks each label comes from here.
FULL_NAMES = {
    "English, Scottish, Irish, Welsh, Cornish": ["Torquil Macaskill", "Petronella Wetherall", "Cadfael Penhallow",
                                                 "Gráinne Dunleavy", "Barnaby T. Entwistle", "Morwenna Abernethy"],
    "American, Australian": ["Dwayne K. Hollister", "Shelby Vanderpool", "Kirra Mulholland"],
    "German, Austrian, Swiss": ["Ortrud Wüstefeld", "Eberhard zu Knyphausen", "Kunigunde Pfisterer",
                                "Notker Gisler", "Ansgar Aschenbrenner", "Maximiliane Großkopf"],
    "French, Belgian": ["Bénédicte Le Floch", "Aurèle Vandenbussche", "Aymeric Kerbrat", "Hippolyte Dufresnoy"],
    "Spanish, Basque, Catalan, Latin American": ["Nerea Urkijo", "Anselmo Villaseñor", "Yamileth Quintanilla",
                                                 "Montserrat Vilaplana", "Eustaquio Barrenechea"],
    "Portuguese, Brazilian": ["Leopoldina Vasconcelos", "Josué Figueiral", "Iracema da Cunha"],
    "Italian": ["Gualtiero Scarpellini", "Concetta Lo Presti", "Tancredi Pignatelli", "Ornella Sgarbossa"],
    "Dutch, Flemish, Frisian": ["Marieke ten Brink", "Joost Zuiderveld", "Griet Vanhoutteghem",
                                "Wietske Dijkhuizen"],
    "Nordic (Swedish, Norwegian, Icelandic)": ["Gunborg Åhman-Sandvall", "Sixten Blomgren", "Torbjørn Ødegaard",
                                               "Eyvindur Sigurjónsson"],
    "Polish": ["Wawrzyniec Szczepański", "Bogumiła Przybylska", "Zdzisław Wójcicki"],
    "Czech": ["Bořivoj Dvořáček", "Ludmila Šťastná", "Vratislav Kubíček"],
    "Turkish": ["Şükrü Karabulut", "Nurhan Yıldırımoğlu", "Ebru Tokgöz"],
    "Indonesian (Javanese, Sundanese)": ["Bambang Sutrisno", "Ratna Wulandari", "Dewi Kartikasari"],
    "Russian, Ukrainian": ["Svyatoslav Grebenshchikov", "Zinaida Bukharova"],
    "Greek": ["Panagiotis Kalogeropoulos", "Chrysoula Mavridou"],
    "Hungarian (family name first), Romanian": ["Vörös Zsuzsanna", "Lucreția Bălănescu"],
    "Arabic (Maghreb, Gulf), Pashto": ["Khadija El Amrani", "Nabila Bouzidi", "Ibtisam al-Shammari",
                                       "Mustafa Barakzai"],
    "Persian, Hebrew": ["Farnaz Golestani", "Ayelet Rosenzweig"],
    "South Asian (Punjabi, Bengali, Sinhala)": ["Jaswinder Dhillon", "Anirban Chattopadhyay", "Thilini Abeysekara"],
    "Chinese (family first, and given first)": ["Qiu Xiaoyan", "Xiang Ruoxi", "Zihan Tsai"],
    "Japanese (family first, and given first)": ["Hayashibara Sayuri", "Fumiko Tachibana"],
    "Korean (family first)": ["Yeom Jae-hwan", "Pyo Hae-sol"],
    "Vietnamese (family first)": ["Hứa Diệu Trâm"],
    "Thai, Filipino": ["Sompong Srisuwan", "Marites Bagatsing"],
    "West African (Yoruba, Akan)": ["Temitope Adesanya-Bakare", "Kwadwo Agyemang-Ansah"],
    "Southern and East African (Ndebele, Kikuyu, Tigrinya)": ["Sizwe Mahlangu", "Wanjiku Kariuki",
                                                              "Amanuel Woldemariam"],
}
# Written forms that differ from the list above: ALL CAPS, surname first (with a comma, in a register, French
# and Czech SURNAME Given), airline SURNAME/GIVEN without diacritics.
WRITTEN_FORMS = {
    "Abernethy, Morwenna": "Morwenna Abernethy",
    "LE FLOCH Bénédicte": "Bénédicte Le Floch",
    "VILLASENOR/ANSELMO": "Anselmo Villaseñor",
    "Przybylska Bogumiła": "Bogumiła Przybylska",
    "KUBÍČEK Vratislav": "Vratislav Kubíček",
    "ŞÜKRÜ KARABULUT": "Şükrü Karabulut",
    "BAMBANG SUTRISNO": "Bambang Sutrisno",
    "HAYASHIBARA SAYURI": "Hayashibara Sayuri",
}
# Given names alone, as written (two Slavic vocatives, one lower-case chat mention).
GIVEN_NAMES = ["Fintan", "Eudora", "Séraphine", "Ruairí", "Luuk", "Dörte", "Joaquina", "Oriol", "Lorenza",
               "Cosimo", "Jolanda", "Ignacy", "Feliksie", "Gunnel", "Hjördis", "Vítězslave", "Kerem", "Ezgi",
               "Endang", "Nadira", "Hamza", "Nokuthula", "Kalle", "Mirela", "Dimitrij", "Deolinda", "Wibke",
               "teodora"]
# Name particles: part of the labelled value, but too common as words to be kept out of the other builders.
PARTICLES = {"zu", "le", "lo", "da", "ten", "el", "al"}

# (text, [person names as written]) -- titles, honorifics and possessives are left out of the value.
PERSON_ITEMS = [
    # English-speaking
    ("User: Write a short retirement toast for Torquil Macaskill, harbourmaster at Portree for 31 years.\n"
     "Assistant: Raise your glasses to a man who knew every tide, every boat and every excuse for a late "
     "mooring fee.", ["Torquil Macaskill"]),
    ("Petronella Wetherall, 81, fall at home overnight, long lie ~6 h. CK 2140. Plan: IV fluids, falls review, "
     "OT assessment before discharge.", ["Petronella Wetherall"]),
    ("Huge congrats to Gráinne Dunleavy on her first 50k trail race 🏃‍♀️ 6:12 in the rain!! #proud",
     ["Gráinne Dunleavy"]),
    ("Barnaby T. Entwistle\nSenior Quantity Surveyor · Preston\n\nPROFILE\nChartered surveyor with 14 years on "
     "rail and highway schemes.", ["Barnaby T. Entwistle"]),
    ("Abernethy, Morwenna\tYear 11\tDofE Silver expedition completed", ["Abernethy, Morwenna"]),
    ("Dwayne K. Hollister was sworn in as county sheriff on Monday morning.", ["Dwayne K. Hollister"]),
    ("Shelby Vanderpool: hey does anyone have the wifi password for the 4th floor?", ["Shelby Vanderpool"]),
    ("Kirra Mulholland took out the women's open at the Margaret River surf classic.", ["Kirra Mulholland"]),
    # German, Austrian, Swiss
    ("Eberhard zu Knyphausen übernimmt zum 1. Juli den Vorsitz des Aufsichtsrats.", ["Eberhard zu Knyphausen"]),
    ("Pflegebericht 22:40 — Kunigunde Pfisterer unruhig, mehrfach aufgestanden, Bedarfsmedikation laut Plan.",
     ["Kunigunde Pfisterer"]),
    ("Notker Gisler verlässt die Gemeindeverwaltung nach 28 Dienstjahren.", ["Notker Gisler"]),
    ("Bewerbung Werkstudent Data Engineering\nName: Maximiliane Großkopf\nEingang: 03.02.\nStatus: Einladung",
     ["Maximiliane Großkopf"]),
    # French, Belgian
    ("NOM : LE FLOCH Bénédicte\nService : Pédiatrie\nMotif : arrêt maladie du 3 au 7 mars", ["LE FLOCH Bénédicte"]),
    ("Aurèle Vandenbussche a été réélu bourgmestre de la commune avec 61 % des voix.", ["Aurèle Vandenbussche"]),
    ("Hippolyte Dufresnoy dédicacera son dernier roman samedi à la librairie du quartier.",
     ["Hippolyte Dufresnoy"]),
    # Spanish, Basque, Catalan, Latin American
    ("Nerea Urkijo ha batido el récord autonómico de 3000 metros obstáculos.", ["Nerea Urkijo"]),
    ("VILLASENOR/ANSELMO MR   MEX→MAD   seat 34K   PNR QX7RTL", ["VILLASENOR/ANSELMO"]),
    ("Cliente: Hola, soy Yamileth Quintanilla y quiero cambiar la dirección de entrega de mi pedido.\n"
     "Agente: Claro, ¿me indica el número de pedido?", ["Yamileth Quintanilla"]),
    ("Montserrat Vilaplana dirigirà el cor de la parròquia aquest Nadal.", ["Montserrat Vilaplana"]),
    # Portuguese, Brazilian
    ("Leopoldina Vasconcelos foi eleita presidente da associação de moradores.", ["Leopoldina Vasconcelos"]),
    ("Josué Figueiral — contrato de estágio renovado por mais seis meses.", ["Josué Figueiral"]),
    ("Iracema da Cunha, 45 anos, refere cefaleia e visão turva há dois dias.", ["Iracema da Cunha"]),
    # Italian
    ("Concetta Lo Presti è stata nominata dirigente scolastica dell'istituto comprensivo.", ["Concetta Lo Presti"]),
    ("Verbale di consegna — firmato da Tancredi Pignatelli, responsabile di magazzino.", ["Tancredi Pignatelli"]),
    ("Ornella Sgarbossa si occuperà delle iscrizioni al corso di ceramica.", ["Ornella Sgarbossa"]),
    # Dutch, Flemish
    ("Wietske Dijkhuizen (verpleegkundige, afdeling B3) heeft nachtdienst op 14 en 15 april.",
     ["Wietske Dijkhuizen"]),
    # Nordic
    ("Torbjørn Ødegaard er ansatt som ny daglig leder i borettslaget.", ["Torbjørn Ødegaard"]),
    ("Eyvindur Sigurjónsson guided the group across the lava field near Mývatn.", ["Eyvindur Sigurjónsson"]),
    # Polish, Czech
    ("Kurs BHP — lista obecności:\n1. Przybylska Bogumiła — obecna\n2. (wolne miejsce)", ["Przybylska Bogumiła"]),
    ("Bořivoj Dvořáček vyhrál soutěž o nejlepší domácí slivovici.", ["Bořivoj Dvořáček"]),
    ("Žádost o dovolenou — KUBÍČEK Vratislav, oddělení údržby, 4 dny", ["KUBÍČEK Vratislav"]),
    # Turkish, Indonesian
    ("ŞÜKRÜ KARABULUT\nMakine Mühendisi · Bursa\n\nDENEYİM\n2016–2024  Üretim Planlama Şefi", ["ŞÜKRÜ KARABULUT"]),
    ("NAMA: BAMBANG SUTRISNO\nJABATAN: Kepala Gudang\nSTATUS: Karyawan Tetap", ["BAMBANG SUTRISNO"]),
    # Russian, Ukrainian, Greek, Hungarian, Romanian
    ("Svyatoslav Grebenshchikov translated the user manual from Ukrainian in two days.",
     ["Svyatoslav Grebenshchikov"]),
    ("Zinaida Bukharova, 74, widowed, lives with her daughter; mobility: walking frame; carers twice daily.",
     ["Zinaida Bukharova"]),
    ("Vörös Zsuzsanna nyerte a megyei helyesírási versenyt.", ["Vörös Zsuzsanna"]),
    ("Lucreția Bălănescu a fost numită director al teatrului din Sibiu.", ["Lucreția Bălănescu"]),
    # Arabic, Pashto, Persian, Hebrew
    ("Khadija El Amrani gère désormais l'agence de Casablanca.", ["Khadija El Amrani"]),
    ("Ibtisam al-Shammari chaired the panel on water desalination in Kuwait City.", ["Ibtisam al-Shammari"]),
    ("Mustafa Barakzai interpreted for the family during the asylum interview.", ["Mustafa Barakzai"]),
    ("Farnaz Golestani's ceramics are on show at the community gallery until May.", ["Farnaz Golestani"]),
    ("Ayelet Rosenzweig is on call for the paediatric ward this weekend.", ["Ayelet Rosenzweig"]),
    # South Asian
    ("Anirban Chattopadhyay — PhD candidate, Jadavpur University — thesis: low-resource Bengali ASR",
     ["Anirban Chattopadhyay"]),
    # East Asian
    ("Qiu Xiaoyan was appointed head of the Chengdu R&D centre.", ["Qiu Xiaoyan"]),
    ("Zihan Tsai presented her poster on battery recycling at the Taipei conference.", ["Zihan Tsai"]),
    ("Xiang Ruoxi won first prize in the university calligraphy contest.", ["Xiang Ruoxi"]),
    ("Fumiko Tachibana retired after forty years of teaching the koto.", ["Fumiko Tachibana"]),
    ("Yeom Jae-hwan signed with the Incheon club for two more seasons.", ["Yeom Jae-hwan"]),
    ("Pyo Hae-sol designed the poster for this year's Busan short film night.", ["Pyo Hae-sol"]),
    ("Hứa Diệu Trâm phụ trách kế toán của chi nhánh Đà Nẵng.", ["Hứa Diệu Trâm"]),
    # African
    ("Temitope Adesanya-Bakare won the Lagos pitch night with a solar cold-storage idea.",
     ["Temitope Adesanya-Bakare"]),
    ("Wanjiku Kariuki heads the maternal health programme in Nakuru County.", ["Wanjiku Kariuki"]),
    ("Amanuel Woldemariam fixed the irrigation pump two days before the harvest.", ["Amanuel Woldemariam"]),
    # two or three names in one text
    ("Minutes — harbour committee, 4 March\nPresent: Torquil Macaskill (chair), Cadfael Penhallow\n"
     "Apologies: none", ["Torquil Macaskill", "Cadfael Penhallow"]),
    ('{"assignee": "Joost Zuiderveld", "reporter": "Griet Vanhoutteghem", "status": "In Review"}',
     ["Joost Zuiderveld", "Griet Vanhoutteghem"]),
    ("Marieke ten Brink en Joost Zuiderveld openen vrijdag het nieuwe buurthuis.",
     ["Marieke ten Brink", "Joost Zuiderveld"]),
    ("Sixten Blomgren och Gunborg Åhman-Sandvall leder studiecirkeln i släktforskning.",
     ["Sixten Blomgren", "Gunborg Åhman-Sandvall"]),
    ("Wawrzyniec Szczepański i Zdzisław Wójcicki założyli klub szachowy w Radomiu.",
     ["Wawrzyniec Szczepański", "Zdzisław Wójcicki"]),
    ("Nurhan Yıldırımoğlu ile Ebru Tokgöz yeni şubenin açılışına katıldı.", ["Nurhan Yıldırımoğlu", "Ebru Tokgöz"]),
    ("Ratna Wulandari dan Dewi Kartikasari menjadi pembicara di seminar UMKM hari Sabtu.",
     ["Ratna Wulandari", "Dewi Kartikasari"]),
    ("Chrysoula Mavridou interviewed Panagiotis Kalogeropoulos about the bakers' strike in Thessaloniki.",
     ["Chrysoula Mavridou", "Panagiotis Kalogeropoulos"]),
    ("id,full_name,team\n101,Jaswinder Dhillon,Payments\n102,Thilini Abeysekara,Risk",
     ["Jaswinder Dhillon", "Thilini Abeysekara"]),
    ("Sompong Srisuwan → Marites Bagatsing: can you cover the front desk from 2?",
     ["Sompong Srisuwan", "Marites Bagatsing"]),
    ("| Rolle | Name |\n|---|---|\n| Projektleitung | Ortrud Wüstefeld |\n| QA | Ansgar Aschenbrenner |",
     ["Ortrud Wüstefeld", "Ansgar Aschenbrenner"]),
    ("Kwadwo Agyemang-Ansah beat Sizwe Mahlangu in the final round of the rapid chess open.",
     ["Kwadwo Agyemang-Ansah", "Sizwe Mahlangu"]),
    ("Montserrat Vilaplana i Aymeric Kerbrat coordinen l'intercanvi entre Girona i Rennes.",
     ["Montserrat Vilaplana", "Aymeric Kerbrat"]),
    ("Nabila Bouzidi a soutenu sa thèse ; Bénédicte Le Floch présidait le jury.",
     ["Nabila Bouzidi", "Bénédicte Le Floch"]),
    ("Gualtiero Scarpellini ha restaurato l'organo insieme a Ornella Sgarbossa.",
     ["Gualtiero Scarpellini", "Ornella Sgarbossa"]),
    ("Ludmila Šťastná nastoupí od září jako zástupkyně ředitele; Bořivoj Dvořáček odchází do důchodu.",
     ["Ludmila Šťastná", "Bořivoj Dvořáček"]),
    ("Hamza and Nokuthula are swapping Thursday's late shift.", ["Hamza", "Nokuthula"]),
    # a given name alone, in a context that makes it a person
    ("Fintan rang to say the van broke down outside Athlone.", ["Fintan"]),
    ("Is this Eudora's umbrella? It was left in meeting room 2.", ["Eudora"]),
    ("Séraphine, tu peux relire le compte rendu avant midi ?", ["Séraphine"]),
    ("Thanks for the lift on Friday, I owe you a pint.\n\nCheers,\nRuairí", ["Ruairí"]),
    ("[09:41] Luuk: zit er nog koffie in de kan?\n[09:42] Luuk: laat maar, al gevonden", ["Luuk"]),
    ("Dörtes Auto steht noch in der Werkstatt, deshalb kommt sie heute mit dem Bus.", ["Dörte"]),
    ("Joaquina llegó tarde porque el metro se quedó parado veinte minutos.", ["Joaquina"]),
    ("Bona tarda a tothom, us adjunto l'acta de la reunió.\n\nSalut,\nOriol", ["Oriol"]),
    ("Lorenza ha chiamato: la consegna slitta a lunedì.", ["Lorenza"]),
    ("Cosimo, hai chiuso tu il cancello ieri sera?", ["Cosimo"]),
    ("Bedankt voor het meedenken!\n\nGroetjes,\nJolanda", ["Jolanda"]),
    ("Ignacy przyszedł dziś wcześniej i otworzył biuro.", ["Ignacy"]),
    ("Dzień dobry, Panie Feliksie, przesyłam poprawioną umowę najmu.", ["Feliksie"]),
    ("Gunnel har redan bokat lokalen till kräftskivan.", ["Gunnel"]),
    ("Tack för i helgen, det var så mysigt!\n\nKram,\nHjördis", ["Hjördis"]),
    ("Ahoj Vítězslave, pošli mi prosím ty fotky z výletu.", ["Vítězslave"]),
    ("Kerem Bey toplantıya on dakika geç kalacağını söyledi.", ["Kerem"]),
    ("Ezgi geldi mi? Depo anahtarı onda.", ["Ezgi"]),
    ("Bu Endang sudah transfer uang arisan bulan ini.", ["Endang"]),
    ("Nadira sedang cuti melahirkan sampai bulan Juni.", ["Nadira"]),
    ("Kalle tulee huomenna takaisin töihin.", ["Kalle"]),
    ("Mirela a plecat deja acasă, revine mâine la opt.", ["Mirela"]),
    ("Dimitrij je poslal ponudbo včeraj popoldne.", ["Dimitrij"]),
    ("Deolinda, pode me mandar a planilha até amanhã?", ["Deolinda"]),
    ("Wibke: kann jemand meine Schicht am Samstag übernehmen?", ["Wibke"]),
    ("lol teodora just unplugged the router again 😂", ["teodora"]),
]

# --------------------------------------------------------------------------- phones

PHONE_SPECS = [  # (country, maker, context); some after a context word, some bare
    ("US", lambda: f"(212) {rng.randint(220, 989)}-{digits(4)}", "Front desk: {v} — ask for housekeeping."),
    ("US", lambda: f"505-{rng.randint(220, 989)}-{digits(4)}", "vendor,city,contact\nRio Grande Plumbing,Santa Fe,{v}"),
    ("UK", lambda: f"0161 {rng.randint(200, 989)} {digits(4)}", "Leave a voicemail on {v} and we'll ring you back."),
    ("UK", lambda: f"07{rng.randint(400, 999)} {digits(6)}", "swap shifts this wk? {v} after 6pm"),
    ("AU", lambda: f"(02) 9{digits(3)} {digits(4)}", "Harbourside Physio\nLevel 2, Bondi Junction\n{v}"),
    ("DE", lambda: f"+49 89 {rng.randint(20, 99)}{digits(2)} {digits(4)}", "Ansprechpartner Vertrieb, Durchwahl: {v}"),
    ("FR", lambda: f"+33 (0)3 88 {digits(2)} {digits(2)} {digits(2)}", "Standard : {v}"),
    ("ES", lambda: f"93 4{digits(2)} {digits(2)} {digits(2)}", "Para cualquier duda, llámenos al {v}."),
    ("IT", lambda: f"06 4{digits(3)} {digits(4)}", "Centralino {v}, interno 214"),
    ("IT", lambda: f"+39 3{digits(2)} {digits(3)} {digits(4)}", '{{"negozio": "Ferramenta Centrale", "cell": "{v}"}}'),
    ("NL", lambda: f"06-{digits(8)}", "bel me even op {v} als je er bent"),
    ("PT", lambda: f"22 6{digits(2)} {digits(4)}", "Marcações pelo telefone {v}."),
    ("BR", lambda: f"+55 11 9{digits(4)}-{digits(4)}", "Zap: {v}"),
    ("PL", lambda: f"+48 12 4{digits(2)} {digits(2)} {digits(2)}", "Rejestracja: {v} (pon.–pt. 7:30–15:00)"),
    ("SE", lambda: f"031-7{digits(2)} {digits(2)} {digits(2)}", "Ring oss på {v} om du har frågor."),
    ("CZ", lambda: f"+420 2{digits(2)} {digits(3)} {digits(3)}", "Objednávky na tel. {v}"),
    ("TR", lambda: f"0532 {digits(3)} {digits(2)} {digits(2)}", "Kuru Temizleme Yıldız · Kadıköy · {v}"),
    ("ID", lambda: f"0812-{digits(4)}-{digits(4)}", "WA admin: {v} (fast respon)"),
    ("MX", lambda: f"+52 55 5{digits(3)} {digits(4)}", "Atención a clientes: {v}"),
    ("IN", lambda: f"+91 98{digits(3)} {digits(5)}", 'site:\n  city: Pune\n  contact_phone: "{v}"'),
]

# --------------------------------------------------------------------------- cards

CARD_SPECS = [  # (issuer, prefix, length, grouping, context)
    ("Visa", "4", 16, "space", "Customer: my card {v} got charged twice for the same order\nAgent: I'm sorry! "
                               "Please don't share the full number here."),
    ("Visa", "4", 13, "none", "legacy_pan={v} migrated=false"),
    ("Mastercard", "55", 16, "dash", "Kartennummer: {v}\nGültig bis: 11/27"),
    ("Amex", "37", 15, "space", "Corporate Amex {v} — travel bookings only"),
    ("Discover", "6011", 16, "none", '{{"pan": "{v}", "brand": "discover"}}'),
    ("JCB", "3566", 16, "dash", "JCBカード {v} でお支払い済み"),
    ("Diners Club", "38", 14, "space", "Carta Diners {v} addebitata per la cena aziendale."),
    ("UnionPay", "62", 16, "space", "银联卡 {v} refund pending"),
    ("Maestro", "5018", 19, "space", "Betaald met pinpas (Maestro) {v}"),
    ("RuPay", "6521", 16, "space", "RuPay card {v} linked to the UPI account"),
    ("Troy", "9792", 16, "space", "TROY kart {v} ile ödeme alındı."),
    ("Elo", "6362", 16, "dash", "Pagamento aprovado no cartão Elo {v}."),
]
BAD_CARD_CONTEXTS = [  # the same shapes with a wrong check digit: not PII, whatever the label
    "Test PAN from the QA wiki: {v} (should be rejected)",
    "Die Kartennummer {v} ist laut Prüfziffer ungültig.",
    "Carte {v} refusée : numéro invalide.",
    "Kaartnummer {v} — checksum klopt niet, klant opnieuw laten typen.",
    "Número de tarjeta {v} (no pasa la validación)",
    "Kart numarası {v} geçersiz.",
    "Nomor kartu {v} ditolak sistem.",
    "Číslo karty {v} nebylo přijato.",
]

# --------------------------------------------------------------------------- IBANs


def bban_nl() -> str:  # bank code, then ten digits passing the Dutch eleven test (weights 10..1)
    while True:
        account = digits(10)
        if sum(int(c) * w for c, w in zip(account, range(10, 0, -1))) % 11 == 0:
            return rng.choice(["ABNA", "RABO", "INGB", "SNSB", "TRIO", "ASNB"]) + account


def bban_gb() -> str:  # bank code, sort code 6, account 8
    return rng.choice(["NWBK", "BARC", "LOYD", "HBUK", "MIDL", "NAIA"]) + digits(14)


def bban_cz() -> str:  # bank 4, prefix 6 (zeros), account 10 with weights 6,3,7,9,10,5,8,4,2,1 summing to 0 mod 11
    while True:
        account = digits(10)
        if sum(int(c) * w for c, w in zip(account, [6, 3, 7, 9, 10, 5, 8, 4, 2, 1])) % 11 == 0:
            return rng.choice(["0100", "0300", "0800", "2010", "5500"]) + "000000" + account


def bban_fi() -> str:  # 14 digits, the last a Luhn digit
    body = digits(13)
    return body + luhn_digit(body)


def bban_si() -> str:  # 13 digits and a national check pair 98 - n*100 mod 97 (the IBAN check is then 56)
    body = digits(13)
    return body + nib_check_pair(body)


def bban_tr() -> str:  # bank 5, reserved 0, account 16
    return digits(5) + "0" + digits(16)


# (country, BBAN pattern (n a digit, a a capital letter) or maker, for the official IBAN length; grouped by four?;
# context)
IBAN_SPECS = [
    ("DE", "n" * 18, True, "Bitte überweisen Sie den Betrag bis zum 15. des Monats auf {v}."),
    ("NL", bban_nl, True, "Graag overmaken naar {v} t.n.v. Stichting Buurtmoestuin."),
    ("GB", bban_gb, True, "Remittance to {v}, reference INV-2291."),
    ("CH", "n" * 17, False, "Zahlbar an: {v} (Zahlungszweck: Jahresbeitrag)"),
    ("CZ", bban_cz, True, "Platbu zašlete na účet {v}, variabilní symbol 20250314."),
    ("SK", "n" * 20, True, "Úhradu pošlite na účet {v} do 10 dní."),
    ("FI", bban_fi, True, "Maksu tilille {v} viimeistään 30.4."),
    ("TR", bban_tr, True, "Ödemeyi {v} numaralı hesaba yapabilirsiniz."),
    ("GR", "n" * 23, True, "Κατάθεση στον λογαριασμό {v} έως την Παρασκευή."),
    ("HU", "n" * 24, False, "Számlaszám: {v}"),
    ("HR", "n" * 17, True, "Uplatu izvršite na IBAN {v}."),
    ("SI", bban_si, True, "Plačilo na račun {v}."),
    ("LT", "n" * 16, False, '{{"beneficiary_iban": "{v}", "currency": "EUR"}}'),
    ("RO", "aaaa" + "n" * 16, True, "Contul {v}, deschis la sucursala din Cluj."),
    ("MT", "aaaa" + "n" * 23, True, "Remit to {v} (Valletta branch) quoting the booking reference."),
]
IBAN_LENGTHS = {"DE": 22, "NL": 18, "GB": 22, "CH": 21, "CZ": 24, "SK": 24, "FI": 18, "TR": 26, "GR": 27, "HU": 28,
                "HR": 21, "SI": 19, "LT": 20, "RO": 24, "MT": 31, "IT": 27}
BAD_IBAN_CONTEXTS = [  # (country of an IBAN_SPECS row, corruption, context); never valid, whatever the label
    ("NL", "check", "Het IBAN {v} is ongeldig volgens de bank."),
    ("GB", "check", "IBAN {v} failed validation at the payment gateway."),
    ("CZ", "swap", "Číslo účtu {v} — banka platbu vrátila."),
    ("TR", "check", "IBAN {v} hatalı, lütfen kontrol edin."),
    ("HU", "check", "A megadott számlaszám ({v}) hibás."),
    ("HR", "swap", "IBAN {v} nije ispravan."),
    ("RO", "check", "IBAN-ul {v} este invalid (cifre de control greșite)."),
]

# --------------------------------------------------------------------------- SSNs

SSN_CONTEXTS = [  # (separator, context)
    ("-", "W-2 correction request: employee SSN {v}, box 1 wages understated."),
    ("-", "patient_id,ssn,payer\nP-55102,{v},Medicaid"),
    ("-", "Agent: For verification, can you confirm the last four digits of your SSN?\n"
          "Caller: sure, the whole thing is {v}"),
    ("-", "Background check authorization — SSN: {v} — signed 03/11/2025"),
    (" ", "SSN {v} (spaces as printed on the form)"),
    ("", "ssn={v}&dob=1987-04-19&state=OH"),
    ("-", '{{"applicant": {{"ssn": "{v}", "filing": "single"}}}}'),
]
BAD_SSN_ITEMS = [  # never issued: area 000, 666, 9xx; group 00; serial 0000
    "Placeholder SSN 000-12-3456 appears in the onboarding slides.",
    "SSN 666-43-1209 flagged: area 666 is never assigned.",
    "Sample record: ssn=987-65-4329 (advertising range)",
    "ssn: 455-00-1873  # group 00",
    "SSN 531-72-0000 rejected by the validator (serial 0000).",
]

# --------------------------------------------------------------------------- hand-written structured PII

HAND_STRUCTURED = [
    # e-mails with unusual but valid local parts and domains
    ("Forward receipts to receipts+2025-q1@ledgerbox.io so they're filed automatically.",
     [("email", "receipts+2025-q1@ledgerbox.io")]),
    ("Reply to 1987.retro-gamer@gmx.net if you still have the cartridge.", [("email", "1987.retro-gamer@gmx.net")]),
    ("Questions about the beta: x@zbn.dev", [("email", "x@zbn.dev")]),
    ("Adresse de contact : service.client-paris@maison-lumiere.paris",
     [("email", "service.client-paris@maison-lumiere.paris")]),
    ("Başvurular için ik@ege-tekstil.com.tr adresine yazınız.", [("email", "ik@ege-tekstil.com.tr")]),
    ("Kirim CV ke rekrutmen.2025@sinarjaya.co.id paling lambat Jumat.", [("email", "rekrutmen.2025@sinarjaya.co.id")]),
    ("Mejla kontakt.väst@fjällstugan.se för bokning av stugan.", [("email", "kontakt.väst@fjällstugan.se")]),
    ("Mail naar a.b.c-d@vereniging-eendracht.nl voor het ledenblad.", [("email", "a.b.c-d@vereniging-eendracht.nl")]),
    ("postfix/smtp[2231]: 4F1A2C: to=<noreply-bounces+7f3a@mail.tracksy.app>, relay=mx1, status=sent",
     [("email", "noreply-bounces+7f3a@mail.tracksy.app")]),
    # IPv4 / IPv6
    ("sshd[8812]: Failed password for invalid user oracle from 193.32.249.161 port 41322 ssh2",
     [("ip_address", "193.32.249.161")]),
    ("X-Forwarded-For: 81.174.22.190, 10.40.0.12", [("ip_address", "81.174.22.190"), ("ip_address", "10.40.0.12")]),
    ("WLAN verbunden — IP-Adresse 192.168.2.117, Gateway 192.168.2.1",
     [("ip_address", "192.168.2.117"), ("ip_address", "192.168.2.1")]),
    ("    inet6 fe80::a4c3:21ff:fe9b:3d10/64 scope link", [("ip_address", "fe80::a4c3:21ff:fe9b:3d10")]),
    ("Nouvelle connexion depuis 88.126.45.201 (Lyon) — ce n'était pas vous ?", [("ip_address", "88.126.45.201")]),
    ("Giriş denemesi: 78.186.34.12 adresinden 5 başarısız deneme.", [("ip_address", "78.186.34.12")]),
    ("Alamat IP perangkat: 36.72.118.240", [("ip_address", "36.72.118.240")]),
    ("allow 2001:67c:2e8:22::c100:68b;  # office uplink", [("ip_address", "2001:67c:2e8:22::c100:68b")]),
    # URLs with credentials (scheme://user:password@host[:port], path and query left out)
    ("REDIS_URL=rediss://default:Xk29vLq7mP@cache-eu1.kvstore.io:6380",
     [("url_credentials", "rediss://default:Xk29vLq7mP@cache-eu1.kvstore.io:6380")]),
    ("Druckdaten bitte hochladen: ftp://printshop:Ab12cd34@ftp.drukarnia-wisla.pl/upload",
     [("url_credentials", "ftp://printshop:Ab12cd34@ftp.drukarnia-wisla.pl")]),
    ("broker: amqps://ingest:Qm7rT2wx@mq.lagerhaus-nord.de:5671/telemetry",
     [("url_credentials", "amqps://ingest:Qm7rT2wx@mq.lagerhaus-nord.de:5671")]),
    ("git clone https://deploy:ghp_7Hs2kLm9QwErTy@git.werkstatt.dev/team/site.git",
     [("url_credentials", "https://deploy:ghp_7Hs2kLm9QwErTy@git.werkstatt.dev")]),
    ("Health check: http://elastic:S3cr3tEs!@es-logs.prod.local:9200/_cluster/health",
     [("url_credentials", "http://elastic:S3cr3tEs!@es-logs.prod.local:9200")]),
    ('MONGO_URI="mongodb+srv://reporting:tB7wN4qz@cluster0.ab12c.mongodb.net/?retryWrites=true"',
     [("url_credentials", "mongodb+srv://reporting:tB7wN4qz@cluster0.ab12c.mongodb.net")]),
    ("Accesso FTP: ftps://fornitore:Lq5mZ8rt@files.ceramiche-deruta.it:990",
     [("url_credentials", "ftps://fornitore:Lq5mZ8rt@files.ceramiche-deruta.it:990")]),
    # street addresses: English, German, French, Spanish, Catalan, Italian, Dutch, Portuguese, Polish, Czech,
    # Swedish, Turkish
    ("Ship to: 742 Buckeye Hollow Ave, Apt 5C, Dayton, OH 45402", [("street_address", "742 Buckeye Hollow Ave")]),
    ("Deliveries: Unit 4, 63 Wharf Road, Wakefield", [("street_address", "63 Wharf Road")]),
    ("Neue Anschrift: Karl-Marx-Allee 93, 10243 Berlin", [("street_address", "Karl-Marx-Allee 93")]),
    ("Livraison au 221 boulevard Voltaire, 75011 Paris", [("street_address", "221 boulevard Voltaire")]),
    ("Siège social : 3 bis place du Marché, 67000 Strasbourg", [("street_address", "3 bis place du Marché")]),
    ("Domicilio fiscal: C/ Sierpes 48, 1.º B, 41004 Sevilla", [("street_address", "C/ Sierpes 48")]),
    ("Recollida a Carrer de Mallorca 401, baixos, Barcelona", [("street_address", "Carrer de Mallorca 401")]),
    ("Indirizzo di consegna: Corso Giacomo Matteotti 57, 10121 Torino",
     [("street_address", "Corso Giacomo Matteotti 57")]),
    ("Bezoekadres: Westersingel 27, 3014 GS Rotterdam", [("street_address", "Westersingel 27")]),
    ("Endereço: Rua Oscar Freire, 379 - Jardins", [("street_address", "Rua Oscar Freire, 379")]),
    ("Adres do korespondencji: al. Jana Pawła II 27, 00-867 Warszawa", [("street_address", "al. Jana Pawła II 27")]),
    ("Odbiór osobisty: ul. Długa 8/14, Gdańsk", [("street_address", "ul. Długa 8")]),
    ("Sídlo: Na Příkopě 33, 110 00 Praha 1", [("street_address", "Na Příkopě 33")]),
    ("Besöksadress: Drottninggatan 71C, Stockholm", [("street_address", "Drottninggatan 71C")]),
    ("Adres: Bağdat Cad. No: 318, Kadıköy/İstanbul", [("street_address", "Bağdat Cad. No: 318")]),
    # several kinds in one text (persons too)
    ("Från: Sixten Blomgren <sixten.blomgren@vasteras-bangolf.se>\nÄmne: Banbokning lördag",
     [("person", "Sixten Blomgren"), ("email", "sixten.blomgren@vasteras-bangolf.se")]),
    ('2025-03-04T09:12:31Z auth ok user="Nabila Bouzidi" src=2c0f:fb50:4003::5a',
     [("person", "Nabila Bouzidi"), ("ip_address", "2c0f:fb50:4003::5a")]),
    ("Odbiorca: Zdzisław Wójcicki, ul. Puławska 145, 02-715 Warszawa",
     [("person", "Zdzisław Wójcicki"), ("street_address", "ul. Puławska 145")]),
    ("Shelby Vanderpool shared the staging creds in #ops: postgres://app:Pg4staging!@db-stg.internal:5432/app",
     [("person", "Shelby Vanderpool"), ("url_credentials", "postgres://app:Pg4staging!@db-stg.internal:5432")]),
]
# Mixed items with generated values: (text with {phone}/{ssn}/{card}/{iban} slots, labels with the same slots,
# phone maker or None)
MIXED = [
    ("Beste Grüße\n\nKunigunde Pfisterer\nPraxis für Physiotherapie\nTel. {phone}\n"
     "kunigunde.pfisterer@physio-ammersee.de",
     [("person", "Kunigunde Pfisterer"), ("phone", "{phone}"), ("email", "kunigunde.pfisterer@physio-ammersee.de")],
     lambda: f"08152 9{digits(5)}"),
    ("Aymeric Kerbrat\n12 rue des Tanneurs\n29200 Brest\nPortable : {phone}",
     [("person", "Aymeric Kerbrat"), ("street_address", "12 rue des Tanneurs"), ("phone", "{phone}")],
     lambda: f"07 {digits(2)} {digits(2)} {digits(2)} {digits(2)}"),
    ("nombre;telefono;email\nEustaquio Barrenechea;{phone};e.barrenechea@clinica-donostia.eus",
     [("person", "Eustaquio Barrenechea"), ("phone", "{phone}"), ("email", "e.barrenechea@clinica-donostia.eus")],
     lambda: f"943 {digits(2)} {digits(2)} {digits(2)}"),
    ("Intestatario: Gualtiero Scarpellini\nIBAN: {iban}\nCausale: affitto ottobre",
     [("person", "Gualtiero Scarpellini"), ("iban", "{iban}")], None),
    ("Marieke ten Brink, Lange Nieuwstraat 112, Utrecht — tel. {phone}",
     [("person", "Marieke ten Brink"), ("street_address", "Lange Nieuwstraat 112"), ("phone", "{phone}")],
     lambda: f"030-2{digits(2)} {digits(2)} {digits(2)}"),
    ("new_hire:\n  name: Dwayne K. Hollister\n  ssn: {ssn}\n  address: 2287 Juniper Ridge Ln, Boise, ID 83709",
     [("person", "Dwayne K. Hollister"), ("us_ssn", "{ssn}"), ("street_address", "2287 Juniper Ridge Ln")], None),
    ("Cardholder name: HAYASHIBARA SAYURI\nCard number: {card}\nValid thru: 06/29",
     [("person", "HAYASHIBARA SAYURI"), ("credit_card", "{card}")], None),
    ("Sayın Şükrü Karabulut, 14 Mart 10:30 randevunuz onaylanmıştır. Bilgi: {phone}",
     [("person", "Şükrü Karabulut"), ("phone", "{phone}")], lambda: f"0224 2{digits(2)} {digits(2)} {digits(2)}"),
    ("Pengirim: Dewi Kartikasari, Jl. Cikini Raya No. 73, Jakarta Pusat — HP {phone}",
     [("person", "Dewi Kartikasari"), ("street_address", "Jl. Cikini Raya No. 73"), ("phone", "{phone}")],
     lambda: f"0813 {digits(4)} {digits(4)}"),
    ("Ludmila Šťastná, Vinohradská 1511/230, 100 00 Praha 10, tel. {phone}",
     [("person", "Ludmila Šťastná"), ("street_address", "Vinohradská 1511/230"), ("phone", "{phone}")],
     lambda: f"+420 6{digits(2)} {digits(3)} {digits(3)}"),
]

# --------------------------------------------------------------------------- negatives (no PII)

NEGATIVES = [
    # meter, order, tracking, case numbers and product codes
    "DHL Paket 00340434291857306612 — Zustellung heute zwischen 10 und 14 Uhr",
    "Pedido nº 2025-118430 enviado por SEUR.",
    "Contatore gas PDR 00881502339127, lettura 04218 m³",
    "EAN-code 8710398512347 staat op de verpakking.",
    "ISBN 978-83-240-6351-8 (wydanie drugie)",
    "Nomor resi JNE: JP7714092233",
    "Meter point reference (MPRN) 10004482917",
    "Case ref. 2025-CIV-004417 listed for 10 June.",
    "Ordernummer 71-4402-88 is geannuleerd.",
    "Ticket INC0049921 reopened by the service desk.",
    # dates
    "Termin: Mittwoch, 12.03.2025, 14:30 Uhr",
    "Son başvuru tarihi: 28 Şubat 2025",
    "Batas waktu pengumpulan: 17 Agustus 2025 pukul 23.59",
    "Platnost do 31. 12. 2025",
    # versions and build numbers (two are IP-shaped)
    "Firmware 3.10.2.4 is required for the new dashboard.",
    "Build 1.0.0.127 failed on the arm64 runner.",
    "pip install 'numpy>=1.26,<2.1'",
    "Version 2024.12.0-rc3 is not yet on the stable channel.",
    "SNMP OID 1.3.6.1.4.1.2021.10.1.3.1 returns the load average.",
    # coordinates and hashes
    "Koordinaten: 48.1374° N, 11.5755° E",
    "lat: -6.2088, lon: 106.8456 (Monas)",
    "Punto di ritrovo: 43°46′17″N 11°15′23″E",
    "sha512 (truncated): 3c9909afec25354d551dae21590bb26e38d53f2173b8d3dc3eee4c047e7ab1c1",
    "git rev-parse HEAD → 3f7a1c9b8e2d4f60a5b7c9d1e3f5a7b9c1d3e5f7",
    "Request-ID: 7c1e9f2a-4b3d-4e8a-9f6b-2d1c0e8a7b54",
    # config with placeholder or masked credentials
    "SMTP_URL=smtp://${MAIL_USER}:${MAIL_PASS}@mailhog:1025",
    "DSN format: mysql://USERNAME:PASSWORD@HOSTNAME:3306/DBNAME",
    "postgres://user:password@localhost/mydb  # example from the README",
    'ldap_bind_dn: "cn=admin,dc=example,dc=org"\nldap_password: "<changeme>"',
    "kafka:\n  sasl_username: \"{{ vault 'kafka/user' }}\"\n  sasl_password: \"{{ vault 'kafka/pass' }}\"",
    "proxy = http://***:***@proxy:3128",
    # organisations, brands and places named after people
    "Philips en ASML openen een gezamenlijk lab in Eindhoven.",
    "Die Robert Bosch Stiftung fördert das Projekt drei Jahre lang.",
    "Aterrizamos en el aeropuerto Adolfo Suárez Madrid-Barajas a las siete.",
    "Pesawat mendarat di Bandara Soekarno-Hatta pukul 21.40.",
    "İstanbul Atatürk Havalimanı artık yalnızca kargo uçuşlarına hizmet veriyor.",
    "Mecz odbędzie się na Stadionie Miejskim im. Henryka Reymana.",
    "La place Charles-de-Gaulle sera fermée à la circulation dimanche.",
    "Jalan Jenderal Sudirman macet total sore ini.",
    "A Sala Cecília Meireles recebe a orquestra amanhã.",
    "Adidas and Puma were founded by two brothers in Herzogenaurach.",
    # medical and scientific eponyms
    "Suspected Kawasaki disease; echocardiogram booked for the morning.",
    "Glasgow Coma Scale 14/15 on arrival, pupils equal and reactive.",
    "Cushing's triad present; neurosurgery informed.",
    "Morbus Bechterew, Erstdiagnose 2019, unter Biologikum stabil.",
    "Apply a Bonferroni correction across the twelve comparisons.",
    "Maniobra de Valsalva: el soplo no se modifica.",
    # fictional characters and works
    "Emil i Lönneberga snickrar trägubbar i snickarboden.",
    "Asterix et Obélix résistent encore et toujours à l'envahisseur.",
    "Dobrý voják Švejk je povinná četba na gymnáziu.",
    "Nasreddin Hoca eşeğine ters binmiş.",
    "Si Kancil menipu buaya agar bisa menyeberangi sungai.",
    "Pan Tadeusz to ostatnia epopeja szlachecka.",
    "Jean Valjean steals the bishop's silver candlesticks.",
    # team and department sign-offs
    "Met vriendelijke groet,\nTeam Klantenservice",
    "Saygılarımızla,\nİnsan Kaynakları Departmanı",
    "S pozdravem\nTým zákaznické podpory",
    "Salam hangat,\nTim Layanan Pelanggan",
    "Bien à vous,\nL'équipe Recrutement",
    "Mit freundlichen Grüßen\nIhre Personalabteilung",
    "Z poważaniem\nDział Kadr i Płac",
    "Um abraço,\nEquipa de Apoio ao Cliente",
    # capitalised headings, form fields and table headers
    "| Vorname | Nachname | Geburtsdatum | Abteilung |\n|---|---|---|---|",
    "Nama Lengkap: ________\nTempat/Tgl Lahir: ________\nAlamat: ________",
    "Ad Soyad: ..........\nDoğum Yeri: ..........",
    "CURRICULUM VITAE\nProfessional Experience\nLanguages\nHobbies And Interests",
    "## Getting Started\n### Installing Dependencies\n### Running The Test Suite",
    "ANAMNESE — BEFUND — DIAGNOSE — PROCEDERE",
    "Nome,Cognome,Codice Fiscale,Data di Nascita",
    "Jméno | Příjmení | Oddělení | Datum nástupu",
    # hard-wrapped encyclopedia-style prose with capitalised places and nationalities
    "The Vistula rises in the Silesian Beskids and\nflows north past Kraków and Warsaw before\n"
    "reaching the Baltic near Gdańsk. Polish and\nGerman traders used it for centuries.",
    "Die Mosel entspringt in den Vogesen und mündet\nbei Koblenz in den Rhein. Römische Siedler\n"
    "brachten den Weinbau an ihre Hänge, und noch\nheute prägen Winzerdörfer das Tal.",
    "Le Rhône prend sa source dans un glacier du\nValais, traverse le lac Léman à Genève puis\n"
    "Lyon, Avignon et Arles avant de se jeter\ndans la Méditerranée.",
    "El Camino de Santiago atraviesa Navarra,\nLa Rioja, Castilla y León y Galicia; miles\n"
    "de peregrinos franceses, alemanes y coreanos\nlo recorren cada verano.",
    "Sumatra adalah pulau terbesar keenam di dunia.\nKota Medan, Padang dan Palembang berada di\n"
    "pulau ini, yang dihuni suku Batak, Minangkabau\ndan Melayu.",
    "Kapadokya, Nevşehir, Kayseri ve Aksaray\nilleri arasında yer alır; Roma ve Bizans\n"
    "dönemlerinden kalma kaya kiliseleriyle\nünlüdür.",
    "Vltava pramení na Šumavě, protéká Českým\nKrumlovem, Českými Budějovicemi a Prahou\n"
    "a u Mělníka se vlévá do Labe.",
    "The Hanseatic League linked Lübeck, Bergen,\nRiga and Novgorod; Danish, Swedish and\n"
    "Dutch rivals eventually broke its grip on\nBaltic trade.",
    "Amsterdam werd in de zeventiende eeuw het\ncentrum van de Vereenigde Oostindische\n"
    "Compagnie; Portugese en Engelse concurrenten\nvolgden op afstand.",
    "Göteborg grundades 1621 vid Götaälvens\nmynning; holländska byggmästare ritade\n"
    "kanalerna och skotska köpmän slog sig ner\ni staden.",
    # social posts without a person
    "Just finished my first sprint triathlon!! 🏊‍♀️🚴‍♀️🏃‍♀️ #Brighton #tri #PB",
    "Who else is watching the Eurovision final tonight? 🇸🇪🇺🇦🇮🇹",
]

# --------------------------------------------------------------------------- assembly, checks, output

if __name__ == "__main__":
    rows = (person_rows(PERSON_ITEMS)
            + structured_rows(rng, PHONE_SPECS, CARD_SPECS, IBAN_SPECS, IBAN_LENGTHS, SSN_CONTEXTS, HAND_STRUCTURED,
                              MIXED, mixed_card_prefix="4", mixed_iban=("IT", "a" + "n" * 22))
            + bad_value_rows(rng, CARD_SPECS, BAD_CARD_CONTEXTS, IBAN_SPECS, IBAN_LENGTHS, BAD_IBAN_CONTEXTS,
                             card_step=5, card_styles=["dash", "space", "none"])
            + negative_rows(BAD_SSN_ITEMS, NEGATIVES))
    check_set_with_particles(rows, FULL_NAMES, GIVEN_NAMES, WRITTEN_FORMS, PARTICLES, IBAN_LENGTHS, OTHER_BUILDERS,
                             all_particles_used=True, fixed_iban_check_digits={"SI": "56"})
    write_set(rows, HERE / "pii_blind2.jsonl")
