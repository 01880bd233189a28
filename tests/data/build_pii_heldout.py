"""Builds tests/data/pii_heldout.jsonl, a HELD-OUT labelled set for the PII detector.

This set was written without looking at the detector's code, its name lists or its tests, so
it can show how the detector does on text it was not tuned for. It shares no names, sentence
templates or negatives with the other set (tests/data/build_pii_set.py); do not tune the
detector against it, or it stops being held out.

Every line is {"text": str, "pii": [{"kind": K, "value": V}, ...]}: V is the exact substring
of the text that is the PII, and an empty list means the text has none. Kinds: email, phone,
credit_card, iban, us_ssn, ip_address, url_credentials, street_address, person.

Three parts:
  * person names: full names written here by hand from about twenty languages, plus a few
    given names in clear context, in chat logs, mail headers, CSV lines, quotes, possessives...
  * structured PII: cards with a valid Luhn digit, IBANs with valid mod-97 check digits (the
    national check digits inside the BBAN are random), SSNs with valid area/group/serial,
    IPv4/IPv6, URLs carrying user:password, phone numbers and street addresses of several
    countries;
  * look-alikes with no PII: cards failing Luhn, IBANs with wrong check digits, SSNs in
    ranges never issued, versions, dates, codes, hashes, and names of companies, places,
    books and films.

Labelling conventions: titles (Dr, Prof.) and a possessive 's are not part of a person
value; names that are part of a company, place, product or work title are not persons; a
credentials URL is labelled from the scheme to the end of host[:port], without path or query;
a street address is the street line only (number and street), without postcode or city;
numbers with an invalid checksum or an unissued range are not PII.

Regenerate (standard library only, fixed seed): python tests/data/build_pii_heldout.py
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # tests/data is not a package; the shared helpers live beside this file
from pii_set_kit import (  # noqa: E402
    card_number, check_rows, format_card, make_iban, make_ssn, negative_rows, row, slot_row, write_set,
)

rng = random.Random(7)

# --------------------------------------------------------------------------- person names

FULL_NAMES = [
    # English, Irish, Scottish
    "Margaret Thornton", "Oliver Pembridge", "Hannah Whitfield", "Rebecca Ashworth", "Nathaniel Brooks",
    "Niamh Gallagher", "Callum MacLeod",
    # German
    "Friedrich Hoffmann", "Annegret Krause", "Maximilian Vogt", "Wiebke Hansen",
    # French
    "Théo Marchand", "Mathilde Rousseau", "Benoît Lacroix", "Gaëlle Chevalier",
    # Spanish, Basque, Mexican
    "Rocío Navarro", "Íñigo Etxeberria", "Guadalupe Herrera", "Joaquín Ortega",
    # Italian
    "Alessandro Ferraro", "Benedetta Marchetti", "Gianluca De Santis",
    # Portuguese, Brazilian
    "Gonçalo Ferreira", "Inês Carvalho", "Rodrigo Albuquerque",
    # Dutch
    "Maarten van der Berg", "Femke Visser", "Joris Kuipers",
    # Polish
    "Małgorzata Wójcik", "Bartosz Kamiński", "Zofia Lewandowska",
    # Nordic, Finnish
    "Sigrid Halvorsen", "Mikkel Sørensen", "Aino Virtanen", "Ragnhild Dahl",
    # Turkish
    "Emre Çelik", "Zeynep Aydın", "Burak Öztürk",
    # Indian
    "Ananya Iyer", "Vikram Reddy", "Deepika Chatterjee", "Harpreet Singh Gill",
    # Chinese (pinyin, family name first)
    "Chen Jiahui", "Huang Xiaoming", "Zhou Meiling",
    # Japanese
    "Takeshi Nakamura", "Aiko Watanabe", "Ren Kobayashi",
    # Korean (family name first)
    "Lee Ji-eun", "Choi Dong-hyun", "Jung Ha-eun",
    # Vietnamese (family name first)
    "Tran Thi Mai", "Pham Minh Duc", "Lê Thu Hà",
    # Arabic
    "Omar Khalil", "Layla Haddad", "Youssef Benali", "Noura Al-Qahtani",
    # Russian
    "Svetlana Kuznetsova", "Alexei Volkov", "Natalia Sokolova",
    # Greek
    "Eleni Papadopoulou", "Nikos Georgiou",
    # Hungarian, Czech
    "Zsófia Nagy", "Balázs Tóth", "Tereza Dvořáková", "Jiří Novotný",
    # Igbo, Zulu, Kikuyu, Amharic, Akan
    "Chidinma Eze", "Thabo Nkosi", "Wanjiru Kamau", "Abebe Tesfaye", "Kofi Asante",
]

# One slot, {a} is a full name. Each is used twice with different names.
ONE_NAME_TEMPLATES = [
    "[10:42] {a}: rebased onto main, CI is green again",
    "From: {a}\nSubject: Q3 vendor shortlist",
    "employee_id,full_name,team\n20931,{a},Logistics",
    "— {a}, Head of Procurement",
    "{a}'s laptop was left in meeting room 2B.",
    "\"We'll ship the fix on Thursday,\" said {a}.",
    "ok so {a} is taking over the on-call rotation from next week",
    "The migration (owner: {a}) is blocked on the schema review.",
    "{a} soldered the replacement connector onto the board.",
    "{a} vetoed the proposal after a long silence.",
    "Reviewer: {a} | Status: approved | Comments: 3",
    "Kind regards,\n{a}\nAccounts Payable",
    "Can someone loop in {a}? They wrote the original importer.",
    "Minutes taken by {a}.",
    "Passenger: {a} / Seat 14C / Boarding group 3",
    "The award for best mentor goes to {a}!",
    "cc'ing {a} here since this touches billing",
    "Emergency contact: {a} (partner)",
    "I sat next to {a} on the train and we talked for hours.",
    "{a} translated the user manual into four languages.",
    "Assigned to {a} · Priority: High · Due: next sprint",
    "Our landlord, {a}, finally fixed the boiler.",
    "> {a} wrote:\n> the numbers in tab 3 don't add up",
    "Shoutout to {a} for untangling the release branch 🙌",
    "Prof. {a} chaired the thesis committee.",
    "Beneficiary: {a}",
    "{a} (new starter) joined the data team this month.",
    "Attn: Dr {a}, Radiology Dept.",
]

# Two slots, {a} and {b} are two different full names.
TWO_NAME_TEMPLATES = [
    "Attendees: {a}, {b}",
    "{a} and {b} co-authored the incident review.",
    "[14:03] {a}: can you check the nginx logs?\n[14:05] {b}: on it",
    "The wedding of {a} and {b} is set for the autumn.",
    "{a} handed the keys to {b} at the front gate.",
    "To: {a}\nCc: {b}\nSubject: onboarding checklist",
    "{a} replaced {b} as treasurer of the rowing club.",
    "Witnesses: {a}; {b}.",
    "name,role\n{a},author\n{b},reviewer",
    "Photo: {a} (left) with {b} at the launch.",
]

# A given name alone, where the context makes clear it is a person: (text, name).
GIVEN_NAME_ITEMS = [
    ("Cheers,\nGreta", "Greta"),
    ("[08:57] Tobias: morning! coffee machine is broken again", "Tobias"),
    ("ok thanks Kenji, will do", "Kenji"),
    ("Soraya said she'd bring the projector.", "Soraya"),
    ("Hi all, Pilar here, covering support this week.", "Pilar"),
    ("Best,\nHenrik", "Henrik"),
    ("Ask Oksana, she knows the VPN setup.", "Oksana"),
    ("Rosalind's flight lands at noon.", "Rosalind"),
    ("Thank you so much, Ifeoma — the slides were perfect.", "Ifeoma"),
    ("@Matthias can you approve the PR?", "Matthias"),
    ("Grüße,\nLiesel", "Liesel"),
    ("Merci beaucoup, Océane !", "Océane"),
    ("honestly just ping dariusz about it, he set up the cron", "dariusz"),
]

# --------------------------------------------------------------------------- cards

# (issuer prefix, length); Amex is 15 digits.
CARD_PREFIXES = [
    ("4", 16), ("4", 16), ("4", 16),            # Visa
    ("53", 16), ("55", 16), ("2221", 16),       # Mastercard (51-55 and 2-series)
    ("34", 15), ("37", 15), ("37", 15),         # Amex
    ("6011", 16), ("65", 16), ("644", 16),      # Discover
]

CARD_CONTEXTS = [
    "Card number: {v}",
    "pls charge {v} exp 11/28, cvv is on file",
    "payment_method=card&pan={v}&currency=EUR",
    "The customer read out {v} over the phone.",
    "Kreditkarte: {v} (gültig bis 04/27)",
    "numéro de carte {v}",
    "CC# {v}",
    "WARN stored card '{v}' in plaintext in debug.log",
    "Paid with {v} on 3 May.",
    "[billing] card={v} status=declined reason=insufficient_funds",
    "Tarjeta: {v}",
    "My new card is {v}, please update the subscription.",
]

# Negatives: 16-digit numbers that fail Luhn, some in card-like context (still not a card).
BAD_CARD_CONTEXTS = [
    "Order reference {v} was refunded.",
    "Card number: {v}",
    "Tracking code {v} is not recognised.",
    "member_no={v}",
    "The loyalty ID {v} earns double points this week.",
    "Meter reading {v} submitted online.",
    "pan={v} rejected: checksum mismatch",
    "Booking {v} confirmed for two nights.",
    "Gift voucher {v} cannot be combined with other offers.",
    "Policy number {v} renews in October.",
]

# --------------------------------------------------------------------------- IBANs

# (country, BBAN pattern: n = digit, a = capital letter, context)
IBAN_SPECS = [
    ("DE", "n" * 18, "Bitte überweisen Sie den Betrag auf {v}."),
    ("FR", "n" * 23, "RIB / IBAN : {v}"),
    ("GB", "aaaa" + "n" * 14, "Refund to account {v}, reference MARCH RENT."),
    ("ES", "n" * 20, "Cuenta para la devolución: {v}"),
    ("NL", "aaaa" + "n" * 10, "Rekeningnummer {v} t.n.v. de vereniging"),
    ("IT", "a" + "n" * 22, "Conto corrente {v} intestato alla ditta."),
    ("BE", "n" * 12, "Payee IBAN ({v}) confirmed."),
    ("CH", "n" * 17, "Zahlbar an {v}"),
    ("AT", "n" * 16, "iban={v};amount=420.00"),
    ("PL", "n" * 24, "Numer rachunku: {v}"),
    ("IE", "aaaa" + "n" * 14, "Please update my bank details to {v} from next month."),
    ("PT", "n" * 21, "Transferência para o IBAN {v} até sexta."),
]

BAD_IBAN_CONTEXTS = [
    "IBAN: {v}",
    "The form rejected {v} as a typo.",
    "Konto {v} existiert nicht.",
    "Example from the slides: {v}",
    "account={v}",
    "Compte {v} (à vérifier)",
    "Rekening {v} onbekend",
    "Destinatario {v}",
]


# --------------------------------------------------------------------------- SSNs

SSN_CONTEXTS = [
    "SSN: {v}",
    "Social Security No. {v}",
    "ssn={v}&dob=1988-02-11",
    "The W-4 lists {v} as the employee's number.",
    "SS# {v}",
    "Her social is {v}, I double-checked.",
    "taxpayer id (SSN) {v}",
    "SSN {v} on file for the lease application",
]


# Never issued: area 000, 666 or 9xx, group 00, serial 0000.
BAD_SSN_ITEMS = [
    "Employee record: SSN 000-41-2298 (placeholder)",
    "Sample data uses 666-23-1145 for every applicant.",
    "Ticket 912-44-7781 was escalated to tier 2.",
    "ssn: 987-65-4329",
    "SSN: 523-00-1187",
    "ssn=431-28-0000",
]

# --------------------------------------------------------------------------- hand-written structured PII

# (text, [(kind, value), ...])
HAND_STRUCTURED = [
    # emails
    ("cc: ops-alerts@monitoring.eu-west.acme-corp.io", [("email", "ops-alerts@monitoring.eu-west.acme-corp.io")]),
    ("Send invoices to j.okonkwo+invoices@mail.lagos-traders.ng.",
     [("email", "j.okonkwo+invoices@mail.lagos-traders.ng")]),
    ("Contact us: <support@help.bramblefield.co.uk>", [("email", "support@help.bramblefield.co.uk")]),
    ("mailto:k_tanaka1987@yahoo.co.jp?subject=reunion", [("email", "k_tanaka1987@yahoo.co.jp")]),
    ("Die Liste geht an finanzen.team@verw.uni-musterstadt.de, bitte bis Freitag.",
     [("email", "finanzen.team@verw.uni-musterstadt.de")]),
    ("reply-to: Hugo.Lambert@Orange.fr", [("email", "Hugo.Lambert@Orange.fr")]),
    ("(first_last-99@outlook.com)", [("email", "first_last-99@outlook.com")]),
    ("user=qz@ab.io; role=viewer", [("email", "qz@ab.io")]),
    ("Her old address, m.szabo+shop.2019@freemail.hu, bounces now.", [("email", "m.szabo+shop.2019@freemail.hu")]),
    ("Escreva para atendimento@sac.lojaverde.com.br se houver dúvidas.",
     [("email", "atendimento@sac.lojaverde.com.br")]),
    # phones: US, UK, DE, FR, IN, BR
    ("Call me at (415) 555-0132 after lunch.", [("phone", "(415) 555-0132")]),
    ("cell: 415.555.0187", [("phone", "415.555.0187")]),
    ("NYC office +1 212-555-0199 (ext. 4)", [("phone", "+1 212-555-0199")]),
    ("Text me on +44 7700 900123 when you land.", [("phone", "+44 7700 900123")]),
    ("Switchboard: 020 7946 0958", [("phone", "020 7946 0958")]),
    ("Manchester desk +44 (0)161 496 0734, weekdays only", [("phone", "+44 (0)161 496 0734")]),
    ("Tel.: +49 (0)30 2847 1190", [("phone", "+49 (0)30 2847 1190")]),
    ("Handy: 0171 2345678", [("phone", "0171 2345678")]),
    ("Durchwahl +49 89 4520-1337", [("phone", "+49 89 4520-1337")]),
    ("Appelez le 01 45 82 37 19 pour confirmer.", [("phone", "01 45 82 37 19")]),
    ("portable : +33 6 71 22 48 90", [("phone", "+33 6 71 22 48 90")]),
    ("tél. 06.18.27.39.44", [("phone", "06.18.27.39.44")]),
    ("WhatsApp +91 98450 71236 for delivery updates", [("phone", "+91 98450 71236")]),
    ("Mumbai office: +91-22-2658-4410", [("phone", "+91-22-2658-4410")]),
    ("Ligue para +55 11 97342-1865 amanhã.", [("phone", "+55 11 97342-1865")]),
    ("Celular (21) 99634-2207", [("phone", "(21) 99634-2207")]),
    # IPv4 / IPv6
    ("Accepted publickey for deploy from 192.168.14.27 port 52214 ssh2", [("ip_address", "192.168.14.27")]),
    ("client_ip=10.20.30.40 status=403", [("ip_address", "10.20.30.40")]),
    ("X-Forwarded-For: 203.0.113.45, 172.16.254.3",
     [("ip_address", "203.0.113.45"), ("ip_address", "172.16.254.3")]),
    ("Her home router shows WAN address 81.2.69.160.", [("ip_address", "81.2.69.160")]),
    ("Resolver set to 2606:4700:4700::1111", [("ip_address", "2606:4700:4700::1111")]),
    ("link-local fe80::1ff:fe23:4567:890a on eth0", [("ip_address", "fe80::1ff:fe23:4567:890a")]),
    ("Connecting to [2a02:8108:1b40:3e00::5c]:443 ...", [("ip_address", "2a02:8108:1b40:3e00::5c")]),
    ("src=2001:0db8:0a0b:12f0:0000:0000:0000:0001 dst=2001:db8::2",
     [("ip_address", "2001:0db8:0a0b:12f0:0000:0000:0000:0001"), ("ip_address", "2001:db8::2")]),
    # URLs with credentials (labelled scheme..host[:port], path excluded)
    ("DATABASE_URL=postgresql://analytics_ro:Zq8vT2p@pg-replica.internal.acme.io:5432/warehouse",
     [("url_credentials", "postgresql://analytics_ro:Zq8vT2p@pg-replica.internal.acme.io:5432")]),
    ("git clone https://deploy-bot:ghp_x7Kq2mWz@git.example-corp.com/team/infra.git",
     [("url_credentials", "https://deploy-bot:ghp_x7Kq2mWz@git.example-corp.com")]),
    ("client = MongoClient(\"mongodb+srv://appuser:m0ng0Pa55@cluster0.ab12c.mongodb.net/?retryWrites=true\")",
     [("url_credentials", "mongodb+srv://appuser:m0ng0Pa55@cluster0.ab12c.mongodb.net")]),
    ("Upload via ftp://anon2:letmein42@files.partner-site.de/incoming/ tonight.",
     [("url_credentials", "ftp://anon2:letmein42@files.partner-site.de")]),
    ("BROKER=amqp://guest:guest@rabbitmq:5672/vhost", [("url_credentials", "amqp://guest:guest@rabbitmq:5672")]),
    ("mailer relay: smtp://mailer:Tr0ub4dor&3@smtp.mailhost.net:587",
     [("url_credentials", "smtp://mailer:Tr0ub4dor&3@smtp.mailhost.net:587")]),
    ("rsync target sftp://backup:Wint3r-2024@nas.home.arpa:2222/volume1",
     [("url_credentials", "sftp://backup:Wint3r-2024@nas.home.arpa:2222")]),
    ("ERROR could not connect to mysql://root:toor@db-staging.corp.local/orders",
     [("url_credentials", "mysql://root:toor@db-staging.corp.local")]),
    # street addresses: English, German, French, Spanish, Italian
    ("Ship to: 1600 Larchmont Avenue, Springfield", [("street_address", "1600 Larchmont Avenue")]),
    ("We moved to 47 Wexford Road last spring.", [("street_address", "47 Wexford Road")]),
    ("Return address — 8 Kingfisher Close, Norwich", [("street_address", "8 Kingfisher Close")]),
    ("Lieferadresse: Schillerstraße 14, 10625 Berlin", [("street_address", "Schillerstraße 14")]),
    ("Die Praxis ist jetzt in der Bahnhofstr. 27a.", [("street_address", "Bahnhofstr. 27a")]),
    ("Wir wohnen Am Kirchberg 3 im Erdgeschoss.", [("street_address", "Am Kirchberg 3")]),
    ("Adresse : 27 avenue Victor Hugo, Lyon", [("street_address", "27 avenue Victor Hugo")]),
    ("Le colis est arrivé au 18 place Bellecour.", [("street_address", "18 place Bellecour")]),
    ("Dirección: Calle de Atocha 45, 3º izquierda", [("street_address", "Calle de Atocha 45")]),
    ("Vivo en Avenida de la Constitución 12 desde enero.", [("street_address", "Avenida de la Constitución 12")]),
    ("Indirizzo: Via del Corso 118, Roma", [("street_address", "Via del Corso 118")]),
    ("Consegna presso Viale Monza 140, scala B.", [("street_address", "Viale Monza 140")]),
    # several kinds in one text
    ("From: Rebecca Ashworth <r.ashworth@harbourline.co.uk>",
     [("person", "Rebecca Ashworth"), ("email", "r.ashworth@harbourline.co.uk")]),
    ("Théo Marchand | Responsable achats | +33 6 40 18 92 75",
     [("person", "Théo Marchand"), ("phone", "+33 6 40 18 92 75")]),
    ("Kontakt: Friedrich Hoffmann, Kastanienallee 8, Tel. 030 2847 1190",
     [("person", "Friedrich Hoffmann"), ("street_address", "Kastanienallee 8"), ("phone", "030 2847 1190")]),
    ("Ananya Iyer (ananya.iyer@quillsoft.in, +91 80 4127 3390) will call back.",
     [("person", "Ananya Iyer"), ("email", "ananya.iyer@quillsoft.in"), ("phone", "+91 80 4127 3390")]),
    ("login from 198.51.100.23 by svc_backup@infra.mailgrid.net",
     [("ip_address", "198.51.100.23"), ("email", "svc_backup@infra.mailgrid.net")]),
]

# --------------------------------------------------------------------------- negatives (no PII)

NEGATIVES = [
    # tracking, serial, product and reference numbers
    "Your parcel 1Z4F82W60398127745 is out for delivery.",
    "USPS tracking 9400 1118 9922 3857 4210 93 shows no movement.",
    "DHL waybill 7781 2290 45 was scanned in Leipzig.",
    "S/N C02XK1JHJGH5 failed the diagnostics run.",
    "SKU 400-12-8890-B is back in stock.",
    "Part number 7731-448-90 ships from the Tilburg warehouse.",
    "EAN 8712345678906 scanned twice at checkout.",
    "Lot 20240315-A7 expires 03/2026.",
    "Case No. 2:23-cv-01234 was dismissed.",
    # dates and times
    "Event logged at 2023-11-04T17:22:08Z by the scheduler.",
    "Last modified: Fri, 03 Mar 2023 09:14:55 +0100",
    "created_at=1699118528 updated_at=1699118611",
    "Abgabe bis 14.02.2024, 23:59 Uhr.",
    "Le rendez-vous est fixé au 07/06/2025 à 14h30.",
    "ISO week dates look like 2025-W14-3.",
    "Backups ran on 2024.03.15 and 15-03-2024, both complete.",
    # versions and dotted numbers that are not IP addresses
    "Install agent v1.2.3.4 on every node.",
    "Chrome 120.0.6099.109 fixes the crash.",
    "The config contains 300.1.2.3, which the parser rejects.",
    "Build 4.18.0.305 passed all regression tests.",
    "See clause 4.2.1.3 of the supplier agreement.",
    "Kernel 5.15.0-91-generic is still running.",
    # arithmetic and number lists that look like phone numbers
    "Work it out: (202) * 456 - 7890 = 84,222.",
    "2048 - 1024 - 512 = 512, so the buffer is half full.",
    "Call extension 4471 for the lab.",
    # coordinates and amounts
    "The summit is at 45.8326° N, 6.8652° E.",
    "Drop pin: -33.8688, 151.2093",
    "lat=40.7128&lon=-74.0060&zoom=12",
    "Der Preis beträgt 2.499,00 € inkl. MwSt.",
    "Budget approved: USD 12,500.50 for Q2.",
    "The flat costs ¥1,280,000 per year.",
    # hashes, ids, addresses of machines that are not IPs
    "commit 3f9a2c1 reverted the cache change",
    "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "md5sum d41d8cd98f00b204e9800998ecf8427e matches the empty file.",
    "request_id=b3e1c2a4-5f6d-4e7a-9b8c-0d1e2f3a4b5c",
    "Trace 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 was sampled.",
    "Device MAC 3C:22:FB:9A:10:4E is whitelisted.",
    # at-signs and URLs without credentials
    "@channel standup moves to 9:15 today",
    "git@github.com:synthloom/synthloom.git is the canonical remote.",
    "Docs: https://docs.python.org/3/library/uuid.html",
    "Mirror: ftp://ftp.gnu.org/gnu/ (anonymous access)",
    # places, companies, products and works, several named after people
    "Victoria Station was closed for repairs on Sunday.",
    "Santa Clara County issued a burn ban.",
    "General Motors recalled 40,000 pickup trucks.",
    "Morgan Stanley raised its growth forecast.",
    "We flew out of Charles de Gaulle Airport early.",
    "Johns Hopkins University published the dataset.",
    "Mercedes-Benz and Rolls-Royce both posted quarterly losses.",
    "Procter & Gamble shares rose after the spin-off.",
    "Ben & Jerry's opened a new scoop shop downtown.",
    "Wilson Sonsini advised on the merger.",
    "Mark Twain Elementary School closes early on Fridays.",
    "Earl Grey tea and a slice of Victoria sponge, please.",
    "Granny Smith apples are on sale at the market.",
    "The Marshall Plan helped rebuild Western Europe.",
    "Ruby on Rails and Django both ship with an ORM.",
    "The Jenkins pipeline rebuilt the Docker image overnight.",
    # months, weekdays, capitalised common words
    "The audit moves from June to August, every second Thursday.",
    "Saturday and Sunday shifts pay double in December.",
    "Amber warnings were issued for the northern coast.",
    "Sterling fell against the Swiss franc on Wednesday.",
    "Ask the Help Desk about Single Sign-On and Multi-Factor Authentication.",
    "Quarterly Business Review: Revenue Growth, Customer Churn, Next Steps",
    # titles of books and films
    "We reread Madame Bovary for the book club.",
    "Forrest Gump is on television tonight.",
    "The Great Gatsby was assigned for the summer.",
    "Don Quixote is often called the first modern novel.",
    "Harry Potter and the Goblet of Fire runs for 157 minutes.",
]

# --------------------------------------------------------------------------- assembly


def person_items() -> list[dict]:
    pool: list[str] = []

    def draw(exclude: str | None = None) -> str:
        if not pool:
            pool.extend(rng.sample(FULL_NAMES, len(FULL_NAMES)))
        for i in range(len(pool) - 1, -1, -1):
            if pool[i] != exclude:
                return pool.pop(i)
        pool.extend(rng.sample(FULL_NAMES, len(FULL_NAMES)))
        return draw(exclude)

    out = []
    for template in ONE_NAME_TEMPLATES:
        for _ in range(2):
            a = draw()
            out.append(row(template.format(a=a), [("person", a)]))
    for template in TWO_NAME_TEMPLATES:
        for _ in range(2):
            a = draw()
            b = draw(exclude=a)
            out.append(row(template.format(a=a, b=b), [("person", a), ("person", b)]))
    out += [row(text, [("person", name)]) for text, name in GIVEN_NAME_ITEMS]
    return out


def structured_items() -> list[dict]:
    out = [row(text, labels) for text, labels in HAND_STRUCTURED]
    styles = ["space", "dash", "none"]
    for (prefix, length), context in zip(CARD_PREFIXES, rng.sample(CARD_CONTEXTS, len(CARD_CONTEXTS))):
        digits = card_number(rng, prefix, length)
        out.append(slot_row(context, "credit_card", format_card(digits, rng.choice(styles))))
    for i, (country, pattern, context) in enumerate(IBAN_SPECS):
        out.append(slot_row(context, "iban", make_iban(rng, country, pattern, grouped=i % 3 != 2)))
    for sep, context in zip(["-", "-", "-", " ", "-", "-", "", "-"], SSN_CONTEXTS):
        out.append(slot_row(context, "us_ssn", make_ssn(rng, sep, max_area=899)))
    return out


def negative_items() -> list[dict]:
    out = []
    for i, context in enumerate(BAD_CARD_CONTEXTS):
        prefix, _ = CARD_PREFIXES[[0, 3, 9, 4, 10, 1, 5, 11, 2, 0][i]]
        digits = card_number(rng, prefix, 16, valid=False)
        out.append(row(context.format(v=format_card(digits, ["space", "dash", "none"][i % 3])), []))
    for i, context in enumerate(BAD_IBAN_CONTEXTS):
        country, pattern, _ = IBAN_SPECS[i]
        v = make_iban(rng, country, pattern, grouped=i % 2 == 0, corrupt="check")
        out.append(row(context.format(v=v), []))
    return out + negative_rows(BAD_SSN_ITEMS, NEGATIVES)


def check(rows: list[dict]) -> None:
    """The shared checks; only card and IBAN look-alikes, only in the negatives (a part number here is SSN-shaped,
    a git remote looks like an e-mail, and IBAN digit runs can pass Luhn)."""
    assert len(FULL_NAMES) == len(set(FULL_NAMES))
    known = set(FULL_NAMES) | {name for _, name in GIVEN_NAME_ITEMS}
    check_rows(rows, known, lookalikes={"credit_card", "iban"}, lookalikes_in_labelled=False)


if __name__ == "__main__":
    rows = person_items() + structured_items() + negative_items()
    check(rows)
    write_set(rows, HERE / "pii_heldout.jsonl")
