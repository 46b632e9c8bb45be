"""Office validation of slips: the queue "Bons à valider", the slip, corrections, delivery."""

FR: dict[str, str] = {
    "validation.title": "Bons à valider",
    "validation.open_queue": "Bons à valider ({n})",
    "validation.count": "{n} bon(s) transmis en attente de validation",
    "validation.empty": "Aucun bon à valider : tout est à jour.",
    "validation.back_home": "Accueil bureau",
    "validation.back_queue": "Bons à valider",
    "validation.signed": "Signé",
    "validation.unsigned": "Non signé",
    "validation.corrected": "Corrigé",
    "validation.age": "{days} j",
    "validation.age_today": "Aujourd'hui",
    "validation.submitted_at": "Transmis le {at}",
    "validation.technician": "Technicien : {name}",
    "validation.open": "Ouvrir",
    "validation.loading": "Chargement…",
    "validation.status": "Statut : {status}",
    "validation.version": "Version {version} ({status})",
    "validation.doc.signed": "signée",
    "validation.doc.submitted": "transmise",
    "validation.doc.corrected": "corrigée",
    "validation.doc.validated": "validée",
    "validation.doc.delivered": "remise",
    "validation.doc.draft": "brouillon",
    "validation.content": "Contenu du bon",
    "validation.content.type": "Intervention : {type}",
    "validation.content.site": "Site : {site}",
    "validation.content.time": "Temps : {minutes} min",
    "validation.content.parts": "Pièces : {n} ligne(s)",
    "validation.content.measurements": "Mesures : {n}",
    "validation.no_version": (
        "Aucune version de ce bon n'est encore arrivée sur cet appareil : synchronisez."
    ),
    "validation.fields": (
        "Champs (la version signée reste intacte ; chaque correction va dans la version 2)"
    ),
    "validation.field.problem_reported": "Problème signalé",
    "validation.field.requested_by": "Demandeur",
    "validation.field.diagnosis": "Diagnostic",
    "validation.field.operations": "Opérations réalisées",
    "validation.field.summary": "Synthèse",
    "validation.field.comment": "Commentaire visible client",
    "validation.field.empty": "(vide)",
    "validation.field.was": "Signé : « {value} »",
    "validation.correct": "Corriger",
    "validation.new_value": "Nouvelle valeur",
    "validation.reason": "Motif de la correction (obligatoire)",
    "validation.save_correction": "Enregistrer la correction",
    "validation.cancel": "Annuler",
    "validation.saved": "Correction enregistrée dans la version {version}.",
    "validation.corrections": "Corrections ({n})",
    "validation.correction_line": (
        "{label} : « {before} » → « {after} » — motif : {reason} ({by}, {at})"
    ),
    "validation.no_corrections": (
        "Aucune correction : la version transmise sera validée telle quelle."
    ),
    "validation.evidence": "Preuve de signature",
    "validation.evidence.signer": "Signataire : {name} ({role})",
    "validation.evidence.at": "Signé le {at} UTC",
    "validation.evidence.device": "Appareil : {device}",
    "validation.evidence.technician": "Technicien : {name}",
    "validation.evidence.hash": "SHA-256 du contenu signé : {hash}",
    "validation.evidence.match": "L'empreinte correspond au contenu de la version signée.",
    "validation.evidence.mismatch": (
        "L'empreinte ne correspond PAS au contenu de la version signée."
    ),
    "validation.evidence.none": "Bon non signé : le client était absent ou a refusé de signer.",
    "validation.evidence.image_missing": "Image de la signature indisponible sur cet appareil.",
    "validation.pdf": "PDF signé",
    "validation.pdf.signed": "Pages du PDF signé (version {version}).",
    "validation.pdf.rebuilt": (
        "Le PDF signé n'est pas sur cet appareil (pas encore synchronisé, ou siège injoignable) : "
        "aperçu recomposé à partir du contenu signé."
    ),
    "validation.pdf.pages_unavailable": (
        "Aperçu des pages indisponible sur cet appareil (pdftoppm absent)."
    ),
    "validation.pdf.open": "Ouvrir le PDF",
    "validation.pdf.page": "Page {n}",
    "validation.delivery": "Envoi au client par e-mail",
    "validation.delivery.pending": "En attente d'envoi à {to}.",
    "validation.delivery.sent": "Envoyé à {to} le {at} UTC.",
    "validation.delivery.failed": (
        "Échec de l'envoi à {to} ({attempts} tentative(s)) : {error}. Nouvel essai automatique."
    ),
    "validation.delivery.no_recipient": (
        "Aucune adresse e-mail pour ce client : ajoutez-en une au contact du site, "
        "puis transmettez le PDF autrement."
    ),
    "validation.delivery.not_yet": (
        "Le siège enverra le bon final par e-mail dès qu'il aura reçu la validation "
        "(synchronisation)."
    ),
    "validation.delivery.offline": "État de l'envoi indisponible : le siège n'est pas joignable.",
    "validation.delivery.before": (
        "Une fois validé, le bon final est envoyé au client par le siège."
    ),
    "validation.delivery.refresh": "Actualiser",
    "validation.validate": "Valider",
    "validation.validated": "Bon validé : le siège produit le PDF final et l'envoie au client.",
    "validation.validated_on": "Validé le {at} UTC par {by}.",
    "validation.cannot_validate": "Seul un bon transmis peut être validé (statut : {status}).",
    "error.validation.office_only": "Seul le bureau corrige et valide les bons.",
    "error.validation.reason": "Chaque correction doit avoir un motif.",
    "error.validation.reason.hint": "Dites pourquoi la valeur change, puis enregistrez.",
    "error.validation.reason_long": "Le motif fait au plus {max} caractères.",
    "error.validation.no_field": "Ce champ ne peut pas être corrigé.",
    "error.validation.unchanged": "La valeur n'a pas changé : rien à corriger.",
    "error.validation.unchanged.hint": "Saisissez la nouvelle valeur, ou annulez.",
    "error.validation.not_submitted": (
        "Seul un bon transmis peut être corrigé ou validé (statut actuel : {status})."
    ),
    "error.validation.already": "Ce bon est déjà validé.",
    "error.validation.already.hint": "Rien à faire : le siège s'occupe de l'envoi.",
    "error.validation.no_version": (
        "Aucune version de ce bon n'est encore arrivée sur cet appareil."
    ),
    "error.validation.no_version.hint": "Synchronisez, puis rouvrez le bon.",
}

EN: dict[str, str] = {
    "validation.title": "Slips to validate",
    "validation.open_queue": "Slips to validate ({n})",
    "validation.count": "{n} submitted slip(s) waiting for validation",
    "validation.empty": "No slip to validate: everything is up to date.",
    "validation.back_home": "Office home",
    "validation.back_queue": "Slips to validate",
    "validation.signed": "Signed",
    "validation.unsigned": "Unsigned",
    "validation.corrected": "Corrected",
    "validation.age": "{days} d",
    "validation.age_today": "Today",
    "validation.submitted_at": "Submitted on {at}",
    "validation.technician": "Technician: {name}",
    "validation.open": "Open",
    "validation.loading": "Loading…",
    "validation.status": "Status: {status}",
    "validation.version": "Version {version} ({status})",
    "validation.doc.signed": "signed",
    "validation.doc.submitted": "submitted",
    "validation.doc.corrected": "corrected",
    "validation.doc.validated": "validated",
    "validation.doc.delivered": "delivered",
    "validation.doc.draft": "draft",
    "validation.content": "Slip content",
    "validation.content.type": "Intervention: {type}",
    "validation.content.site": "Site: {site}",
    "validation.content.time": "Time: {minutes} min",
    "validation.content.parts": "Parts: {n} line(s)",
    "validation.content.measurements": "Measurements: {n}",
    "validation.no_version": "No version of this slip has reached this device yet: sync.",
    "validation.fields": (
        "Fields (the signed version stays intact; every correction goes into version 2)"
    ),
    "validation.field.problem_reported": "Problem reported",
    "validation.field.requested_by": "Requested by",
    "validation.field.diagnosis": "Diagnosis",
    "validation.field.operations": "Work carried out",
    "validation.field.summary": "Summary",
    "validation.field.comment": "Client-visible comment",
    "validation.field.empty": "(empty)",
    "validation.field.was": "Signed: “{value}”",
    "validation.correct": "Correct",
    "validation.new_value": "New value",
    "validation.reason": "Reason for the correction (required)",
    "validation.save_correction": "Save the correction",
    "validation.cancel": "Cancel",
    "validation.saved": "Correction saved in version {version}.",
    "validation.corrections": "Corrections ({n})",
    "validation.correction_line": "{label}: “{before}” → “{after}” — reason: {reason} ({by}, {at})",
    "validation.no_corrections": "No correction: the submitted version will be validated as it is.",
    "validation.evidence": "Signature evidence",
    "validation.evidence.signer": "Signer: {name} ({role})",
    "validation.evidence.at": "Signed on {at} UTC",
    "validation.evidence.device": "Device: {device}",
    "validation.evidence.technician": "Technician: {name}",
    "validation.evidence.hash": "SHA-256 of the signed content: {hash}",
    "validation.evidence.match": "The hash matches the signed version's content.",
    "validation.evidence.mismatch": "The hash does NOT match the signed version's content.",
    "validation.evidence.none": "Unsigned slip: the client was absent or refused to sign.",
    "validation.evidence.image_missing": "The signature's picture is not on this device.",
    "validation.pdf": "Signed PDF",
    "validation.pdf.signed": "Pages of the signed PDF (version {version}).",
    "validation.pdf.rebuilt": (
        "The signed PDF is not on this device (not synced yet, or head office unreachable): "
        "preview rebuilt from the signed content."
    ),
    "validation.pdf.pages_unavailable": "Page preview not available on this device (no pdftoppm).",
    "validation.pdf.open": "Open the PDF",
    "validation.pdf.page": "Page {n}",
    "validation.delivery": "E-mail to the client",
    "validation.delivery.pending": "Waiting to be sent to {to}.",
    "validation.delivery.sent": "Sent to {to} on {at} UTC.",
    "validation.delivery.failed": (
        "Sending to {to} failed ({attempts} attempt(s)): {error}. It is retried automatically."
    ),
    "validation.delivery.no_recipient": (
        "This client has no e-mail address: add one to the site's contact, and send the PDF "
        "another way."
    ),
    "validation.delivery.not_yet": (
        "Head office e-mails the final slip once it has received the validation (sync)."
    ),
    "validation.delivery.offline": "Delivery state not available: head office cannot be reached.",
    "validation.delivery.before": (
        "Once validated, head office e-mails the final slip to the client."
    ),
    "validation.delivery.refresh": "Refresh",
    "validation.validate": "Validate",
    "validation.validated": (
        "Slip validated: head office makes the final PDF and e-mails it to the client."
    ),
    "validation.validated_on": "Validated on {at} UTC by {by}.",
    "validation.cannot_validate": "Only a submitted slip can be validated (status: {status}).",
    "error.validation.office_only": "Only the office corrects and validates slips.",
    "error.validation.reason": "Every correction needs a reason.",
    "error.validation.reason.hint": "Say why the value changes, then save.",
    "error.validation.reason_long": "The reason is at most {max} characters.",
    "error.validation.no_field": "This field cannot be corrected.",
    "error.validation.unchanged": "The value did not change: nothing to correct.",
    "error.validation.unchanged.hint": "Type the new value, or cancel.",
    "error.validation.not_submitted": (
        "Only a submitted slip can be corrected or validated (current status: {status})."
    ),
    "error.validation.already": "This slip is already validated.",
    "error.validation.already.hint": "Nothing to do: head office takes care of the e-mail.",
    "error.validation.no_version": "No version of this slip has reached this device yet.",
    "error.validation.no_version.hint": "Sync, then open the slip again.",
}
