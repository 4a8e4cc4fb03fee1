"""Operations: request ids, JSON logs, latency histograms, ``/metrics``, ``/healthz``, ``/readyz``.

``install_observability(app, ...)`` adds the request middleware and the settings the routes of
``reprieve.api.routes.health`` read. See docs/operations.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict

from reprieve.api.observability.metrics import METRICS, record_checks
from reprieve.api.observability.middleware import Observe
from reprieve.store.db import Database

__all__ = ["METRICS", "ObservabilitySettings", "install_observability", "record_checks"]


class ObservabilitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPRIEVE_", extra="ignore")

    #: A secret that may read ``/metrics`` and nothing else (for Prometheus's ``authorization``);
    #: unset: only instance-admin tokens may.
    metrics_token: str | None = None


def install_observability(
    app: FastAPI, *, db: Database, clock: Callable[[], datetime], metrics_token: str | None = None
) -> None:
    """Observe every request of ``app``. Call it after every other ``add_middleware`` of
    ``create_app``: the last added runs first, and this one must see every answer."""
    token = metrics_token if metrics_token is not None else ObservabilitySettings().metrics_token
    app.state.metrics_token = token or None
    app.add_middleware(Observe, db=db, clock=clock)
