"""Head office: the JSON HTTP endpoint devices sync with. Never imported by the device app.

Install with the ``server`` extra (``pip install .[server]``).
"""
