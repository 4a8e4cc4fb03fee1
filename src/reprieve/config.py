"""Settings, read from the environment (``REPRIEVE_*``) when asked for, never at import."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


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
    return Settings()
