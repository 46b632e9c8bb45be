"""Build the demo company: catalogue, users, customers, equipment, contracts and history.

Everything comes from one ``random.Random(seed)`` (ids included) and every date from
``today``, so the same seed and day always give the same rows. Rows are bulk-inserted in
dependency order inside one transaction: a failure leaves the database empty.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time

from app import clock
from app.demo import history, reports
from app.demo.french import FIRST_NAMES, LAST_NAMES
from app.demo.office_queue import add_submitted_slips
from app.demo.parts import catalogue
from app.demo.procedures import INTERVENTION_TYPES, PROCEDURES
from app.demo.records import CustomerRec, TechRec, TypeRec, Writer
from app.demo.sites import build_customers, luhn_complete, vat_number
from app.errors import ValidationError
from app.models import (
    ChecklistItem,
    Company,
    InterventionType,
    Part,
    Procedure,
    ProcedureStep,
    Technician,
    User,
    VanStockLine,
    Vehicle,
    db,
)
from app.models.enums import Role
from app.services.passwords import hash_password

DEMO_PASSWORD = "demo"

ACCOUNTS_HELP = """\
Comptes de démonstration / Demo accounts — mot de passe / password: demo
  tech1, tech2, tech3  technicien·ne·s / technicians (« large » : aussi / also tech4…tech30)
  office               chef de service / office user"""


@dataclass(frozen=True)
class _Size:
    customers: int
    technicians: int
    years: int
    repairs_per_year: float  # per equipment
    min_history: int  # past interventions to reach at least
    detail_share: float  # share of past interventions with answers, times and parts


SIZES = {
    "small": _Size(
        customers=40, technicians=3, years=2, repairs_per_year=0.9, min_history=0, detail_share=1.0
    ),
    "large": _Size(
        customers=2000,
        technicians=30,
        years=5,
        repairs_per_year=1.4,
        min_history=101_000,
        detail_share=0.02,
    ),
}

_TECHNICIANS = [
    ("Julien", "Moreau", "Chaudières gaz et fioul, combustion"),
    ("Sophie", "Garnier", "Pompes à chaleur, fluides frigorigènes (attestation de capacité)"),
    ("Karim", "Benali", "CTA, ventilation, régulation"),
]
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"


def is_empty() -> bool:
    """True when the bound database has no users (a new install)."""
    return not User.select().exists()


def generate(size: str = "small", seed: int = 42, today: date | None = None) -> str:
    """Fill the bound, empty database with demo data; return a one-line summary."""
    if size not in SIZES:
        raise ValidationError(
            f"Unknown demo size {size!r}.", field="size", hint="Use 'small' or 'large'."
        )
    if not is_empty():
        raise ValidationError(
            "The database already has data; demo data goes only into an empty database: "
            "use `demo --reset` to start again.",
            hint="Run `python main.py demo --reset` (this deletes the local database).",
        )
    today = today or clock.today()
    rng = random.Random(seed)
    writer = Writer(rng, datetime.combine(today, time(6, 0)))
    spec = SIZES[size]
    with db.atomic():
        _company(writer)
        techs, office = _users(writer, spec.technicians)
        types = _catalogue(writer)
        parts = _parts(writer, techs)
        customers = build_customers(
            writer, today, spec.customers, len(techs), types, large=size == "large"
        )
        result = history.build(writer, today, spec, customers, techs, types, parts, office)
        writer.flush()
        reports.build(writer, today)  # reads the visits just written
        writer.flush()
        add_submitted_slips()  # the office's queue "Bons à valider"
    return _summary(writer.counts, customers, result)


def _company(w: Writer) -> None:
    siren = int(luhn_complete(f"{w.rng.randrange(30_000_000, 99_999_999):08d}"))
    w.add(
        Company,
        w.origin,
        name="Rhône Thermique Services",
        legal_form="SAS au capital de 150 000 €",
        address_line="14 rue des Tuiliers",
        postal_code="69008",
        city="Lyon",
        siret=luhn_complete(f"{siren:09d}0001"),
        vat_number=vat_number(siren),
        phone="04 78 00 12 34",
        email="contact@rhone-thermique.fr",
        payment_terms="Paiement à 30 jours date de facture, sans escompte. Pénalités de retard : "
        "3 fois le taux d'intérêt légal ; indemnité forfaitaire de recouvrement : 40 €.",
    )


def _users(w: Writer, count: int) -> tuple[list[TechRec], str]:
    """The technicians, and the id of the office user (who writes notes on jobs)."""
    rng = w.rng
    techs: list[TechRec] = []
    people = list(_TECHNICIANS)
    while len(people) < count:
        people.append((rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), "Polyvalent"))
    plates: set[str] = set()
    for index, (first, last, skills) in enumerate(people, start=1):
        user_id = w.add(
            User,
            w.origin,
            username=f"tech{index}",
            password_hash=hash_password(DEMO_PASSWORD, salt=rng.randbytes(16)),
            display_name=f"{first} {last}",
            role=Role.TECHNICIAN,
            email=f"tech{index}@rhone-thermique.fr",
        )
        tech_id = w.add(Technician, w.origin, user=user_id, phone=_mobile(rng), skills=skills)
        plate = ""
        while not plate or plate in plates:
            letters = "".join(rng.choice(_PLATE_LETTERS) for _ in range(4))
            plate = f"{letters[:2]}-{rng.randrange(100, 1000)}-{letters[2:]}"
        plates.add(plate)
        label = rng.choice(["Renault Master", "Peugeot Partner", "Citroën Jumpy", "Ford Transit"])
        w.add(Vehicle, w.origin, registration=plate, label=label, technician=tech_id)
        techs.append(TechRec(tech_id, user_id, index - 1, f"{first} {last}"))
    office = w.add(
        User,
        w.origin,
        username="office",
        password_hash=hash_password(DEMO_PASSWORD, salt=rng.randbytes(16)),
        display_name="Nathalie Roussel",
        role=Role.OFFICE,
        email="planning@rhone-thermique.fr",
    )
    return techs, office


def _mobile(rng: random.Random) -> str:
    groups = " ".join(f"{rng.randrange(100):02d}" for _ in range(4))
    return f"0{rng.choice('67')} {groups}"


def _catalogue(w: Writer) -> dict[str, TypeRec]:
    types: dict[str, TypeRec] = {}
    for code, label, minutes, preventive, equipment_types in INTERVENTION_TYPES:
        type_id = w.add(
            InterventionType,
            w.origin,
            code=code,
            label=label,
            default_duration_min=minutes,
            preventive=preventive,
        )
        proc_code, name, equipment_type, description, steps = PROCEDURES[code]
        proc_id = w.add(
            Procedure,
            w.origin,
            code=proc_code,
            name=name,
            intervention_type=type_id,
            equipment_type=equipment_type,
            description=description,
        )
        rec = TypeRec(code, type_id, label, minutes, preventive, equipment_types, proc_id, [])
        for position, (title, explanation, items) in enumerate(steps, start=1):
            step_id = w.add(
                ProcedureStep,
                w.origin,
                procedure=proc_id,
                position=position,
                title=title,
                explanation=explanation,
            )
            for item_position, spec in enumerate(items, start=1):
                fields = {k: v for k, v in spec.items() if k != "typical"}
                fields.setdefault("required", True)
                item_id = w.add(
                    ChecklistItem, w.origin, step=step_id, position=item_position, **fields
                )
                rec.items.append((item_id, spec))
        types[code] = rec
    return types


_VAN_CATEGORIES = [
    "thermocouple",
    "electrode",
    "gicleur",
    "joint",
    "filtre_fioul",
    "filtre_eau",
    "filtre_air",
    "vase",
    "soupape",
    "circulateur",
    "sonde",
    "vanne",
    "purgeur",
    "pressostat",
    "courroie",
    "anode",
    "groupe_securite",
    "resistance",
    "fluide",
    "tube",
    "consommable",
]


def _parts(w: Writer, techs: list[TechRec]) -> dict[str, list[dict]]:
    """Insert the catalogue and the van stock; return parts by category."""
    by_category: dict[str, list[dict]] = {}
    for row in catalogue(w.rng):
        row["id"] = w.add(Part, w.origin, **row)
        by_category.setdefault(row["category"], []).append(row)
    carried = [p for c in _VAN_CATEGORIES for p in by_category.get(c, [])]
    for tech in techs:
        for part in w.rng.sample(carried, 40):
            minimum = float(w.rng.choice((1, 1, 2, 2, 3, 5)))
            if part["fractional"]:
                minimum = float(w.rng.choice((2, 5, 10))) if part["unit"] == "m" else 1.0
            quantity = minimum * w.rng.choice((0, 0.5, 1, 1, 1.5, 2, 2, 3))
            if part["fractional"]:
                quantity = round(quantity + w.rng.random(), 1)
            w.add(
                VanStockLine,
                w.origin,
                technician=tech.id,
                part=part["id"],
                quantity=float(round(quantity)) if not part["fractional"] else quantity,
                minimum=minimum,
            )
    return by_category


def _summary(counts, customers: list[CustomerRec], result: history.Result) -> str:
    def n(value: int) -> str:
        return f"{value:,}".replace(",", " ")

    sites = sum(len(c.sites) for c in customers)
    return (
        f"{n(counts['technicians'])} technicians, {n(counts['customers'])} customers, "
        f"{n(sites)} sites, {n(counts['equipment'])} equipment, "
        f"{n(counts['interventions'])} interventions ({n(result.today)} today, "
        f"{n(result.upcoming)} upcoming), {n(counts['parts'])} parts, "
        f"{n(counts['contracts'])} contracts, {n(counts['checklist_answers'])} checklist answers, "
        f"{n(counts['measurements'])} measurements, {n(counts['meter_readings'])} meter readings"
    )
