"""One root error type with typed subclasses.

Every error carries a message (what went wrong) and a hint (what to do next); ``str(err)``
gives both (English), for logs and the command line. For the UI, an error may carry an i18n
``key`` and its ``params``: ``app.i18n.Translator.error(err)`` shows the French (or English)
text for that key, and falls back on a per-class text, then on the English message.
"""

from __future__ import annotations


class TerrainError(Exception):
    """Root of every error Terrain raises on purpose."""

    hint: str = "Try again; if the problem persists, contact support."
    exit_code: int = 1

    def __init__(
        self, message: str, *, hint: str | None = None, key: str | None = None, **params: object
    ) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint
        self.key = key
        self.params = params

    def __str__(self) -> str:
        return f"{self.message}\n  -> {self.hint}" if self.hint else self.message


class ConfigError(TerrainError):
    """Bad command line or configuration."""

    hint = "Run `python main.py --help` to see the valid options."
    exit_code = 2


class CertificateError(ConfigError):
    """The company's seal certificate cannot be used: missing, unreadable, wrong password,
    expired or not yet valid (head office checks it when it starts)."""

    hint = "Give the company's PKCS#12 file and its password (docs/headoffice.md, Seal)."


class DataDirError(TerrainError):
    """The data directory cannot be created or written."""

    hint = "Choose a writable folder with --data-dir or set FLET_APP_STORAGE_DATA."


class DatabaseError(TerrainError):
    """The local database cannot be used."""


class CorruptDatabaseError(DatabaseError):
    hint = "Restore the file from a backup or move it away; the app will create a new one and sync."


class SchemaTooNewError(DatabaseError):
    hint = "This database was written by a newer Terrain: update the app before opening it."


class ValidationError(TerrainError):
    """Input that breaks a domain rule. ``field`` names the offending field when there is one."""

    hint = "Correct the value and save again."

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        hint: str | None = None,
        key: str | None = None,
        **params: object,
    ) -> None:
        super().__init__(message, hint=hint, key=key, field=field, **params)
        self.field = field


class NotFoundError(TerrainError):
    hint = "Refresh the list; the record may have been removed or not synced yet."


class AuthError(TerrainError):
    """Wrong credentials or a session that is no longer valid."""

    hint = "Check the user name and password, then sign in again."


class PermissionDeniedError(TerrainError):
    hint = "Ask the office to give you access to this record."


class TransitionError(ValidationError):
    """A status change the intervention lifecycle does not allow."""

    hint = "Use one of the actions offered on the intervention."


class SyncError(TerrainError):
    """Synchronisation with head office failed; local data is kept."""

    hint = "Your work is saved on this device; sync will retry when the network is back."


class ThrottledError(AuthError):
    """Too many failed sign-ins; ``retry_after`` is in seconds."""

    hint = "Wait a few minutes before signing in again."

    def __init__(self, message: str, *, retry_after: int, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PayloadTooLargeError(ValidationError):
    """A request body or file above the configured limit."""

    hint = "Send less data at once (smaller batches, or a smaller file)."


class HashMismatchError(ValidationError):
    """Uploaded bytes whose SHA-256 is not the one announced."""

    hint = "Upload the file again; it was damaged or does not match its name."


class TransportError(SyncError):
    """Head office cannot be reached: no network, name not found, refused or timed out."""

    hint = (
        "Check the Wi-Fi or mobile data connection. Your work is saved on this device; "
        "sync retries by itself when head office is reachable again."
    )


class RemoteError(SyncError):
    """Head office answered with an error: ``status`` (HTTP) and its ``code``/message."""

    def __init__(
        self, message: str, *, status: int, code: str = "", hint: str | None = None, **params
    ) -> None:
        super().__init__(message, hint=hint, status=status, code=code, **params)
        self.status = status
        self.code = code
