"""Terrain entry point: `python main.py --help`."""

import sys

from app.cli import main


def serve(args) -> int:
    """`main.py serve`: head office, a separate deployable (`app/` never imports it)."""
    from headoffice.cli import serve as serve_head_office

    return serve_head_office(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], serve=serve))
