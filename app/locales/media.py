"""Photos and videos: the ingest pipeline's refusals and the media screens."""

FR: dict[str, str] = {
    "error.media.unreadable": "{name} : le fichier ne peut pas être lu.",
    "error.media.unreadable.hint": "Vérifiez que le fichier existe encore, puis réessayez.",
    "error.media.empty": "{name} : le fichier est vide.",
    "error.media.empty.hint": "Reprenez la photo ou choisissez un autre fichier.",
    "error.media.not_media": "{name} n'est ni une photo ni une vidéo.",
    "error.media.not_media.hint": (
        "Seules les photos (JPEG, PNG…) et les vidéos (MP4, MOV, WebM, AVI) sont acceptées."
    ),
    "error.media.truncated": "{name} : l'image est incomplète ou abîmée.",
    "error.media.truncated.hint": (
        "Le fichier a été mal copié ou téléchargé : copiez-le à nouveau."
    ),
    "error.media.too_large": "{name} : {size_mb} Mo, au-delà des {limit_mb} Mo autorisés.",
    "error.media.too_large.hint": "Réduisez le fichier (vidéo plus courte, photo plus petite).",
    "error.media.too_long": "{name} : {seconds} s de vidéo, au-delà des {limit} s autorisées.",
    "error.media.too_long.hint": "Filmez une séquence plus courte.",
    "error.media.bomb": "{name} : l'image annonce une taille impossible pour une photo.",
    "error.media.bomb.hint": "Le fichier est refusé pour protéger l'appareil.",
    "error.media.codec": (
        "{name} : cette vidéo ne peut pas être lue (codec inconnu ou fichier abîmé)."
    ),
    "error.media.codec.hint": "Convertissez-la en MP4 (H.264) sur un ordinateur, puis ajoutez-la.",
    "error.media.cancelled": (
        "L'intervention {reference} est annulée : aucun média ne peut être ajouté."
    ),
    "error.media.cancelled.hint": (
        "Rien n'a été ajouté ; voyez avec le bureau si le travail continue."
    ),
    "error.media.caption_too_long": "Une légende fait au plus {limit} caractères.",
    "error.media.phase": "Phase inconnue : avant, après ou autre.",
    "error.media.source": "Source de média inconnue.",
}

EN: dict[str, str] = {
    "error.media.unreadable": "{name}: the file cannot be read.",
    "error.media.unreadable.hint": "Check that the file still exists, then try again.",
    "error.media.empty": "{name}: the file is empty.",
    "error.media.empty.hint": "Take the photo again or choose another file.",
    "error.media.not_media": "{name} is neither a photo nor a video.",
    "error.media.not_media.hint": (
        "Only photos (JPEG, PNG…) and videos (MP4, MOV, WebM, AVI) can be added."
    ),
    "error.media.truncated": "{name}: the image is incomplete or damaged.",
    "error.media.truncated.hint": "The file was badly copied or downloaded: copy it again.",
    "error.media.too_large": "{name}: {size_mb} MB, over the {limit_mb} MB allowed.",
    "error.media.too_large.hint": "Reduce the file (a shorter video, a smaller photo).",
    "error.media.too_long": "{name}: {seconds} s of video, over the {limit} s allowed.",
    "error.media.too_long.hint": "Film a shorter sequence.",
    "error.media.bomb": "{name}: the image claims an impossible size for a photo.",
    "error.media.bomb.hint": "The file is refused to protect the device.",
    "error.media.codec": "{name}: this video cannot be read (unknown codec or damaged file).",
    "error.media.codec.hint": "Convert it to MP4 (H.264) on a computer, then add it again.",
    "error.media.cancelled": "Intervention {reference} is cancelled: no media can be added.",
    "error.media.cancelled.hint": "Nothing was added; ask the office if the job goes on.",
    "error.media.caption_too_long": "A caption has at most {limit} characters.",
    "error.media.phase": "Unknown phase: before, after or other.",
    "error.media.source": "Unknown media source.",
}
