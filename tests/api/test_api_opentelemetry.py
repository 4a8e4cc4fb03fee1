"""FastAPI's own OpenTelemetry is off unless asked for (``REPRIEVE_OPENTELEMETRY=1``): a request
then never asks whether it is on (a look-up of three providers on every request)."""

from __future__ import annotations

import pytest
from api_support import World
from fastapi.telemetry._asgi import NativeTelemetry
from starlette.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.config import load_settings


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each time FastAPI asks whether its telemetry is on, and its answer."""
    calls: list[bool] = []
    enabled = NativeTelemetry.enabled

    def counted(self: NativeTelemetry) -> bool:
        calls.append(enabled(self))
        return calls[-1]

    monkeypatch.setattr(NativeTelemetry, "enabled", counted)
    return calls


def test_off_by_default_and_never_asked_for_a_request(world: World, asked: list[bool]) -> None:
    with TestClient(create_app(world.db, clock=world.clock)) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/operators/meta").status_code == 401  # through FastAPI's routes too
    assert asked == []


def test_on_when_the_operator_asks_for_it(world: World, asked: list[bool]) -> None:
    with TestClient(create_app(world.db, clock=world.clock, opentelemetry=True)) as client:
        assert client.get("/healthz").status_code == 200
    assert len(asked) == 1  # asked, as FastAPI does (no provider is set up here: nothing to send to)


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPRIEVE_OPENTELEMETRY", raising=False)
    assert load_settings().opentelemetry is False
    monkeypatch.setenv("REPRIEVE_OPENTELEMETRY", "1")
    assert load_settings().opentelemetry is True
