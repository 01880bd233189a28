"""Builds tests/data/pii_final.jsonl, the FINAL labelled test set for the PII detector.

This set is meant to be looked at once, at the end: it was written without reading the detector's
code, its name lists or its tests, and independently of the two other sets
(tests/data/build_pii_set.py -> pii_labelled.jsonl, tests/data/build_pii_heldout.py ->
pii_heldout.jsonl). Those two builders were read only to copy the output format and to avoid any
overlap: this set shares no person name token (first or last name) with them, uses its own sentences
and forms, its own negatives and its own structured values, and the script checks that. Do not tune
the detector against this set, or it stops being a final test.

Every line is {"text": str, "pii": [{"kind": K, "value": V}, ...]}: V is the exact substring of the
text that is the PII, and an empty list means the text has none. Kinds: email, phone, credit_card,
iban, us_ssn, ip_address, url_credentials, street_address, person.

The texts imitate what an LLM-generated training set contains: answers, emails, support tickets,
chat and dialogue, medical notes, CVs, forms, logs, JSON snippets and markdown tables. Three parts:
  * person names: about 85 full names from more than fifteen languages and cultures (Chinese,
    Korean, Japanese and Vietnamese in their natural order, some also given-name first), and about
    twenty given names alone in clear context; some texts carry two names;
  * structured PII: phones of fifteen countries, cards of seven issuers (valid Luhn digit), IBANs of
    fifteen countries (mod-97 check digits computed here), SSNs, IPv4/IPv6, e-mails, URLs with
    user:password, street addresses in English, German, French, Spanish, Italian and Dutch forms;
  * negatives with no PII: cards failing Luhn and IBANs failing mod-97 even under a "Card:"/"IBAN:"
    label, SSNs in never-issued ranges, order/tracking/invoice numbers, dates, versions,
    coordinates, measurements, hashes, UUIDs, code, eponymous companies, places, products,
    fictional characters and titles, capitalised common words and headings.

Labelling conventions (the same as the other two sets): a person value is the name as written,
without titles or honorifics (Dr., Mr., Prof., Frau, Mme, Sr., Dott.ssa, -san, Esq., RN) and without
a possessive 's; a name inside an e-mail address is labelled only as the e-mail; companies, places,
products, fictional characters and works named after people are not persons; a credentials URL is
labelled scheme://user:password@host[:port], without path or query; a street address is the number
and street only, without flat, postcode or city; numbers with an invalid checksum (Luhn, mod-97) or
an SSN with area 000/666/9xx, group 00 or serial 0000 are not PII, whatever label precedes them.

Regenerate (standard library only, fixed seed): python tests/data/build_pii_final.py
"""

from __future__ import annotations

import random
import re
import sys
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # tests/data is not a package; the shared helpers live beside this file
from pii_set_kit import (  # noqa: E402
    card_number, check_name_lists, check_no_overlap, check_rows, draw_without_card, format_card, make_iban,
    make_ssn, negative_rows, person_rows, random_digits, row, slot_row, write_set,
)

OTHER_BUILDERS = [HERE / "build_pii_set.py", HERE / "build_pii_heldout.py"]
rng = random.Random(11)
digits = partial(random_digits, rng)

# --------------------------------------------------------------------------- person names

# Every full name used below, by language or culture (checked: each label comes from here).
FULL_NAMES = {
    "English, Irish, Scottish, Welsh": ["Imogen Fairclough", "Declan Tierney", "Fiona Strachan",
                                        "Rupert J. Ellingham", "Rupert Ellingham", "Tamsin Pryce",
                                        "Gareth Llewellyn"],
    "German": ["Ottilie Brandauer", "Wolfgang Eichhorn", "Renate Scholz", "Till Kessler"],
    "French, West African French": ["Anaïs Vasseur", "Thibault Mercier", "Solène Garnier", "Gaspard Roux",
                                    "Fatoumata Diallo", "Adama Coulibaly"],
    "Spanish, Catalan, Basque, Andean": ["Begoña Urrutia", "Ximena Castañeda", "Rubén Iglesias", "Núria Vidal",
                                         "Yolanda Quispe"],
    "Portuguese, Brazilian": ["Afonso Teixeira", "Leonor Magalhães", "Caio Nascimento"],
    "Italian": ["Ludovica Sartori", "Ettore Galli", "Raffaella Pellegrini", "Tommaso Conti"],
    "Dutch": ["Wouter Dekker", "Lieke Smits", "Bram Verhoeven", "Lotte Brouwer"],
    "Nordic": ["Solveig Åberg", "Eero Lindholm", "Bjørn Rasmussen", "Helga Þórsdóttir", "Astrid Bergström"],
    "Slavic": ["Radosław Mazur", "Jelena Petrović", "Yaroslav Bondarenko", "Kateřina Procházková",
               "Darya Morozova"],
    "Greek": ["Dimitra Karagianni", "Stavros Michailidis"],
    "Hungarian (family name first, and given name first)": ["Kovács Eszter", "Levente Farkas"],
    "Turkish": ["Elif Şahin", "Cem Arslan"],
    "Indian": ["Sushmita Banerjee", "Arjun Venkataraman", "Kavitha Raghunathan", "Manpreet Kaur Sandhu",
               "Rohan Deshpande", "Lakshmi Pillai"],
    "Chinese (family first, and given first)": ["Wang Lixin", "Liu Yufei", "Xu Mingzhe", "Haoran Guo"],
    "Japanese (given first, and family first)": ["Haruka Matsumoto", "Naoko Fujiwara", "Yamamoto Kenta"],
    "Korean (family first, and given first)": ["Kang Tae-woo", "Shin Hye-rim", "Gyu-ri Yoon"],
    "Vietnamese (family first)": ["Đỗ Quang Vinh", "Hoàng Bảo Ngọc", "Bùi Anh Tuấn"],
    "Arabic": ["Rania Mahmoud", "Tariq Saleh", "Salma Barakat", "Faisal Darwish"],
    "Persian": ["Shirin Tehrani", "Kourosh Rahimi", "Parisa Moradi"],
    "Hebrew": ["Yael Shapiro", "Eitan Mizrahi"],
    "West African (Yoruba, Akan, Igbo)": ["Oluwaseun Adeyemi", "Akosua Boateng", "Chukwuemeka Obi"],
    "East African (Kikuyu, Luo, Amharic, Swahili)": ["Wairimu Njoroge", "Otieno Odhiambo", "Tsegaye Bekele",
                                                     "Baraka Mushi"],
    "Southern African (Sotho, Zulu, Shona)": ["Lerato Dlamini", "Sipho Ndlovu", "Tendai Moyo"],
    "Indonesian, Filipino": ["Agus Setiawan", "Putri Handayani", "Jericho Villanueva", "Rowena Bautista"],
}
GIVEN_NAMES = ["Saoirse", "Anneliese", "Ignacio", "Hiroshi", "Priyanka", "Kwabena", "Dagny", "Thandiwe", "Mehdi",
               "Lorenzo", "Chiamaka", "Femi", "Joaquim", "Eliška", "Ulrike", "Mireille", "Nikolaj", "Meera", "Yusuf",
               "Aylin", "Bao"]
# Written forms that differ from the list above: ALL CAPS.
WRITTEN_FORMS = {"IMOGEN FAIRCLOUGH": "Imogen Fairclough"}

# (text, [person names]) -- every name is labelled as written, titles and possessives left out.
PERSON_ITEMS = [
    # support tickets, e-mails, letters
    ("Ticket #88213 — opened by Imogen Fairclough\nIssue: export to CSV drops the last row.", ["Imogen Fairclough"]),
    ("Hello Declan Tierney,\n\nThank you for reaching out about your refund. I've escalated it to our billing "
     "team and you should hear back within 2 business days.\n\nBest regards,\nSupport Team", ["Declan Tierney"]),
    ("Fiona Strachan (Customer Success) noted that the renewal quote was sent twice.", ["Fiona Strachan"]),
    ("CURRICULUM VITAE\nRupert J. Ellingham\nSenior Structural Engineer", ["Rupert J. Ellingham"]),
    ("**Speaker:** Tamsin Pryce, Head of Research\n**Topic:** Evaluating synthetic data", ["Tamsin Pryce"]),
    ("Gareth Llewellyn ran the Cardiff half marathon in 1:41:07.", ["Gareth Llewellyn"]),
    ("Sehr geehrte Frau Ottilie Brandauer,\nvielen Dank für Ihre Anfrage vom 12. März.", ["Ottilie Brandauer"]),
    ("Ansprechpartner: Herr Wolfgang Eichhorn, Einkauf", ["Wolfgang Eichhorn"]),
    ("Befund vom 03.04.2024 — Patientin: Renate Scholz, geb. 1957\nDiagnose: Verdacht auf Meniskusriss rechts.",
     ["Renate Scholz"]),
    ("Till Kessler will take over the sprint demo while I'm out.", ["Till Kessler"]),
    ("Bonjour Anaïs Vasseur, votre commande a bien été expédiée.", ["Anaïs Vasseur"]),
    ("Q: Who approved the budget change?\nA: Thibault Mercier signed it off on Tuesday, according to the change log.",
     ["Thibault Mercier"]),
    ("Mme Solène Garnier a été nommée directrice financière.", ["Solène Garnier"]),
    ("Bonjour à tous, je suis Fatoumata Diallo, la nouvelle stagiaire.", ["Fatoumata Diallo"]),
    ("Adama Coulibaly a livré les semences à la coopérative de Sikasso.", ["Adama Coulibaly"]),
    ("Begoña Urrutia lleva diez años en el departamento de logística.", ["Begoña Urrutia"]),
    ("Estimada Ximena Castañeda:\nLe confirmamos su cita para el jueves a las 10:00.", ["Ximena Castañeda"]),
    ("Sr. Rubén Iglesias, su reclamación ha sido registrada.", ["Rubén Iglesias"]),
    ("Yolanda Quispe guided our group along the Inca Trail.", ["Yolanda Quispe"]),
    ("Prezado Afonso Teixeira, segue em anexo o contrato revisado.", ["Afonso Teixeira"]),
    ("Leonor Magalhães is the named insured on policy HX-20917.", ["Leonor Magalhães"]),
    ("Caio Nascimento: pushed the hotfix, can someone review?", ["Caio Nascimento"]),
    ("Dott.ssa Ludovica Sartori — Ambulatorio di Cardiologia, martedì e giovedì", ["Ludovica Sartori"]),
    ("Ettore Galli ha presentato le dimissioni il 30 giugno.", ["Ettore Galli"]),
    ('{"customer": {"name": "Raffaella Pellegrini", "tier": "gold", "orders": 14}}', ["Raffaella Pellegrini"]),
    ("Tommaso Conti and his team rebuilt the onboarding flow from scratch.", ["Tommaso Conti"]),
    ("Beste Wouter Dekker, hierbij de offerte voor het onderhoud.", ["Wouter Dekker"]),
    ("Lieke Smits presenteert de kwartaalcijfers op maandag.", ["Lieke Smits"]),
    ("The reference letter from Bram Verhoeven arrived yesterday.", ["Bram Verhoeven"]),
    ("User story written by Lotte Brouwer: as an admin I want to export audit logs.", ["Lotte Brouwer"]),
    ("Bjørn Rasmussen, 42, was admitted with chest pain at 03:15. ECG shows sinus rhythm.", ["Bjørn Rasmussen"]),
    ("Helga Þórsdóttir — Project Manager, Reykjavík office", ["Helga Þórsdóttir"]),
    ("Astrid Bergström's thesis on sea ice was accepted without corrections.", ["Astrid Bergström"]),
    ("Radosław Mazur zgłosił awarię serwera o 2:14 w nocy.", ["Radosław Mazur"]),
    ("Jelena Petrović is listed as the second author of the preprint.", ["Jelena Petrović"]),
    ("Interview transcript\nInterviewer: Good morning, could you state your name for the record?\n"
     "Candidate: Yaroslav Bondarenko.", ["Yaroslav Bondarenko"]),
    ("Kateřina Procházková převzala vedení týmu.", ["Kateřina Procházková"]),
    ("Darya Morozova asked whether the Kazan office will reopen after the holidays.", ["Darya Morozova"]),
    ("Dimitra Karagianni translated the lease agreement from Greek.", ["Dimitra Karagianni"]),
    ("Prof. Stavros Michailidis will supervise both theses.", ["Stavros Michailidis"]),
    ("Kedves Kovács Eszter! Köszönjük a jelentkezését.", ["Kovács Eszter"]),
    ("Levente Farkas set a new club record in the 400 m.", ["Levente Farkas"]),
    ("Sushmita Banerjee, MBBS — consultation notes: viral fever, advised rest and fluids for 5 days.",
     ["Sushmita Banerjee"]),
    ("Arjun Venkataraman has been promoted to Staff Engineer, effective April 1.", ["Arjun Venkataraman"]),
    ("Referred by: Dr. Kavitha Raghunathan (Endocrinology)", ["Kavitha Raghunathan"]),
    ("Manpreet Kaur Sandhu submitted the visa application on 2 May.", ["Manpreet Kaur Sandhu"]),
    ("Wang Lixin presented the supplier audit to the board.", ["Wang Lixin"]),
    ("Haoran Guo is our point of contact at the Shenzhen factory.", ["Haoran Guo"]),
    ("The panel included Liu Yufei, who leads the battery research group.", ["Liu Yufei"]),
    ("Xu Mingzhe will cover the night shift at the Ningbo warehouse.", ["Xu Mingzhe"]),
    ("Haruka Matsumoto won the regional piano competition last year.", ["Haruka Matsumoto"]),
    ("Contact person (担当者): Yamamoto Kenta", ["Yamamoto Kenta"]),
    ("Naoko Fujiwara-san will join the call from Osaka.", ["Naoko Fujiwara"]),
    ("Shin Hye-rim submitted the annual leave request for August.", ["Shin Hye-rim"]),
    ("Anh Đỗ Quang Vinh đã gửi báo cáo hôm qua.", ["Đỗ Quang Vinh"]),
    ("Hoàng Bảo Ngọc is the new head of the Hanoi design studio.", ["Hoàng Bảo Ngọc"]),
    ("Employee of the month: Bùi Anh Tuấn (Warehouse, Đà Nẵng)", ["Bùi Anh Tuấn"]),
    ("Patient: Rania Mahmoud | DOB: 14/09/1983 | Allergies: penicillin", ["Rania Mahmoud"]),
    ("Tariq Saleh will chair the panel on port logistics.", ["Tariq Saleh"]),
    ("Thank you, Salma Barakat, for volunteering at the food bank every Saturday.", ["Salma Barakat"]),
    ("> **Faisal Darwish** commented: the numbers look off for March.", ["Faisal Darwish"]),
    ("Dr. Shirin Tehrani's clinic is closed on Fridays.", ["Shirin Tehrani"]),
    ("Kourosh Rahimi teaches Persian calligraphy on weekends.", ["Kourosh Rahimi"]),
    ("Author: Parisa Moradi\nLast updated: 2024-05-02", ["Parisa Moradi"]),
    ("Yael Shapiro is flying in from Tel Aviv for the offsite.", ["Yael Shapiro"]),
    ("Eitan Mizrahi (he/him) — Product Designer", ["Eitan Mizrahi"]),
    ("Oluwaseun Adeyemi was elected class representative.", ["Oluwaseun Adeyemi"]),
    ("Akosua Boateng's catering company handled the reception.", ["Akosua Boateng"]),
    ("Chukwuemeka Obi, Esq., represented the tenant at the hearing.", ["Chukwuemeka Obi"]),
    ("Wairimu Njoroge is the new chair of the Nakuru farmers' cooperative.", ["Wairimu Njoroge"]),
    ("Okay, Otieno Odhiambo, let's go over your blood test results.", ["Otieno Odhiambo"]),
    ("Tsegaye Bekele finished second in the Addis Ababa 10K.", ["Tsegaye Bekele"]),
    ("Invoice approved by Baraka Mushi on 2024-02-29.", ["Baraka Mushi"]),
    ("Lerato Dlamini's flight was cancelled, so the workshop moves online.", ["Lerato Dlamini"]),
    ("Sipho Ndlovu: Ngiyabonga! See you at the braai.", ["Sipho Ndlovu"]),
    ("Tendai Moyo has been appointed to the audit committee.", ["Tendai Moyo"]),
    ("Agus Setiawan’s motorbike was stolen outside the warung.", ["Agus Setiawan"]),
    ("Selamat pagi, Putri Handayani! Your parcel is ready for pickup.", ["Putri Handayani"]),
    ("Mr. Jericho Villanueva was seen by the triage nurse at 21:40.", ["Jericho Villanueva"]),
    ("Rowena Bautista, RN, documented the wound dressing change.", ["Rowena Bautista"]),
    ("IMOGEN FAIRCLOUGH — PASSPORT HOLDER — PLEASE PRINT IN BLOCK CAPITALS", ["IMOGEN FAIRCLOUGH"]),
    ("Per Núria Vidal, the Girona store will stay open on Sundays.", ["Núria Vidal"]),
    ("Eero Lindholm is the on-call SRE this weekend.", ["Eero Lindholm"]),
    # two names in one text
    ("| Owner | Task | Status |\n|---|---|---|\n| Gaspard Roux | Update pricing page | In progress |\n"
     "| Núria Vidal | QA sign-off | Done |", ["Gaspard Roux", "Núria Vidal"]),
    ("Solveig Åberg och Eero Lindholm leder workshoppen på torsdag.", ["Solveig Åberg", "Eero Lindholm"]),
    ("Elif Şahin ile Cem Arslan projeyi birlikte yürütüyor.", ["Elif Şahin", "Cem Arslan"]),
    ("Rohan Deshpande: yaar the build is broken again 😅\nLakshmi Pillai: checking now",
     ["Rohan Deshpande", "Lakshmi Pillai"]),
    ("Kang Tae-woo and Gyu-ri Yoon met at the Busan office.", ["Kang Tae-woo", "Gyu-ri Yoon"]),
    ("User: Can you draft an email to Imogen Fairclough and Rupert Ellingham about the delay?\n"
     "Assistant: Sure — here's a short, polite draft you can adapt.", ["Imogen Fairclough", "Rupert Ellingham"]),
    ("Yael Shapiro thanked Eitan Mizrahi for the introduction.", ["Yael Shapiro", "Eitan Mizrahi"]),
    ("Sipho Ndlovu passed the ball to Tendai Moyo, who scored in the 89th minute.", ["Sipho Ndlovu", "Tendai Moyo"]),
    ("Rania Mahmoud interviewed Tariq Saleh for the podcast.", ["Rania Mahmoud", "Tariq Saleh"]),
    ("The Hungarian team — Levente Farkas and Kovács Eszter — won the hackathon.",
     ["Levente Farkas", "Kovács Eszter"]),
    ("Shared with: Haruka Matsumoto (can edit), Yamamoto Kenta (can view)", ["Haruka Matsumoto", "Yamamoto Kenta"]),
    ('[{"id": 1, "name": "Oluwaseun Adeyemi"}, {"id": 2, "name": "Akosua Boateng"}]',
     ["Oluwaseun Adeyemi", "Akosua Boateng"]),
    ("Reviewers: Lotte Brouwer (primary), Bram Verhoeven (secondary)", ["Lotte Brouwer", "Bram Verhoeven"]),
    ("Marriage register, entry 217: Gaspard Roux & Anaïs Vasseur, 14 September 2019",
     ["Gaspard Roux", "Anaïs Vasseur"]),
    ("Dr. Kavitha Raghunathan will hand over her patients to Dr. Sushmita Banerjee in June.",
     ["Kavitha Raghunathan", "Sushmita Banerjee"]),
    # a given name alone, in a context that makes it a person
    ("Saoirse, could you send me the final slides by noon?", ["Saoirse"]),
    ("Anneliese hat heute Geburtstag, wir treffen uns um 16 Uhr in der Küche.", ["Anneliese"]),
    ("Ignacio is on paternity leave until the 20th.", ["Ignacio"]),
    ("Assistant: Hi Hiroshi! Here's a summary of your meeting notes.", ["Hiroshi"]),
    ("Priyanka mentioned that the staging database is read-only today.", ["Priyanka"]),
    ("Kwabena, your table is ready.", ["Kwabena"]),
    ("My daughter Dagny starts school in August.", ["Dagny"]),
    ("Thandiwe asked me to forward this to you.", ["Thandiwe"]),
    ("Mehdi (the one with the red backpack) found your keys.", ["Mehdi"]),
    ("ciao Lorenzo, ci vediamo alle otto?", ["Lorenzo"]),
    ("Chiamaka's presentation was the highlight of the conference.", ["Chiamaka"]),
    ("lol Femi just dropped the whole tray of cupcakes", ["Femi"]),
    ("Obrigado, Joaquim! Recebi os documentos.", ["Joaquim"]),
    ("Eliška will water the plants while we're away.", ["Eliška"]),
    ("Liebe Ulrike,\nanbei die Fotos vom Wochenende.", ["Ulrike"]),
    ("Mireille a appelé deux fois ce matin.", ["Mireille"]),
    ("Nikolaj is allergic to peanuts, so no satay at the party.", ["Nikolaj"]),
    ("Meera and Yusuf are leading the hackathon team this year.", ["Meera", "Yusuf"]),
    ("Aylin: are we still on for lunch?\nMe: yes, 12:30 at the usual place", ["Aylin"]),
    ("Patient's husband, Bao, will pick her up after discharge.", ["Bao"]),
]

# --------------------------------------------------------------------------- phones

def _pairs(n: int) -> str:
    return " ".join(digits(2) for _ in range(n))


PHONE_SPECS = [  # (country, maker, context)
    ("US", lambda: f"+1 ({rng.randint(201, 989)}) {rng.randint(201, 989)}-{digits(4)}",
     "Callback number: {v} (mobile, texts OK)"),
    ("US", lambda: f"1-{rng.randint(201, 989)}-{rng.randint(201, 989)}-{digits(4)}",
     "Leave a voicemail at {v} and I'll get back to you."),
    ("UK", lambda: f"07{rng.randint(400, 999)} {digits(6)}", "Mob: {v}"),
    ("UK", lambda: f"+44 131 {rng.randint(200, 999)} {digits(4)}", "Edinburgh office: {v}"),
    ("DE", lambda: f"+49 151 {rng.randint(1, 9)}{digits(7)}", "Mobil erreichbar unter {v}."),
    ("DE", lambda: f"(040) {rng.randint(2, 9)}{digits(6)}", "Telefon: {v} (Zentrale Hamburg)"),
    ("FR", lambda: f"+33 (0)4 {_pairs(4)}", "Standard : {v}"),
    ("FR", lambda: f"07 {_pairs(4)}", "Tu peux m'appeler au {v} ce soir."),
    ("ES", lambda: f"+34 6{digits(2)} {digits(2)} {digits(2)} {digits(2)}", "Teléfono de contacto: {v}"),
    ("IT", lambda: f"+39 02 {rng.randint(2000, 9999)} {digits(4)}", "Per informazioni chiamare lo {v}."),
    ("IT", lambda: f"3{rng.randint(20, 99)} {digits(3)} {digits(4)}", "cell. {v}"),
    ("NL", lambda: f"06-{rng.randint(1, 9)}{digits(7)}", "Bel me even op {v} als je er bent."),
    ("NL", lambda: f"+31 (0)20 {rng.randint(200, 999)} {digits(4)}", "Receptie: {v}"),
    ("JP", lambda: f"+81 3-{rng.randint(1000, 9999)}-{digits(4)}", "Tokyo HQ: {v}"),
    ("JP", lambda: f"090-{rng.randint(1000, 9999)}-{digits(4)}", "携帯: {v}"),
    ("AU", lambda: f"+61 4{digits(2)} {digits(3)} {digits(3)}", "G'day, text me on {v} when you're outside."),
    ("AU", lambda: f"(02) {rng.randint(8000, 9999)} {digits(4)}", "Sydney clinic bookings: {v}"),
    ("IN", lambda: f"+91-9{digits(9)}", "The OTP will be sent to {v}."),
    ("MX", lambda: f"+52 55 {rng.randint(1000, 9999)} {digits(4)}", "WhatsApp: {v}"),
    ("ZA", lambda: f"+27 82 {rng.randint(100, 999)} {digits(4)}", "Contact the site manager on {v}."),
    ("KE", lambda: f"+254 7{digits(2)} {digits(6)}", "M-Pesa registered number: {v}"),
    ("SG", lambda: f"+65 9{digits(3)} {digits(4)}", "Reach me on {v} during office hours."),
]

# --------------------------------------------------------------------------- cards

CARD_SPECS = [  # (issuer, prefix, length)
    ("Visa", "4", 16), ("Visa", "4", 16), ("Mastercard", "52", 16), ("Mastercard", "2431", 16),
    ("Amex", "34", 15), ("Amex", "37", 15), ("Discover", "6011", 16), ("Discover", "647", 16),
    ("JCB", "3541", 16), ("Diners Club", "36", 14), ("UnionPay", "62", 16), ("Visa", "4", 16),
]
CARD_CONTEXTS = [
    "Card on file: {v} (exp 08/29)",
    "Customer: my card {v} got charged twice for the same order.",
    '{{"card_number": "{v}", "currency": "GBP"}}',
    "Numero carta: {v}, scadenza 02/27",
    "Betaald met creditcard {v}.",
    "Please update billing to {v} — the old one expired.",
    "Kartennummer {v}",
    "Receipt: card {v} approved, auth code 83K2QX",
    "Número de tarjeta {v}",
    "cardholder number: {v}",
    "The fraud team flagged {v} after three declines.",
    "| Payment | {v} |",
]
BAD_CARD_CONTEXTS = [  # the same shapes with a wrong check digit: not PII, whatever the label
    "Card: {v}",
    "Credit card {v} — declined (invalid number)",
    "Shipment ID {v}",
    '{{"card_number": "{v}", "status": "invalid"}}',
    "Kartennummer: {v}",
    "Membership number {v} expires in June.",
    "Reference {v} on the bank statement.",
    "Voucher code {v} has already been redeemed.",
    "Numéro de carte {v} refusé : numéro invalide.",
    "Serial {v} registered to the warranty database.",
]


# --------------------------------------------------------------------------- IBANs

# (country, BBAN pattern: n digit, a capital letter; lengths are the official IBAN lengths), context
IBAN_SPECS = [
    ("DE", "n" * 18, "Empfänger-IBAN: {v}"),
    ("SE", "n" * 20, "Betala till kontot {v} senast den 25:e."),
    ("NO", "n" * 11, "Kontonummer (IBAN): {v}"),
    ("DK", "n" * 14, "Overfør beløbet til {v}."),
    ("FI", "n" * 14, "Tilinumero {v}, viite 13579."),
    ("LU", "n" * 16, "Virement sur le compte {v} avant le 5 du mois."),
    ("GR", "n" * 23, "IBAN for the Athens landlord: {v}"),
    ("HU", "n" * 24, "Számlaszám: {v}"),
    ("CZ", "n" * 20, "Číslo účtu {v}"),
    ("RO", "aaaa" + "n" * 16, "Cont bancar {v} (RON)"),
    ("TR", "n" * 22, "Ödeme için IBAN: {v}"),
    ("SA", "n" * 20, "Salary account {v} — please confirm with HR."),
    ("AE", "n" * 19, "Beneficiary account {v}, Dubai branch"),
    ("HR", "n" * 17, "Uplata na račun {v}"),
    ("MT", "aaaa" + "n" * 23, '"iban": "{v}"'),
]
BAD_IBAN_CONTEXTS = [
    "IBAN: {v}",
    "Bankverbindung {v}",
    "Please double-check {v}, the bank says it does not exist.",
    "IBAN {v} (copied from an old invoice)",
    '{{"iban": "{v}", "verified": false}}',
    "Cuenta {v}",
    "Conto {v} da verificare",
    "Rekening {v}",
]


# --------------------------------------------------------------------------- SSNs

SSN_CONTEXTS = [
    "W-2 box a (employee's SSN): {v}",
    "Identity check passed for SSN {v}.",
    '{{"ssn": "{v}", "state": "OH"}}',
    "Patient SSN {v} — insurance verification pending",
    "I think my social security number {v} was used to open a credit card in my name.",
    "Soc. Sec. #: {v}",
    "| SSN | {v} |",
    "Applicant 2 — SSN: {v}, DOB 1979-06-03",
]
BAD_SSN_ITEMS = [  # never issued: area 000, 666, 9xx; group 00; serial 0000
    "SSN: 000-52-7719 (test fixture)",
    "Applicant SSN 666-40-2218 — flagged invalid by the form.",
    '{"ssn": "938-21-5504"}',
    "SSN on file: 214-00-6631",
    "Social Security number 537-18-0000 cannot be valid.",
    "ITIN 912-78-3301 was issued to the non-resident contractor.",
    "SSN 999-99-9999 is a placeholder in the demo data.",
]


# --------------------------------------------------------------------------- hand-written structured PII

HAND_STRUCTURED = [
    # e-mails
    ("Send your CV to careers.emea@northwind-robotics.eu before 30 June.",
     [("email", "careers.emea@northwind-robotics.eu")]),
    ("Reply to this ticket or write to helpdesk+urgent@it.tallinnatech.ee.",
     [("email", "helpdesk+urgent@it.tallinnatech.ee")]),
    ("Newsletter sign-up: o.nakashima_94@gmail.com", [("email", "o.nakashima_94@gmail.com")]),
    ("E-Mail: info@baeckerei-sonnenschein.de", [("email", "info@baeckerei-sonnenschein.de")]),
    ("Contacto: reservas@hostalcaminoreal.es", [("email", "reservas@hostalcaminoreal.es")]),
    ("[2024-03-02 11:04:55] INFO password reset requested for dev.ops_team@quantix-labs.io",
     [("email", "dev.ops_team@quantix-labs.io")]),
    ('{"email": "noor.qasim.work@protonmail.com", "verified": true}', [("email", "noor.qasim.work@protonmail.com")]),
    ("Forwarding to billing@kestrel-freight.com.au as requested.", [("email", "billing@kestrel-freight.com.au")]),
    ("Orders can also go to ORDERS@GREENLEAF-SUPPLY.COM.", [("email", "ORDERS@GREENLEAF-SUPPLY.COM")]),
    ("Kindly acknowledge receipt at accounts.payable@sunbird-textiles.co.ke.",
     [("email", "accounts.payable@sunbird-textiles.co.ke")]),
    # IPv4 / IPv6
    ("Failed password for invalid user admin from 45.133.1.72 port 41822 ssh2", [("ip_address", "45.133.1.72")]),
    ("Gateway: 192.168.0.1 | DNS: 9.9.9.9", [("ip_address", "192.168.0.1"), ("ip_address", "9.9.9.9")]),
    ("The VPN assigned you 10.8.0.14 for this session.", [("ip_address", "10.8.0.14")]),
    ('{"remote_addr": "172.31.44.203", "method": "POST", "status": 502}', [("ip_address", "172.31.44.203")]),
    ("Rate limit exceeded for 185.220.101.47 (Tor exit node).", [("ip_address", "185.220.101.47")]),
    ("Your public IP address is 77.111.246.20.", [("ip_address", "77.111.246.20")]),
    ("AAAA record points to 2a00:1450:4001:82a::200e", [("ip_address", "2a00:1450:4001:82a::200e")]),
    ("ping6 fd12:3456:789a:1::1 returned 4 packets", [("ip_address", "fd12:3456:789a:1::1")]),
    ("inet6 2001:db8:85a3::8a2e:370:7334/64 scope global", [("ip_address", "2001:db8:85a3::8a2e:370:7334")]),
    # URLs with credentials (scheme://user:password@host[:port], path and query left out)
    ("REDIS_URL=redis://default:x9KpL2vQ@cache-01.prod.internal:6379/0",
     [("url_credentials", "redis://default:x9KpL2vQ@cache-01.prod.internal:6379")]),
    ("pip install --index-url https://ci-reader:AKCp8kq7Tz@artifacts.example-bank.com/api/pypi/simple mypkg",
     [("url_credentials", "https://ci-reader:AKCp8kq7Tz@artifacts.example-bank.com")]),
    ("sqlalchemy.url = mssql+pyodbc://report_user:Spr1ng!2024@sql-bi.corp.example:1433/dw?driver=ODBC",
     [("url_credentials", "mssql+pyodbc://report_user:Spr1ng!2024@sql-bi.corp.example:1433")]),
    ("Bind with ldap://cn_reader:R3adOnly@ldap.hq.example.org:389 for the directory sync.",
     [("url_credentials", "ldap://cn_reader:R3adOnly@ldap.hq.example.org:389")]),
    ("export HTTPS_PROXY=http://proxyuser:W1nter%2124@proxy.branch.example.net:3128",
     [("url_credentials", "http://proxyuser:W1nter%2124@proxy.branch.example.net:3128")]),
    ('hosts: ["https://elastic:changeme123@es-node-2.logs.local:9200"]',
     [("url_credentials", "https://elastic:changeme123@es-node-2.logs.local:9200")]),
    ("const socket = new WebSocket('ws://bot:tok3n-88@chat-relay.example.io/socket');",
     [("url_credentials", "ws://bot:tok3n-88@chat-relay.example.io")]),
    ("oops, I committed postgres://svc_research:pa55w0rd@pg.lab.example.edu:5433/experiments — rotating it now",
     [("url_credentials", "postgres://svc_research:pa55w0rd@pg.lab.example.edu:5433")]),
    # street addresses: English (US, UK, AU), German, French, Spanish, Italian, Dutch
    ("Please send the replacement to 1182 Juniper Hollow Drive, Boise, ID 83702.",
     [("street_address", "1182 Juniper Hollow Drive")]),
    ("Our new office is at 77 Coldharbour Lane, London SE5 9NS.", [("street_address", "77 Coldharbour Lane")]),
    ("Delivery: 16 Wattle Grove, Ballarat VIC 3350", [("street_address", "16 Wattle Grove")]),
    ("Anschrift: Mühlenweg 7b, 79100 Freiburg", [("street_address", "Mühlenweg 7b")]),
    ("Treffpunkt ist die Goethestraße 41 vor dem Café.", [("street_address", "Goethestraße 41")]),
    ("Livraison au 14 rue des Tanneurs, 67000 Strasbourg", [("street_address", "14 rue des Tanneurs")]),
    ("Siège social : 9 boulevard Carnot, 06000 Nice", [("street_address", "9 boulevard Carnot")]),
    ("Nuestra tienda está en Paseo de Gracia 88, Barcelona.", [("street_address", "Paseo de Gracia 88")]),
    ("Envío a C/ de Toledo 12, 2º B, 28005 Madrid", [("street_address", "C/ de Toledo 12")]),
    ("Sede operativa: Corso Vittorio Emanuele II 210, Torino",
     [("street_address", "Corso Vittorio Emanuele II 210")]),
    ("Ci vediamo in Piazza Santo Stefano 3 alle nove.", [("street_address", "Piazza Santo Stefano 3")]),
    ("Bezorgadres: Stationsweg 9, 2312 AV Leiden", [("street_address", "Stationsweg 9")]),
    ("Het kantoor zit aan de Keizersgracht 451, tweede verdieping.", [("street_address", "Keizersgracht 451")]),
    # several kinds in one text
    ("## Curriculum Vitae\n**Kavitha Raghunathan**\nChennai · +91 98401 23765 · kavitha.r@medmail.in",
     [("person", "Kavitha Raghunathan"), ("phone", "+91 98401 23765"), ("email", "kavitha.r@medmail.in")]),
    ('{"user": "Bjørn Rasmussen", "email": "bjorn.rasmussen@fjordpost.no", "last_login_ip": "85.164.23.9"}',
     [("person", "Bjørn Rasmussen"), ("email", "bjorn.rasmussen@fjordpost.no"), ("ip_address", "85.164.23.9")]),
    ("Ship to: Lieke Smits, Oudegracht 118, 3511 AZ Utrecht",
     [("person", "Lieke Smits"), ("street_address", "Oudegracht 118")]),
    ("2024-05-14 09:12:03 WARN auth failed user=r.mazur@polnet.pl src=2a01:110:8012:1010::2e",
     [("email", "r.mazur@polnet.pl"), ("ip_address", "2a01:110:8012:1010::2e")]),
    ("| Name | Phone | Email |\n|---|---|---|\n| Tendai Moyo | +263 77 214 5590 | tendai@moyo-farms.co.zw |",
     [("person", "Tendai Moyo"), ("phone", "+263 77 214 5590"), ("email", "tendai@moyo-farms.co.zw")]),
    ("From: Eitan Mizrahi <eitan@mizrahi-design.co.il>\nTo: Yael Shapiro <y.shapiro@negevlabs.com>",
     [("person", "Eitan Mizrahi"), ("email", "eitan@mizrahi-design.co.il"), ("person", "Yael Shapiro"),
      ("email", "y.shapiro@negevlabs.com")]),
    ("Intake form — Name: Jericho Villanueva; Address: 2210 Magnolia Street, Apt 4B, Daly City, CA 94014",
     [("person", "Jericho Villanueva"), ("street_address", "2210 Magnolia Street")]),
    ("Wolfgang Eichhorn\nGeschäftsführer\nTel. +49 (0)711 9375 2210\nw.eichhorn@eichhorn-werkzeuge.de",
     [("person", "Wolfgang Eichhorn"), ("phone", "+49 (0)711 9375 2210"),
      ("email", "w.eichhorn@eichhorn-werkzeuge.de")]),
]

# --------------------------------------------------------------------------- negatives (no PII)

NEGATIVES = [
    # order, tracking, invoice and reference numbers
    "Your order ORD-7731-KX-2045 has been dispatched from our Rotterdam hub.",
    "Tracking number: JD0146 0000 6281 7301 (Royal Mail)",
    "Invoice INV/2023/11/0458 — amount due: €3,120.00",
    "Purchase order PO-55-20931 was approved by procurement.",
    "Claim reference CLM 2291 0457 is under review.",
    "Return authorisation RMA#00418827 — please include the packing slip.",
    "ISBN 978-0-14-143951-8 is the paperback edition.",
    "Patch KB5034441 failed to install with error 0x80070643.",
    "Model number WH-1000XM5 ships with a USB-C cable.",
    "Flight LH 2061 from Munich boards at gate K14.",
    "Seats 14A to 14F are reserved for the school group.",
    "Room 12-204, Building C, is booked for the retro.",
    "SWIFT/BIC code DEUTDEFF identifies the bank's head office.",
    "Account balance: 1,204,553.17 USD as of close of business.",
    # dates and times
    "Deadline: 31/12/2024 23:59 CET",
    "The webinar runs 14:00–15:30 UTC on Thursday 9 May.",
    "Timestamp 2024-02-29 08:15:42.118 +05:30",
    "Q3 of FY2025 closes on 30.09.2025.",
    "Cron expression 0 3 * * 1-5 runs on weekdays at 03:00.",
    "The score was 3-1 after extra time.",
    # versions (and one IP-shaped firmware number)
    "Upgrade Node.js from 18.19.0 to 20.11.1 before deploying.",
    "Windows build 10.0.22631.2861 or later is required.",
    "Firmware 3.1.0.204 is rolling out to all routers this week.",
    "numpy==1.26.4\npandas==2.2.1\nscikit-learn==1.4.1.post1",
    "Semantic versioning: MAJOR.MINOR.PATCH, e.g. 3.0.0-rc.2",
    # coordinates and measurements
    "Coordinates: 48.8584° N, 2.2945° E (Eiffel Tower)",
    "GPS fix: 35.6895, 139.6917 (accuracy ±12 m)",
    "Vitals: BP 132/84 mmHg, HR 78 bpm, SpO2 97%, temp 37.2 °C.",
    "The beam deflects 4.75 mm under a 2.2 kN load.",
    "Dosage: 500 mg amoxicillin every 8 hours for 7 days.",
    "Screen resolution 2560×1440 at 165 Hz, aspect ratio 16:9.",
    "Operating range −40 °C to 85 °C, humidity 5–95% non-condensing.",
    "In an emergency dial 112 (EU) or 911 (US).",
    "ZIP code 94107 covers part of the SoMa district.",
    # hashes, ids, code
    "session_id: c4a1f7e2-93b0-4d5a-8e21-6f0b9d3a72ce",
    "git checkout a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
    'ETag: "33a64df551425fcc55e4d42a148795d9f25f89d4"',
    "Error code 0x80070005 (access denied)",
    "```python\nfor i in range(0, 16, 4):\n    print(digits[i:i + 4])\n```",
    "SELECT customer_id, SUM(total) FROM orders GROUP BY customer_id HAVING SUM(total) > 1000;",
    "std::vector<int> scores{90, 85, 77};",
    "docker run -d -p 5432:5432 -e POSTGRES_DB=app postgres:16",
    "kubectl rollout restart deployment/api -n payments",
    '{"status": "ok", "latency_ms": 212, "region": "eu-central-1"}',
    "The pattern ^[A-Z]{2}\\d{2}[A-Z0-9]{11,30}$ only checks the shape of an IBAN.",
    "ARP entry 9c:b6:d0:12:7f:e1 on wlan0 is stale.",
    "The dev server listens on localhost:8000.",
    "See https://api.example.org/v2/users?page=3&per_page=50 for the paginated list.",
    "Contact the data protection officer through the web form; we do not publish email addresses.",
    "Hello {first_name}, your verification code is {otp}.",
    "Patient Name: [REDACTED]\nDOB: [REDACTED]\nMRN: [REDACTED]",
    # companies, brands, places, characters and works named after people
    "Johnson & Johnson settled the talc lawsuits.",
    "We stayed at the Ritz-Carlton near Lake Louise.",
    "Ernst & Young audited the accounts for FY2023.",
    "Marks & Spencer and Sainsbury's both cut prices on Monday.",
    "Walt Disney World is busiest in late December.",
    "The Ferrari and the Lamborghini were parked outside the hotel.",
    "Charles Schwab raised its cash sweep rates.",
    "Tim Hortons opened a drive-thru next to the station.",
    "Heineken and Carlsberg reported higher volumes.",
    "Lake Victoria borders Uganda, Kenya and Tanzania.",
    "Flights from San Francisco to San José are cheaper in October.",
    "Mount Everest and Hudson Bay are both named after Englishmen.",
    "Our flight lands at Leonardo da Vinci–Fiumicino Airport.",
    "The Queen Elizabeth Olympic Park hosts a market on Sundays.",
    "St. Patrick's Day falls on a Sunday this year.",
    "Sherlock Holmes and Dr. Watson solve the case in the final chapter.",
    "Frodo Baggins carries the ring to Mordor.",
    "Atticus Finch defends Tom Robinson in the novel.",
    "Darth Vader and Luke Skywalker duel on Bespin.",
    "We watched Erin Brockovich and then Jerry Maguire.",
    "Jane Eyre and Anna Karenina are on the reading list.",
    "Alzheimer's disease and Parkinson's disease are neurodegenerative.",
    "Use a Kalman filter or a Savitzky–Golay filter to smooth the signal.",
    "Dijkstra's algorithm finds shortest paths in weighted graphs.",
    "The Nobel Prize ceremony takes place in Stockholm.",
    "The Bunsen burner in lab 3 needs a new hose.",
    "Ronald McDonald House supports families of sick children.",
    # capitalised common words, sentence-initial words that are also given names, headings
    "Chase the supplier for the signed contract today.",
    "Frank feedback is welcome in the retro.",
    "Grace periods apply to payments up to five days late.",
    "Bill the client at the end of each milestone.",
    "Will the nightly build pass? Only if someone fixes the flaky test.",
    "Rich text is now supported in comments.",
    "Ivy had grown over the old brick wall.",
    "Pat the salmon dry before searing it.",
    "Summer Sale: Up to 40% Off Outdoor Furniture",
    "Sage, Rosemary and Thyme go well with roast potatoes.",
    "Hunter green and navy are this season's colours.",
    "## Installation\n\nRun `pip install -e .` from the project root.",
    "Dear Customer,\nYour subscription renews automatically next month.",
    "Dear Sir or Madam, I am writing to request a copy of my invoice.",
    "Kind regards,\nThe Billing Team",
    "TABLE OF CONTENTS\n1. Introduction\n2. Methods\n3. Results",
    "| Metric | Value |\n|---|---|\n| Precision | 0.94 |\n| Recall | 0.88 |",
    "The Chief Executive Officer, the Chief Financial Officer and the Head of People attended.",
]

# --------------------------------------------------------------------------- assembly


def structured_items() -> list[dict]:
    out = [slot_row(context, "phone", make()) for _, make, context in PHONE_SPECS]
    styles = ["space", "dash", "none"]
    for i, ((_, prefix, length), context) in enumerate(zip(CARD_SPECS, CARD_CONTEXTS)):
        out.append(slot_row(context, "credit_card", format_card(card_number(rng, prefix, length), styles[i % 3])))
    for i, (country, pattern, context) in enumerate(IBAN_SPECS):
        out.append(slot_row(context, "iban", make_iban(rng, country, pattern, grouped=i % 3 != 1)))
    out += [slot_row(context, "us_ssn", make_ssn(rng)) for context in SSN_CONTEXTS]
    return out + [row(text, labels) for text, labels in HAND_STRUCTURED]


def negative_items() -> list[dict]:
    out = []
    for i, context in enumerate(BAD_CARD_CONTEXTS):
        _, prefix, length = CARD_SPECS[i]
        number = card_number(rng, prefix, length, valid=False)
        out.append(row(context.format(v=format_card(number, ["dash", "none", "space"][i % 3])), []))
    for i, context in enumerate(BAD_IBAN_CONTEXTS):
        country, pattern, _ = IBAN_SPECS[(i * 2) % len(IBAN_SPECS)]
        v = draw_without_card(make_iban, rng, country, pattern, grouped=i % 2 == 1, corrupt="check")
        out.append(row(context.format(v=v), []))
    return out + negative_rows(BAD_SSN_ITEMS, NEGATIVES)


# --------------------------------------------------------------------------- checks


def check(rows: list[dict]) -> None:
    """The shared checks (look-alikes only in the negatives: digit runs inside a labelled IBAN may pass Luhn),
    every SSN written with dashes, and no overlap with the two earlier sets."""
    known = check_name_lists(rows, FULL_NAMES, GIVEN_NAMES, WRITTEN_FORMS)
    check_rows(rows, known, lookalikes_in_labelled=False)
    for r in rows:
        for lab in r["pii"]:
            assert lab["kind"] != "us_ssn" or re.fullmatch(r"\d{3}-\d{2}-\d{4}", lab["value"]), lab
    check_no_overlap(rows, OTHER_BUILDERS, known)


if __name__ == "__main__":
    rows = person_rows(PERSON_ITEMS) + structured_items() + negative_items()
    check(rows)
    write_set(rows, HERE / "pii_final.jsonl")
