"""M3, M4 and L12 of the red-team report, and blank text (issue 17, item 9).

M3: instants whose offset pushes them out of range (``9999-12-31T23:59:59-23:59``) were a 500
(``OverflowError``) wherever a path parsed them itself. M4: enormous durations
(``PT999999999999H``) were a 500 before the "longer than any term" check. Both are now refused
with the field named: 422 on the API, a 400 page on the console, one line and exit 1 on the CLI.

Blank text (spaces, tabs, line breaks, NBSP, a byte-order mark, zero-width characters) counts as
missing wherever a text is required; the console refuses NUL and control characters as the API
does (L12); the CSV export trims its cells as the Transparency Database's dumps do.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from api_support import World, reason, sanction_body
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2e.cli_support import Cli
from reprieve.domain.errors import ValidationError
from reprieve.domain.reason import Reason
from reprieve.domain.text import is_blank, trim
from reprieve.services import catalogue, members
from reprieve.services.callers import Caller

OUT_OF_RANGE = ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59")
HUGE = (
    "PT999999999999H",
    "P999999999999D",
    "P999999999999W",
    "PT99999999999999M",
    "PT99999999999999999999S",
    "P99999999999M",
    "P" + "9" * 30 + "D",
)
#: Text that the Transparency Database trims to nothing.
BLANKS = ("   ", "\t\n", "\ufeff", "\u200b", "\u200c\u200d", "\u2060 ", "\xa0", " \u200b\xa0\ufeff\n")
PASSWORD = "correct horse battery"
_FAST = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


def problem_fields(response: Any) -> list[str]:
    body = response.json()
    return [e["field"] for e in body.get("errors") or []] + [body.get("detail", "")]


def refused(response: Any, field: str, *, status: tuple[int, ...] = (422,)) -> None:
    """A 4xx problem+json whose errors (or detail) name ``field``."""
    assert response.status_code in status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    named = problem_fields(response)
    assert any(f == field or f.endswith(f".{field}") or f.startswith(f"{field}:") for f in named), named


def page_refused(response: Any, field: str) -> None:
    """The console's answer to bad input (HTML, 400): its own error page naming ``field`` (a page
    read), or the form shown again with its error summary and the error beside the field ``field``
    (a form, whose fields are the part after the last dot: ``reason.explanation`` is ``explanation``)."""
    assert response.status_code == 400, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html"), response.headers
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', response.text, re.S)
    if found:
        assert f"{field}:" in found.group(1), found.group(1)
        return
    name = field.rpartition(".")[2]
    assert 'id="error-summary"' in response.text, response.text[:500]
    assert re.search(rf'name="{name}"[^>]*aria-invalid="true"', response.text), (field, response.text[:500])


#: What the console's impose form needs besides the term, for the Transparency Database (issue 18).
DSA_FIELDS = {"facts": "Sold 40 fake tickets", "content_type": "CONTENT_TYPE_TEXT", "content_date": "2024-05-01"}


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()


@pytest.fixture
def fbm(world: World) -> World:
    """The world with a platform ``fbm`` of meta that has a policy (violations need one)."""
    catalogue.create_platform(
        world.db,
        catalogue.CreatePlatform.parse(id="fbm", operator="meta", name="FB with a policy", policy="meta"),
        caller=Caller("setup", now=world.clock()),
    )
    return world


def console_of(world: World) -> tuple[TestClient, Callable[[], str]]:
    """A console client signed in as a moderator of meta, and a way to get a fresh CSRF token."""
    members.create_member(
        world.db,
        members.CreateMember.parse(
            email="moderator@meta.example", name="Mod", role="moderator", operator="meta", password=PASSWORD
        ),
        caller=Caller("setup", now=world.clock()),
    )
    client = world.client

    def csrf(path: str = "/console/sign-in") -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
        assert found
        return found.group(1)

    signed = client.post(
        "/console/sign-in",
        data={"email": "moderator@meta.example", "password": PASSWORD, "csrf_token": csrf()},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text[:300]
    return client, lambda: csrf("/console")


def appeal_of(world: World) -> str:
    """An open appeal against a fresh sanction on ``fbm``, whose policy has a probation ladder."""
    imposed = world.client.post(
        "/v1/sanctions", headers=world.headers["moderator"], json=sanction_body("fbm", world.unique("subject"))
    )
    assert imposed.status_code == 201, imposed.text
    sanction = imposed.json()
    filed = world.client.post(
        "/v1/appeals",
        headers=world.headers["moderator"],
        json={
            "sanction": sanction["id"],
            "kind": "reinstatement",
            "filed_by": {"name": "Counsel"},
            "statement": "Please",
            "channel": "letter",
        },
    )
    assert filed.status_code == 201, filed.text
    return str(filed.json()["id"])


def events(world: World) -> int:
    from reprieve.store import eventlog

    with world.db.read() as conn:
        return eventlog.count_events(conn)


# --- M3: the URLs of the report -------------------------------------------------------------


M3_GETS = [
    ("/v1/transparency/report?from=9999-12-31T23:59:59-23:59&to=9999-12-31", "from"),
    ("/v1/transparency/report?from=2024-01-01&to=0001-01-01T00:00:00%2B23:59", "to"),
    ("/v1/transparency/statements?to=9999-12-31T23:59:59-23:59", "to"),
    ("/v1/transparency/statements?from=0001-01-01T00:00:00%2B23:59", "from"),
    ("/v1/transparency/statements?format=csv&from=0001-01-01T00:00:00%2B23:59", "from"),
    ("/v1/platforms/facebook/accounts/alice/standing?at=9999-12-31T23:59:59-23:59", "at"),
    ("/v1/sanctions?at=0001-01-01T00:00:00%2B23:59", "at"),
]


def test_m3_an_out_of_range_instant_in_a_query_is_a_422_naming_it(world: World) -> None:
    for url, field in M3_GETS:
        refused(world.client.get(url, headers=world.headers["moderator"]), field, status=(400, 422))


def test_m3_submissions_and_the_violation_fast_path_refuse_an_out_of_range_instant(fbm: World) -> None:
    world = fbm
    before = events(world)
    sent = world.client.post(
        "/v1/transparency/submissions", headers=world.headers["moderator"], json={"from": "9999-12-31T23:59:59-23:59"}
    )
    refused(sent, "from")
    report = {
        "id": "v-1",
        "platform": "fbm",
        "account": "alice",
        "policy": "Violence and Incitement",
        "severity": "moderate",
        "category": "STATEMENT_CATEGORY_VIOLENCE",
        "facts": "A post.",
        "occurred_at": "9999-12-31T23:59:59-23:59",
    }
    for extra in ({}, {"Idempotency-Key": "k-1"}):  # the fast path, then the route
        refused(
            world.client.post("/v1/violations", headers={**world.headers["platform"], **extra}, json=report),
            "occurred_at",
        )
    assert events(world) == before


def test_m3_console_pages_and_the_impose_form_refuse_an_out_of_range_instant(world: World) -> None:
    client, csrf = console_of(world)
    world.account("meta")
    for url in (
        "/console/sanctions?at=9999-12-31T23:59:59-23:59",
        "/console?at=0001-01-01T00:00:00%2B23:59",
        "/console/accounts/facebook/DonaldTrump?at=9999-12-31T23:59:59-23:59",
    ):
        page_refused(client.get(url), "at")
    before = events(world)
    form = {
        "csrf_token": csrf(),
        "confirm": "yes",
        "subject": "facebook/carol",
        "kind": "suspension",
        "ground": "incompatible_content",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "policy": "Fraud",
        "explanation": "Sold counterfeit tickets",
        "ends_at": "9999-12-31T23:59:59-23:59",
        **DSA_FIELDS,
    }
    refused_form = client.post(
        "/console/sanctions", data=form, headers={"Referer": "http://testserver/console/accounts/facebook/carol"}
    )
    page_refused(refused_form, "ends_at")
    # the form again, as it was filled in
    assert 'value="9999-12-31T23:59:59-23:59"' in refused_form.text
    assert ">Sold counterfeit tickets<" in refused_form.text
    page_refused(
        client.post("/console/sanctions", data={**form, "ends_at": "", "duration": "PT999999999999H"}), "duration"
    )
    assert events(world) == before


# --- M4: huge durations ---------------------------------------------------------------------


def test_m4_a_huge_duration_is_a_422_naming_the_field(world: World) -> None:
    headers = world.headers["moderator"]
    account = world.account("meta")
    before = events(world)
    for duration in HUGE:
        body = sanction_body("facebook", account, duration=duration)
        refused(world.client.post("/v1/sanctions", headers=headers, json=body), "duration")
        body = sanction_body("facebook", account, review_after=duration)
        refused(world.client.post("/v1/sanctions", headers=headers, json=body), "review_after")
        token = {"operator": "meta", "role": "auditor", "name": "t", "expires_in": duration}
        refused(world.client.post("/v1/tokens", headers=world.headers["admin"], json=token), "expires_in")
    assert events(world) == before


def test_m4_a_huge_probation_duration_is_refused_and_the_appeal_stays_open(fbm: World) -> None:
    world = fbm
    appeal = appeal_of(world)
    decision = {
        "outcome": "granted",
        "rationale": "Fair",
        "reply": "Granted",
        "probation": {"duration": "PT999999999999H"},
    }
    refused(
        world.client.post(f"/v1/appeals/{appeal}/decision", headers=world.headers["moderator"], json=decision),
        "probation.duration",
    )
    assert world.client.get(f"/v1/appeals/{appeal}", headers=world.headers["moderator"]).json()["state"] == "open"


# --- property: extreme instants and durations at every field --------------------------------


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


INSTANTS = st.one_of(
    st.sampled_from(
        [
            *OUT_OF_RANGE,
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
            "0001-01-01",
            "9999-12-31",
            "9999-12-31T23:59:59+00:00",
            "0001-01-01T00:00:00-00:01",
        ]
    ),
    st.builds(
        lambda moment, offset: moment.isoformat() + _offset(offset),
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
        st.integers(-1439, 1439),
    ),
)
_UNITS = ("Y", "M", "W", "D", "TH", "TM", "TS")
DURATIONS = st.one_of(
    st.sampled_from(HUGE),
    st.builds(lambda n, unit: f"P{unit[:-1]}{n}{unit[-1]}", st.integers(0, 10**30), st.sampled_from(_UNITS)),
    st.builds(lambda y, d, h: f"P{y}Y{d}DT{h}H", st.integers(0, 10**6), st.integers(0, 10**9), st.integers(0, 10**12)),
)

#: (field, kind, how to send it) for every field of the API that takes an instant or a duration.
Send = Callable[[World, dict[str, str], str], Any]


def _impose(field: str) -> Send:
    def send(world: World, ids: dict[str, str], value: str) -> Any:
        body = sanction_body("facebook", world.account("meta"), **{field: value})
        if field != "duration":
            body.pop("duration")  # indefinite: only the field under test decides
        return world.client.post("/v1/sanctions", headers=world.headers["moderator"], json=body)

    return send


def _post(path: str, role: str, body: Callable[[str], dict[str, Any]]) -> Send:
    def send(world: World, ids: dict[str, str], value: str) -> Any:
        sent = body(value)
        if sent.get("sanction") == "SANCTION":
            sent["sanction"] = ids["sanction"]
        return world.client.post(path.format(**ids), headers=world.headers[role], json=sent)

    return send


def _get(path: str, parameter: str, role: str = "moderator") -> Send:
    def send(world: World, ids: dict[str, str], value: str) -> Any:
        return world.client.get(path.format(**ids), headers=world.headers[role], params={parameter: value})

    return send


TOKEN = {"operator": "meta", "role": "auditor", "name": "t"}
API_FIELDS: list[tuple[str, str, Send]] = [
    ("starts_at", "instant", _impose("starts_at")),
    ("ends_at", "instant", _impose("ends_at")),
    ("review_at", "instant", _impose("review_at")),
    ("duration", "duration", _impose("duration")),
    ("review_after", "duration", _impose("review_after")),
    ("expires_in", "duration", _post("/v1/tokens", "admin", lambda v: {**TOKEN, "expires_in": v})),
    ("expires_at", "instant", _post("/v1/tokens", "admin", lambda v: {**TOKEN, "expires_at": v})),
    (
        "ends_at",
        "instant",
        _post("/v1/sanctions/{sanction}/amend", "moderator", lambda v: {"ends_at": v, "reason": "r"}),
    ),
    (
        "effective_at",
        "instant",
        _post("/v1/sanctions/{sanction}/lift", "moderator", lambda v: {"effective_at": v, "reason": "r"}),
    ),
    (
        "at",
        "instant",
        _post(
            "/v1/checks",
            "platform",
            lambda v: {"at": v, "checks": [{"platform": "facebook", "account": "a", "capability": "post"}]},
        ),
    ),
    (
        "occurred_at",
        "instant",
        _post(
            "/v1/violations",
            "platform",
            lambda v: {
                "id": "v-p",
                "platform": "fbm",
                "account": "alice",
                "policy": "Violence and Incitement",
                "severity": "moderate",
                "category": "STATEMENT_CATEGORY_VIOLENCE",
                "facts": "A post.",
                "occurred_at": v,
            },
        ),
    ),
    (
        "received_at",
        "instant",
        _post(
            "/v1/appeals",
            "moderator",
            lambda v: {
                "sanction": "SANCTION",
                "kind": "complaint",
                "filed_by": {"name": "N"},
                "statement": "s",
                "channel": "letter",
                "received_at": v,
            },
        ),
    ),
    (
        "probation.duration",
        "duration",
        _post(
            "/v1/appeals/{appeal}/decision",
            "moderator",
            lambda v: {"outcome": "granted", "rationale": "r", "reply": "r", "probation": {"duration": v}},
        ),
    ),
    (
        "effective_at",
        "instant",
        _post(
            "/v1/appeals/{appeal}/decision",
            "moderator",
            lambda v: {"outcome": "denied", "rationale": "r", "reply": "r", "effective_at": v},
        ),
    ),
    (
        "started_before",
        "instant",
        _post(
            "/v1/amnesties",
            "moderator",
            lambda v: {"operator": "meta", "reason": "r", "dry_run": True, "filter": {"started_before": v}},
        ),
    ),
    (
        "effective_at",
        "instant",
        _post(
            "/v1/amnesties",
            "moderator",
            lambda v: {"operator": "meta", "reason": "r", "dry_run": True, "effective_at": v},
        ),
    ),
    ("at", "instant", _get("/v1/appeals/{appeal}", "at")),
    ("at", "instant", _get("/v1/reviews", "at")),
    ("from", "instant", _get("/v1/transparency/statements", "from")),
    ("to", "instant", _get("/v1/transparency/report", "to")),
    ("at", "instant", _get("/v1/platforms/facebook/accounts/alice/standing", "at")),
    ("at", "instant", _get("/v1/sanctions/{sanction}", "at")),
]


@_FAST
@given(data=st.data())
def test_property_no_extreme_instant_or_duration_is_a_5xx_on_the_api(fbm: World, data: st.DataObject) -> None:
    world = fbm
    if not hasattr(world, "ids"):
        sanction = world.sanction("meta")["id"]
        world.ids = {"sanction": sanction, "appeal": appeal_of(world)}  # type: ignore[attr-defined]
    ids: dict[str, str] = world.ids  # type: ignore[attr-defined]
    field, kind, send = data.draw(st.sampled_from(API_FIELDS), label="field")
    value = data.draw(INSTANTS if kind == "instant" else DURATIONS, label="value")
    answer = send(world, ids, value)
    assert answer.status_code < 500, (field, value, answer.text[:300])
    if answer.status_code in (400, 422):
        named = problem_fields(answer)
        # an occurrence before 2000 makes the default content_date (its day) one the database refuses
        accepted = (field.split(".")[-1], "content_date") if field == "occurred_at" else (field.split(".")[-1],)
        assert any(name in f for f in named for name in accepted), (field, value, named)


@_FAST
@given(data=st.data())
def test_property_no_extreme_instant_or_duration_is_a_5xx_on_the_console(fbm: World, data: st.DataObject) -> None:
    world = fbm
    if not hasattr(world, "console"):
        world.console = console_of(world)  # type: ignore[attr-defined]
        world.pages = [  # type: ignore[attr-defined]
            "/console",
            "/console/sanctions",
            "/console/accounts/facebook/x",
            f"/console/sanctions/{world.sanction('meta')['id']}",
            f"/console/appeals/{appeal_of(world)}",
            "/console/queues/reviews",
            "/console/queues/appeals",
            "/console/audit",
            "/console/amnesties",
        ]
    client, csrf = world.console  # type: ignore[attr-defined]
    where = data.draw(st.sampled_from(["at", "ends_at", "duration", "review_after"]), label="field")
    value = data.draw(INSTANTS if where in ("at", "ends_at") else DURATIONS, label="value")
    if where == "at":
        answer = client.get(data.draw(st.sampled_from(world.pages)), params={"at": value})  # type: ignore[attr-defined]
    else:
        answer = client.post(
            "/console/sanctions",
            data={
                "csrf_token": csrf(),
                "confirm": "yes",
                "subject": "facebook/" + world.unique("s"),
                "kind": "suspension",
                "ground": "incompatible_content",
                "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
                "policy": "Fraud",
                "explanation": "Fraud",
                **DSA_FIELDS,
                **({} if where in ("ends_at", "duration") else {"term": "indefinite"}),
                where: value,
            },
            follow_redirects=False,
        )
    assert answer.status_code < 500, (where, value, answer.text[:300])
    if answer.status_code == 400:
        page_refused(answer, where)


# --- item 9: blank text ---------------------------------------------------------------------


def _lift(world: World, text: str) -> Any:
    return world.client.post(
        f"/v1/sanctions/{world.sanction('meta')['id']}/lift", headers=world.headers["moderator"], json={"reason": text}
    )


BLANK_API: list[tuple[str, Callable[[World, str], Any]]] = [
    (
        "reason.explanation",
        lambda w, t: w.client.post(
            "/v1/sanctions",
            headers=w.headers["moderator"],
            json=sanction_body("facebook", "bob", reason=reason(explanation=t)),
        ),
    ),
    ("reason", _lift),
    (
        "reason",
        lambda w, t: w.client.post(
            f"/v1/sanctions/{w.sanction('meta')['id']}/amend",
            headers=w.headers["moderator"],
            json={"reason": t, "ends_at": None},
        ),
    ),
    (
        "reason",
        lambda w, t: w.client.post(
            f"/v1/sanctions/{w.sanction('meta')['id']}/reviews",
            headers=w.headers["moderator"],
            json={"panel": ["a"], "reason": t},
        ),
    ),
    (
        "panel.0",
        lambda w, t: w.client.post(
            f"/v1/sanctions/{w.sanction('meta')['id']}/reviews",
            headers=w.headers["moderator"],
            json={"panel": [t], "reason": "r"},
        ),
    ),
    (
        "statement",
        lambda w, t: w.client.post(
            "/v1/appeals",
            headers=w.headers["moderator"],
            json={
                "sanction": w.sanction("meta")["id"],
                "kind": "reinstatement",
                "filed_by": {"name": "N"},
                "statement": t,
                "channel": "letter",
            },
        ),
    ),
    (
        "filed_by.name",
        lambda w, t: w.client.post(
            "/v1/appeals",
            headers=w.headers["moderator"],
            json={
                "sanction": w.sanction("meta")["id"],
                "kind": "reinstatement",
                "filed_by": {"name": t},
                "statement": "s",
                "channel": "letter",
            },
        ),
    ),
    (
        "rationale",
        lambda w, t: w.client.post(
            f"/v1/appeals/{appeal_of(w)}/decision",
            headers=w.headers["moderator"],
            json={"outcome": "denied", "rationale": t, "reply": "r"},
        ),
    ),
    (
        "reply",
        lambda w, t: w.client.post(
            f"/v1/appeals/{appeal_of(w)}/decision",
            headers=w.headers["moderator"],
            json={"outcome": "denied", "rationale": "r", "reply": t},
        ),
    ),
    (
        "policy",
        lambda w, t: w.client.post(
            "/v1/violations",
            headers=w.headers["platform"],
            json={
                "id": "v-b",
                "platform": "fbm",
                "account": "alice",
                "policy": t,
                "severity": "moderate",
                "category": "STATEMENT_CATEGORY_VIOLENCE",
            },
        ),
    ),
    (
        "id",
        lambda w, t: w.client.post(
            "/v1/violations",
            headers=w.headers["platform"],
            json={
                "id": t,
                "platform": "fbm",
                "account": "alice",
                "policy": "p",
                "severity": "moderate",
                "category": "STATEMENT_CATEGORY_VIOLENCE",
            },
        ),
    ),
    (
        "name",
        lambda w, t: w.client.post(
            "/v1/operators", headers=w.headers["instance-admin"], json={"id": "blank", "name": t}
        ),
    ),
    ("name", lambda w, t: w.client.post("/v1/tokens", headers=w.headers["admin"], json={"role": "auditor", "name": t})),
    (
        "reason",
        lambda w, t: w.client.post(
            "/v1/amnesties", headers=w.headers["moderator"], json={"operator": "meta", "reason": t, "dry_run": True}
        ),
    ),
]


def test_blank_text_is_missing_on_the_api(fbm: World) -> None:
    for field, send in BLANK_API:
        for blank in (BLANKS[2], BLANKS[3], BLANKS[-1]):
            refused(send(fbm, blank), field)


def test_blank_text_and_nul_are_refused_by_the_console(world: World) -> None:
    client, csrf = console_of(world)
    sanction = world.sanction("meta")["id"]
    before = events(world)
    impose = {
        "confirm": "yes",
        "subject": "facebook/carol",
        "kind": "suspension",
        "ground": "incompatible_content",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "policy": "Fraud",
        "duration": "P30D",
        **DSA_FIELDS,
    }
    for explanation, field in (
        ("\u200b\ufeff", "reason.explanation"),
        ("a\x00b", "explanation"),
        ("a\x07b", "explanation"),
    ):
        page_refused(
            client.post("/console/sanctions", data={**impose, "csrf_token": csrf(), "explanation": explanation}), field
        )
    for text in ("\u2060\xa0", "a\x00b"):
        page_refused(
            client.post(
                f"/console/sanctions/{sanction}/lift", data={"csrf_token": csrf(), "confirm": "yes", "reason": text}
            ),
            "reason",
        )
    assert events(world) == before
    done = client.post(
        "/console/sanctions",
        data={**impose, "csrf_token": csrf(), "explanation": "Two\r\nlines"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:500]


def test_the_cli_refuses_absurd_instants_durations_and_blank_text_in_one_line_and_exit_1(cli: Cli) -> None:
    reason_options = ["--category", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "--explanation", "Fraud", "--policy", "P"]
    for option, value in (
        ("--ends-at", OUT_OF_RANGE[0]),
        ("--starts-at", OUT_OF_RANGE[1]),
        ("--duration", HUGE[0]),
        ("--duration", HUGE[-1]),
        ("--review-after", HUGE[1]),
    ):
        err = cli.fails("sanction", "create", "facebook/bob", "--kind", "suspension", option, value, *reason_options)
        assert option.removeprefix("--").replace("-", "_") in err, err
    assert "--at" in cli.fails("standing", "facebook/bob", "--at", OUT_OF_RANGE[0])
    assert "from" in cli.fails("transparency", "export", "--operator", "meta", "--from", OUT_OF_RANGE[1])
    options = ["--category", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "--policy", "P"]
    for blank in ("\u200b", " \ufeff\xa0\n"):
        err = cli.fails("sanction", "create", "facebook/bob", "--kind", "suspension", "--explanation", blank, *options)
        assert "reason.explanation" in err
    created = cli.json("sanction", "create", "facebook/bob", "--kind", "suspension", "--explanation", "Fraud", *options)
    assert "reason" in cli.fails("sanction", "lift", created["id"], "--reason", "\u200b ")
    assert "name" in cli.fails("operator", "create", "blank", "--name", "\ufeff")
    assert "NUL" in cli.fails("sanction", "lift", created["id"], "--reason", "a\x00b")


# --- CSV cells trimmed ----------------------------------------------------------------------


def test_blank_text_gets_the_same_answer_from_the_violation_fast_path_as_from_the_route(fbm: World) -> None:
    report = {
        "id": "v-1",
        "platform": "fbm",
        "account": "alice",
        "policy": "Violence",
        "severity": "moderate",
        "category": "STATEMENT_CATEGORY_VIOLENCE",
    }
    for field, value in (("policy", "\u200b\xa0"), ("id", "\ufeff"), ("facts", "a\x00b"), ("policy", "a\x01b")):
        fast, route = (
            fbm.client.post(
                "/v1/violations", headers={**fbm.headers["platform"], **extra}, json={**report, field: value}
            )
            for extra in ({}, {"Idempotency-Key": f"k-{field}-{len(value)}"})
        )
        refused(fast, field)
        assert fast.json()["errors"] == route.json()["errors"], (fast.text, route.text)


def test_blank_facts_count_as_missing_text_is_kept_as_given_and_the_csv_export_trims_its_cells(
    world: World,
) -> None:
    body = sanction_body("facebook", world.account("meta"), reason=reason(facts=" \u200b\xa0"))
    created = world.client.post("/v1/sanctions", headers=world.headers["moderator"], json=body)
    assert created.status_code == 201, created.text
    assert created.json()["reason"]["facts"] == ""  # blank: missing, and the statement's validation says so
    exported = world.client.get("/v1/transparency/statements", headers=world.headers["moderator"]).json()
    problems = next(i["problems"] for i in exported["invalid"] if i["sanction"] == created.json()["id"])
    assert {"field": "decision_facts", "message": "is required"} in problems, problems
    body = sanction_body("facebook", world.account("meta"), reason=reason(explanation="Line one\r\n\tline two"))
    created = world.client.post("/v1/sanctions", headers=world.headers["moderator"], json=body)
    assert created.status_code == 201, created.text
    assert created.json()["reason"]["explanation"] == "Line one\r\n\tline two"

    padded = reason(
        explanation="  Praise of violence \u200b",
        policy="\tDangerous people  ",
        facts=" Facts\n",
        content_type=["CONTENT_TYPE_TEXT"],
        content_date="2024-05-30",
    )
    body = sanction_body("facebook", world.account("meta"), reason=padded)
    assert world.client.post("/v1/sanctions", headers=world.headers["moderator"], json=body).status_code == 201
    answer = world.client.get(
        "/v1/transparency/statements", params={"format": "csv"}, headers=world.headers["moderator"]
    )
    assert answer.status_code == 200, answer.text[:300]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows
    for row in rows:
        for column, cell in row.items():
            assert cell == trim(cell), (column, cell)
    assert rows[-1]["incompatible_content_explanation"] == "Praise of violence"
    assert rows[-1]["incompatible_content_ground"] == "Dangerous people"
    assert rows[-1]["decision_facts"] == "Facts"


def test_trim_and_blank_follow_the_transparency_database_and_stored_reasons_still_load() -> None:
    for blank in BLANKS:
        assert is_blank(blank) and trim(blank) == ""
    assert trim("\u200b a \ufeff") == "a" and not is_blank("a")
    recorded = {**reason(explanation="\u200b"), "facts": "a\x00b"}  # as an older version may have stored it
    with pytest.raises(ValidationError, match=r"reason\.explanation"):
        Reason.from_dict(recorded)
    assert Reason.from_dict(recorded, stored=True).explanation == "\u200b"


# --- the CLI fixture -------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The CLI over a SQLite file: what it parses does not depend on the backend."""
    c = Cli(f"sqlite:///{tmp_path / 'cli.db'}", capsys)
    c.ok("operator", "create", "meta", "--name", "Meta")
    c.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook")
    return c
