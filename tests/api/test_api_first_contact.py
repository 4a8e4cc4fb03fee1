"""What a newcomer meets first when calling the API by hand: a body sent without the JSON
Content-Type (415, with the header to send), JSON that does not parse (where), a duration that
is not ISO 8601 (an example, not a regular expression), and a batch of checks with a row that
cannot be answered (that row's error, the others decided), on the fast path and on the route.
"""

from __future__ import annotations

import json

import pytest
from api_support import World, sanction_body

PROBLEM = "application/problem+json"
JSON_ROUTES = [  # (path, a valid body's JSON text for a moderator of meta)
    ("/v1/checks", '{"checks": [{"platform": "facebook", "account": "a", "capability": "post"}]}'),
    ("/v1/sanctions", None),  # built by the test: it needs a fresh account
    (
        "/v1/violations",
        '{"id": "v1", "platform": "facebook", "account": "a", "policy": "spam", '
        '"severity": "low", "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "facts": "x"}',
    ),
]


def _moderator(world: World) -> dict[str, str]:
    return world.headers["moderator"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
@pytest.mark.parametrize(("path", "text"), JSON_ROUTES)
def test_a_body_that_is_not_sent_as_json_gets_415_with_the_header_to_send(
    module_world: World, path: str, text: str | None, content_type: str | None
) -> None:
    world = module_world
    if text is None:
        text = json.dumps(sanction_body("facebook", world.unique("first")))
    headers = dict(_moderator(world))
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = world.client.post(path, content=text.encode(), headers=headers)
    assert answer.status_code == 415, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    problem = answer.json()
    assert problem["type"].endswith("/unsupported-media-type")
    assert "send Content-Type: application/json" in problem["detail"]
    assert "dictionary" not in problem["detail"]
    # The same body, sent as JSON, is taken.
    headers["Content-Type"] = "application/json"
    assert world.client.post(path, content=text.encode(), headers=headers).status_code in (200, 201)


def test_an_empty_body_without_content_type_is_still_a_missing_body(module_world: World) -> None:
    answer = module_world.client.post("/v1/sanctions", headers=_moderator(module_world))
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize(
    "text",
    [
        '{"checks": [{"platform": "facebook", "account": "a", "capability": "post"},]}',
        '{\n  "checks": [\n    {"platform": "facebook" "account": "a"}\n  ]\n}',
        '{"checks": [',
    ],
)
@pytest.mark.parametrize("path", ["/v1/checks", "/v1/sanctions", "/v1/violations"])
def test_malformed_json_is_reported_as_such_with_its_line_and_column(module_world: World, path: str, text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as parsed:
        json.loads(text)
    where = f"{parsed.value.msg} at line {parsed.value.lineno} column {parsed.value.colno}"
    headers = {**_moderator(module_world), "Content-Type": "application/json"}
    answer = module_world.client.post(path, content=text.encode(), headers=headers)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["detail"] == f"the body is not valid JSON: {where}"
    assert problem["errors"] == [{"field": "body", "message": problem["detail"]}]
    assert "body." not in answer.text  # no offset presented as a field


@pytest.mark.parametrize("bad", ["7 days", "90d", "P", "30", "PT"])
def test_a_bad_duration_is_explained_with_an_example_on_every_field(module_world: World, bad: str) -> None:
    world = module_world
    bodies = [
        ("/v1/sanctions", {**sanction_body("facebook", world.unique("d")), "duration": bad}, "moderator", "duration"),
        (
            "/v1/sanctions",
            {**sanction_body("facebook", world.unique("d")), "review_after": bad},
            "moderator",
            "review_after",
        ),
        (
            "/v1/tokens",
            {"operator": "meta", "role": "auditor", "name": world.unique("t"), "expires_in": bad},
            "admin",
            "expires_in",
        ),
    ]
    for path, body, role, field in bodies:
        answer = world.client.post(path, json=body, headers=world.headers[role])
        assert answer.status_code == 422, (path, field, answer.text)
        problem = answer.json()
        [error] = [e for e in problem["errors"] if e["field"].endswith(field)]
        assert "is not an ISO 8601 duration such as P2Y, P30D or PT48H" in error["message"], error
        assert "pattern" not in answer.text and "^[Pp]" not in answer.text


def test_a_bad_probation_duration_is_explained_too(module_world: World) -> None:
    """``probation.duration`` of a review's decision (due_process_schemas) uses the same type."""
    from reprieve.api import due_process_schemas

    with pytest.raises(Exception, match="is not an ISO 8601 duration such as P2Y, P30D or PT48H"):
        due_process_schemas.ProbationIn.model_validate({"duration": "six months"})


def test_one_bad_row_in_a_batch_of_checks_answers_its_error_and_the_others_are_decided(
    module_world: World,
) -> None:
    """Over the database (no index), on the fast path and on the route (an Idempotency-Key takes
    the route): the same answer, the bad rows in place."""
    world = module_world
    sanction = world.sanction("meta")
    suspended = {"platform": "facebook", "account": sanction["subject"]["account"], "capability": "post"}
    checks = [
        suspended,
        {"platform": "facebok", "account": "a", "capability": "post"},
        {"platform": "facebook", "account": "someone", "capability": "post"},
        {"platform": "facebook", "account": "someone", "capability": "tweet"},
        {"platform": "twitter", "account": "a", "capability": "post"},  # another operator's
    ]
    headers = world.headers["platform"]
    fast = world.client.post("/v1/checks", json={"checks": checks}, headers=headers)
    route = world.client.post(
        "/v1/checks", json={"checks": checks}, headers={**headers, "Idempotency-Key": world.unique("first-contact")}
    )
    assert fast.status_code == route.status_code == 200
    assert fast.json() == route.json()
    results = fast.json()["results"]
    assert results[0]["allowed"] is False and results[0]["sanction"] == sanction["id"]
    assert results[2]["allowed"] is True
    problems = "https://reprieve.dev/problems/"
    assert results[1] == {**checks[1], "error": {"type": problems + "not-found", "detail": "no platform 'facebok'"}}
    assert results[3]["error"] == {
        "type": problems + "validation",
        "detail": "capability: 'tweet' is not a capability of platform 'facebook'",
    }
    assert results[4]["error"]["type"] == problems + "not-found"
