"""One intervention and what a technician records during it: answers, measurements,
meter readings, time entries and parts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from app.demo.parts import PREVENTIVE_NOTES, PREVENTIVE_PARTS, REPAIRS
from app.demo.records import CustomerRec, EquipmentRec, TechRec, TypeRec, Writer
from app.models import (
    ChecklistAnswer,
    Comment,
    Intervention,
    Measurement,
    MeterReading,
    PartUsage,
    PlannedPart,
    TimeEntry,
)
from app.models.enums import InterventionStatus as S
from app.models.enums import StockSource, TimeKind, Visibility

_ADVICE = [
    "Purger les radiateurs en début de saison.",
    "Baisser la consigne de 3 °C la nuit.",
    "Ne pas obstruer les entrées d'air du local.",
    "Surveiller la pression : 1 à 2 bar.",
    "Dégager les abords de l'unité extérieure.",
]
_REMARKS = [
    "RAS.",
    "Installation propre et accessible.",
    "Client présent, explications données.",
    "Local encombré : demander de dégager l'accès.",
    "Bon état général.",
]
_UP = ("CO", "Perte de charge", "Température des fumées", "Surchauffe", "Intensité")
# Notes on jobs: the office's before the visit (internal), the technician's after it
# (internal, or for the customer: they go on the report).
_OFFICE_NOTES = [
    "Client prévenu : passage entre 14 h et 16 h.",
    "Code portail 2580B. Chien dans le jardin : sonner avant d'entrer.",
    "Facture du dernier passage contestée : bien détailler les pièces et le temps.",
    "Gardien absent le lundi : clés à l'accueil du syndic, 2e étage.",
    "Client malentendant : appeler le portable de sa fille (contact du site).",
    "Stationnement difficile : parking du supermarché à 200 m.",
    "Demande de devis pour remplacement à chiffrer sur place.",
]
_TECH_NOTES = [
    "Vase d'expansion fatigué : prévoir le remplacement à la prochaine visite.",
    "Accès chaufferie encombré, signalé au gardien.",
    "Client intéressé par une pompe à chaleur : transmettre au commercial.",
    "Joint de porte foyer à changer, pièce à commander.",
    "Installation vieillissante : proposer un contrat d'entretien.",
]
_CLIENT_NOTES = [
    "Pensez à purger les radiateurs en début de saison.",
    "Ne rien stocker devant la chaudière : l'air de combustion doit circuler.",
    "Pression à surveiller : entre 1 et 2 bar à froid.",
    "Filtre remplacé ; prochain changement conseillé dans 6 mois.",
    "Appareil en bon état ; prochaine visite d'entretien dans un an.",
]


@dataclass
class Visit:
    """Everything needed to write one intervention."""

    customer: CustomerRec
    equipment: EquipmentRec
    type: TypeRec
    tech: TechRec | None
    start: datetime
    minutes: int
    status: S
    priority: str
    repair: tuple | None = None
    planned_parts: list = field(default_factory=list)
    notes: bool = True  # may carry comments


class VisitWriter:
    def __init__(self, w: Writer, parts: dict[str, list[dict]], office: str) -> None:
        self.w = w
        self.rng = w.rng
        self.parts = parts
        self.office = office  # the office user's id: author of the notes before a visit
        self.numbers: Counter[int] = Counter()

    def repair_for(self, equipment: EquipmentRec) -> tuple:
        return self.rng.choice([r for r in REPAIRS if equipment.kind in r[0]])

    def write(self, v: Visit, details: bool) -> str:
        rng, w = self.rng, self.w
        self.numbers[v.start.year] += 1
        end = v.start + timedelta(minutes=v.minutes)
        done = v.status not in (S.PLANNED, S.ASSIGNED, S.EN_ROUTE, S.CANCELLED)
        started = v.start + timedelta(minutes=rng.randrange(-10, 25)) if done else None
        if v.status == S.IN_PROGRESS:
            started = v.start + timedelta(minutes=5)
        finished = None
        if done and v.status != S.IN_PROGRESS:
            finished = started + timedelta(minutes=round(v.minutes * rng.uniform(0.7, 1.2)))
        problem = diagnosis = operations = summary = ""
        contract = v.customer.contract
        if v.type.code == "DEP":
            _kinds, problem, diagnosis, operations, _cat = v.repair
            summary = "Dépannage effectué, appareil remis en service."
        elif v.type.code == "MES":
            problem = f"Mise en service de l'appareil neuf ({v.equipment.label})."
            diagnosis, operations = (
                "Installation conforme.",
                "Remplissage, purge, réglages, essais.",
            )
            summary = "Mise en service effectuée ; certificat de garantie transmis au fabricant."
        else:
            diagnosis, operations, summary = rng.choice(PREVENTIVE_NOTES)
        if finished is None:
            diagnosis = operations = summary = ""
        lead = timedelta(days=rng.randrange(7, 40)) if v.type.preventive else timedelta(hours=20)
        updated = (finished or v.start - lead) + timedelta(days=rng.randrange(0, 9))
        intervention_id = w.add(
            Intervention,
            v.start - lead,
            updated,
            reference=f"INT-{v.start.year}-{self.numbers[v.start.year]:06d}",
            customer=v.customer.id,
            site=v.equipment.site.id,
            equipment=v.equipment.id,
            intervention_type=v.type.id,
            procedure=v.type.procedure_id,
            contract=contract.id
            if contract
            and contract.active_on(v.start.date())
            and v.type.code in contract.type_codes
            else None,
            technician=v.tech.id if v.tech else None,
            status=v.status,
            priority=v.priority,
            scheduled_start=v.start,
            scheduled_end=end,
            requested_by=v.customer.contact if not v.type.preventive else "Planning contrat",
            problem_reported=problem,
            diagnosis=diagnosis,
            operations=operations,
            summary=summary,
            started_at=started,
            finished_at=finished,
        )
        for part, quantity in v.planned_parts:
            w.add(
                PlannedPart,
                v.start - lead,
                intervention=intervention_id,
                part=part["id"],
                quantity=quantity,
            )
        if v.tech and details and v.status not in (S.PLANNED, S.ASSIGNED, S.CANCELLED):
            self._details(intervention_id, v, started, finished, problem)
        if v.notes and v.status != S.CANCELLED:
            self._comments(intervention_id, v, v.start - lead, finished)
        return intervention_id

    def _comments(self, intervention_id: str, v: Visit, booked: datetime, finished) -> None:
        """A note from the office on a job now and then; after a visit, the technician's."""
        rng, w = self.rng, self.w
        notes: list[tuple[datetime, str, str, str]] = []
        if rng.random() < 0.2:
            at = booked + timedelta(hours=rng.randrange(1, 48))
            notes.append((at, self.office, Visibility.INTERNAL, rng.choice(_OFFICE_NOTES)))
        if finished is not None and v.tech and rng.random() < 0.35:
            tech = v.tech.user_id
            if rng.random() < 0.5:
                notes.append((finished, tech, Visibility.INTERNAL, rng.choice(_TECH_NOTES)))
            if rng.random() < 0.7:
                notes.append((finished, tech, Visibility.CLIENT, rng.choice(_CLIENT_NOTES)))
        for at, author, visibility, body in notes:
            w.add(Comment, at, intervention=intervention_id, author=author,
                  visibility=visibility, body=body)  # fmt: skip

    def parts_for(self, v: Visit) -> list[tuple[dict, float]]:
        """Parts a visit uses (or will need): the repair's category, sometimes a consumable."""
        rng = self.rng
        if v.type.code == "DEP":
            category = v.repair[4]
        elif v.type.preventive and rng.random() < 0.35:
            category = rng.choice(PREVENTIVE_PARTS[v.equipment.kind])
        else:
            return []
        if category is None:
            return []
        choices = self.parts[category]
        branded = [p for p in choices if v.equipment.brand in p["name"]]
        part = rng.choice(branded or choices)
        quantity = 1.0
        if part["unit"] == "kg":
            quantity = round(rng.uniform(0.3, 2.5), 2)
        elif part["unit"] in ("m", "l"):
            quantity = round(rng.uniform(0.5, 4.0), 1)
        elif category == "filtre_air":
            quantity = float(rng.choice((2, 4, 6)))
        return [(part, quantity)]

    def _details(self, intervention_id, v: Visit, started, finished, problem) -> None:
        rng, w, tech = self.rng, self.w, v.tech
        travel = timedelta(minutes=rng.randrange(10, 45))
        arrival = started or v.start
        w.add(
            TimeEntry,
            arrival - travel,
            arrival,
            intervention=intervention_id,
            technician=tech.id,
            kind=TimeKind.TRAVEL,
            started_at=arrival - travel,
            ended_at=arrival if started else None,
        )
        if started is None:
            return
        w.add(
            TimeEntry,
            started,
            finished,
            intervention=intervention_id,
            technician=tech.id,
            kind=TimeKind.WORK,
            started_at=started,
            ended_at=finished,
        )
        items = v.type.items
        if finished is None:  # in progress: the first steps only
            items = items[: max(3, len(items) // 3)]
        span = ((finished or started + timedelta(minutes=30)) - started).total_seconds()
        day = v.start.date()
        wear = min(1.0, (day - v.equipment.install).days / 7300)
        meters = {m.name: m for m in v.equipment.meters}
        for index, (item_id, spec) in enumerate(items):
            at = started + timedelta(seconds=round(span * (index + 0.5) / max(1, len(items))))
            answer = self._answer(spec, v, wear, problem, meters, day)
            if answer is None:
                continue
            text, number, out = answer
            w.add(
                ChecklistAnswer,
                at,
                intervention=intervention_id,
                item=item_id,
                value_text=text,
                value_number=number,
                out_of_tolerance=out,
                answered_by=tech.user_id,
                answered_at=at,
            )
            if spec["kind"] == "numeric":
                w.add(
                    Measurement,
                    at,
                    intervention=intervention_id,
                    equipment=v.equipment.id,
                    item=item_id,
                    label=spec["label"],
                    value=number,
                    unit=spec["unit"],
                    min_value=spec["min_value"],
                    max_value=spec["max_value"],
                    out_of_tolerance=out,
                    measured_at=at,
                )
            elif spec["kind"] == "meter":
                w.add(
                    MeterReading,
                    at,
                    meter=meters[spec["meter_name"]].id,
                    intervention=intervention_id,
                    value=number,
                    read_at=at,
                )
        if finished is None:
            return
        for part, quantity in self.parts_for(v):
            serial = f"SN{rng.randrange(10**7, 10**8)}" if part["has_serial"] else ""
            source = StockSource.VAN if rng.random() < 0.85 else StockSource.ELSEWHERE
            w.add(
                PartUsage,
                finished,
                intervention=intervention_id,
                part=part["id"],
                technician=tech.id,
                quantity=quantity,
                serial_number=serial,
                source=source,
                recorded_at=finished - timedelta(minutes=10),
            )

    def _answer(self, spec, v: Visit, wear: float, problem: str, meters, day: date):
        """(value_text, value_number, out_of_tolerance) for an item, or None if unanswered."""
        rng, kind = self.rng, spec["kind"]
        if kind == "check":
            return "done", None, False
        if kind == "yes_no_na":
            value = spec["typical"] if rng.random() < 0.9 else rng.choice(("yes", "no", "na"))
            return value, None, False
        if kind == "choice":
            choices = spec["choices"]
            return (choices[0] if rng.random() < 0.6 else rng.choice(choices)), None, False
        if kind == "meter":
            meter = meters.get(spec["meter_name"])
            return None if meter is None else (None, meter.value_on(day), False)
        if kind == "numeric":
            return self._numeric(spec, wear)
        if kind == "text":
            label = spec["label"]
            if label.startswith("Symptômes"):
                return problem or "Contrôle demandé par le client.", None, False
            if label.startswith("Numéro de série"):
                return v.equipment.serial, None, False
            if not spec["required"] and rng.random() < 0.5:
                return None
            if label.startswith("Code défaut"):
                return rng.choice(("F28", "E133", "A0", "H02", "Aucun")), None, False
            if label.startswith("Numéro du certificat"):
                return f"GAR-{rng.randrange(10**6, 10**7)}", None, False
            pool = _ADVICE if label.startswith("Conseils") else _REMARKS
            return rng.choice(pool), None, False
        return None  # photos: the demo carries no media

    def _numeric(self, spec, wear: float):
        rng = self.rng
        low, high = spec["typical"]
        lo, hi = spec["min_value"], spec["max_value"]
        direction = 0
        if spec["label"].startswith("Rendement") or spec["label"].startswith("Diamètre"):
            direction = -1
        elif spec["label"].startswith(_UP):
            direction = 1
        value = rng.uniform(low, high) + direction * wear * (high - low) * 0.4
        if rng.random() < 0.04:  # a value out of tolerance now and then
            margin = (high - low) * rng.uniform(0.1, 0.4) + 0.01
            if hi is not None and (direction >= 0 or lo is None):
                value = hi + margin
            elif lo is not None:
                value = lo - margin
        value = round(value, 2 if high - low < 5 else 1)
        out = (lo is not None and value < lo) or (hi is not None and value > hi)
        return None, value, out
