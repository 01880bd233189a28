"""Builds tests/data/pii_labelled.jsonl, the labelled set the PII detector is scored on.

Every item is {"text", "pii": [{"kind", "value"}]}; an empty list means the text has none.
Names are written here by hand (not drawn from Faker, whose lists the detector uses), in a dozen
languages, some in no gazetteer at all; structured values are made with valid checksums, and
the look-alikes carry invalid checksums or are numbers that merely look like PII (dates,
versions, order numbers, prices, ISBNs). Run it again after editing: python tests/data/build_pii_set.py
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # tests/data is not a package; the shared helpers live beside this file
from pii_set_kit import (  # noqa: E402
    card_number, check_rows, group_by_four, iban_check_digits, random_digits, row, write_set,
)

rng = random.Random(20261121)

NAMES = [
    "John Smith", "Emily Clarke", "Michael O'Brien", "Sarah Johnson", "David Miller", "Laura Bennett",
    "Hans Müller", "Anna Schmidt", "Jürgen Weber", "Katrin Fischer", "Lukas Becker", "Sophie Wagner",
    "Jean Dupont", "Marie Lefèvre", "Pierre Moreau", "Camille Girard", "Élodie Fournier", "Luc Bernard",
    "Carlos García", "Lucía Fernández", "Javier Martínez", "Carmen López", "Alejandro Ruiz", "Sofía Romero",
    "Giulia Rossi", "Marco Bianchi", "Francesca Esposito", "Luca Romano", "Chiara Ricci", "Matteo Colombo",
    "João Silva", "Ana Oliveira", "Pedro Santos", "Beatriz Costa", "Tiago Pereira", "Mariana Souza",
    "Jan de Vries", "Sanne Jansen", "Pieter Bakker", "Katarzyna Nowak", "Piotr Kowalski", "Agnieszka Wiśniewska",
    "Erik Johansson", "Ingrid Lindqvist", "Mehmet Yılmaz", "Ayşe Demir", "Priya Sharma", "Rahul Gupta",
    "Wei Zhang", "Li Na", "Yuki Tanaka", "Haruto Sato", "Min-jun Kim", "Seo-yeon Park",
    "Olga Ivanova", "Dmitri Petrov", "Kwame Mensah", "Amara Okafor", "Ahmed Hassan", "Fatima Al-Sayed",
    "Nguyen Van An", "Siobhan Murphy", "Liam O'Connor", "Aroha Ngata", "Tomasz Zieliński", "Eva Novak",
]
NAME_TEMPLATES = [
    "Please forward the report to {n} before Friday.", "{n} called about the delayed shipment.",
    "Meeting notes: {n} will present the budget.", "My name is {n} and I need help with my account.",
    "Dear {n}, your appointment is confirmed.", "The patient, {n}, reported mild symptoms.",
    "Signed, {n}", "Ask for {n} at the front desk.", "Thanks, {n}!", "Dr. {n} reviewed the scan.",
    "According to {n}, the results look promising.", "Hi {n}, can you check the invoice?",
]
NEGATIVES = [
    "The meeting is on 2024-03-15 at 10:30.", "Update to version 2.14.1 before Monday.", "Order #48213997 has shipped.",
    "The total is $1,249.99 including tax.", "ISBN 978-0-306-40615-7 is out of print.", "Room 404 is on the fourth floor.",
    "Will the May release include the new parser?", "Grant writing takes time.", "The Rose Garden opens in June.",
    "Mark the box if you agree.", "Summer in Victoria is mild.", "Jordan and Georgia are countries.",
    "New York and Los Angeles are large cities.", "Apple and Amazon reported earnings.", "Call the help desk for support.",
    "Set the timeout to 3000 ms.", "Python 3.11.7 is installed.", "The ratio was 1.2.3 in the old spec.",
    "Temperature rose to 38.5 degrees.", "Use port 8080 for the dev server.", "The population is 8,336,817.",
    "Chapter 12, section 4.3.2, explains it.", "The river Thames flows through London.", "Open the file report_2024_final.pdf.",
    "Hope is not a strategy.", "The Art of Computer Programming is a classic.", "Faith and reason were debated.",
    "Parliament Square was busy.", "The quick brown fox jumps over the lazy dog.", "Stock rose 4.5% on Tuesday.",
    "Invoice INV-2024-00017 is overdue.", "Flight BA 2490 departs at 18:45.", "The lab measured 0.0034 mol/L.",
    "Reference code A1B2C3D4E5 is valid.", "Sunny with a chance of rain.", "Price range: 100-200 EUR.",
    "The Golden Gate Bridge is red.", "Our API returns HTTP 429 when busy.", "Tesla cars charge quickly.",
    "Dawn broke over the hills.", "Christian holidays include Easter.", "The Amazon river is long.",
    "Brown rice and green tea.", "King's College and Queen's Park.", "We met in Paris and Florence.",
    "Ray tracing improves realism.", "The dean's list was posted.", "Miles per hour is a unit.",
    "Phoenix and Austin are growing.", "Page 12 of 300.", "A Long Way Down is a novel.",
]


def card(valid: bool) -> str:
    prefix = rng.choice(["4", "51", "55", "37", "6011"])
    return group_by_four(card_number(rng, prefix, 15 if prefix == "37" else 16, valid))


def iban(valid: bool) -> str:
    country, length = rng.choice([("DE", 22), ("GB", 22), ("FR", 27), ("ES", 24), ("NL", 18), ("IT", 27)])
    bban = random_digits(rng, length - 4)
    if country in ("GB", "NL"):
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + bban[4:]
    check = iban_check_digits(country, bban)
    if not valid:
        check = (check + rng.randint(1, 50)) % 97 + 2
    return group_by_four(f"{country}{check:02d}{bban}")


def ssn() -> str:
    return f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def phone() -> str:
    return rng.choice([
        f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
        f"{rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
        f"+44 20 {rng.randint(7000, 8999)} {rng.randint(0, 9999):04d}",
        f"+49 30 {rng.randint(1000000, 9999999)}", f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)} {rng.randint(10, 99)}", f"020 {rng.randint(7000, 8999)} {rng.randint(0, 9999):04d}",
        f"+1 {rng.randint(201, 989)} {rng.randint(200, 999)} {rng.randint(0, 9999):04d}",
    ])


def email(name: str) -> str:
    local = name.lower().replace(" ", ".").replace("'", "")
    local = local.encode("ascii", "ignore").decode() or "user"
    return f"{local}{rng.randint(1, 99)}@{rng.choice(['example.com', 'mail.example.org', 'corp.example.net'])}"


def ip() -> str:
    if rng.random() < 0.8:
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))
    return f"2001:db8:{rng.randint(1, 0xffff):x}::{rng.randint(1, 0xffff):x}"


def address() -> str:
    return rng.choice([
        f"{rng.randint(1, 9999)} {rng.choice(['Maple', 'Oak', 'Elm', 'Sunset', 'Harbor'])} "
        f"{rng.choice(['Street', 'Avenue', 'Road', 'Lane', 'Drive'])}",
        f"{rng.choice(['Haupt', 'Garten', 'Linden', 'Berg'])}straße {rng.randint(1, 200)}",
        f"{rng.randint(1, 150)} rue de la {rng.choice(['Paix', 'République', 'Gare'])}",
        f"Calle {rng.choice(['Mayor', 'Alcalá', 'Serrano'])} {rng.randint(1, 200)}",
        f"Via {rng.choice(['Roma', 'Garibaldi', 'Dante'])} {rng.randint(1, 200)}",
    ])


def credentials_url() -> str:
    return f"{rng.choice(['postgres', 'https', 'mysql', 'ftp'])}://{rng.choice(['admin', 'svc', 'deploy'])}:" \
           f"{rng.choice(['s3cret', 'hunter2', 'P4ssw0rd!'])}@{rng.choice(['db.internal', 'example.com'])}"


def items() -> list[dict]:
    out = []
    for name in NAMES:  # every name in two templates
        for t in rng.sample(NAME_TEMPLATES, 2):
            out.append(row(t.format(n=name), [("person", name)]))
    structured = [
        ("email", lambda: email(rng.choice(NAMES)), "Write to {v} for details."),
        ("phone", phone, "You can reach the office on {v} after 9am."),
        ("credit_card", lambda: card(True), "Charge it to card {v}, expiry 09/27."),
        ("iban", lambda: iban(True), "Transfer the deposit to {v} by Monday."),
        ("us_ssn", ssn, "Applicant SSN: {v}."),
        ("ip_address", ip, "Login attempts came from {v} overnight."),
        ("street_address", address, "Deliver the parcel to {v}."),
        ("url_credentials", credentials_url, "The job connects with {v}/app every hour."),
    ]
    for kind, make, template in structured:
        for _ in range(20):
            v = make()
            out.append(row(template.format(v=v), [(kind, v)]))
    for _ in range(12):  # look-alikes with broken checksums: not PII
        out.append(row(f"Test card {card(False)} must be rejected.", []))
        out.append(row(f"The sample IBAN {iban(False)} fails validation.", []))
    out += [row(t, []) for t in NEGATIVES]
    # credentials URLs are drawn from few parts, so one text comes out twice: texts are not unique here
    check_rows(out, set(NAMES), unique_texts=False)
    return out


if __name__ == "__main__":
    write_set(items(), HERE / "pii_labelled.jsonl")
