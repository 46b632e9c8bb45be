"""Domain rules shared by the device and head office: no I/O, no Flet.

``lifecycle``: the intervention's status transitions and locks, and the document statuses;
``policy``: one declarative entry per synced table (who writes it, how it hangs off an
intervention, which fields are whose, when it freezes, who wins its conflicts). Modules here
import only ``app.models`` (for names and columns), ``app.models.enums`` and ``app.errors``.
"""
