"""Head office's own services: the office's operations, decided from the shared domain rules
(``app.domain``) and written through the same versioned path as a push (so devices receive
them at their next pull and concurrent edits merge by the usual rules)."""
