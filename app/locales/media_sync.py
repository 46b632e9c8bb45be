"""Media sync: the camera, per-file upload state and retry, the device's media storage."""

FR: dict[str, str] = {
    # camera
    "media.camera": "Prendre une photo",
    "camera.title": "Prendre une photo",
    "camera.starting": "Ouverture de l'appareil photo…",
    "camera.ready": "Cadrez, puis déclenchez. La photo sera classée en « {phase} ».",
    "camera.shoot": "Déclencher",
    "camera.switch": "Changer de caméra",
    "camera.saving": "Enregistrement de la photo…",
    "camera.taken": "Photo ajoutée en « {phase} ».",
    "camera.none": "Aucun appareil photo n'est disponible sur cet appareil.",
    "camera.denied": "L'accès à l'appareil photo est refusé.",
    "camera.failed": "L'appareil photo n'a pas pu prendre la photo ({reason}).",
    "camera.other_sources": (
        "Vous pouvez ajouter des photos depuis la galerie (« Ajouter des photos ou vidéos ») "
        "ou depuis Dropbox."
    ),
    "camera.denied_help": (
        "Autorisez l'appareil photo pour Terrain dans les réglages du téléphone ou du "
        "navigateur, puis réessayez."
    ),
    # per-file upload state
    "uploads.waiting": "En attente",
    "uploads.uploading": "Envoi {percent} %",
    "uploads.sent": "Envoyé",
    "uploads.failed": "Échec de l'envoi",
    "uploads.retry": "Réessayer",
    "uploads.retried": "Nouvel essai d'envoi lancé.",
    "uploads.title": "Fichiers à envoyer",
    "uploads.none": "Aucun fichier en attente d'envoi.",
    "uploads.kind.thumb_sha256": "Miniature",
    "uploads.kind.blob_sha256": "Photo ou vidéo",
    "uploads.kind.original_sha256": "Original",
    "uploads.kind.other": "Fichier",
    "uploads.line": "{kind} · {label} · {size}",
    "uploads.missing": "Le fichier manque sur cet appareil.",
    "uploads.missing.hint": "Reprenez la photo ou supprimez le média ; le reste est envoyé.",
    # storage
    "storage.title": "Stockage des médias",
    "storage.originals": "Originaux",
    "storage.photos": "Photos et vidéos",
    "storage.thumbnails": "Miniatures",
    "storage.cache": "Médias téléchargés d'autres appareils",
    "storage.cache_limit": "{size} au plus ; les plus anciens sont effacés au-delà",
    "storage.other": "Signatures et PDF",
    "storage.total": "Total",
    "storage.files": "{count} fichier(s)",
    "storage.free": "Libérer les originaux envoyés",
    "storage.free.help": (
        "{size} d'originaux sont au siège : ils peuvent être effacés de cet appareil. Les "
        "photos affichées et celles des rapports restent."
    ),
    "storage.free.nothing": "Aucun original confirmé par le siège à libérer.",
    "storage.free.title": "Libérer les originaux envoyés ?",
    "storage.free.question": (
        "Les originaux que le siège a confirmé détenir seront effacés de cet appareil "
        "(environ {size}). Ils restent au siège ; les photos affichées et celles des "
        "rapports restent sur l'appareil."
    ),
    "storage.free.confirm": "Libérer",
    "storage.freed": "{count} original(aux) effacé(s) : {size} libérés.",
    "storage.kept": "{count} gardé(s) : le siège ne les a pas encore confirmés.",
    "storage.loading": "Calcul de l'espace utilisé…",
    "size.b": "{n} o",
    "size.kb": "{n} Ko",
    "size.mb": "{n} Mo",
    "size.gb": "{n} Go",
}

EN: dict[str, str] = {
    "media.camera": "Take a photo",
    "camera.title": "Take a photo",
    "camera.starting": "Opening the camera…",
    "camera.ready": 'Frame it, then shoot. The photo goes into "{phase}".',
    "camera.shoot": "Shoot",
    "camera.switch": "Switch camera",
    "camera.saving": "Saving the photo…",
    "camera.taken": 'Photo added to "{phase}".',
    "camera.none": "No camera is available on this device.",
    "camera.denied": "Access to the camera is denied.",
    "camera.failed": "The camera could not take the photo ({reason}).",
    "camera.other_sources": (
        'You can add photos from the gallery ("Add photos or videos") or from Dropbox.'
    ),
    "camera.denied_help": (
        "Allow the camera for Terrain in the phone's or the browser's settings, then try again."
    ),
    "uploads.waiting": "Waiting",
    "uploads.uploading": "Sending {percent} %",
    "uploads.sent": "Sent",
    "uploads.failed": "Not sent",
    "uploads.retry": "Retry",
    "uploads.retried": "Sending again.",
    "uploads.title": "Files to send",
    "uploads.none": "No file waiting to be sent.",
    "uploads.kind.thumb_sha256": "Thumbnail",
    "uploads.kind.blob_sha256": "Photo or video",
    "uploads.kind.original_sha256": "Original",
    "uploads.kind.other": "File",
    "uploads.line": "{kind} · {label} · {size}",
    "uploads.missing": "The file is missing on this device.",
    "uploads.missing.hint": "Take the photo again or delete the media; the rest is sent.",
    "storage.title": "Media storage",
    "storage.originals": "Originals",
    "storage.photos": "Photos and videos",
    "storage.thumbnails": "Thumbnails",
    "storage.cache": "Media downloaded from other devices",
    "storage.cache_limit": "at most {size}; the oldest are removed beyond",
    "storage.other": "Signatures and PDFs",
    "storage.total": "Total",
    "storage.files": "{count} file(s)",
    "storage.free": "Free sent originals",
    "storage.free.help": (
        "{size} of originals are at head office: they can be removed from this device. The "
        "photos shown and those in the reports stay."
    ),
    "storage.free.nothing": "No original confirmed by head office to free.",
    "storage.free.title": "Free the sent originals?",
    "storage.free.question": (
        "The originals head office confirmed holding will be removed from this device "
        "(about {size}). They stay at head office; the photos shown and those in the "
        "reports stay on the device."
    ),
    "storage.free.confirm": "Free",
    "storage.freed": "{count} original(s) removed: {size} freed.",
    "storage.kept": "{count} kept: head office has not confirmed them yet.",
    "storage.loading": "Counting the space used…",
    "size.b": "{n} B",
    "size.kb": "{n} KB",
    "size.mb": "{n} MB",
    "size.gb": "{n} GB",
}
