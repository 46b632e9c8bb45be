"""The customer record on the technician's history: last visit, planned visits, parts, notes."""

FR: dict[str, str] = {
    "record.title": "Fiche client",
    "record.last_visit": "Dernière visite : {date} ({reference})",
    "record.no_visit": "Aucune visite transmise pour ce client.",
    "record.planned": "Prochaines interventions prévues",
    "record.planned_line": "{date} — {type} ({reference}, {status})",
    "record.no_planned": "Aucune intervention prévue.",
    "record.parts": "Pièces à commander",
    "record.part_line": "{name} : {quantity} {unit}",
    "record.notes": "Notes du bureau",
}

EN: dict[str, str] = {
    "record.title": "Customer record",
    "record.last_visit": "Last visit: {date} ({reference})",
    "record.no_visit": "No submitted visit for this customer.",
    "record.planned": "Next planned interventions",
    "record.planned_line": "{date} — {type} ({reference}, {status})",
    "record.no_planned": "No intervention planned.",
    "record.parts": "Parts to order",
    "record.part_line": "{name}: {quantity} {unit}",
    "record.notes": "Office notes",
}
