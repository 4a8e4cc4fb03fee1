"""Settings, read from the environment (``REPRIEVE_*``) when asked for, never at import."""

from __future__ import annotations

from pydantic import ValidationError as SettingsError
from pydantic_settings import BaseSettings, SettingsConfigDict

from reprieve.domain.errors import ValidationError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPRIEVE_", extra="ignore")

    #: SQLite file by default; ``postgresql://user@host/db`` for production.
    database_url: str = "sqlite:///reprieve.db"
    #: Concurrent violations share one transaction and one commit (``REPRIEVE_GROUP_COMMIT=0``: each its own).
    group_commit: bool = True
    #: FastAPI's own OpenTelemetry instrumentation (``REPRIEVE_OPENTELEMETRY=1``); off, Reprieve's
    #: observability (request ids, ``/metrics``, access log) is what there is.
    opentelemetry: bool = False


def load_settings() -> Settings:
    """The settings now in the environment; a bad one is refused with a one-line error naming it."""
    try:
        return Settings()
    except SettingsError as exc:
        error = exc.errors()[0]
        name = "REPRIEVE_" + str(error["loc"][0]).upper()
        raise ValidationError(f"{error['msg'][:1].lower()}{error['msg'][1:]} (got {error['input']!r})",
                              field=name) from None
