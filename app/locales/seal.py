"""Sealed report PDFs (head office): what the office sees when a PDF is held aside."""

FR: dict[str, str] = {
    "error.report.held_aside": "Le PDF reçu pour ce document ne correspond pas à son "
    "enregistrement : il est mis de côté pour le bureau.",
    "error.CertificateError": "Le certificat de cachet de l'entreprise est inutilisable.",
}
EN: dict[str, str] = {
    "error.report.held_aside": "The PDF received for this document does not match its "
    "record: it is held aside for the office.",
    "error.CertificateError": "The company's seal certificate cannot be used.",
}
