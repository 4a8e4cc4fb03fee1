"""One error hierarchy for the whole of Reprieve.

    ReprieveError                   base; never raised itself
    ├── ValidationError             raised when input is malformed or breaks a rule of the model
    ├── NotFoundError               raised when a named operator, platform, account or sanction does not exist
    │   └── GoneError               raised when what is named existed but its text was erased with its person
    ├── ConflictError               raised when a change does not fit the current state (lift a lifted sanction)
    │   └── PreconditionFailedError raised when a conditional change names a version that is no longer current
    ├── ForbiddenError              raised when the principal may not do what it asks
    └── StorageError                raised when the database is unusable (wrong schema, chain head missing)

The API maps each class to one problem+json ``type`` and status in one place; the CLI
prints the message on one line and exits non-zero.
"""

from __future__ import annotations


class ReprieveError(Exception):
    """Base of every error Reprieve raises on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(ReprieveError):
    """Raised when input is malformed or breaks a rule of the model."""

    code = "validation"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class NotFoundError(ReprieveError):
    """Raised when a named operator, platform, account, identity or sanction does not exist."""

    code = "not-found"


class GoneError(NotFoundError):
    """Raised when a named document exists but its text was erased with its person (GDPR art. 17):
    ``details`` says what is kept instead (its SHA-256, when it was erased)."""

    code = "gone"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.details = dict(details or {})


class ConflictError(ReprieveError):
    """Raised when a change does not fit the current state, e.g. lifting a sanction not active."""

    code = "conflict"


class PreconditionFailedError(ConflictError):
    """Raised when a change carries the version it was based on (``If-Match``) and the record has
    changed since: nothing is written, and ``current`` tells the caller what to read again."""

    code = "precondition-failed"

    def __init__(self, message: str, *, current: int) -> None:
        super().__init__(message)
        self.current = current


class ForbiddenError(ReprieveError):
    """Raised when the principal is not allowed to do what it asks."""

    code = "forbidden"


class StorageError(ReprieveError):
    """Raised when the database cannot be used (unknown schema, missing chain head)."""

    code = "storage"
