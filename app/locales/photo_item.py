"""Photo items of the procedure: a photo (camera or picked file) is their answer."""

FR: dict[str, str] = {
    "photo_item.camera": "Prendre une photo",
    "photo_item.camera_again": "Reprendre une photo",
    "photo_item.camera_ready": "Cadrez, puis déclenchez. La photo répondra à « {label} ».",
    "photo_item.pick": "Choisir une photo",
    "photo_item.replace": "Choisir une autre photo",
    "photo_item.remove": "Retirer la photo",
    "photo_item.importing": "Photo en cours d'enregistrement…",
    "photo_item.removing": "Retrait de la photo…",
    "photo_item.saved": "Photo enregistrée pour cet élément (elle est aussi dans Médias).",
    "photo_item.removed": "Photo retirée de l'élément ; elle reste dans Médias.",
    "photo_item.not_here": "Photo pas encore sur cet appareil",
    "rpt.answer.photo": "Photo jointe (voir Photos)",
    "report.answer.photo": "Photo jointe (voir Photos)",
    "error.photo_item.refused": "Cette photo ne peut pas répondre à « {label} ».",
    "error.photo_item.refused.hint": "Prenez ou choisissez une photo de cette intervention.",
    "error.photo_item.video": "« {label} » attend une photo, pas une vidéo.",
    "error.photo_item.video.hint": (
        "La vidéo est gardée dans Médias ; prenez ou choisissez une photo pour cet élément."
    ),
    "error.photo_item.not_photo_item": "« {label} » n'attend pas de photo.",
    "error.photo_item.not_photo_item.hint": "Répondez à cet élément avec sa propre saisie.",
}

EN: dict[str, str] = {
    "photo_item.camera": "Take a photo",
    "photo_item.camera_again": "Take another photo",
    "photo_item.camera_ready": 'Frame it, then shoot. The photo answers "{label}".',
    "photo_item.pick": "Choose a photo",
    "photo_item.replace": "Choose another photo",
    "photo_item.remove": "Remove the photo",
    "photo_item.importing": "Saving the photo…",
    "photo_item.removing": "Removing the photo…",
    "photo_item.saved": "Photo saved for this item (it is in Media too).",
    "photo_item.removed": "Photo removed from the item; it stays in Media.",
    "photo_item.not_here": "Photo not on this device yet",
    "rpt.answer.photo": "Photo attached (see Photos)",
    "report.answer.photo": "Photo attached (see Photos)",
    "error.photo_item.refused": "This photo cannot answer “{label}”.",
    "error.photo_item.refused.hint": "Take or choose a photo of this intervention.",
    "error.photo_item.video": "“{label}” needs a photo, not a video.",
    "error.photo_item.video.hint": "The video is kept in Media; take or choose a photo for this item.",
    "error.photo_item.not_photo_item": "“{label}” does not take a photo.",
    "error.photo_item.not_photo_item.hint": "Answer this item with its own input.",
}
