"""Pages and their headers (red-team L7, L10, L11): the sign-in redirect never takes the Host
header, every HTML answer carries the security headers, and the CSRF token is bound to the
session, so that a planted ``reprieve_csrf`` cookie with its own value in the form is refused."""

from __future__ import annotations

import re

import httpx2
import pytest
from api_support import SETUP, Clock, World
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from reprieve.domain.model import Role
from reprieve.services import members
from reprieve.services.callers import Caller

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()


def form_token(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def signed_in(world: World, clock: Clock, email: str) -> TestClient:
    members.create_member(
        world.db,
        members.CreateMember.parse(email=email, name=email, role="moderator", operator="meta", password=PASSWORD),
        caller=Caller(SETUP, now=clock()),
    )
    client = TestClient(world.client.app, follow_redirects=False)
    answer = client.post(
        "/console/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": form_token(client, "/console/sign-in")},
    )
    assert answer.status_code == 303
    return client


def plant(client: TestClient, value: str) -> None:
    """Replace the browser's CSRF cookie, as a sibling subdomain's page could."""
    domains = {cookie.domain for cookie in client.cookies.jar if cookie.name == "reprieve_csrf"}
    client.cookies.delete("reprieve_csrf")
    for domain in domains or {"testserver.local"}:
        client.cookies.set("reprieve_csrf", value, domain=domain)


def assert_protected(answer: httpx2.Response) -> None:
    headers = answer.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "object-src 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"]


# --- L7 -----------------------------------------------------------------------------------------


def test_the_sign_in_redirect_is_a_path_whatever_the_host_header(world: World) -> None:
    answer = world.client.get(
        "/console/sanctions?status=active", headers={"host": "evil.example"}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fsanctions%3Fstatus%3Dactive"


# --- L10 ----------------------------------------------------------------------------------------


def test_every_html_answer_of_the_app_carries_the_security_headers(world: World) -> None:
    auditor = world.headers[Role.AUDITOR.value]
    sanction = world.sanction("meta")
    statement = world.client.get(
        f"/v1/sanctions/{sanction['id']}/statement", params={"format": "html"}, headers=auditor
    )
    report = world.client.get(
        "/v1/transparency/report", params={"from": "2024-01-01", "to": "2024-07-01", "format": "html"}, headers=auditor
    )
    for answer in (statement, report):
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
        assert_protected(answer)
        assert "script-src 'self';" in answer.headers["content-security-policy"]  # no inline script
    for page in ("/console/sign-in", "/appeal", "/console/no-such-page"):
        assert_protected(world.client.get(page))


def test_the_api_docs_page_and_the_landing_page_are_as_strict_as_the_console(world: World) -> None:
    for path in ("/docs", "/"):
        page = world.client.get(path)
        assert page.status_code == 200
        assert_protected(page)
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "https:" not in policy
        assert not re.findall(r'(?:src|href)="(?:https?:)?//', page.text)  # nothing from another origin
        assert "<script>" not in page.text  # no inline script


def test_json_answers_are_left_as_they_were(world: World) -> None:
    answer = world.client.get("/v1/operators/meta", headers=world.headers[Role.ADMIN.value])
    assert answer.status_code == 200 and "content-security-policy" not in answer.headers


# --- L11 ----------------------------------------------------------------------------------------


def test_a_planted_csrf_cookie_with_its_value_in_the_form_is_refused(world: World, clock: Clock) -> None:
    victim = signed_in(world, clock, "victim@meta.example")
    form = {"current_password": "x" * 12, "new_password": "y" * 12, "repeat_password": "y" * 12}
    planted = "p" * 43  # what a sibling subdomain could set in the victim's browser
    plant(victim, planted)
    refused = victim.post("/console/password", data=dict(form, csrf_token=planted))
    assert refused.status_code == 403
    # The page's own token, from the same cookies, is accepted (the view answers: wrong password).
    assert (
        victim.post(
            "/console/password", data=dict(form, csrf_token=form_token(victim, "/console/password"))
        ).status_code
        == 400
    )


def test_a_token_of_one_session_is_refused_in_another(world: World, clock: Clock) -> None:
    first = signed_in(world, clock, "first@meta.example")
    second = signed_in(world, clock, "second@meta.example")
    token = form_token(first, "/console/password")
    plant(second, str(first.cookies.get("reprieve_csrf")))  # even with the same cookie
    answer = second.post("/console/sign-out", data={"csrf_token": token})
    assert answer.status_code == 403


def test_a_public_form_token_is_bound_to_its_cookie(world: World) -> None:
    client = TestClient(world.client.app)
    form_token(client, "/appeal")
    planted = "q" * 43
    plant(client, planted)
    assert client.post("/appeal", data={"csrf_token": planted, "sanction": "snc_x"}).status_code == 403
