"""Documents made from an intervention: canonical content and its hash, signature evidence,
and the visit report / intervention slip PDFs (docs/reports.md). Plain content in, bytes
out: nothing here imports services or views."""
