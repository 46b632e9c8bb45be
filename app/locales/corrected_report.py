"""A report version the office corrected after the client signed (PDF wording)."""

FR: dict[str, str] = {
    "report.corrected": "Corrigé par le bureau après la signature du client",
    "report.corrected.hash": "Empreinte SHA-256 de cette version corrigée : {sha256}",
}
EN: dict[str, str] = {
    "report.corrected": "Corrected by the office after the client signed",
    "report.corrected.hash": "SHA-256 of this corrected version: {sha256}",
}
