"""Sealing a report PDF (PAdES, pyHanko) and verifying it, next to their plain bounds.

The PDF is the ``report_pdf`` benchmark's: the signed 3-page visit report with 10 photos of
2048 x 1536 px (~4 MB), drawn once. Measured:

- ``seal``: ``headoffice.sealing.Seal.seal`` with the demo certificate (RSA 2048, made once
  in a temporary directory, loaded as ``serve`` loads it): the incremental update, the
  digest of the whole file, the CMS signature (PAdES B-B) written in place;
- ``verify``: ``headoffice.verify.verify_pdf`` with the company's certificate trusted: the
  file parsed, the seal's digest and signature checked, its coverage, the certificate path,
  the embedded content re-hashed and re-derived canonically;
- ``verify_cli``: ``python main.py verify FILE.pdf`` as a user runs it (process start and
  imports included; informative, no target).

The bounds are the irreducible work in the same run: the SHA-256 of the file plus one
RSA-2048 PKCS#1 v1.5 signature of the digest (sealing), or its verification (verifying).
Targets: seal <= 150 ms, verify <= 150 ms.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app import clock
from app.models import db
from app.models.database import open_sqlite
from app.reports import pdf as report_pdf
from app.reports.canonical import content_sha256
from bench.bench_report import _cpu_ms, _report_input
from bench.datasets import demo_database
from bench.runner import ROOT, benchmark, timings


def _signed_report() -> tuple[bytes, str]:
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    source, _meta = demo_database("small")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "terrain.db"
        shutil.copy(source, path)
        database = open_sqlite(path)
        try:
            content, evidence, blobs, _draft_ms = _report_input(path)
        finally:
            database.close()
            db.initialize(None)
    with clock.frozen(clock.now()):
        pdf = report_pdf.visit_report_pdf(content, signature=evidence, photos=blobs.get)
    return pdf, content_sha256(content)


@benchmark("seal_verify")
def seal_verify_bench(args) -> dict:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    from headoffice.sealing import demo_seal
    from headoffice.verify import INTACT, verify_pdf

    pdf, digest = _signed_report()
    repeat = max(5, min(args.repeat, 20))
    with tempfile.TemporaryDirectory() as tmp:
        seal = demo_seal(Path(tmp) / "seal")
        trust = seal.trust_anchors()

        def sealing() -> bytes:
            return seal.seal(pdf, content_sha256=digest, company="Rhône Thermique Services")

        sealed = sealing()
        assert verify_pdf(sealed, trust).code == INTACT
        key = seal.signer.pyca_key
        public = seal.certificate.public_key()

        def hash_and_sign() -> bytes:
            return key.sign(hashlib.sha256(sealed).digest(), PKCS1v15(), Prehashed(hashes.SHA256()))

        signature = hash_and_sign()

        def hash_and_check() -> None:
            public.verify(
                signature, hashlib.sha256(sealed).digest(), PKCS1v15(), Prehashed(hashes.SHA256())
            )

        def verifying() -> None:
            verify_pdf(sealed, trust)

        seal_t = timings(sealing, repeat)
        seal_t["cpu_median_ms"] = _cpu_ms(sealing, repeat)
        seal_bound = timings(hash_and_sign, repeat)
        seal_bound["cpu_median_ms"] = _cpu_ms(hash_and_sign, repeat)
        verify_t = timings(verifying, repeat)
        verify_t["cpu_median_ms"] = _cpu_ms(verifying, repeat)
        verify_bound = timings(hash_and_check, repeat)
        verify_bound["cpu_median_ms"] = _cpu_ms(hash_and_check, repeat)
        path = Path(tmp) / "sealed.pdf"
        path.write_bytes(sealed)
        trust_file = seal.write_trust(Path(tmp) / "seal")
        cli = []
        for _ in range(3):
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "main.py", "verify", str(path), "--trust", str(trust_file)],
                cwd=ROOT, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            cli.append((time.perf_counter() - start) * 1000)
            assert done.returncode == INTACT, done.stdout + done.stderr
    return {
        "pdf_bytes": len(pdf),
        "sealed_bytes": len(sealed),
        "seal": seal_t,
        "seal_bound_sha256_and_rsa_sign": seal_bound,
        "verify": verify_t,
        "verify_bound_sha256_and_rsa_verify": verify_bound,
        "verify_cli_ms": {"runs": len(cli), "median_ms": round(sorted(cli)[1], 1)},
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
        "target_ms": 150,
        "met_seal": seal_t["median_ms"] <= 150,
        "met_verify": verify_t["median_ms"] <= 150,
        "met_cpu_seal": seal_t["cpu_median_ms"] <= 150,
        "met_cpu_verify": verify_t["cpu_median_ms"] <= 150,
    }
