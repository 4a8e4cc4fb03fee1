"""The OpenAPI document: complete, with examples, problems documented on every route."""

from __future__ import annotations

from typing import Any

from api_support import World

PROBLEM = "application/problem+json"


def document(world: World) -> dict[str, Any]:
    response = world.client.get("/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def test_every_operation_documents_its_problems(world: World) -> None:
    doc = document(world)
    assert doc["components"]["schemas"]["Problem"]["properties"]["type"]
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("401", "404", "422"):
                assert PROBLEM in responses[status]["content"], (method, path, status)
                assert "application/json" not in responses[status]["content"], (method, path, status)
            if method == "post":
                names = {p["name"] for p in operation.get("parameters", [])}
                assert "Idempotency-Key" in names, path
                assert "413" in responses


def test_bodies_carry_examples(world: World) -> None:
    schemas = document(world)["components"]["schemas"]
    for name in (
        "SanctionCreate",
        "SanctionLift",
        "SanctionAmend",
        "ChecksRequest",
        "PlatformCreate",
        "IdentityCreate",
        "TokenCreate",
    ):
        assert schemas[name].get("examples"), name


def test_bearer_auth_is_declared(world: World) -> None:
    doc = document(world)
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("scheme", "").lower() == "bearer" for s in schemes.values())


def test_docs_are_served(world: World) -> None:
    response = world.client.get("/docs")
    assert response.status_code == 200 and "swagger" in response.text.lower()
