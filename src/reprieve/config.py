"""Settings, read from the environment (``REPRIEVE_*``) when asked for, never at import."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPRIEVE_", extra="ignore")

    #: SQLite file by default; ``postgresql://user@host/db`` for production.
    database_url: str = "sqlite:///reprieve.db"


def load_settings() -> Settings:
    return Settings()
