"""Property-based tests from /openapi.json: no 500 on any route, and every answer conforms to the
document (status codes, content types, bodies, headers). Bounded by the Hypothesis profile."""

from __future__ import annotations

import zlib
from typing import Any

import pytest
import schemathesis
from api_support import World
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine

from reprieve.api.app import create_app
from reprieve.domain.model import Role
from reprieve.store.db import Database

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def seeded_world(module_world: World) -> World:
    """Some data for generated requests to find: sanctions of both operators, linked accounts."""
    for operator in ("meta", "x"):
        for _ in range(3):
            module_world.sanction(operator)
    return module_world


@pytest.fixture(scope="module")
def app(seeded_world: World) -> FastAPI:
    return create_app(seeded_world.db, clock=seeded_world.clock)


# The document does not depend on the data: read it from an app over a database never opened.
schema = schemathesis.openapi.from_dict(create_app(Database(create_engine("sqlite://"))).openapi())


#: Whose tokens the generated requests carry: every case goes as instance-admin, and as one of
#: these operator roles (so that 403s and tenancy answers are checked too), picked from the case
#: itself so that Hypothesis replays a failing case exactly.
OPERATOR_ROLES = (Role.MODERATOR, Role.PLATFORM, Role.AUDITOR)


def operator_role(case: Any) -> Role:
    seed = repr((case.path_parameters, case.query, case.body)).encode()
    return OPERATOR_ROLES[zlib.crc32(seed) % len(OPERATOR_ROLES)]


@schema.parametrize()
@settings(
    max_examples=max(5, settings().max_examples // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_api_conforms_to_its_schema(case: Any, app: FastAPI, seeded_world: World) -> None:
    for role in (Role.INSTANCE_ADMIN, operator_role(case)):
        case.call_and_validate(app=app, headers=seeded_world.headers[role.value], checks=CHECKS)
