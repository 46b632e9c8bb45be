"""Signed PDFs held aside by head office (a PDF received that does not match its record),
shown to the office: the count on the office home, the list, the slip's warning."""

FR: dict[str, str] = {
    "held_aside.title": "Documents mis de côté",
    "held_aside.open": "Documents mis de côté ({n})",
    "held_aside.open_unknown": "Documents mis de côté",
    "held_aside.intro": (
        "Le siège a reçu ces PDF signés, mais ils ne correspondent pas à l'enregistrement "
        "de leur version : ils sont gardés à part et ne sont ni scellés ni envoyés au client."
    ),
    "held_aside.count": "{n} document(s) à examiner",
    "held_aside.empty": "Aucun document mis de côté.",
    "held_aside.unavailable": (
        "Liste non disponible : le siège ne répond pas. Réessayez une fois la connexion revenue."
    ),
    "held_aside.refresh": "Actualiser",
    "held_aside.back_home": "Accueil bureau",
    "held_aside.item_title": "{reference} — version {version}",
    "held_aside.technician": "Technicien : {name}",
    "held_aside.detected_at": "Reçu le {at}",
    "held_aside.expected": "Contenu attendu : {sha}",
    "held_aside.received": "Fichier reçu : {sha}",
    "held_aside.reason": "Motif : {reason}",
    "held_aside.resolve": "Marquer comme traité",
    "held_aside.resolved": "{reference} : marqué comme traité.",
    "held_aside.open_slip": "Ouvrir le bon",
    "held_aside.slip_warning": (
        "Le PDF signé reçu pour ce bon a été mis de côté le {at} : il ne correspond pas "
        "à l'enregistrement de la version signée. Motif : {reason}"
    ),
    "held_aside.slip_see_list": "Voir les documents mis de côté",
    "error.held_aside.offline": (
        "Le siège est injoignable : le document reste à traiter. Réessayez plus tard."
    ),
}

EN: dict[str, str] = {
    "held_aside.title": "Documents held aside",
    "held_aside.open": "Documents held aside ({n})",
    "held_aside.open_unknown": "Documents held aside",
    "held_aside.intro": (
        "Head office received these signed PDFs, but they do not match their version's "
        "record: they are kept apart, neither sealed nor sent to the customer."
    ),
    "held_aside.count": "{n} document(s) to look at",
    "held_aside.empty": "No document held aside.",
    "held_aside.unavailable": (
        "List not available: head office does not answer. Try again once the connection is back."
    ),
    "held_aside.refresh": "Refresh",
    "held_aside.back_home": "Office home",
    "held_aside.item_title": "{reference} — version {version}",
    "held_aside.technician": "Technician: {name}",
    "held_aside.detected_at": "Received on {at}",
    "held_aside.expected": "Expected content: {sha}",
    "held_aside.received": "File received: {sha}",
    "held_aside.reason": "Reason: {reason}",
    "held_aside.resolve": "Mark as resolved",
    "held_aside.resolved": "{reference}: marked as resolved.",
    "held_aside.open_slip": "Open the slip",
    "held_aside.slip_warning": (
        "The signed PDF received for this slip was held aside on {at}: it does not match "
        "the signed version's record. Reason: {reason}"
    ),
    "held_aside.slip_see_list": "See the documents held aside",
    "error.held_aside.offline": (
        "Head office cannot be reached: the document stays to resolve. Try again later."
    ),
}
