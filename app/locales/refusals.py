"""Why head office refused a pushed change or held a PDF aside, in the user's language.

Keys are ``refusal.<code>``, the codes the rules give (``app.domain.reasons``; the push
answer's ``rejected[].code``, docs/sync-protocol.md rule 6); ``Translator.refusal`` fills the
params (statuses, tables, fields translated) and falls back on head office's English text
for a code it does not know. Also the labels of tables and fields the sync screen names.
"""

FR: dict[str, str] = {
    # --- the intervention's lifecycle (app.domain.lifecycle, headoffice.permissions) ------
    "refusal.intervention.cancelled": (
        "Le bureau a annulé cette intervention : elle ne peut plus être rouverte ni modifiée."
    ),
    "refusal.intervention.cancelled.self": (
        "Le bureau a annulé cette intervention : elle ne peut plus être modifiée."
    ),
    "refusal.intervention.cancelled.records": (
        "Le bureau a annulé cette intervention : ses saisies ne peuvent plus être modifiées."
    ),
    "refusal.intervention.closed.self": (
        "L'intervention est à l'état « {status} » : elle ne peut plus être modifiée."
    ),
    "refusal.intervention.closed.records": (
        "L'intervention est à l'état « {status} » : ses saisies ne peuvent plus être modifiées."
    ),
    "refusal.intervention.needs_signature": (
        "Une intervention n'est signée qu'avec la signature du client : faites signer le "
        "rapport de visite, puis synchronisez à nouveau."
    ),
    "refusal.intervention.needs_signature_or_record": (
        "Une intervention est transmise une fois le rapport signé par le client, ou avec le "
        "motif de l'absence de signature : enregistrez l'un ou l'autre, puis synchronisez."
    ),
    "refusal.intervention.office_status": (
        "Seul le bureau peut passer une intervention à l'état « {to} »."
    ),
    "refusal.intervention.not_assigned": (
        "Le bureau ne vous a pas encore affecté cette intervention : contactez le bureau."
    ),
    "refusal.intervention.move": (
        "Une intervention ne peut pas passer de l'état « {current} » à l'état « {to} »."
    ),
    "refusal.intervention.office_move": (
        "Le bureau ne peut pas passer une intervention de l'état « {current} » à « {to} »."
    ),
    "refusal.intervention.initial": "Une nouvelle intervention est planifiée ou affectée.",
    "refusal.intervention.no_technician": "Choisissez un technicien avant d'affecter.",
    "refusal.intervention.office_creates": "Seul le bureau crée les interventions.",
    "refusal.intervention.office_deletes": "Seul le bureau annule ou supprime les interventions.",
    "refusal.intervention.planning_fields": "La planification est faite par le bureau : {fields}.",
    # --- who may write what (headoffice.permissions) ---------------------------------------
    "refusal.row.outside": (
        "Cette saisie ne concerne plus vos interventions (intervention retirée ou "
        "réaffectée) : voyez avec le bureau."
    ),
    "refusal.table.office_only": "Les techniciens ne modifient pas : {table}. Voyez avec le bureau.",
    "refusal.row.office_fields": "Seul le bureau renseigne ces champs ({table}) : {fields}.",
    "refusal.row.author_fixed": "L'auteur d'une saisie ne change pas ({table}).",
    "refusal.row.author_only": "Seul son auteur peut modifier ou supprimer cette saisie ({table}).",
    "refusal.row.insert_only": "Cette saisie ne se modifie plus une fois enregistrée ({table}).",
    "refusal.row.database": (
        "La saisie enfreint une règle de la base du siège (champ : {field}) : valeur "
        "obligatoire manquante, référence inconnue, doublon ou valeur hors limites. "
        "Corrigez-la puis enregistrez à nouveau."
    ),
    "refusal.document.frozen": (
        "Ce document ({document}) est à l'état « {status} » : il ne peut plus être modifié."
    ),
    "refusal.document.parent_frozen": (
        "Ce document ({document}) est à l'état « {status} » : il ne peut plus être modifié."
    ),
    "refusal.document.office_status": (
        "Seul le bureau peut passer ce document ({document}) à l'état « {status} »."
    ),
    "refusal.document.report_version": "bon d'intervention",
    "refusal.document.quote": "devis",
    # --- signatures (app.domain.signature, app.domain.lifecycle) ---------------------------
    "refusal.signature.invalid": "Cette signature ne peut pas être acceptée : {cause}",
    "refusal.signature.outcome": (
        "Un enregistrement de signature est signé, refusé ou absent, pas « {outcome} »."
    ),
    "refusal.signature.no_reason": (
        "Indiquez pourquoi le client n'a pas signé (au moins 3 caractères)."
    ),
    "refusal.signature.unsigned_with_strokes": (
        "L'enregistrement d'une signature manquante ne contient pas de signature."
    ),
    # --- photos and videos (app.domain.annotation, app.domain.video) -----------------------
    "refusal.photo_item.not_of_this_job": "La photo d'un point « photo » doit être une photo de cette intervention.",
    "refusal.photo_item.not_a_photo": "Un point « photo » se répond par une photo, pas par une vidéo.",
    "refusal.photo_item.deleted": "La photo de ce point a été supprimée : prenez ou choisissez une autre photo.",
    "refusal.photo_item.no_number": "Un point « photo » se répond par une photo, pas par un nombre.",
    "refusal.annotation.invalid": "Le dessin sur cette photo est illisible : {cause}",
    "refusal.video.notes_invalid": "Les notes de cette vidéo ne peuvent pas être gardées : {cause}",
    "refusal.video.notes_not_video": "Seule une vidéo porte des notes horodatées.",
    "refusal.video.time_invalid": (
        "Un instant d'une vidéo est un nombre entier de millisecondes à partir de 0."
    ),
    "refusal.video.time_past_end": "{t_ms} ms est après la fin de la vidéo ({limit} ms).",
    "refusal.video.time_without_video": "Un instant de vidéo a besoin de la vidéo d'origine.",
    "refusal.video.source_self": "Un média ne peut pas être tiré de lui-même.",
    "refusal.video.source_other": (
        "Une image ou un extrait doit venir d'une vidéo de cette intervention."
    ),
    "refusal.video.source_time_missing": (
        "Une image ou un extrait indique l'instant de la vidéo d'où il vient."
    ),
    # --- parts to order (app.domain.follow_up) ---------------------------------------------
    "refusal.parts.invalid": "Les pièces à commander ne peuvent pas être acceptées : {cause}",
    "refusal.parts.no_lines": "Ajoutez les pièces à commander (au moins une ligne).",
    "refusal.parts.too_many_lines": "Au plus {limit} pièces à commander par suite à donner.",
    "refusal.parts.duplicate": (
        "Chaque pièce n'est commandée qu'une fois : additionnez ses quantités sur une ligne."
    ),
    "refusal.parts.line": "Chaque pièce à commander est une ligne avec une pièce et une quantité.",
    "refusal.parts.line_unknown_fields": "Une pièce à commander a des champs inconnus : {fields}.",
    "refusal.parts.line_text": "Le champ « {field} » d'une pièce à commander doit être un texte.",
    "refusal.parts.line_too_long": "Le champ « {field} » d'une pièce à commander est trop long.",
    "refusal.parts.line_part": (
        "Chaque pièce à commander désigne une pièce du catalogue (ou ce qu'il faut commander)."
    ),
    "refusal.parts.not_in_catalogue": (
        "Une pièce à commander n'est pas au catalogue : choisissez-la dans le catalogue."
    ),
    "refusal.parts.quantity_number": "La quantité doit être un nombre.",
    "refusal.parts.quantity_positive": "La quantité doit être supérieure à 0.",
    "refusal.parts.quantity_max": "La quantité est d'au plus {limit}.",
    "refusal.parts.quantity_whole": "Cette pièce se commande à l'unité (nombre entier).",
    "refusal.parts.lines_not_allowed": "Seule une commande de pièces a des lignes.",
    # --- report versions and the office's corrections (app.domain.corrections) -------------
    "refusal.report_version.frozen": (
        "Cette version du bon est à l'état « {status} » : son contenu fait foi et ne change "
        "plus ; corrigez-la dans une nouvelle version."
    ),
    "refusal.report_version.validation_unexpected": (
        "Seule une version validée indique qui l'a validée et quand."
    ),
    "refusal.report_version.validation_missing": (
        "Une version validée indique qui l'a validée et quand."
    ),
    "refusal.correction.content": "Le contenu d'une version corrigée doit être un objet.",
    "refusal.correction.based_on": (
        "Une version corrigée doit désigner la version signée qu'elle corrige."
    ),
    "refusal.correction.base_unknown": (
        "La version que cette correction désigne n'est pas une version signée de ce bon."
    ),
    "refusal.correction.list": "Une version corrigée liste ses corrections.",
    "refusal.correction.not_list": "Les corrections d'une version doivent être une liste.",
    "refusal.correction.field_unknown": (
        "Le bon n'a pas de champ « {field} » que le bureau puisse corriger."
    ),
    "refusal.correction.value": "Une valeur corrigée est un texte d'au plus {limit} caractères.",
    "refusal.correction.before": ("La correction de « {field} » ne part pas de la valeur signée."),
    "refusal.correction.unlisted_change": (
        "Une version corrigée ne modifie que les champs listés dans ses corrections ; "
        "corrigez chaque champ avec son motif."
    ),
    "refusal.correction.entry": (
        "Une correction indique son champ, sa nouvelle valeur et son motif."
    ),
    "refusal.correction.entry_field": "Une correction indique le champ qu'elle corrige.",
    "refusal.correction.no_reason": (
        "Chaque correction a un motif : dites pourquoi la valeur a changé."
    ),
    "refusal.correction.reason_too_long": (
        "Le motif d'une correction fait au plus {limit} caractères."
    ),
    # --- the tables and fields the sync screen names ----------------------------------------
    "refusal.table.interventions": "Intervention",
    "refusal.table.checklist_answers": "Gamme opératoire",
    "refusal.table.measurements": "Mesure",
    "refusal.table.meter_readings": "Relevé de compteur",
    "refusal.table.time_entries": "Temps passé",
    "refusal.table.van_stock_lines": "Stock du véhicule",
    "refusal.table.part_usages": "Pièce utilisée",
    "refusal.table.parts_to_order_lines": "Pièce à commander",
    "refusal.table.quotes": "Devis",
    "refusal.table.quote_lines": "Ligne de devis",
    "refusal.table.attachments": "Photo ou document",
    "refusal.table.comments": "Commentaire",
    "refusal.table.signatures": "Signature",
    "refusal.table.report_versions": "Bon d'intervention",
    "refusal.table.follow_ups": "Suite à donner",
    "refusal.field.status": "Statut",
    "refusal.field.technician_id": "Technicien",
    "refusal.field.scheduled_start": "Début prévu",
    "refusal.field.scheduled_end": "Fin prévue",
    "refusal.field.priority": "Priorité",
    "refusal.field.started_at": "Début des travaux",
    "refusal.field.finished_at": "Fin des travaux",
    "refusal.field.customer_id": "Client",
    "refusal.field.site_id": "Site",
    "refusal.field.equipment_id": "Équipement",
    "refusal.field.quantity": "Quantité",
    "refusal.field.caption": "Légende",
    "refusal.field.body": "Texte",
    "refusal.field.reason": "Motif",
    "refusal.field.content": "Contenu",
    "refusal.field.deleted": "Suppression",
    "refusal.field.validated_at": "Date de validation",
    "refusal.field.validated_by_id": "Validé par",
    "refusal.field.author_id": "Auteur",
    "refusal.field.created_by_id": "Créé par",
    "refusal.field.value": "Valeur",
    "refusal.field.label": "Libellé",
    "refusal.field.unit": "Unité",
    # --- PDFs held aside (headoffice.documents) ---------------------------------------------
    "refusal.held_aside.too_large": (
        "le fichier reçu fait {size} octets, au-delà des {limit} octets admis pour le PDF d'un bon"
    ),
    "refusal.held_aside.not_pdf": "le fichier reçu n'est pas un PDF",
    "refusal.held_aside.unreadable": "le PDF reçu est illisible ({detail})",
    "refusal.held_aside.no_attachment": "le PDF reçu ne contient pas la pièce jointe {name}",
    "refusal.held_aside.content_mismatch": (
        "le PDF reçu contient un autre contenu que celui de la version signée"
    ),
    "refusal.held_aside.keywords_mismatch": (
        "les mots-clés du PDF reçu ne désignent pas le contenu de la version signée"
    ),
    "refusal.held_aside.no_content_hash": (
        "la version n'a pas d'empreinte de contenu pour vérifier son PDF"
    ),
    "refusal.held_aside.undrawable": "son contenu ne peut pas être mis en page en PDF ({detail})",
    "refusal.held_aside.unhashable": "l'empreinte de son contenu ne peut pas être calculée ({detail})",
    "refusal.held_aside.record_mismatch": (
        "son contenu ne correspond plus à l'empreinte enregistrée"
    ),
    "refusal.held_aside.no_signature": (
        "elle a été signée sur un appareil, mais le siège n'a pas reçu sa signature"
    ),
    "refusal.held_aside.signature_mismatch": (
        "sa signature a été donnée pour un autre contenu que celui de la version"
    ),
}

EN: dict[str, str] = {
    "refusal.intervention.cancelled": (
        "The office cancelled this intervention: it can no longer be reopened or changed."
    ),
    "refusal.intervention.cancelled.self": (
        "The office cancelled this intervention: it can no longer change."
    ),
    "refusal.intervention.cancelled.records": (
        "The office cancelled this intervention: its records can no longer change."
    ),
    "refusal.intervention.closed.self": "The intervention is “{status}”: it can no longer change.",
    "refusal.intervention.closed.records": (
        "The intervention is “{status}”: its records can no longer change."
    ),
    "refusal.intervention.needs_signature": (
        "An intervention becomes signed only with the client's signature: have the client "
        "sign the visit report, then sync again."
    ),
    "refusal.intervention.needs_signature_or_record": (
        "An intervention is submitted after the client signed the visit report, or with the "
        "record of why the client did not sign: record one, then sync again."
    ),
    "refusal.intervention.office_status": "Only the office can mark an intervention “{to}”.",
    "refusal.intervention.not_assigned": (
        "The office has not assigned this intervention yet: ask the office."
    ),
    "refusal.intervention.move": "An intervention cannot go from “{current}” to “{to}”.",
    "refusal.intervention.office_move": (
        "The office cannot move an intervention from “{current}” to “{to}”."
    ),
    "refusal.intervention.initial": "A new intervention starts planned or assigned.",
    "refusal.intervention.no_technician": "Choose a technician before assigning.",
    "refusal.intervention.office_creates": "Only the office creates interventions.",
    "refusal.intervention.office_deletes": "Only the office cancels or deletes interventions.",
    "refusal.intervention.planning_fields": "Planning fields are set by the office: {fields}.",
    "refusal.row.outside": (
        "This record is no longer part of your interventions (withdrawn or reassigned): "
        "ask the office."
    ),
    "refusal.table.office_only": "Technicians cannot change: {table}. Ask the office.",
    "refusal.row.office_fields": "Only the office sets these fields ({table}): {fields}.",
    "refusal.row.author_fixed": "The author of a record cannot change ({table}).",
    "refusal.row.author_only": "Only its author can change or delete this record ({table}).",
    "refusal.row.insert_only": "This record cannot be changed once saved ({table}).",
    "refusal.row.database": (
        "The record breaks a rule of head office's database (field: {field}): a required "
        "value is missing, a reference points to nothing, a value must be unique or is out "
        "of range. Correct it and save again."
    ),
    "refusal.document.frozen": "This {document} is “{status}”: it can no longer change.",
    "refusal.document.parent_frozen": "This {document} is “{status}”: it can no longer change.",
    "refusal.document.office_status": "Only the office can mark this {document} “{status}”.",
    "refusal.document.report_version": "report",
    "refusal.document.quote": "quote",
    "refusal.signature.invalid": "This signature cannot be accepted: {cause}",
    "refusal.signature.outcome": (
        "A signature record is signed, refused or absent, not “{outcome}”."
    ),
    "refusal.signature.no_reason": "Say why the client did not sign (at least 3 characters).",
    "refusal.signature.unsigned_with_strokes": (
        "A record of a missing signature holds no signature."
    ),
    "refusal.photo_item.not_of_this_job": "The photo of a photo item must be a photo of this intervention.",
    "refusal.photo_item.not_a_photo": "A photo item is answered with a photo, not a video.",
    "refusal.photo_item.deleted": "The photo of this item was deleted: take or choose another photo.",
    "refusal.photo_item.no_number": "A photo item is answered with a photo, not a number.",
    "refusal.annotation.invalid": "The drawing over this photo cannot be read: {cause}",
    "refusal.video.notes_invalid": "The notes of this video cannot be kept: {cause}",
    "refusal.video.notes_not_video": "Only a video has time-stamped notes.",
    "refusal.video.time_invalid": "A time in a video is a whole number of milliseconds from 0.",
    "refusal.video.time_past_end": "{t_ms} ms is past the end of the video ({limit} ms).",
    "refusal.video.time_without_video": "A time in a video needs the video it belongs to.",
    "refusal.video.source_self": "A media cannot be made from itself.",
    "refusal.video.source_other": "A still or a clip must come from a video of this intervention.",
    "refusal.video.source_time_missing": (
        "A still or a clip names the time it was taken at in its video."
    ),
    "refusal.parts.invalid": "The parts to order cannot be accepted: {cause}",
    "refusal.parts.no_lines": "Add the parts to order (at least one line).",
    "refusal.parts.too_many_lines": "At most {limit} parts to order in one follow-up.",
    "refusal.parts.duplicate": "Each part is ordered once: add up its quantities on one line.",
    "refusal.parts.line": "Each part to order must be a line with a part and a quantity.",
    "refusal.parts.line_unknown_fields": "A part to order has unknown fields: {fields}.",
    "refusal.parts.line_text": "A part to order's “{field}” must be text.",
    "refusal.parts.line_too_long": "A part to order's “{field}” is too long.",
    "refusal.parts.line_part": (
        "Each part to order names a catalogue part (or says what to order)."
    ),
    "refusal.parts.not_in_catalogue": (
        "A part to order is not in the catalogue: choose it from the catalogue."
    ),
    "refusal.parts.quantity_number": "The quantity must be a number.",
    "refusal.parts.quantity_positive": "The quantity must be above 0.",
    "refusal.parts.quantity_max": "The quantity is at most {limit}.",
    "refusal.parts.quantity_whole": "This part is ordered in whole units.",
    "refusal.parts.lines_not_allowed": "Only a parts-to-order follow-up has lines.",
    "refusal.report_version.frozen": (
        "This report version is “{status}”: its content is evidence and never changes; "
        "correct it in a new version."
    ),
    "refusal.report_version.validation_unexpected": (
        "Only a validated report version carries who validated it and when."
    ),
    "refusal.report_version.validation_missing": (
        "A validated report version needs who validated it and when."
    ),
    "refusal.correction.content": "A corrected report version's content must be an object.",
    "refusal.correction.based_on": (
        "A corrected report version must name the signed version it corrects."
    ),
    "refusal.correction.base_unknown": (
        "The version this correction names is not a signed version of this slip."
    ),
    "refusal.correction.list": "A corrected report version lists its corrections.",
    "refusal.correction.not_list": "A report version's corrections must be a list.",
    "refusal.correction.field_unknown": "The slip has no field “{field}” the office may correct.",
    "refusal.correction.value": "A corrected value is a text of at most {limit} characters.",
    "refusal.correction.before": "The correction of “{field}” does not start from the signed value.",
    "refusal.correction.unlisted_change": (
        "A corrected report version may change only the fields its corrections list; "
        "correct each field with its reason."
    ),
    "refusal.correction.entry": "A correction must name its field, its new value and its reason.",
    "refusal.correction.entry_field": "A correction must name the field it corrects.",
    "refusal.correction.no_reason": (
        "Each correction needs a reason: say why the value was changed."
    ),
    "refusal.correction.reason_too_long": "A correction's reason is at most {limit} characters.",
    "refusal.table.interventions": "Intervention",
    "refusal.table.checklist_answers": "Procedure",
    "refusal.table.measurements": "Measurement",
    "refusal.table.meter_readings": "Meter reading",
    "refusal.table.time_entries": "Time spent",
    "refusal.table.van_stock_lines": "Van stock",
    "refusal.table.part_usages": "Part used",
    "refusal.table.parts_to_order_lines": "Part to order",
    "refusal.table.quotes": "Quote",
    "refusal.table.quote_lines": "Quote line",
    "refusal.table.attachments": "Photo or document",
    "refusal.table.comments": "Comment",
    "refusal.table.signatures": "Signature",
    "refusal.table.report_versions": "Report",
    "refusal.table.follow_ups": "Follow-up",
    "refusal.field.status": "Status",
    "refusal.field.technician_id": "Technician",
    "refusal.field.scheduled_start": "Scheduled start",
    "refusal.field.scheduled_end": "Scheduled end",
    "refusal.field.priority": "Priority",
    "refusal.field.started_at": "Work started",
    "refusal.field.finished_at": "Work finished",
    "refusal.field.customer_id": "Customer",
    "refusal.field.site_id": "Site",
    "refusal.field.equipment_id": "Equipment",
    "refusal.field.quantity": "Quantity",
    "refusal.field.caption": "Caption",
    "refusal.field.body": "Text",
    "refusal.field.reason": "Reason",
    "refusal.field.content": "Content",
    "refusal.field.deleted": "Deletion",
    "refusal.field.validated_at": "Validated on",
    "refusal.field.validated_by_id": "Validated by",
    "refusal.field.author_id": "Author",
    "refusal.field.created_by_id": "Created by",
    "refusal.field.value": "Value",
    "refusal.field.label": "Label",
    "refusal.field.unit": "Unit",
    "refusal.held_aside.too_large": (
        "the file received has {size} bytes, above the {limit} a report's PDF may have"
    ),
    "refusal.held_aside.not_pdf": "the file received is not a PDF",
    "refusal.held_aside.unreadable": "the PDF received cannot be read ({detail})",
    "refusal.held_aside.no_attachment": "the PDF received has no {name} attachment",
    "refusal.held_aside.content_mismatch": (
        "the PDF received holds other content than the signed version's"
    ),
    "refusal.held_aside.keywords_mismatch": (
        "the PDF received's keywords do not name the signed version's content"
    ),
    "refusal.held_aside.no_content_hash": (
        "the version has no content hash to check its PDF against"
    ),
    "refusal.held_aside.undrawable": "its content cannot be drawn as a PDF ({detail})",
    "refusal.held_aside.unhashable": "its content cannot be hashed ({detail})",
    "refusal.held_aside.record_mismatch": "its content no longer matches its recorded hash",
    "refusal.held_aside.no_signature": (
        "it was signed on a device but head office has no signature for it"
    ),
    "refusal.held_aside.signature_mismatch": (
        "its signature was given for other content than the version's"
    ),
}
