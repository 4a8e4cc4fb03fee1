"""The tenancy matrix: every route x every role x a resource of its own operator or another's.

Tokens belong to operator ``meta`` (or are instance-admin); "own" targets meta's resources,
"other" targets those of operator ``x``. The answer must be exactly: 403 for a role that may
not use the route at all (nothing is looked up), 404 for another operator's resource (as if
it did not exist), the route's success status otherwise. A refused request changes nothing:
the event log does not grow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import due_process_matrix as dp
import httpx2 as httpx
import operations_matrix as ops
import pytest
from api_support import World, reason, sanction_body

from reprieve.api.app import create_app
from reprieve.domain.model import AccountRef, Role
from reprieve.services import catalogue, content, notices
from reprieve.services.callers import Caller
from reprieve.store import eventlog
from reprieve.store.db import Database

ALL = frozenset(Role)
IA = Role.INSTANCE_ADMIN
#: Decisions: moderators, and so the operator's admin (PRODUCT.md section 4), and the instance-admin.
MODERATING = frozenset({IA, Role.ADMIN, Role.MODERATOR})


@pytest.fixture(autouse=True)
def _local_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receivers of these tests listen on 127.0.0.1, which an installation must allow."""
    monkeypatch.setenv("REPRIEVE_WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  #: as declared in the app, to check that the matrix covers every route
    roles: frozenset[Role]
    success: int
    call: Callable[[World, dict[str, str], str], httpx.Response]
    scoped: bool = True  #: False: the route names no operator's resource


def _operator_id(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.post("/v1/operators", json={"id": w.unique("op"), "name": "New"}, headers=h)


def _get_operator(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/operators/{target}", headers=h)


def _create_platform(w: World, h: dict[str, str], target: str) -> httpx.Response:
    body = {"id": w.unique("plat"), "operator": target, "name": "New", "kind": "social"}
    return w.client.post("/v1/platforms", json=body, headers=h)


def _get_platform(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/platforms/{w.PLATFORM[target]}", headers=h)


def _put_account(w: World, h: dict[str, str], target: str) -> httpx.Response:
    path = f"/v1/platforms/{w.PLATFORM[target]}/accounts/{w.unique('acct')}"
    return w.client.put(path, json={"display_name": "Someone"}, headers=h)


def _link(w: World, h: dict[str, str], target: str) -> httpx.Response:
    platform = w.PLATFORM[target]
    accounts = [{"platform": platform, "account": w.account(target)} for _ in range(2)]
    return w.client.post("/v1/identities", json={"operator": target, "accounts": accounts}, headers=h)


def _get_identity(w: World, h: dict[str, str], target: str) -> httpx.Response:
    platform = w.PLATFORM[target]
    refs = [AccountRef(platform, w.account(target)) for _ in range(2)]
    command = catalogue.LinkIdentities.parse(operator=target, accounts=refs)
    identity = catalogue.link_identities(w.db, command, caller=Caller("setup", now=w.clock())).id
    return w.client.get(f"/v1/identities/{identity}", headers=h)


def _create_token(w: World, h: dict[str, str], target: str) -> httpx.Response:
    body = {"operator": target, "role": "moderator", "name": w.unique("tok")}
    return w.client.post("/v1/tokens", json=body, headers=h)


def _revoke_token(w: World, h: dict[str, str], target: str) -> httpx.Response:
    token_id = w.token(Role.MODERATOR, target)["id"]
    return w.client.post(f"/v1/tokens/{token_id}/revoke", headers=h)


def _impose(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.post("/v1/sanctions", json=sanction_body(w.PLATFORM[target], w.unique("s")), headers=h)


def _import(w: World, h: dict[str, str], target: str) -> httpx.Response:
    row = sanction_body(w.PLATFORM[target], w.unique("s"), starts_at="2024-05-01T00:00:00Z")
    return w.client.post("/v1/imports", json={"sanctions": [row], "informed_at_start": True}, headers=h)


def _list_sanctions(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/sanctions", params={"operator": target}, headers=h)


def _get_sanction(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/sanctions/{w.sanction(target)['id']}", headers=h)


def _amend(w: World, h: dict[str, str], target: str) -> httpx.Response:
    sanction_id = w.sanction(target)["id"]
    return w.client.post(f"/v1/sanctions/{sanction_id}/amend", json={"ends_at": None, "reason": "r"}, headers=h)


def _lift(w: World, h: dict[str, str], target: str) -> httpx.Response:
    sanction_id = w.sanction(target)["id"]
    return w.client.post(f"/v1/sanctions/{sanction_id}/lift", json={"reason": "r"}, headers=h)


def _standing(w: World, h: dict[str, str], target: str) -> httpx.Response:
    subject = w.sanction(target)["subject"]
    return w.client.get(f"/v1/platforms/{subject['platform']}/accounts/{subject['account']}/standing", headers=h)


def _visibility(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/platforms/{w.PLATFORM[target]}/items/{w.unique('item')}/visibility", headers=h)


def _checks(w: World, h: dict[str, str], target: str) -> httpx.Response:
    check = {"platform": w.PLATFORM[target], "account": w.account(target), "capability": "post"}
    return w.client.post("/v1/checks", json={"checks": [check]}, headers=h)


def _events(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/events", params={"operator": target}, headers=h)


def _verify(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/audit/verify", headers=h)


def _erase_person(w: World, h: dict[str, str], target: str) -> httpx.Response:
    account = f"{w.PLATFORM[target]}/{w.account(target)}"  # no display name: nothing to erase, no event
    return w.client.post("/v1/people/erase", json={"operator": target, "account": account}, headers=h)


def _content_body(w: World, target: str) -> dict[str, object]:
    item = {
        "platform": w.PLATFORM[target],
        "item": w.unique("item"),
        "account": w.unique("author"),
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_date": "2024-05-30",
    }
    return {"item": item, "kind": "removal", "reason": reason()}


def _content_decision(w: World, target: str) -> str:
    """A fresh removal of a fresh item of a fresh author of ``target`` (two events)."""
    command = content.DecideContent.parse(**_content_body(w, target))  # type: ignore[arg-type]
    return content.decide_content(w.db, command, caller=Caller("setup", now=w.clock())).id


def _decide_content(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.post("/v1/content-decisions", json=_content_body(w, target), headers=h)


def _list_content(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/content-decisions", params={"platform": w.PLATFORM[target]}, headers=h)


def _get_content(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/content-decisions/{_content_decision(w, target)}", headers=h)


def _amend_content(w: World, h: dict[str, str], target: str) -> httpx.Response:
    path = f"/v1/content-decisions/{_content_decision(w, target)}/amend"
    return w.client.post(path, json={"kind": "label", "reason": "r"}, headers=h)


def _content_statements(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/content-decisions/{_content_decision(w, target)}/statements", headers=h)


def _restore_content(w: World, h: dict[str, str], target: str) -> httpx.Response:
    path = f"/v1/content-decisions/{_content_decision(w, target)}/restore"
    return w.client.post(path, json={"reason": "r"}, headers=h)


def _open_content_review(w: World, h: dict[str, str], target: str) -> httpx.Response:
    path = f"/v1/content-decisions/{_content_decision(w, target)}/reviews"
    return w.client.post(path, json={"panel": ["a"], "reason": "r"}, headers=h)


def _open_any_review(w: World, h: dict[str, str], target: str) -> httpx.Response:
    body = {"sanction": w.sanction(target)["id"], "panel": ["a"], "reason": "r"}
    return w.client.post("/v1/reviews", json=body, headers=h)


def _notice_body(w: World, target: str) -> dict[str, object]:
    return {
        "platform": w.PLATFORM[target],
        "about": {"item": w.unique("item")},
        "location": "https://example.org/post",
        "explanation": "Illegal, as explained.",
        "category": "STATEMENT_CATEGORY_VIOLENCE",
        "illegal": False,
        "notifier": {"kind": "individual", "name": "N", "email": "n@example.org"},
        "bona_fide": True,
        "channel": "api",
    }


def _notice(w: World, target: str) -> notices.NoticeView:
    """A fresh notice about a fresh item of ``target``, opening its case (two events)."""
    command = notices.ReceiveNotice.parse(**_notice_body(w, target))  # type: ignore[arg-type]
    return notices.receive_notice(w.db, command, caller=Caller("setup", now=w.clock()))


def _file_notice(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.post("/v1/notices", json=_notice_body(w, target), headers=h)


def _list_notices(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/notices", params={"platform": w.PLATFORM[target]}, headers=h)


def _get_notice(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/notices/{_notice(w, target).id}", headers=h)


def _get_case(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/cases/{_notice(w, target).case}", headers=h)


def _decide_notice(w: World, h: dict[str, str], target: str) -> httpx.Response:
    body = {"action": "no_action", "rationale": "Nothing wrong.", "reply": "We took no action.", "automated": False}
    return w.client.post(f"/v1/notices/{_notice(w, target).id}/decision", json=body, headers=h)


ROUTES = {
    "create-operator": Route("POST", "/v1/operators", frozenset({IA}), 201, _operator_id, scoped=False),
    "get-operator": Route("GET", "/v1/operators/{operator}", ALL, 200, _get_operator),
    "create-platform": Route("POST", "/v1/platforms", frozenset({IA, Role.ADMIN}), 201, _create_platform),
    "get-platform": Route("GET", "/v1/platforms/{platform}", ALL, 200, _get_platform),
    "put-account": Route(
        "PUT",
        "/v1/platforms/{platform}/accounts/{account}",
        MODERATING | {Role.PLATFORM},
        201,
        _put_account,
    ),
    "link-identities": Route("POST", "/v1/identities", MODERATING, 201, _link),
    "get-identity": Route("GET", "/v1/identities/{identity_id}", ALL, 200, _get_identity),
    "create-token": Route("POST", "/v1/tokens", frozenset({IA, Role.ADMIN}), 201, _create_token),
    "revoke-token": Route("POST", "/v1/tokens/{token_id}/revoke", frozenset({IA, Role.ADMIN}), 200, _revoke_token),
    "impose": Route("POST", "/v1/sanctions", MODERATING, 201, _impose),
    "import": Route("POST", "/v1/imports", frozenset({IA, Role.ADMIN, Role.PLATFORM}), 201, _import),
    "list-sanctions": Route("GET", "/v1/sanctions", ALL, 200, _list_sanctions),
    "get-sanction": Route("GET", "/v1/sanctions/{sanction_id}", ALL, 200, _get_sanction),
    "amend": Route("POST", "/v1/sanctions/{sanction_id}/amend", MODERATING, 200, _amend),
    "lift": Route("POST", "/v1/sanctions/{sanction_id}/lift", MODERATING, 200, _lift),
    "standing": Route("GET", "/v1/platforms/{platform}/accounts/{account}/standing", ALL, 200, _standing),
    # Decisions on content: as sanctions (a list names no operator: another's decisions are absent).
    "decide-content": Route("POST", "/v1/content-decisions", MODERATING, 201, _decide_content),
    "list-content": Route("GET", "/v1/content-decisions", ALL, 200, _list_content, scoped=False),
    "get-content": Route("GET", "/v1/content-decisions/{decision_id}", ALL, 200, _get_content),
    "amend-content": Route("POST", "/v1/content-decisions/{decision_id}/amend", MODERATING, 200, _amend_content),
    "restore-content": Route("POST", "/v1/content-decisions/{decision_id}/restore", MODERATING, 200, _restore_content),
    "visibility": Route("GET", "/v1/platforms/{platform}/items/{item}/visibility", ALL, 200, _visibility),
    "content-statements": Route("GET", "/v1/content-decisions/{decision_id}/statements", ALL, 200, _content_statements),
    "checks": Route("POST", "/v1/checks", ALL, 200, _checks),
    "events": Route("GET", "/v1/events", frozenset({IA, Role.AUDITOR}), 200, _events),
    "verify": Route("GET", "/v1/audit/verify", frozenset({IA, Role.AUDITOR}), 200, _verify, scoped=False),
    # Due process (requests in due_process_matrix.py).
    "list-reviews": Route("GET", "/v1/reviews", ALL, 200, dp.list_reviews),
    "get-review": Route("GET", "/v1/reviews/{review_id}", ALL, 200, dp.get_review),
    "open-review": Route("POST", "/v1/sanctions/{sanction_id}/reviews", MODERATING, 201, dp.open_review),
    "open-any-review": Route("POST", "/v1/reviews", MODERATING, 201, _open_any_review),
    "open-content-review": Route(
        "POST", "/v1/content-decisions/{decision_id}/reviews", MODERATING, 201, _open_content_review
    ),
    "assess": Route("POST", "/v1/reviews/{review_id}/assessments", MODERATING | {Role.REVIEWER}, 201, dp.assess),
    "decide-review": Route(
        "POST",
        "/v1/reviews/{review_id}/decision",
        MODERATING | {Role.REVIEWER},
        200,
        dp.decide_review,
    ),
    "file-notice": Route("POST", "/v1/notices", frozenset({IA, Role.PLATFORM}), 201, _file_notice),
    "list-notices": Route("GET", "/v1/notices", ALL, 200, _list_notices, scoped=False),
    "get-notice": Route("GET", "/v1/notices/{notice_id}", ALL, 200, _get_notice),
    "get-case": Route("GET", "/v1/cases/{case_id}", ALL, 200, _get_case),
    "decide-notice": Route("POST", "/v1/notices/{notice_id}/decision", MODERATING, 200, _decide_notice),
    "file-appeal": Route("POST", "/v1/appeals", MODERATING | {Role.PLATFORM}, 201, dp.file_appeal),
    "list-appeals": Route("GET", "/v1/appeals", ALL, 200, dp.list_appeals),
    "get-appeal": Route("GET", "/v1/appeals/{appeal_id}", ALL, 200, dp.get_appeal),
    "decide-appeal": Route(
        "POST",
        "/v1/appeals/{appeal_id}/decision",
        MODERATING,
        200,
        dp.decide_appeal,
    ),
    "attach-appeal": Route("POST", "/v1/appeals/{appeal_id}/attach", MODERATING, 200, dp.attach_appeal),
    "record-dispute": Route(
        "POST",
        "/v1/appeals/{appeal_id}/disputes",
        MODERATING,
        201,
        dp.record_dispute,
    ),
    "record-violation": Route("POST", "/v1/violations", MODERATING | {Role.PLATFORM}, 201, dp.record_violation),
    # Amnesties (requests in operations_matrix.py): moderators and admins decide them, all may look.
    "create-amnesty": Route("POST", "/v1/amnesties", MODERATING, 202, ops.create_amnesty),
    "get-amnesty": Route("GET", "/v1/amnesties/{amnesty_id}", ALL, 200, ops.get_amnesty),
    "revert-amnesty": Route(
        "POST",
        "/v1/amnesties/{amnesty_id}/revert",
        MODERATING,
        202,
        ops.revert_amnesty,
    ),
    # Webhooks (requests in operations_matrix.py): admins manage them, auditors may look.
    "create-webhook": Route("POST", "/v1/webhooks", frozenset({IA, Role.ADMIN}), 201, ops.create_webhook),
    "list-webhooks": Route("GET", "/v1/webhooks", frozenset({IA, Role.ADMIN, Role.AUDITOR}), 200, ops.list_webhooks),
    "get-webhook": Route(
        "GET", "/v1/webhooks/{webhook_id}", frozenset({IA, Role.ADMIN, Role.AUDITOR}), 200, ops.get_webhook
    ),
    "delete-webhook": Route(
        "DELETE", "/v1/webhooks/{webhook_id}", frozenset({IA, Role.ADMIN}), 204, ops.delete_webhook
    ),
    "disable-webhook": Route(
        "POST", "/v1/webhooks/{webhook_id}/disable", frozenset({IA, Role.ADMIN}), 200, ops.disable_webhook
    ),
    "enable-webhook": Route(
        "POST", "/v1/webhooks/{webhook_id}/enable", frozenset({IA, Role.ADMIN}), 200, ops.enable_webhook
    ),
    "list-deliveries": Route(
        "GET",
        "/v1/webhooks/{webhook_id}/deliveries",
        frozenset({IA, Role.ADMIN, Role.AUDITOR}),
        200,
        ops.list_deliveries,
    ),
    "redeliver": Route(
        "POST", "/v1/webhooks/deliveries/{delivery_id}/redeliver", frozenset({IA, Role.ADMIN}), 202, ops.redeliver
    ),
    "get-statement": Route("GET", "/v1/sanctions/{sanction_id}/statement", ALL, 200, ops.get_statement),
    "list-issued-statements": Route(
        "GET", "/v1/sanctions/{sanction_id}/statements", ALL, 200, ops.list_issued_statements
    ),
    "get-issued-statement": Route("GET", "/v1/statements/{statement_id}", ALL, 200, ops.get_issued_statement),
    # The copy holding the appeal code: the platform's machines deliver it, nobody else reads it.
    "get-delivery-copy": Route(
        "GET", "/v1/statements/{statement_id}/delivery-copy", frozenset({Role.PLATFORM}), 200, ops.get_delivery_copy
    ),
    "deliver-statement": Route(
        "POST", "/v1/statements/{statement_id}/delivery", frozenset({IA, Role.PLATFORM}), 201, ops.deliver_statement
    ),
    "export-statements": Route("GET", "/v1/transparency/statements", ALL, 200, ops.export_statements),
    "submit-statements": Route(
        "POST",
        "/v1/transparency/submissions",
        MODERATING,
        202,
        ops.submit_statements,
    ),
    "submission-counts": Route("GET", "/v1/transparency/submissions", ALL, 200, ops.submission_counts),
    "get-submission": Route("GET", "/v1/transparency/submissions/{run_id}", ALL, 200, ops.get_submission),
    "transparency-report": Route("GET", "/v1/transparency/report", ALL, 200, ops.transparency_report),
    # Who was shown a requester's e-mail: the operator's admins.
    "personal-access": Route("GET", "/v1/personal-access", frozenset({IA, Role.ADMIN}), 200, ops.personal_access),
    "erase-person": Route("POST", "/v1/people/erase", frozenset({IA, Role.ADMIN}), 200, _erase_person),
}


def expected_status(route: Route, role: Role, target: str) -> int:
    if role not in route.roles:
        return 403
    if route.scoped and role is not IA and target != "meta":
        return 404
    return route.success


CASES = [
    pytest.param(name, role, target, id=f"{name}-{role.value}-{'own' if target == 'meta' else 'other'}")
    for name in ROUTES
    for role in Role
    for target in ("meta", "x")
]


@pytest.mark.parametrize(("name", "role", "target"), CASES)
def test_tenancy_matrix(module_world: World, name: str, role: Role, target: str) -> None:
    route = ROUTES[name]
    w = module_world
    headers = w.headers[role.value]
    response = route.call(w, headers, target)
    before = _event_count(w.db)
    expected = expected_status(route, role, target)
    if name == "checks" and expected == 404:
        # A batch of checks answers a row it cannot answer in its place (PRODUCT.md section 4):
        # another operator's platform is refused exactly as a platform that does not exist.
        assert response.status_code == 200, response.text
        (row,) = response.json()["results"]
        assert row["error"]["type"] == "https://reprieve.dev/problems/not-found"
        assert row["error"]["detail"] == f"no platform {row['platform']!r}"
        return
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        kind = {403: "forbidden", 404: "not-found"}[expected]
        assert response.json()["type"] == f"https://reprieve.dev/problems/{kind}"
        # A refused request (re-sent, so that its own setup is not counted) records nothing.
        route_again = route.call(w, headers, target)
        assert route_again.status_code == expected
        assert _event_count(w.db) == before + _setup_events(name)


def _event_count(db: Database) -> int:
    with db.read() as conn:
        return eventlog.head(conn)[0]


def _setup_events(name: str) -> int:
    """Events the request's own setup records through the services before it is sent."""
    return {
        "link-identities": 2,
        "get-identity": 3,
        "revoke-token": 1,
        "get-sanction": 3,
        "amend": 3,
        "lift": 3,
        "standing": 3,
        "checks": 1,
        "erase-person": 1,
        # the decision's creation and its statement.issued (as a sanction's)
        "get-content": 3,
        "amend-content": 3,
        "restore-content": 3,
        "open-content-review": 3,
        # the sanction's imposition, as open-review's
        "open-any-review": 3,
        "content-statements": 3,
        # the case opened and the notice received
        "get-notice": 2,
        "get-case": 2,
        "decide-notice": 2,
        **dp.SETUP_EVENTS,
        **ops.SETUP_EVENTS,
    }.get(name, 0)


def test_matrix_covers_every_route(db: Database) -> None:
    declared = {
        (method.upper(), path)
        for path, operations in create_app(db).openapi()["paths"].items()
        for method in operations
    }
    covered = {(r.method, r.path) for r in ROUTES.values()}
    assert declared == covered


def test_lists_show_only_the_tokens_operator(module_world: World) -> None:
    w = module_world
    w.sanction("meta")
    w.sanction("x")
    for role in (Role.ADMIN, Role.MODERATOR, Role.REVIEWER, Role.AUDITOR, Role.PLATFORM):
        page = w.client.get("/v1/sanctions", params={"limit": 1000}, headers=w.headers[role.value]).json()
        assert page["items"] and {s["operator"] for s in page["items"]} == {"meta"}
    everything = w.client.get("/v1/sanctions", params={"limit": 1000}, headers=w.headers[IA.value]).json()
    assert {s["operator"] for s in everything["items"]} == {"meta", "x"}
    events = w.client.get("/v1/events", params={"limit": 1000}, headers=w.headers[Role.AUDITOR.value]).json()
    assert events["items"] and {e["operator"] for e in events["items"]} == {"meta"}


def test_a_scope_reaching_another_operator_is_not_found(module_world: World) -> None:
    w = module_world
    body = sanction_body("facebook", w.unique("s"), scope=["facebook", "twitter"], reason=reason())
    response = w.client.post("/v1/sanctions", json=body, headers=w.headers[Role.MODERATOR.value])
    assert response.status_code == 404
    assert "twitter" in response.json()["detail"]


def test_identities_cannot_take_another_operators_accounts(module_world: World) -> None:
    w = module_world
    accounts = [
        {"platform": "facebook", "account": w.account("meta")},
        {"platform": "twitter", "account": w.account("x")},
    ]
    response = w.client.post(
        "/v1/identities", json={"operator": "meta", "accounts": accounts}, headers=w.headers[Role.ADMIN.value]
    )
    assert response.status_code == 404


def test_admins_cannot_mint_instance_admins(module_world: World) -> None:
    w = module_world
    body = {"operator": None, "role": "instance-admin", "name": "escalate"}
    response = w.client.post("/v1/tokens", json=body, headers=w.headers[Role.ADMIN.value])
    assert response.status_code == 403
