"""What the API tests share: a clock they can move, request bodies, and a world of two
operators with a token of every role."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from fastapi.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.domain.model import AccountRef, Role
from reprieve.services import catalogue, tokens
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store.db import Database

SETUP = "api-test-setup"
START = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
OPERATOR_ROLES = (Role.ADMIN, Role.MODERATOR, Role.REVIEWER, Role.AUDITOR, Role.PLATFORM)


class Clock:
    """The API's clock in tests: fixed until a test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def reason(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ground": "incompatible_content",
        "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        "policy": "Dangerous individuals and organisations",
        "explanation": "Praise of ongoing violence on the platform",
    }
    data.update(overrides)
    return data


def sanction_body(platform: str, account: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": {"platform": platform, "account": account},
        "kind": "suspension",
        "duration": "P30D",
        "reason": reason(),
    }
    body.update(overrides)
    return body


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class World:
    """Operators ``meta`` (facebook, instagram) and ``x`` (twitter), a token of every role of
    ``meta``, an instance-admin token, and ways to make fresh resources for one request."""

    db: Database
    clock: Clock
    client: TestClient
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    PLATFORM: ClassVar[dict[str, str]] = {"meta": "facebook", "x": "twitter"}

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter)}"

    def token(self, role: Role, operator: str | None = "meta", name: str | None = None) -> dict[str, Any]:
        return tokens.create_token(
            self.db,
            tokens.CreateToken.parse(name=name or self.unique(role.value), role=role.value, operator=operator),
            caller=Caller(SETUP, now=self.clock()),
        ).to_json()

    def account(self, operator: str) -> str:
        """A fresh account on the operator's main platform."""
        account = self.unique("acct")
        catalogue.put_account(
            self.db,
            catalogue.PutAccount.parse(AccountRef(self.PLATFORM[operator], account)),
            caller=Caller(SETUP, now=self.clock()),
        )
        return account

    def sanction(self, operator: str, **fields: Any) -> dict[str, Any]:
        """A fresh suspension, active now, against a fresh account of ``operator``."""
        platform = self.PLATFORM[operator]
        fields.setdefault("reason", reason())
        fields.setdefault("duration", "P30D")
        if "starts_at" in fields:  # history written after the fact: backdated (PRODUCT.md section 8)
            fields.setdefault("backdated_reason", "Test history, entered after the fact.")
        command = ImposeSanction.parse(
            subject=AccountRef(platform, self.unique("subject")),
            kind=fields.pop("kind", "suspension"),
            **fields,
        )
        return impose_sanction(self.db, command, caller=Caller(SETUP, now=self.clock())).to_json()  # the wire form


def build_world(db: Database, clock: Clock) -> World:
    world = World(db, clock, TestClient(create_app(db, clock=clock)))
    now = clock()
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta Platforms"), caller=Caller(SETUP, now=now)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"),
        caller=Caller(SETUP, now=now),
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="instagram", operator="meta", name="Instagram"),
        caller=Caller(SETUP, now=now),
    )
    catalogue.create_operator(db, catalogue.CreateOperator.parse(id="x", name="X Corp"), caller=Caller(SETUP, now=now))
    catalogue.create_platform(
        db, catalogue.CreatePlatform.parse(id="twitter", operator="x", name="Twitter"), caller=Caller(SETUP, now=now)
    )
    world.headers[Role.INSTANCE_ADMIN.value] = bearer(world.token(Role.INSTANCE_ADMIN, None)["token"])
    for role in OPERATOR_ROLES:
        world.headers[role.value] = bearer(world.token(role, "meta")["token"])
    world.headers["x-" + Role.ADMIN.value] = bearer(world.token(Role.ADMIN, "x")["token"])
    world.headers["x-" + Role.MODERATOR.value] = bearer(world.token(Role.MODERATOR, "x")["token"])
    return world
