"""Operations: request ids, JSON logs, latency histograms, ``/metrics``, ``/healthz``, ``/readyz``.

``install_observability(app, ...)`` adds the request middleware and the settings the routes of
``reprieve.api.routes.health`` read. See docs/operations.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from reprieve.api.observability.metrics import METRICS, record_checks
from reprieve.api.observability.middleware import Observe
from reprieve.config import ObservabilitySettings
from reprieve.services import Database

__all__ = ["METRICS", "ObservabilitySettings", "install_observability", "record_checks"]


def install_observability(
    app: FastAPI, *, db: Database, clock: Callable[[], datetime], metrics_token: str | None = None
) -> None:
    """Observe every request of ``app``. Call it after every other ``add_middleware`` of
    ``create_app``: the last added runs first, and this one must see every answer."""
    token = metrics_token if metrics_token is not None else ObservabilitySettings().metrics_token
    app.state.metrics_token = token or None
    app.add_middleware(Observe, db=db, clock=clock)
