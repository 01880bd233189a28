"""Builds tests/data/pii_untouched.jsonl, an UNTOUCHED labelled test set for the PII detector.

Written without reading the detector's code, its name lists, its tests or any of the .jsonl sets.
The three other builders (build_pii_set.py, build_pii_heldout.py, build_pii_final.py) were read
only to copy the output format and the labelling conventions and to avoid any overlap: this set
shares no person-name token (first or last name) with the source text of any of them, and uses its
own sentences, negatives and structured values; the script checks that. Do not tune the detector
against this set or look at its per-item results while changing the detector, or it stops being
untouched.

Every line is {"text": str, "pii": [{"kind": K, "value": V}, ...]}: V is the exact substring of the
text that is the PII, and an empty list means the text has none. Kinds: email, phone, credit_card,
iban, us_ssn, ip_address, url_credentials, street_address, person.

The texts imitate LLM-generated training data and the real text it imitates: support chats,
e-mails, clinical notes, HR forms, CVs, meeting minutes, news-style sentences, logs, JSON, CSV and
markdown. Three parts:
  * person names: about a hundred full names from more than twenty languages and cultures (East Asian
    and Hungarian names in family-name-first order, some given-name first; a French SURNAME Given
    form, an inverted "Surname, Given" form and an airline SURNAME/GIVEN form; ALL-CAPS names;
    middle initials), about twenty given names alone in clear context, and texts with two names;
  * structured PII: phones of over twenty countries (landlines with the area code in parentheses,
    mobiles, international and national forms), cards of seven issuers (valid Luhn digit), IBANs of
    fourteen countries (mod-97 check digits), SSNs, IPv4/IPv6, e-mails, URLs with user:password,
    street addresses in English, German, French, Spanish, Italian and Dutch forms;
  * negatives with no PII: cards failing Luhn and IBANs failing mod-97 under a card/IBAN label,
    SSNs in never-issued ranges, tracking/order/invoice numbers, dates, versions, IP-shaped
    firmware numbers, coordinates, hashes, code, companies, places, brands, fictional characters,
    titles and medical/scientific eponyms named after people, team or department sign-offs,
    capitalised headings, placeholders and common words that are also given names.

Labelling conventions (the same as build_pii_final.py): a person value is the name as written,
without titles or honorifics (Dr., Mr., Mrs., Ms., Prof., Frau, Mme, Sr., Sra., Sig.ra, Pani,
Cllr, Coach, Esq., RN) and without a possessive 's; a name inside an e-mail address is labelled
only as the e-mail; companies, places, products, fictional characters and works named after people
are not persons; a credentials URL is labelled scheme://user:password@host[:port], without path or
query; a street address is the number and street only, without flat/unit, postcode or city; numbers
with an invalid checksum (Luhn, mod-97) or an SSN with area 000/666/9xx, group 00 or serial 0000 are
not PII, whatever label precedes them.

Regenerate (standard library only, fixed seed): python tests/data/build_pii_untouched.py
"""

from __future__ import annotations

import random
import sys
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # tests/data is not a package; the shared helpers live beside this file
from pii_set_kit import (  # noqa: E402
    card_number, check_name_lists, check_no_overlap, check_rows, draw_without_card, format_card, make_iban,
    make_ssn, negative_rows, person_rows, random_digits, row, slot_row, write_set,
)

OTHER_BUILDERS = [HERE / "build_pii_set.py", HERE / "build_pii_heldout.py", HERE / "build_pii_final.py"]
rng = random.Random(23)
digits = partial(random_digits, rng)

# --------------------------------------------------------------------------- person names

# Every full name labelled below, by language or culture; the script checks each label comes from here.
FULL_NAMES = {
    "English, Scottish, Welsh, Irish": ["Cormac Breslin", "Aoife Brennan", "Eilidh Cruickshank", "Rhodri Pritchard",
                                        "Dorothea Winstanley", "Percival T. Hargreaves", "Lorna Kilbride",
                                        "Shauna Delaney"],
    "American, Australian": ["Tucker Brannigan", "Jolene M. Whitaker", "Lachlan Fairweather"],
    "German, Austrian, Swiss": ["Hannelore Wüstenberg", "Gerhard Pfeiffer", "Korbinian Hagedorn", "Irmgard Leitner",
                                "Reto Brunner"],
    "French, Belgian, Quebec": ["Clémence Dufresne", "Aurélien Bastide", "Margaux Lemaire", "Yannick Tremblay",
                                "Ghislaine Vanderhaegen"],
    "Spanish, Basque, Latin American": ["Remedios Albarracín", "Eusebio Cárdenas", "Maite Goikoetxea",
                                        "Jimena Sepúlveda", "Xiomara Benítez"],
    "Portuguese, Brazilian": ["Conceição Valadares", "Vasco Mendonça", "Thaís Cavalcanti"],
    "Italian": ["Ginevra Bonfanti", "Corrado Lombardi", "Annunziata Caruso", "Pasquale Ingrassia"],
    "Dutch, Frisian": ["Geertje Hoekstra", "Sjoerd Wijnberg", "Maaike Schouten"],
    "Nordic": ["Ingeborg Rønning", "Torbjörn Ekdahl", "Sigurður Einarsson", "Paavo Heikkinen", "Freja Holmgaard"],
    "Polish, Czech, Ukrainian, Russian": ["Wojciech Grabowski", "Bożena Kaczmarek", "Ondřej Svoboda",
                                         "Taras Shevchuk", "Gennady Baranov"],
    "South Slavic": ["Milica Stojanović", "Zvonimir Babić", "Tsvetelina Draganova"],
    "Greek": ["Panagiota Vlachou", "Spyros Antonakos"],
    "Hungarian (family name first, and given name first)": ["Horváth Bence", "Bence Horváth", "Molnár Dorottya"],
    "Romanian": ["Ioana Dragomir", "Mihai Constantinescu"],
    "Turkish": ["Gökhan Yurtsever", "Selin Karaca"],
    "Arabic, Maghrebi": ["Khaled Nasrallah", "Dalia Shukri", "Samira Bouazizi", "Ilyas Benjelloun"],
    "Persian": ["Dariush Farahani", "Negar Sadeghi"],
    "Hebrew": ["Avital Kornblum", "Noa Friedmann"],
    "South Asian (Malayali, Marathi, Bengali, Sinhala, Nepali, Urdu)": [
        "Sreeja Namboodiri", "Aniket S. Kulkarni", "Tanvir Hossain", "Dilshan Wickramasinghe", "Bishnu Thapa",
        "Ayesha Siddiqui"],
    "Chinese (family first, and given first)": ["Zheng Wenjie", "Tang Xiaoyu", "Jiayi Feng", "Chang Yu-ting"],
    "Japanese (given first, and family first)": ["Kazuhiro Ishikawa", "Morita Ayane", "Chihiro Okabe"],
    "Korean (family first, and given first)": ["Baek Seung-ho", "Yoo Bo-ram", "Dae-sung Ryu"],
    "Vietnamese (family first)": ["Phan Thanh Hải", "Võ Khánh Linh", "Lương Gia Huy"],
    "Thai": ["Siriporn Chaiyaphum", "Kittipong Srisuk"],
    "Indonesian, Filipino": ["Bayu Prasetyo", "Maricel Dimaculangan", "Wulan Sari"],
    "West African (Yoruba, Igbo, Akan, Hausa)": ["Olumide Bankole", "Ifeanyi Nwachukwu", "Yaw Owusu", "Aminu Bello"],
    "Southern and East African (Zulu, Swahili, Amharic, Somali, Kikuyu)": [
        "Nomvula Khumalo", "Zanele Mthembu", "Neema Mwakyusa", "Meron Haile", "Hodan Warsame", "Muthoni Gachanja"],
    "Māori, Samoan, Quechua/Aymara": ["Wiremu Tamihana", "Sefo Faleolo", "Nayeli Huanca"],
}
# Written forms that differ from the list above: ALL CAPS, surname first with comma or slash.
WRITTEN_FORMS = {
    "LACHLAN FAIRWEATHER": "Lachlan Fairweather",
    "DUFRESNE Clémence": "Clémence Dufresne",
    "Brennan, Aoife": "Aoife Brennan",
    "KHUMALO/NOMVULA": "Nomvula Khumalo",
    "CORMAC BRESLIN": "Cormac Breslin",
}
GIVEN_NAMES = ["Cosima", "Eskil", "Isidora", "Teodoro", "Bronagh", "Wendelin", "Anouk", "Tobenna", "Naledi",
               "Keiko", "Farida", "Arash", "Rivka", "Zainab", "Shreya", "Vesna", "Goran", "Ilse", "Sunniva",
               "Ottavio", "Marisol", "Chidubem", "benedikt"]

# (text, [person names as written]) -- titles, honorifics and possessives are left out of the value.
PERSON_ITEMS = [
    # English-speaking
    ("Chat transcript #40417\n[09:02] Agent: Thanks for waiting! May I have the account holder's name?\n"
     "[09:02] Customer: Cormac Breslin\n[09:03] Agent: Thank you, I can see the order now.", ["Cormac Breslin"]),
    ("Patient (surname, forename): Brennan, Aoife — Ward 7B, bed 12\nObs stable overnight, for discharge review.",
     ["Brennan, Aoife"]),
    ("Eilidh Cruickshank has been shortlisted for the Aberdeen young engineer award.", ["Eilidh Cruickshank"]),
    ("MINUTES — Parish Council, 4 March\nPresent: Cllr Dorothea Winstanley (chair), the clerk and six residents.\n"
     "1. The minutes of the previous meeting were approved.", ["Dorothea Winstanley"]),
    ("Percival T. Hargreaves, Esq.\nSolicitor for the Claimant", ["Percival T. Hargreaves"]),
    ("Lorna Kilbride phoned to say the boiler engineer never turned up.", ["Lorna Kilbride"]),
    ("Hi Shauna Delaney,\n\nWe've received your return and a refund of €42.90 is on its way. It can take 3–5 "
     "working days to show on your statement.\n\nThanks for shopping with us!", ["Shauna Delaney"]),
    ("Coach Tucker Brannigan benched two starters for missing practice.", ["Tucker Brannigan"]),
    ("Jolene M. Whitaker, RN, BSN\nCharge Nurse — Pediatric ICU", ["Jolene M. Whitaker"]),
    ("LACHLAN FAIRWEATHER\nSenior Data Analyst | Brisbane\n\nPROFILE\nSeven years turning messy logistics data "
     "into dashboards people actually use.", ["LACHLAN FAIRWEATHER"]),
    ("BOARDING PASS  CORMAC BRESLIN  DUB → BOS  SEAT 23A  GATE 402", ["CORMAC BRESLIN"]),
    # German, Austrian, Swiss
    ("Sehr geehrte Frau Dr. Hannelore Wüstenberg,\nanbei erhalten Sie die Unterlagen zur Jahresabrechnung.",
     ["Hannelore Wüstenberg"]),
    ("Protokoll der Teamsitzung vom 11.06.\nProtokollführer: Gerhard Pfeiffer\nTOP 1: Urlaubsplanung Sommer",
     ["Gerhard Pfeiffer"]),
    ("Korbinian Hagedorn hat den Umzug ins neue Lager koordiniert.", ["Korbinian Hagedorn"]),
    ("Irmgard Leitner, 78 J., stationäre Aufnahme nach Sturz in häuslicher Umgebung. Keine Bewusstlosigkeit, "
     "Prellung linke Hüfte.", ["Irmgard Leitner"]),
    ("Reto Brunner übernimmt ab 1. Juli die Filiale in Winterthur.", ["Reto Brunner"]),
    # French, Belgian, Quebec
    ("Formulaire d'inscription\nNom et prénom : DUFRESNE Clémence\nDate de naissance : 02/11/1991",
     ["DUFRESNE Clémence"]),
    ("Aurélien Bastide a rejoint l'équipe data en tant qu'alternant.", ["Aurélien Bastide"]),
    ("Compte rendu de réunion — rédigé par Margaux Lemaire, relu par la direction.", ["Margaux Lemaire"]),
    ("Yannick Tremblay, de Chicoutimi, a remporté le tournoi de curling.", ["Yannick Tremblay"]),
    ("Mme Ghislaine Vanderhaegen est priée de se présenter au guichet 4.", ["Ghislaine Vanderhaegen"]),
    # Spanish, Basque, Latin American
    ("Remedios Albarracín, 64 años, acude a urgencias por dolor torácico de 2 horas de evolución.",
     ["Remedios Albarracín"]),
    ("Eusebio Cárdenas fue elegido presidente de la junta vecinal.", ["Eusebio Cárdenas"]),
    ("Maite Goikoetxea dirige el laboratorio de microbiología desde 2019.", ["Maite Goikoetxea"]),
    ("¡Hola Jimena Sepúlveda! 👋 Tu pedido llega mañana entre las 9 y las 14 h.", ["Jimena Sepúlveda"]),
    ("Xiomara Benítez — Desarrolladora Backend · Python, Go, PostgreSQL", ["Xiomara Benítez"]),
    # Portuguese, Brazilian
    ("A Sra. Conceição Valadares solicitou a segunda via da fatura.", ["Conceição Valadares"]),
    ("Vasco Mendonça assina a coluna de economia às quartas-feiras.", ["Vasco Mendonça"]),
    ("Thaís Cavalcanti: gente, a reunião foi remarcada pra 15h", ["Thaís Cavalcanti"]),
    # Italian
    ("Ginevra Bonfanti è stata nominata responsabile acquisti.", ["Ginevra Bonfanti"]),
    ("Gentile Corrado Lombardi,\nle confermiamo la prenotazione per due persone.", ["Corrado Lombardi"]),
    ("Sig.ra Annunziata Caruso, anni 81, dimessa in buone condizioni generali.", ["Annunziata Caruso"]),
    ("Pasquale Ingrassia ha chiuso il bilancio con tre giorni di anticipo.", ["Pasquale Ingrassia"]),
    # Dutch
    ("Geertje Hoekstra heeft de notulen van de ledenvergadering rondgestuurd.", ["Geertje Hoekstra"]),
    ("Geachte heer Sjoerd Wijnberg,\nUw aanvraag is in behandeling genomen.", ["Sjoerd Wijnberg"]),
    ("Maaike Schouten (HR) plant de functioneringsgesprekken in week 12.", ["Maaike Schouten"]),
    # Nordic
    ("Ingeborg Rønning leder prosjektet for nye sykkelveier i Trondheim.", ["Ingeborg Rønning"]),
    ("Torbjörn Ekdahl är ansvarig utgivare för nyhetsbrevet.", ["Torbjörn Ekdahl"]),
    ("Sigurður Einarsson, skipper of the trawler, radioed the coastguard at 04:40.", ["Sigurður Einarsson"]),
    ("Paavo Heikkinen voitti hiihtokilpailun toista kertaa.", ["Paavo Heikkinen"]),
    ("Freja Holmgaard is covering the front desk until the temp arrives.", ["Freja Holmgaard"]),
    # Polish, Czech, Ukrainian, Russian
    ("Wojciech Grabowski, kierownik budowy, potwierdził termin odbioru.", ["Wojciech Grabowski"]),
    ("Pani Bożena Kaczmarek prosi o kontakt w sprawie faktury.", ["Bożena Kaczmarek"]),
    ("Ondřej Svoboda opravil chybu v exportu do PDF.", ["Ondřej Svoboda"]),
    ("Taras Shevchuk joined from our Lviv office as QA lead.", ["Taras Shevchuk"]),
    ("Gennady Baranov (ext. 2231) handles the customs paperwork for Riga.", ["Gennady Baranov"]),
    # South Slavic, Greek
    ("Milica Stojanović je odbranila doktorsku disertaciju u Novom Sadu.", ["Milica Stojanović"]),
    ("Zvonimir Babić, kapetan momčadi, postigao je dva gola.", ["Zvonimir Babić"]),
    ("Tsvetelina Draganova will deliver the keynote in Plovdiv.", ["Tsvetelina Draganova"]),
    ("Panagiota Vlachou filed the complaint with the ombudsman on Monday.", ["Panagiota Vlachou"]),
    # Hungarian, Romanian, Turkish
    ("Tisztelt Horváth Bence!\nÖrömmel értesítjük, hogy felvételt nyert.", ["Horváth Bence"]),
    ("Bence Horváth moved from Budapest to run the Vienna office.", ["Bence Horváth"]),
    ("Molnár Dorottya nyerte a városi sakkbajnokságot.", ["Molnár Dorottya"]),
    ("Mihai Constantinescu, 45, was discharged after an uneventful appendectomy.", ["Mihai Constantinescu"]),
    # Arabic, Persian, Hebrew
    ("Khaled Nasrallah signed the lease for the Amman showroom.", ["Khaled Nasrallah"]),
    ("Dalia Shukri — Senior Translator (Arabic ⇄ English)", ["Dalia Shukri"]),
    ("Samira Bouazizi a déposé sa candidature pour le poste de comptable.", ["Samira Bouazizi"]),
    ("Ilyas Benjelloun handed in the signed NDA at reception.", ["Ilyas Benjelloun"]),
    ("Noa Friedmann is on reserve duty until the end of the month.", ["Noa Friedmann"]),
    # South Asian
    ("Sreeja Namboodiri, 29 F, presented with a 3-day history of fever and joint pain. No travel history.",
     ["Sreeja Namboodiri"]),
    ("Aniket S. Kulkarni\nB.Tech (Mechanical), 2016\nSkills: CAD, FEA, MATLAB", ["Aniket S. Kulkarni"]),
    ("Tanvir Hossain sent the shipment manifest from Chattogram.", ["Tanvir Hossain"]),
    ("Dilshan Wickramasinghe took four wickets in the final session.", ["Dilshan Wickramasinghe"]),
    ("Ayesha Siddiqui has requested to work remotely on Fridays.", ["Ayesha Siddiqui"]),
    # East Asian
    ("Zheng Wenjie moderated the Q&A after the product launch.", ["Zheng Wenjie"]),
    ("Tang Xiaoyu's visa interview is scheduled for 8:30 at the consulate.", ["Tang Xiaoyu"]),
    ("Jiayi Feng is the teaching assistant for the statistics course this term.", ["Jiayi Feng"]),
    ("Chang Yu-ting won the Taipei marathon in her age group.", ["Chang Yu-ting"]),
    ("Kazuhiro Ishikawa will visit the Nagoya plant on Wednesday.", ["Kazuhiro Ishikawa"]),
    ("Morita Ayane sent the revised estimate this morning.", ["Morita Ayane"]),
    ("Chihiro Okabe’s sketches were chosen for the festival poster.", ["Chihiro Okabe"]),
    ("Yoo Bo-ram is on maternity leave until October.", ["Yoo Bo-ram"]),
    # South-East Asian
    ("Phan Thanh Hải là trưởng phòng kinh doanh của chi nhánh.", ["Phan Thanh Hải"]),
    ("Võ Khánh Linh handled the customer escalation calmly.", ["Võ Khánh Linh"]),
    ("Lương Gia Huy registered the company in Ho Chi Minh City.", ["Lương Gia Huy"]),
    ("Siriporn Chaiyaphum is our liaison with the Chiang Mai suppliers.", ["Siriporn Chaiyaphum"]),
    ("Kittipong Srisuk scored the winning goal in stoppage time.", ["Kittipong Srisuk"]),
    ("Maricel Dimaculangan, a caregiver from Batangas, applied for the night shift.", ["Maricel Dimaculangan"]),
    # African
    ("Yaw Owusu delivered the cocoa samples to the lab in Kumasi.", ["Yaw Owusu"]),
    ("Aminu Bello reported the generator fault at 22:10.", ["Aminu Bello"]),
    ("PNR X7KQ2D\nKHUMALO/NOMVULA MS  JNB-CPT  SA 0313  12JUL", ["KHUMALO/NOMVULA"]),
    ("Zanele Mthembu is the new head of the maths department.", ["Zanele Mthembu"]),
    ("Meron Haile translated the consent form into Amharic.", ["Meron Haile"]),
    # Pacific, Andean
    ("Wiremu Tamihana opened the hui with a karakia.", ["Wiremu Tamihana"]),
    ("Sefo Faleolo coaches the under-16 rugby side on Thursdays.", ["Sefo Faleolo"]),
    ("Nayeli Huanca sells alpaca wool at the Sunday market in Cusco.", ["Nayeli Huanca"]),
    # two names in one text
    ("Minutes of the Board\nChair: Rhodri Pritchard\nSecretary: Lorna Kilbride\nApologies: none received",
     ["Rhodri Pritchard", "Lorna Kilbride"]),
    ("| Name | Role | Start date |\n|---|---|---|\n| Selin Karaca | Analyst | 2024-09-02 |\n"
     "| Gökhan Yurtsever | Intern | 2024-09-16 |", ["Selin Karaca", "Gökhan Yurtsever"]),
    ("Olumide Bankole forwarded Ifeanyi Nwachukwu's memo to the whole branch.",
     ["Olumide Bankole", "Ifeanyi Nwachukwu"]),
    ("Spyros Antonakos and Panagiota Vlachou opened a taverna in Chania.", ["Spyros Antonakos", "Panagiota Vlachou"]),
    ("Preprint — co-first authors: Zheng Wenjie, Tang Xiaoyu", ["Zheng Wenjie", "Tang Xiaoyu"]),
    ("#deploys\nDae-sung Ryu: rollout to eu-west done\nBaek Seung-ho: 👍 thanks, closing the ticket",
     ["Dae-sung Ryu", "Baek Seung-ho"]),
    ("Muthoni Gachanja and Neema Mwakyusa shared the prize for best smallholder farm.",
     ["Muthoni Gachanja", "Neema Mwakyusa"]),
    ("Ioana Dragomir swapped shifts with Mihai Constantinescu on Saturday.",
     ["Ioana Dragomir", "Mihai Constantinescu"]),
    ("Calendar: 1:1 Avital Kornblum / Dariush Farahani — moved to Thu 10:00",
     ["Avital Kornblum", "Dariush Farahani"]),
    ("@Wulan Sari @Bayu Prasetyo please review the translation before Friday", ["Wulan Sari", "Bayu Prasetyo"]),
    ("Negar Sadeghi interviewed Bishnu Thapa about guiding on the Annapurna circuit.",
     ["Negar Sadeghi", "Bishnu Thapa"]),
    ("Reference check: Ingeborg Rønning confirmed that Torbjörn Ekdahl reported to her for four years.",
     ["Ingeborg Rønning", "Torbjörn Ekdahl"]),
    # a given name alone, in a context that makes it a person
    ("Thanks again, Cosima — the venue was perfect.", ["Cosima"]),
    ("Eskil has the spare key to the server room.", ["Eskil"]),
    ("Isidora, 7 years old, presents with a rash on both forearms. Mother reports no fever.", ["Isidora"]),
    ("Teodoro will bring the van round at six.", ["Teodoro"]),
    ("Hey Bronagh! Did the courier ever show up?", ["Bronagh"]),
    ("Wendelin hat sich für heute krankgemeldet.", ["Wendelin"]),
    ("Anouk zit vandaag thuis met een verkoudheid.", ["Anouk"]),
    ("Tobenna's mum called to say he'll be late for practice.", ["Tobenna"]),
    ("Naledi, please sign page 3 and initial page 5.", ["Naledi"]),
    ("Keiko: I pushed the translations to the staging branch.", ["Keiko"]),
    ("Farida booked the large meeting room for Tuesday.", ["Farida"]),
    ("My brother Arash asked for an extension on his report.", ["Arash"]),
    ("Rivka's grandmother turns 100 next week.", ["Rivka"]),
    ("Zainab got the highest mark in the chemistry mock exam.", ["Zainab"]),
    ("Shreya, can you share your screen?", ["Shreya"]),
    ("Vesna je poslala račun jučer.", ["Vesna"]),
    ("Goran fixed the leaking tap in the staff kitchen.", ["Goran"]),
    ("Warmest wishes,\nIlse", ["Ilse"]),
    ("Sunniva and Ottavio met at the language exchange.", ["Sunniva", "Ottavio"]),
    ("Marisol dijo que llegaría tarde a la reunión.", ["Marisol"]),
    ("Chidubem: abeg who took my charger?", ["Chidubem"]),
    ("lol benedikt forgot his laptop on the train again", ["benedikt"]),
]

# --------------------------------------------------------------------------- phones

PHONE_SPECS = [  # (country, maker, context); landlines with the area code in parentheses where usual
    ("US", lambda: f"({rng.choice([312, 614, 704, 913])}) {rng.randint(220, 989)}-{digits(4)}",
     "Office: {v} (landline, no texts)"),
    ("US", lambda: f"+1-{rng.choice([480, 617, 801])}-{rng.randint(220, 989)}-{digits(4)}",
     "Pharmacy refill line {v}, press 2 for refills."),
    ("UK", lambda: f"(0113) {rng.randint(2, 3)}{digits(2)} {digits(4)}", "GP surgery appointments: {v}"),
    ("UK", lambda: f"+44 (0)7{rng.randint(400, 999)} {digits(3)} {digits(3)}", "Out-of-hours on-call: {v}"),
    ("IE", lambda: f"(01) {rng.randint(600, 899)} {digits(4)}", "Reception, Dublin office — {v}"),
    ("DE", lambda: f"(089) {rng.randint(2, 9)}{digits(3)} {digits(4)}", "Praxis Tel.: {v}"),
    ("DE", lambda: f"0221 / {rng.randint(2, 9)}{digits(5)}-0", "Zentrale: {v}"),
    ("AT", lambda: f"+43 1 {rng.randint(200, 999)} {digits(2)} {digits(2)}", "Rückruf erbeten unter {v}."),
    ("CH", lambda: f"+41 44 {rng.randint(200, 999)} {digits(2)} {digits(2)}", "Direktwahl {v}"),
    ("FR", lambda: f"02 98 {digits(2)} {digits(2)} {digits(2)}", "Accueil de la mairie : {v}"),
    ("ES", lambda: f"91 {rng.randint(200, 799)} {digits(2)} {digits(2)}", "Llámenos al {v} de 9 a 18 h."),
    ("IT", lambda: f"06 {rng.randint(3000, 9999)} {digits(4)}", "Prenotazioni: {v}"),
    ("NL", lambda: f"(010) {rng.randint(200, 799)} {digits(2)} {digits(2)}", "Bereikbaar op {v} tijdens kantooruren."),
    ("PL", lambda: f"+48 601 {digits(3)} {digits(3)}", "Kom. {v}"),
    ("BR", lambda: f"(11) 3{digits(3)}-{digits(4)}", "Telefone fixo: {v}"),
    ("MX", lambda: f"(33) {rng.randint(3000, 3999)} {digits(4)}", "Oficina Guadalajara: {v}"),
    ("IN", lambda: f"(080) 2{digits(3)} {digits(4)}", "Bengaluru office landline {v}"),
    ("JP", lambda: f"(06) {rng.randint(6000, 6999)}-{digits(4)}", "大阪支店 TEL {v}"),
    ("KR", lambda: f"02-{rng.randint(2000, 3999)}-{digits(4)}", "Seoul branch: {v}"),
    ("AU", lambda: f"(03) 9{digits(3)} {digits(4)}", "Melbourne showroom {v}"),
    ("NZ", lambda: f"+64 21 {digits(3)} {digits(4)}", "Text {v} to confirm your booking."),
    ("NG", lambda: f"+234 803 {digits(3)} {digits(4)}", "Call or WhatsApp {v} for bulk orders."),
]

# --------------------------------------------------------------------------- cards

CARD_SPECS = [  # (issuer, prefix, length, grouping, context)
    ("Visa", "4", 16, "space",
     "CRM note — customer read the card number aloud: {v}. Advised not to share it in chat."),
    ("Visa", "4", 13, "none", "card,exp,zip\n{v},04/28,94110"),
    ("Mastercard", "54", 16, "dash", "ok here it is {v} exp 03/27 cvv on the back"),
    ("Mastercard", "2680", 16, "space", "Pago rechazado para la tarjeta {v}; inténtelo de nuevo."),
    ("Amex", "34", 15, "space", "Carte bancaire n° {v}"),
    ("Amex", "37", 15, "none", "2024-04-02T11:22:09Z DEBUG charge.create card={v} amount=4999"),
    ("Discover", "65", 16, "dash", "Please refund to the original card ({v})."),
    ("JCB", "3566", 16, "space", "JCBカード番号: {v}"),
    ("Diners Club", "305", 14, "space", "| Field | Value |\n|---|---|\n| Card number | {v} |\n| Expiry | 11/27 |"),
    ("UnionPay", "62", 19, "none", "银联卡号: {v}"),
    ("Visa", "4", 16, "none", "Kreditkartennummer: {v}, gültig bis 09/26"),
]
BAD_CARD_CONTEXTS = [  # the same shapes with a wrong check digit: not PII, whatever the label
    "Test PAN for the sandbox: {v}",
    "Customer typed card {v} and the form said the number is invalid.",
    '{{"pan": "{v}", "luhn_valid": false}}',
    "Loyalty card {v} — 120 points",
    "Gift card {v}, balance $25.00",
    "Library card number {v}",
    "Ticket barcode {v}",
    "Carta fedeltà n. {v}",
    "Numéro de suivi {v}",
    "Kundenkarte {v}",
]


# --------------------------------------------------------------------------- IBANs

# (country, BBAN pattern: n digit, a capital letter; lengths are the official IBAN lengths), context.
# No SI/PT/ME/BA/RS/MK here: their national scheme fixes the check digits, a random BBAN would look odd.
IBAN_SPECS = [
    ("DE", "n" * 18, "Kontoverbindung für die Mietkaution: {v}"),
    ("FR", "n" * 23, "Coordonnées bancaires du bénéficiaire — IBAN {v}, BIC fourni séparément."),
    ("ES", "n" * 20, "Domiciliación bancaria en la cuenta {v}."),
    ("IT", "a" + "n" * 22, "Bonifico intestato allo studio, IBAN {v}, causale: fattura 112."),
    ("NL", "aaaa" + "n" * 10, "Graag het bedrag overmaken naar {v} o.v.v. het factuurnummer."),
    ("GB", "aaaa" + "n" * 14, "New payee added: {v}"),
    ("BE", "n" * 12, "Gelieve te storten op {v} vóór 30/09."),
    ("CH", "n" * 17, "Einzahlung für: {v}, Vermerk Mitgliederbeitrag 2025"),
    ("LT", "n" * 16, "Sąskaitos numeris: {v}"),
    ("IS", "n" * 22, "Reikningsnúmer: {v}"),
    ("BG", "aaaa" + "n" * 14, "Банкова сметка (IBAN): {v}"),
    ("BR", "n" * 23 + "a" + "n", "Dados para transferência internacional: {v}"),
    ("PK", "aaaa" + "n" * 16, "Salary will be credited to IBAN {v} from next month."),
    ("CY", "n" * 24, '{{"iban": "{v}", "holder_verified": true}}'),
]
BAD_IBAN_CONTEXTS = [  # (index into IBAN_SPECS, context); the last one is a transposition typo
    (0, "IBAN {v} — Prüfziffer falsch, bitte prüfen."),
    (1, "Destinataire : {v} — virement rejeté"),
    (2, "Cuenta IBAN {v} no válida"),
    (4, "Bankrekening {v} is afgekeurd door de bank."),
    (5, "The IBAN in the template ({v}) is made up and fails validation."),
    (9, '{{"beneficiary_iban": "{v}"}}'),
    (12, "Account (IBAN) — {v}"),
    (6, "IBAN as typed by the customer, two digits swapped: {v}"),
]


# --------------------------------------------------------------------------- SSNs

SSN_CONTEXTS = [  # (separator, context)
    ("-", "New-hire packet: SSN {v}, start date 2024-08-19, W-4 on file."),
    ("-", "1099-NEC recipient TIN (SSN): {v}"),
    ("-", '{{"applicant": {{"ssn": "{v}", "annual_income": 84000}}}}'),
    ("-", "Caller provided SSN {v} for identity verification; matched against DOB."),
    ("-", "Registration: SSN {v} | Insurance: BCBS PPO | Copay: $30"),
    ("-", "emp_id,ssn,state\n40318,{v},TX"),
    (" ", "Social Security Number {v} (as printed on the card)"),
]
BAD_SSN_ITEMS = [  # never issued: area 000, 666, 9xx; group 00; serial 0000
    "SSN 000-38-4417 appears in the synthetic seed data.",
    "Please don't use 666-12-9034; the SSA never issues area 666.",
    "ssn,dob\n917-44-2081,1990-07-14",
    "Applicant SSN: 482-00-1936",
    "SSN 305-61-0000 rejected by the payroll system.",
    "SSN 987-65-4325 is from the block reserved for advertisements.",
]


# --------------------------------------------------------------------------- hand-written structured PII

HAND_STRUCTURED = [
    # e-mails
    ("Bitte Rückmeldung bis Freitag an personalabteilung@stadtwerke-kellerhof.de.",
     [("email", "personalabteilung@stadtwerke-kellerhof.de")]),
    ("Agent: You can also email us at help@parcelwise.app and quote your order number.",
     [("email", "help@parcelwise.app")]),
    ("Réservations : contact@gite-les-tilleuls.fr", [("email", "contact@gite-les-tilleuls.fr")]),
    ("---------- Forwarded message ---------\nFrom: no-reply@alerts.brightbank.co.za\nSubject: Statement ready",
     [("email", "no-reply@alerts.brightbank.co.za")]),
    ('{"contact_email": "t.vandermolen@hetnet.nl", "opt_in": false}', [("email", "t.vandermolen@hetnet.nl")]),
    ("Newsletter: m.oyelaran+deals@gmail.com unsubscribed on 2024-01-09.",
     [("email", "m.oyelaran+deals@gmail.com")]),
    ("Submitted by r.quarshie@student.ed.ac.uk (MSc, year 1)", [("email", "r.quarshie@student.ed.ac.uk")]),
    ("Reply-To: <orders@copperkettle.ie>", [("email", "orders@copperkettle.ie")]),
    ("APAC enquiries: sales-apac@tidewater-marine.com.sg", [("email", "sales-apac@tidewater-marine.com.sg")]),
    ("login: dkowal_1992@o2.pl", [("email", "dkowal_1992@o2.pl")]),
    # IPv4 / IPv6
    ('62.210.18.144 - - [12/Mar/2024:10:15:32 +0000] "GET /wp-login.php HTTP/1.1" 404 512',
     [("ip_address", "62.210.18.144")]),
    ("fail2ban.actions: NOTICE [sshd] Ban 141.98.11.27", [("ip_address", "141.98.11.27")]),
    ('{"event": "signup", "client_ip": "100.64.12.9", "ua": "okhttp/4.12"}', [("ip_address", "100.64.12.9")]),
    ("session_id,ip,country\n8812,172.20.5.131,PT", [("ip_address", "172.20.5.131")]),
    ("ssh -i ~/.ssh/prod.pem ubuntu@3.121.44.210", [("ip_address", "3.121.44.210")]),
    ("upstream timed out while connecting to 34.90.112.8:8443", [("ip_address", "34.90.112.8")]),
    ("Allow from 81.17.96.45 and 2604:a880:400:d1::7f2:3001",
     [("ip_address", "81.17.96.45"), ("ip_address", "2604:a880:400:d1::7f2:3001")]),
    ("IPv6 address . . . . : 2001:0470:1f0b:0a2d:0000:0000:0000:00c4",
     [("ip_address", "2001:0470:1f0b:0a2d:0000:0000:0000:00c4")]),
    ("Your device (10.0.42.7) was blocked after five failed attempts.", [("ip_address", "10.0.42.7")]),
    # URLs with credentials (scheme://user:password@host[:port], path and query left out)
    ("AMQP_URL=amqps://orders_svc:Qe7!mV2r@mq.eu1.cloudbroker.net:5671/prod",
     [("url_credentials", "amqps://orders_svc:Qe7!mV2r@mq.eu1.cloudbroker.net:5671")]),
    ("CELERY_RESULT_BACKEND = 'rediss://worker:tZ8wq3LmN0@cache.payments.internal:6380/1'",
     [("url_credentials", "rediss://worker:tZ8wq3LmN0@cache.payments.internal:6380")]),
    ("mongosh \"mongodb://reporting:Xv4s9Lk2@mongo-a.dc2.example.com:27017/admin\"",
     [("url_credentials", "mongodb://reporting:Xv4s9Lk2@mongo-a.dc2.example.com:27017")]),
    ("Jenkins webhook: https://jenkins:11a4f2c9b7e0@ci.build.example.net:8443/job/nightly/build",
     [("url_credentials", "https://jenkins:11a4f2c9b7e0@ci.build.example.net:8443")]),
    ('engine = create_async_engine("postgresql+asyncpg://api:Lx9Qw2zE@db-primary.svc.cluster.local:5432/app")',
     [("url_credentials", "postgresql+asyncpg://api:Lx9Qw2zE@db-primary.svc.cluster.local:5432")]),
    ("nats-server --routes nats://telemetry:Nd8vR4kq@nats.edge.example.io:4222",
     [("url_credentials", "nats://telemetry:Nd8vR4kq@nats.edge.example.io:4222")]),
    ("Printer admin page: http://admin:admin123@printer-3f.office.lan/config",
     [("url_credentials", "http://admin:admin123@printer-3f.office.lan")]),
    ("VLC → Open Network Stream → rtsp://viewer:Cam5view@cam-lobby.site.local:554/stream1",
     [("url_credentials", "rtsp://viewer:Cam5view@cam-lobby.site.local:554")]),
    # street addresses: English (US, UK, AU, CA), German (DE, AT, CH), French (FR, BE), Spanish (ES, MX),
    # Italian, Dutch (NL, BE)
    ("Please mail the signed lease to 2935 N Halsted St, Chicago, IL 60657.",
     [("street_address", "2935 N Halsted St")]),
    ("Home address: 418 Sycamore Ridge Ct, Apt 12, Louisville, KY 40223",
     [("street_address", "418 Sycamore Ridge Ct")]),
    ("Deliver to Flat 2, 57 Cathcart Road, Glasgow G42 7BE", [("street_address", "57 Cathcart Road")]),
    ("Unit 5/112 Brunswick Street, Fitzroy VIC 3065", [("street_address", "112 Brunswick Street")]),
    ("The clinic moved to 1450 Robson Street, Vancouver, in May.", [("street_address", "1450 Robson Street")]),
    ("Neue Anschrift ab 1. Mai: Kurfürstendamm 195, 10707 Berlin", [("street_address", "Kurfürstendamm 195")]),
    ("Rechnungsadresse: Am Sandtorkai 48, 20457 Hamburg", [("street_address", "Am Sandtorkai 48")]),
    ("Wohnadresse: Mariahilfer Straße 77, Top 14, 1060 Wien", [("street_address", "Mariahilfer Straße 77")]),
    ("Seefeldstrasse 114, 8008 Zürich", [("street_address", "Seefeldstrasse 114")]),
    ("Adresse de livraison : 42 quai des Chartrons, 33000 Bordeaux", [("street_address", "42 quai des Chartrons")]),
    ("Le cabinet se trouve au 3 bis rue Lamartine, au deuxième étage.", [("street_address", "3 bis rue Lamartine")]),
    ("Siège : Avenue Louise 231, 1050 Bruxelles", [("street_address", "Avenue Louise 231")]),
    ("Domicilio: Carrer de Provença 261, 08008 Barcelona", [("street_address", "Carrer de Provença 261")]),
    ("Envíelo a Avda. de la Albufera 118, 4º A, Madrid.", [("street_address", "Avda. de la Albufera 118")]),
    ("Oficinas en Av. Insurgentes Sur 1602, Col. Crédito Constructor, CDMX",
     [("street_address", "Av. Insurgentes Sur 1602")]),
    ("Residenza: Via Nazionale 184, 00184 Roma", [("street_address", "Via Nazionale 184")]),
    ("Il negozio è in Corso Buenos Aires 33, a Milano.", [("street_address", "Corso Buenos Aires 33")]),
    ("Postadres: Laan van Meerdervoort 512, 2563 BJ Den Haag", [("street_address", "Laan van Meerdervoort 512")]),
    ("Ons kantoor zit op de Meir 78 in Antwerpen.", [("street_address", "Meir 78")]),
    # several kinds in one text
    ("Cordialement,\n\nYannick Tremblay\nDirecteur des ventes, Québec\nTél. : (418) 652-3390, poste 221\n"
     "yannick.tremblay@boreal-meubles.ca",
     [("person", "Yannick Tremblay"), ("phone", "(418) 652-3390"), ("email", "yannick.tremblay@boreal-meubles.ca")]),
    ("id,name,email,phone\n1042,Bishnu Thapa,bishnu@himalayan-switchbacks.np,+977 1-4412396",
     [("person", "Bishnu Thapa"), ("email", "bishnu@himalayan-switchbacks.np"), ("phone", "+977 1-4412396")]),
    ('{"patient": {"name": "Sreeja Namboodiri", "mrn": "KL-550219", "phone": "+91 484 266 1930"}}',
     [("person", "Sreeja Namboodiri"), ("phone", "+91 484 266 1930")]),
    ("Xiomara Benítez · Medellín, Colombia · +57 310 482 7765 · xiomara.dev@proton.me",
     [("person", "Xiomara Benítez"), ("phone", "+57 310 482 7765"), ("email", "xiomara.dev@proton.me")]),
    ("From: Khaled Nasrallah <k.nasrallah@petra-logistics.jo>\nSent: Tuesday, 4 June 2024 09:41\n"
     "To: operations@petra-logistics.jo",
     [("person", "Khaled Nasrallah"), ("email", "k.nasrallah@petra-logistics.jo"),
      ("email", "operations@petra-logistics.jo")]),
    ("Ticket #5521 | reporter: Dae-sung Ryu | ip: 211.36.140.92 | browser: Firefox 125",
     [("person", "Dae-sung Ryu"), ("ip_address", "211.36.140.92")]),
    ("Versand an: Korbinian Hagedorn, Leopoldstraße 112, 80802 München",
     [("person", "Korbinian Hagedorn"), ("street_address", "Leopoldstraße 112")]),
    ("Emergency contact for Neema Mwakyusa: +255 754 318 902 (sister)",
     [("person", "Neema Mwakyusa"), ("phone", "+255 754 318 902")]),
]
# One mixed item carries a generated SSN: (text with {ssn}, labels without the SSN)
SSN_MIXED = ("Employee onboarding — Name: Hodan Warsame; SSN: {ssn}; "
             "Address: 3341 Cedar Ave S, Minneapolis, MN 55407",
             [("person", "Hodan Warsame"), ("street_address", "3341 Cedar Ave S")])

# --------------------------------------------------------------------------- negatives (no PII)

NEGATIVES = [
    # tracking, order, invoice and reference numbers
    "FedEx tracking 7749 3321 0586 — delivered, left at front door.",
    "Amazon order #112-4830261-5517046 arrived with a cracked screen.",
    "China Post RR489201345CN has been held at customs for nine days.",
    "PostNL zending 3SDEVC8245719 is onderweg naar het afhaalpunt.",
    "Rechnungsnummer RE-24-10392, Kundennummer 558213",
    "Policy GL-4471-0093-B renews on 1 September.",
    "Meter ID 0045 9921 7730 (electricity), reading 18234 kWh",
    "VIN 1HGCM82633A004352 was decoded as a 2003 sedan.",
    "EIN 95-3847261 belongs to the nonprofit, not to a person.",
    "Contact: ***@***.com, card ending in 4417",
    # dates and times
    "Date of admission: 17/08/2023, discharge: 21/08/2023.",
    "Termin am 3.12.2024 um 9:30 Uhr, bitte 10 Minuten früher da sein.",
    "Logged at 1717401600 (Unix epoch), processed 1717401623.",
    # versions and firmware (two are IP-shaped)
    "Router firmware 1.0.3.192 adds WPA3 support.",
    "Printer firmware 2.61.14.8 fixes the duplex jam.",
    "Android 14 (build UP1A.231005.007) is rolling out.",
    "Electron 29.1.4 bundles Chromium 122.0.6261.70.",
    "BIOS version 1.12.0 (released 2023-11-08) fixes the fan curve.",
    # coordinates and measurements
    "lat: -1.2921, lng: 36.8219 (Nairobi CBD)",
    "Waypoint 51°30'26.5\"N 0°07'39.0\"W, elevation 21 m",
    "Lab results: Hb 13.2 g/dL, WBC 7.4 ×10⁹/L, platelets 245 ×10⁹/L",
    # hashes, ids, code
    "sha1: 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
    "Content-MD5: 9e107d9d372bb6826bd81d3542a419d6",
    "trace_id=7f3c9a0e5d1b4c28a6e2f90b1d3c5e77 span_id=00f067aa0ba902b7",
    "ULID 01HZX3M6K8J2Q7R5T9V4W1Y0BC was assigned to the upload.",
    "AWS account 409731128856 owns the bucket.",
    "```js\nconst total = items.reduce((sum, i) => sum + i.price * i.qty, 0);\n```",
    "@dataclass\nclass Order:\n    id: int\n    email_verified: bool = False",
    "DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:5432/app",
    'curl -u "$API_USER:$API_TOKEN" https://api.example.com/v1/me',
    "PHONE_RE = r'\\+?\\d{1,3}[ -]?\\(?\\d{2,4}\\)?[ -]?\\d{3,4}[ -]?\\d{3,4}'",
    "@acme_support we've been waiting 3 days for a reply!",
    # companies, brands, places named after people
    "Goldman Sachs and Lazard advised on the deal.",
    "Hewlett-Packard split into two companies in 2015.",
    "Louis Vuitton and Estée Lauder both opened flagship stores on the avenue.",
    "Kellogg's recalled a batch of cereal over a labelling error.",
    "The Dow Jones closed 0.4% higher on Friday.",
    "Siemens and Bosch are hiring apprentices in Nuremberg.",
    "John Lewis and Harvey Nichols both extended their opening hours.",
    "Tommy Hilfiger and Calvin Klein are owned by the same group.",
    "The Carnegie Hall concert sold out in minutes.",
    "Kennedy Space Center postponed the launch because of high winds.",
    "We landed at Simón Bolívar International Airport after a ten-hour flight.",
    "Wrigley Field hosted a doubleheader on Sunday.",
    "Route 66 and Studio 54 are both on the itinerary.",
    "Highway 101 was closed near exit 412 after the landslide.",
    # fictional characters and titles
    "In Breaking Bad, Walter White teaches high-school chemistry.",
    "Hercule Poirot gathers the suspects in the library.",
    "Hermione Granger punches Draco Malfoy in the third book.",
    "Lara Croft returns in the next Tomb Raider game.",
    "Pippi Longstocking lifts her horse with one hand.",
    "Homer Simpson works at the nuclear plant.",
    "We're screening Oppenheimer and then Amélie on Friday.",
    "Oliver Twist and David Copperfield are both on the syllabus.",
    "Bridget Jones's Diary was filmed partly in Borough Market.",
    "Schindler's List won seven Academy Awards.",
    # medical and scientific eponyms
    "Assessment: likely Bell's palsy; no signs of stroke. Plan: prednisolone, eye protection.",
    "PMH: Crohn's disease, Hashimoto's thyroiditis. NKDA.",
    "Positive Murphy's sign; ultrasound booked to rule out cholecystitis.",
    "Apgar scores 8 and 9 at 1 and 5 minutes.",
    "Braxton Hicks contractions; reassured and discharged home.",
    "Use Bayes' theorem and a Kaplan–Meier curve for the survival analysis.",
    "The Levenshtein distance between the two strings is 3.",
    "Gantt charts and Kanban boards both work for this project.",
    "Newton's second law: F = ma.",
    # team and department sign-offs
    "Best,\nThe Sales Team",
    "Warm regards,\nPeople Operations",
    "Cheers,\nThe Platform Team 🚀",
    "Sincerely,\nCustomer Experience Department\nNorthbridge Insurance",
    "Mit freundlichen Grüßen\nIhr Kundenservice",
    "Saludos cordiales,\nEquipo de Atención al Cliente",
    "Cordialement,\nLe service comptabilité",
    "Thanks!\n— Facilities & Workplace",
    "Regards,\nIT Service Desk\n(This mailbox is not monitored.)",
    # capitalised headings, placeholders, common words that are also given names
    "## Known Issues\n- Export times out on large workspaces",
    "EXECUTIVE SUMMARY\nRevenue grew 12% year over year.",
    "Chief Complaint: Shortness of Breath\nHistory of Present Illness: see below",
    "WORK EXPERIENCE · EDUCATION · SKILLS · REFERENCES AVAILABLE ON REQUEST",
    "Action Items\n1. Update the Risk Register\n2. Circulate the Draft Policy",
    "Dear [First Name],\nThanks for signing up!",
    "Name: <PERSON_1>  Phone: <PHONE_1>",
    "Penny wise, pound foolish.",
    "Sandy soil drains quickly, so water the beds daily.",
    "Jack up the car before loosening the wheel nuts.",
    "Iris recognition is disabled on shared devices.",
    "Hazel and walnut trees line the drive.",
    "Gate B22, Terminal 5, boards at 07:40.",
    "Postcode EH1 1YZ is outside the delivery zone.",
]

# --------------------------------------------------------------------------- assembly


def structured_items() -> list[dict]:
    out = [slot_row(context, "phone", draw_without_card(make)) for _, make, context in PHONE_SPECS]
    for _, prefix, length, style, context in CARD_SPECS:
        out.append(slot_row(context, "credit_card", format_card(card_number(rng, prefix, length), style)))
    for i, (country, pattern, context) in enumerate(IBAN_SPECS):
        out.append(slot_row(context, "iban", draw_without_card(make_iban, rng, country, pattern, i % 3 != 1)))
    out += [slot_row(context, "us_ssn", make_ssn(rng, sep)) for sep, context in SSN_CONTEXTS]
    out += [row(text, labels) for text, labels in HAND_STRUCTURED]
    ssn = make_ssn(rng)
    text, labels = SSN_MIXED
    out.append(row(text.format(ssn=ssn), labels[:1] + [("us_ssn", ssn)] + labels[1:]))
    return out


def negative_items() -> list[dict]:
    out = []
    styles = ["dash", "none", "space"]
    for i, context in enumerate(BAD_CARD_CONTEXTS):
        _, prefix, length, _, _ = CARD_SPECS[i % len(CARD_SPECS)]
        number = card_number(rng, prefix, length, valid=False)
        out.append(row(context.format(v=format_card(number, styles[i % 3])), []))
    for j, (i, context) in enumerate(BAD_IBAN_CONTEXTS):
        country, pattern, _ = IBAN_SPECS[i]
        corrupt = "swap" if j == len(BAD_IBAN_CONTEXTS) - 1 else "check"
        v = draw_without_card(make_iban, rng, country, pattern, grouped=j % 2 == 0, corrupt=corrupt)
        out.append(row(context.format(v=v), []))
    return out + negative_rows(BAD_SSN_ITEMS, NEGATIVES)


# --------------------------------------------------------------------------- checks


def check(rows: list[dict]) -> None:
    """The shared checks, in every text, and no overlap with the three earlier sets."""
    known = check_name_lists(rows, FULL_NAMES, GIVEN_NAMES, WRITTEN_FORMS)
    check_rows(rows, known)
    check_no_overlap(rows, OTHER_BUILDERS, known)


if __name__ == "__main__":
    rows = person_rows(PERSON_ITEMS) + structured_items() + negative_items()
    check(rows)
    write_set(rows, HERE / "pii_untouched.jsonl")
