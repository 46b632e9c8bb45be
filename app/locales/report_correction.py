"""The PDF of a version the office corrected: which version it corrects, and how."""

FR: dict[str, str] = {
    "report.corrects.label": "Version {version} — corrigée",
    "report.corrects.signed": (
        "Version {version} — corrige la version {based_on} signée le {date} par {signer}"
    ),
    "report.corrects.refused": (
        "Version {version} — corrige la version {based_on} transmise non signée "
        "(refus du client) le {date}"
    ),
    "report.corrects.absent": (
        "Version {version} — corrige la version {based_on} transmise non signée "
        "(client absent) le {date}"
    ),
    "report.corrects.plain": "Version {version} — corrige la version {based_on}",
    "report.corrects.none": "Aucune correction : contenu identique à la version signée.",
    "report.corrects.field": "Champ",
    "report.corrects.before": "Avant",
    "report.corrects.after": "Après",
    "report.corrects.reason": "Motif",
    "report.corrects.field.diagnosis": "Diagnostic",
    "report.corrects.field.operations": "Opérations réalisées",
    "report.corrects.field.summary": "Synthèse",
    "report.corrects.field.problem_reported": "Problème signalé",
    "report.corrects.field.requested_by": "Demandeur",
    "report.corrects.field.comment": "Commentaire",
    "report.corrects.signature": (
        "La signature du client porte sur la version {based_on}, conservée telle quelle :"
    ),
}

EN: dict[str, str] = {
    "report.corrects.label": "Version {version} — corrected",
    "report.corrects.signed": (
        "Version {version} — corrects version {based_on} signed on {date} by {signer}"
    ),
    "report.corrects.refused": (
        "Version {version} — corrects version {based_on} sent unsigned "
        "(the client refused) on {date}"
    ),
    "report.corrects.absent": (
        "Version {version} — corrects version {based_on} sent unsigned "
        "(the client was absent) on {date}"
    ),
    "report.corrects.plain": "Version {version} — corrects version {based_on}",
    "report.corrects.none": "No correction: the content is the signed version's.",
    "report.corrects.field": "Field",
    "report.corrects.before": "Before",
    "report.corrects.after": "After",
    "report.corrects.reason": "Reason",
    "report.corrects.field.diagnosis": "Diagnosis",
    "report.corrects.field.operations": "Work done",
    "report.corrects.field.summary": "Summary",
    "report.corrects.field.problem_reported": "Problem reported",
    "report.corrects.field.requested_by": "Requested by",
    "report.corrects.field.comment": "Comment",
    "report.corrects.signature": (
        "The client's signature is on version {based_on}, kept unchanged:"
    ),
}
