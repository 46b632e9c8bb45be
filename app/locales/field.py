# ruff: noqa: E501  (translation catalogue: one string per line)
"""The field app in daily use: an intervention taken away by head office, head office's
address in the settings, signing out with changes not sent yet."""

FR: dict[str, str] = {
    "withdrawn.title.cancelled": "Intervention annulée",
    "withdrawn.title.reassigned": "Intervention réaffectée",
    "withdrawn.title.removed": "Intervention retirée de votre planning",
    "withdrawn.text.cancelled": "Le bureau a annulé l'intervention {reference}.",
    "withdrawn.text.reassigned": "Le bureau a confié l'intervention {reference} à un autre technicien.",
    "withdrawn.text.removed": "L'intervention {reference} n'est plus dans votre planning : le bureau l'a réaffectée ou retirée.",
    "withdrawn.kept": "Ce que vous aviez enregistré a été envoyé au bureau ; ce qu'il n'a pas accepté est conservé dans Synchronisation, « Modifications refusées par le siège » ({count}).",
    "withdrawn.kept_none": "Ce que vous aviez enregistré a été envoyé au bureau.",
    "withdrawn.unsaved": "Saisi mais pas enregistré (copiez-le si besoin) :",
    "withdrawn.ok": "Retour à ma journée",
    "withdrawn.see_refused": "Voir les modifications refusées",
}

EN: dict[str, str] = {
    "withdrawn.title.cancelled": "Intervention cancelled",
    "withdrawn.title.reassigned": "Intervention reassigned",
    "withdrawn.title.removed": "Intervention taken off your planning",
    "withdrawn.text.cancelled": "The office cancelled intervention {reference}.",
    "withdrawn.text.reassigned": "The office gave intervention {reference} to another technician.",
    "withdrawn.text.removed": "Intervention {reference} is no longer on your planning: the office reassigned or removed it.",
    "withdrawn.kept": "What you had saved was sent to the office; what it did not accept is kept under Synchronisation, “Changes refused by head office” ({count}).",
    "withdrawn.kept_none": "What you had saved was sent to the office.",
    "withdrawn.unsaved": "Typed but not saved (copy it if you need it):",
    "withdrawn.ok": "Back to my day",
    "withdrawn.see_refused": "See the refused changes",
}
