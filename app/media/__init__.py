"""Media files kept on the device (photos, videos, signatures, PDFs)."""
