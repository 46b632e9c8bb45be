"""Customers, their sites, contacts, equipment with meters, and contracts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.demo import french as fr
from app.demo.records import (
    ContractRec,
    CustomerRec,
    EquipmentRec,
    MeterRec,
    SiteRec,
    TypeRec,
    Writer,
)
from app.models import (
    Contact,
    Contract,
    ContractEquipment,
    ContractInterventionType,
    Customer,
    Equipment,
    Meter,
    Site,
)
from app.models.enums import CustomerKind

# customer kind -> equipment kinds a site may have (first is the main one), visits per year
_NEEDS = {
    "individual": (("boiler", "heat_pump"), ("water_heater", "ventilation"), 1),
    "syndic": (("boiler",), ("boiler", "water_heater", "ventilation"), 2),
    "restaurant": (("boiler", "heat_pump"), ("air_handling_unit", "water_heater", "chiller"), 2),
    "school": (("boiler",), ("air_handling_unit", "ventilation", "boiler"), 1),
    "office": (("heat_pump", "chiller"), ("air_handling_unit", "ventilation"), 2),
    "care": (("boiler",), ("air_handling_unit", "water_heater", "chiller", "boiler"), 4),
    "hotel": (("boiler", "heat_pump"), ("air_handling_unit", "water_heater"), 2),
}
_KIND_WEIGHTS = (
    ("syndic", 7),
    ("restaurant", 5),
    ("school", 4),
    ("office", 5),
    ("care", 3),
    ("hotel", 2),
)
_CONTRACTS = [  # label, labour, parts, travel, weight
    ("Contrat d'entretien P2 (main-d'œuvre et déplacements)", True, False, True, 45),
    ("Contrat P2 + P3 garantie totale (pièces, main-d'œuvre, déplacements)", True, True, True, 30),
    ("Contrat d'entretien simple (main-d'œuvre de la visite annuelle)", True, False, False, 25),
]


def preventive_types(kind: str, energy: str, types: dict[str, TypeRec]) -> list[str]:
    """Preventive intervention types due on an equipment (fuel boilers also need sweeping)."""
    codes = [t.code for t in types.values() if t.preventive and kind in t.equipment_types]
    if kind == "boiler" and "Fioul" not in energy:
        codes.remove("RAM")
    return codes


def build_customers(
    w: Writer, today: date, count: int, techs: int, types: dict[str, TypeRec], *, large: bool
) -> list[CustomerRec]:
    rng = w.rng
    customers: list[CustomerRec] = []
    companies = round(count * 0.65)
    for index in range(count):
        kind = "individual"
        if index < companies:
            kind = rng.choices([k for k, _ in _KIND_WEIGHTS], [n for _, n in _KIND_WEIGHTS])[0]
        busy = large and index == 0
        customers.append(_customer(w, today, index + 1, kind, techs, types, busy))
    return customers


def _customer(w, today, number, kind, techs, types, busy) -> CustomerRec:
    rng = w.rng
    created = w.origin - timedelta(days=rng.randrange(60, 3000))
    first, last = rng.choice(fr.FIRST_NAMES), rng.choice(fr.LAST_NAMES)
    city = rng.choice(fr.CITIES)
    values = {"code": f"C{number:05d}", "phone": _phone(rng, city[1])}
    if kind == "individual":
        name = f"{last.upper()} {first}"
        values.update(kind=CustomerKind.INDIVIDUAL, email=_email(first, last, "orange.fr"))
        site_count = 1
    else:
        _k, patterns, _sites, _jobs = next(k for k in fr.COMPANY_KINDS if k[0] == kind)
        name = rng.choice(patterns).format(
            r=rng.choice(fr.RESIDENCE_NAMES),
            s=rng.choice(fr.SHOP_NAMES),
            p=rng.choice(fr.PEOPLE_NAMES),
            n=last,
        )
        if busy:
            name, kind = "Centre hospitalier Saint-Luc", "care"
        siren = int(luhn_complete(f"{rng.randrange(30_000_000, 99_999_999):08d}"))
        values.update(
            kind=CustomerKind.COMPANY,
            siret=luhn_complete(f"{siren:09d}{rng.randrange(1, 100):04d}"),
            vat_number=vat_number(siren),
            email=f"contact@{_slug(name)[:24]}.fr",
        )
        site_count = 1 if busy else rng.choice((1, 2, 2, 3, 3))
    address = _address(rng, city)
    values["billing_address"] = f"{address}\n{city[1]} {city[0]}"
    customer_id = w.add(Customer, created, name=name, **values)
    rec = CustomerRec(customer_id, name, kind, f"{first} {last}")
    for site_index in range(site_count):
        site_city = city if site_index == 0 else rng.choice(fr.CITIES)
        _site(w, rec, created, site_index, site_city, techs, types, busy)
    if busy or rng.random() < (0.6 if kind == "individual" else 0.85):
        _contract(w, today, rec, created, number, types, busy)
    return rec


def _site(w, customer, created, index, city, techs, types, busy) -> None:
    rng = w.rng
    if customer.kind == "individual":
        name = "Domicile"
    elif busy:
        name = "Chaufferie centrale"
    else:
        _k, _p, site_names, _j = next(k for k in fr.COMPANY_KINDS if k[0] == customer.kind)
        name = site_names[index % len(site_names)]
    gps = rng.random() < 0.8
    site_id = w.add(
        Site,
        created,
        customer=customer.id,
        name=name,
        address_line=_address(rng, city),
        postal_code=city[1],
        city=city[0],
        latitude=round(city[2] + rng.uniform(-0.012, 0.012), 6) if gps else None,
        longitude=round(city[3] + rng.uniform(-0.016, 0.016), 6) if gps else None,
        access_notes=rng.choice(fr.ACCESS_NOTES),
    )
    site = SiteRec(site_id, name, customer, rng.randrange(techs), busy=busy)
    customer.sites.append(site)
    first, last = rng.choice(fr.FIRST_NAMES), rng.choice(fr.LAST_NAMES)
    if customer.kind == "individual":
        first, last = customer.contact.split(" ", 1)
        job = ""
    else:
        job = rng.choice(next(k for k in fr.COMPANY_KINDS if k[0] == customer.kind)[3])
        customer.contact = f"{first} {last}"
    w.add(
        Contact,
        created,
        customer=customer.id,
        site=site_id,
        first_name=first,
        last_name=last,
        job_title=job,
        phone=_phone(rng, "06"),
        email=_email(first, last, "gmail.com"),
    )
    main_kinds, extra_kinds, _visits = _NEEDS[customer.kind]
    kinds = [rng.choice(main_kinds)]
    if busy:
        kinds = ["boiler"] * 4 + ["chiller", "chiller", "air_handling_unit", "air_handling_unit"]
    elif customer.kind != "individual" or rng.random() < 0.4:
        kinds += rng.sample(extra_kinds, rng.choice((0, 1, 1, 2)))
    for kind in kinds:
        site.equipment.append(_equipment(w, site, kind, customer.kind == "individual"))


def new_equipment(w: Writer, site: SiteRec, kind: str, install: date) -> EquipmentRec:
    """An appliance just installed on ``site`` (``install``), to be commissioned."""
    rec = _equipment(w, site, kind, site.customer.kind == "individual", install=install)
    site.equipment.append(rec)
    return rec


def _equipment(
    w: Writer, site: SiteRec, kind: str, domestic: bool, install: date | None = None
) -> EquipmentRec:
    rng = w.rng
    _weight, models, locations = fr.EQUIPMENT[kind]
    if domestic:
        models = [m for m in models if m[3][1] <= 50] or models
    brand, model, energy, (low, high) = rng.choice(models)
    origin = w.origin.date()
    if install is None:
        install = origin - timedelta(days=rng.randrange(30, 18 * 365))
        created = w.origin - timedelta(days=rng.randrange(30, 900))
    else:  # recorded by the office when the installation was ordered
        created = w.origin - timedelta(days=rng.randrange(5, 30))
    serial = f"{fr.SERIAL_PREFIX[brand]}{install.year % 100:02d}{rng.randrange(10**6, 10**7)}"
    power = round(rng.uniform(low, high), 1) if high >= 1 else round(rng.uniform(low, high), 3)
    eq_id = w.add(
        Equipment,
        created,
        site=site.id,
        equipment_type=kind,
        brand=brand,
        model=model,
        serial_number=serial,
        install_date=install,
        power_kw=power,
        location=rng.choice(locations),
        notes=energy,
    )
    meters = []
    for name, unit, (lo, hi) in fr.METERS[kind]:
        meter_id = w.add(Meter, created, equipment=eq_id, name=name, unit=unit)
        meters.append(MeterRec(meter_id, name, rng.uniform(lo, hi) / 365, install))
    return EquipmentRec(
        eq_id, kind, brand, f"{brand} {model}", serial, energy, install, meters, site
    )


def _contract(w, today, customer, created, number, types, busy) -> None:
    rng = w.rng
    label, labour, parts, travel, _ = rng.choices(_CONTRACTS, [c[4] for c in _CONTRACTS])[0]
    if busy:
        label, labour, parts, travel = _CONTRACTS[1][:4]
    start = today - timedelta(days=rng.randrange(60, 2200))
    end = None if rng.random() < 0.6 else start + timedelta(days=3 * 365 - 1)
    visits = 12 if busy else _NEEDS[customer.kind][2]
    equipment = [e for s in customer.sites for e in s.equipment]
    codes = {c for e in equipment for c in preventive_types(e.kind, e.energy, types)}
    if travel:
        codes.add("DEP")
    contract_created = max(created, datetime.combine(start, time(9)) - timedelta(days=20))
    contract_id = w.add(
        Contract,
        contract_created,
        customer=customer.id,
        reference=f"CTR-{start.year}-{number:05d}",
        label=label,
        start_date=start,
        end_date=end,
        covers_labour=labour,
        covers_parts=parts,
        covers_travel=travel,
        preventive_visits_per_year=visits,
        notes="Reconduction tacite par période d'un an." if end is None else "",
    )
    for eq in equipment:
        w.add(ContractEquipment, contract_created, contract=contract_id, equipment=eq.id)
    for code in sorted(codes):
        w.add(
            ContractInterventionType,
            contract_created,
            contract=contract_id,
            intervention_type=types[code].id,
        )
    customer.contract = ContractRec(contract_id, start, end, codes, visits, parts)


def luhn_complete(digits: str) -> str:
    """Append the Luhn check digit (SIREN and SIRET numbers are Luhn-valid)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str((10 - total % 10) % 10)


def vat_number(siren: int) -> str:
    """French intra-community VAT number: FR + two-digit key + SIREN."""
    return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{siren:09d}"


def _address(rng, city) -> str:
    return f"{rng.randrange(1, 180)} {rng.choice(fr.STREETS)}"


def _phone(rng, prefix: str) -> str:
    head = "04" if prefix.startswith("69") else prefix
    return head + "".join(f" {rng.randrange(100):02d}" for _ in range(4))


def _email(first: str, last: str, domain: str) -> str:
    return f"{_slug(first)}.{_slug(last)}@{domain}"


def _slug(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c if c.isalnum() else "-" for c in plain).strip("-")
