"""Terrain entry point: `python main.py --help`."""

import sys

from app.cli import main


def serve(args) -> int:
    """`main.py serve`: head office, a separate deployable (`app/` never imports it)."""
    from headoffice.cli import serve as serve_head_office

    return serve_head_office(args)


def verify(args) -> int:
    """`main.py verify FILE.pdf`: checks a sealed PDF (pyHanko, the server extra)."""
    from headoffice.cli import verify as verify_pdf

    return verify_pdf(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], serve=serve, verify=verify))
