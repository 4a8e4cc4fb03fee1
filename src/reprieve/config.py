"""Settings, read from the environment (``REPRIEVE_*``) when asked for, never at import: the
installation's (``Settings``), and the few read apart by what uses them."""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache

from pydantic import ValidationError as SettingsError
from pydantic import field_validator
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
    #: The reverse proxies in front of the server (comma-separated addresses or CIDRs): only when
    #: the socket's peer is one of them is ``X-Forwarded-For`` read for the client's address.
    trusted_proxies: str = ""
    #: How long failed sign-ins and refusals stay in the security log (``reprieve security-log``).
    security_log_days: int = 90
    #: How long the access log of personal data keeps its rows (who was shown a requester's e-mail).
    access_log_days: int = 365

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("security_log_days", "access_log_days")
    @classmethod
    def _days(cls, value: int) -> int:
        if not 1 <= value <= 3650:
            raise ValueError("must be a number of days from 1 to 3650")
        return value


# Settings read on their own, where they are used: a bad value in one stops only what reads it.


class PublicSettings(BaseSettings):
    """Where users reach this installation: the appeal link of a statement points there."""

    model_config = SettingsConfigDict(env_prefix="REPRIEVE_", extra="ignore")
    public_url: str = "http://127.0.0.1:8000"


def public_url() -> str:
    """``REPRIEVE_PUBLIC_URL`` (``PublicSettings``), read again only when the variable changes:
    a statement is issued with its link on every decision, and reading settings costs some 1 ms."""
    return _public_url(os.environ.get("REPRIEVE_PUBLIC_URL"))


@lru_cache(maxsize=8)
def _public_url(_value: str | None) -> str:
    return PublicSettings().public_url


class EgressSettings(BaseSettings):
    """Where webhooks may be delivered inside the installation's own network (``services.egress``)."""

    model_config = SettingsConfigDict(env_prefix="REPRIEVE_", extra="ignore")

    #: Comma-separated CIDRs an installation delivers to inside its own network
    #: (``127.0.0.1/32,10.0.0.0/8``); unset: public addresses only.
    webhook_allow_networks: str | None = None


class ObservabilitySettings(BaseSettings):
    """Who may read ``/metrics`` besides instance admins (``api.observability``)."""

    model_config = SettingsConfigDict(env_prefix="REPRIEVE_", extra="ignore")

    #: A secret that may read ``/metrics`` and nothing else (for Prometheus's ``authorization``);
    #: unset: only instance-admin tokens may.
    metrics_token: str | None = None


class WorkerSettings(BaseSettings):
    """The worker's broker (``reprieve worker --nats-url`` reads the same variable)."""

    model_config = SettingsConfigDict(env_prefix="REPRIEVE_", extra="ignore")

    #: ``nats://127.0.0.1:4222``: publish every event to NATS JetStream too.
    nats_url: str | None = None


def parse_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``10.0.0.1, 192.168.0.0/16, ::1`` as networks; ValueError naming what is not one."""
    networks = []
    for part in text.split(","):
        item = part.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network") from None
    return tuple(networks)


def load_settings() -> Settings:
    """The settings now in the environment; a bad one is refused with a one-line error naming it."""
    try:
        return Settings()
    except SettingsError as exc:
        error = exc.errors()[0]
        name = "REPRIEVE_" + str(error["loc"][0]).upper()
        raise ValidationError(
            f"{error['msg'][:1].lower()}{error['msg'][1:]} (got {error['input']!r})", field=name
        ) from None
