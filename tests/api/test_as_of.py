"""Record time on reads (issue 22, PRODUCT.md section 8): ``as_of`` beside ``at``.

``at`` is when, in the world; ``as_of`` is what Reprieve knew, from the events recorded by then.
On SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_support import Clock, World
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.demo import DEMO_PASSWORD, load_demo
from reprieve.domain.errors import NotFoundError
from reprieve.domain.time import parse_instant
from reprieve.services import members
from reprieve.services.callers import Caller
from reprieve.store.asof import known_as_of, seq_as_of
from reprieve.store.db import Database


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_a_letter_received_on_the_17th_and_recorded_on_the_20th(world: World) -> None:
    w, h = world, world.headers["moderator"]
    w.clock.now = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
    sanction = w.sanction("meta", duration="P1Y")  # in force from 10 January 2025
    w.clock.now = datetime(2025, 1, 20, 9, 0, tzinfo=UTC)
    body = {
        "sanction": sanction["id"],
        "kind": "complaint",
        "channel": "letter",
        "statement": "It was not me.",
        "filed_by": {"name": "Jane Roe", "email": "jane@example.com", "relation": "subject"},
        "received_at": "2025-01-17T10:00:00Z",
    }
    appeal = w.client.post("/v1/appeals", headers=h, json=body)
    assert appeal.status_code == 201, appeal.text
    path = f"/v1/appeals/{appeal.json()['id']}"
    day = "2025-01-18T00:00:00Z"

    # On the 18th as we know it now: received on the 17th, open.
    known_now = w.client.get(path, params={"at": day}, headers=h)
    assert known_now.status_code == 200 and known_now.json()["state"] == "open"
    # On the 18th as it stood then: nobody at Reprieve knew of it yet.
    stood = problem(w.client.get(path, params={"at": day, "as_of": day}, headers=h), 404)
    assert "was recorded after 2025-01-18T00:00:00Z" in stood["detail"]

    def listed(**params: str) -> list[str]:
        answer = w.client.get("/v1/appeals", params=params, headers=h)
        assert answer.status_code == 200, answer.text
        return [a["id"] for a in answer.json()["items"]]

    assert listed(at=day) == listed(at=day, state="open") == [appeal.json()["id"]]
    assert listed(at=day, as_of=day) == listed(at=day, as_of=day, state="open") == []
    assert listed(as_of="2025-01-20T09:00:00Z") == [appeal.json()["id"]]  # recorded then

    # Its decision, recorded on the 22nd, is not known on the 21st, whatever its effective instant.
    w.clock.now = datetime(2025, 1, 22, 9, 0, tzinfo=UTC)
    decision = {"outcome": "denied", "rationale": "It was.", "reply": "The sanction stands."}
    assert w.client.post(f"{path}/decision", headers=h, json=decision).status_code == 200
    assert w.client.get(path, headers=h).json()["state"] == "denied"
    before = w.client.get(path, params={"as_of": "2025-01-21T00:00:00Z"}, headers=h).json()
    assert (before["state"], before["decision"]) == ("open", None)
    assert listed(as_of="2025-01-21T00:00:00Z", state="denied") == []
    assert listed(as_of="2025-01-21T00:00:00Z", state="open") == [appeal.json()["id"]]


def test_a_review_recorded_later_and_decided_later(world: World) -> None:
    w, moderator = world, world.headers["moderator"]
    created = w.sanction("meta", duration="P1Y")  # 2024-06-01T12:00
    w.clock.advance(timedelta(days=1))  # 2024-06-02T12:00
    review = w.client.post(
        f"/v1/sanctions/{created['id']}/reviews", headers=moderator, json={"panel": ["expert-1"], "reason": "ad hoc"}
    ).json()
    path = f"/v1/reviews/{review['id']}"
    assert problem(w.client.get(path, params={"as_of": "2024-06-02T00:00:00Z"}, headers=moderator), 404)
    assert w.client.get(path, params={"as_of": "2024-06-02T12:00:00Z"}, headers=moderator).json()["state"] == "open"
    listed = w.client.get("/v1/reviews", params={"as_of": "2024-06-02T00:00:00Z"}, headers=moderator).json()
    assert listed["items"] == []


def test_hindsight_an_amended_sanction_as_known_before_its_amendment(world: World) -> None:
    w, h = world, world.headers["moderator"]
    created = w.sanction("meta", duration=None, ends_at="2024-12-01T00:00:00Z")  # recorded 2024-06-01T12:00
    sid, account = created["id"], created["subject"]["account"]
    w.clock.advance(timedelta(days=10))  # 2024-06-11T12:00
    amended = w.client.post(
        f"/v1/sanctions/{sid}/amend",
        headers=h,
        json={
            "reason": "longer",
            "ends_at": "2025-06-01T00:00:00Z",
            "effective_at": "2024-06-05T00:00:00Z",
            "backdated_reason": "Decided on the 5th, entered on the 11th.",
        },
    )
    assert amended.status_code == 200, amended.text
    then, day = "2024-06-05T12:00:00Z", "2024-06-08T00:00:00Z"

    now_known = w.client.get(f"/v1/sanctions/{sid}", params={"at": day}, headers=h).json()
    assert now_known["ends_at"] == "2025-06-01T00:00:00Z" and len(now_known["history"]) == 2
    as_known = w.client.get(f"/v1/sanctions/{sid}", params={"at": day, "as_of": then}, headers=h)
    assert as_known.status_code == 200
    assert as_known.json()["ends_at"] == "2024-12-01T00:00:00Z" and len(as_known.json()["history"]) == 1
    assert as_known.json()["version"] == created["version"]
    # On 2025-01-01 as known then: expired; as known now: active.
    expired = w.client.get(f"/v1/sanctions/{sid}", params={"at": "2025-01-01T00:00:00Z", "as_of": then}, headers=h)
    assert expired.json()["state"] == "expired"
    listed = w.client.get(
        "/v1/sanctions",
        params={"account": f"facebook/{account}", "state": "expired", "at": "2025-01-01T00:00:00Z"},
        headers=h,
    ).json()["items"]
    assert listed == []
    listed_then = w.client.get(
        "/v1/sanctions",
        params={"account": f"facebook/{account}", "state": "expired", "at": "2025-01-01T00:00:00Z", "as_of": then},
        headers=h,
    ).json()["items"]
    assert [s["id"] for s in listed_then] == [sid]

    standing_path = f"/v1/platforms/facebook/accounts/{account}/standing"
    now_standing = w.client.get(standing_path, params={"at": day}, headers=h).json()
    then_standing = w.client.get(standing_path, params={"at": day, "as_of": then}, headers=h).json()
    assert now_standing["until"] == "2025-06-01T00:00:00Z" and then_standing["until"] == "2024-12-01T00:00:00Z"
    assert then_standing["status"] == "suspended" and then_standing["sanctions"] == [sid]

    check = {"platform": "facebook", "account": account, "capability": "post"}
    now_check = w.client.post("/v1/checks", headers=h, json={"at": day, "checks": [check]}).json()
    then_check = w.client.post("/v1/checks", headers=h, json={"at": day, "as_of": then, "checks": [check]}).json()
    assert now_check["results"][0]["until"] == "2025-06-01T00:00:00Z"
    assert then_check["results"][0]["until"] == "2024-12-01T00:00:00Z" and not then_check["results"][0]["allowed"]


def test_a_sanction_created_later_is_not_known_before(world: World) -> None:
    w, h = world, world.headers["moderator"]
    w.clock.advance(timedelta(days=3))  # 2024-06-04T12:00
    created = w.sanction("meta", starts_at="2024-06-01T00:00:00Z")
    sid, account = created["id"], created["subject"]["account"]
    before = "2024-06-03T00:00:00Z"
    assert w.client.get(f"/v1/sanctions/{sid}", params={"at": before}, headers=h).json()["state"] == "active"
    assert problem(w.client.get(f"/v1/sanctions/{sid}", params={"at": before, "as_of": before}, headers=h), 404)
    listed = w.client.get("/v1/sanctions", params={"account": f"facebook/{account}", "as_of": before}, headers=h)
    assert listed.status_code == 200 and listed.json()["items"] == []
    standing = w.client.get(
        f"/v1/platforms/facebook/accounts/{account}/standing", params={"at": before, "as_of": before}, headers=h
    ).json()
    assert (standing["status"], standing["sanctions"]) == ("good", [])


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00Z", "2024-06-02T00:00:00Z"])
def test_a_bad_or_future_as_of_is_a_422_problem(world: World, value: str) -> None:
    w, h = world, world.headers["moderator"]
    created = w.sanction("meta")
    for path in (
        f"/v1/sanctions/{created['id']}",
        "/v1/sanctions",
        "/v1/appeals",
        "/v1/reviews",
        f"/v1/platforms/facebook/accounts/{created['subject']['account']}/standing",
    ):
        body = problem(w.client.get(path, params={"as_of": value}, headers=h), 422)
        assert "as_of" in str(body)
    check = {"platform": "facebook", "account": "a", "capability": "post"}
    problem(w.client.post("/v1/checks", headers=h, json={"as_of": value, "checks": [check]}), 422)


def test_the_recording_instant_maps_to_a_log_position(world: World) -> None:
    """S(T): the greatest seq recorded by T, exact within a second (``...:07Z`` and ``...:07.5Z``)."""
    w = world
    w.clock.now = datetime(2024, 7, 1, 0, 0, 7, tzinfo=UTC)
    first = w.sanction("meta")["version"]
    w.clock.now = datetime(2024, 7, 1, 0, 0, 7, 500000, tzinfo=UTC)
    second = w.sanction("meta")["version"]
    # Each creation is followed, at its instant, by the statement of reasons it issued (issue 23).
    with w.db.read() as conn:
        assert seq_as_of(conn, parse_instant("2024-07-01T00:00:07Z")) == first + 1
        assert seq_as_of(conn, parse_instant("2024-07-01T00:00:07.4Z")) == first + 1
        assert seq_as_of(conn, parse_instant("2024-07-01T00:00:07.5Z")) == second + 1
        assert seq_as_of(conn, parse_instant("2024-07-01T00:00:06.999999Z")) < first
        assert seq_as_of(conn, parse_instant("2000-01-01T00:00:00Z")) == 0
        known = known_as_of(conn, parse_instant("2024-07-01T00:00:07.2Z"))
        assert known.of(conn, [first, second]) == {first}


# --- the console: "as it stood on T" and "as we know it now" ---------------------------------


@pytest.fixture
def demo_console(db: Database, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()
    assert load_demo(db, synthetic=0)
    client = TestClient(create_app(db, clock=Clock(datetime.now(UTC)), group_commit=False))
    page = client.get("/console/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    signed = client.post(
        "/console/sign-in",
        data={"email": "moderator@meta.example", "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    return client


def test_the_demo_in_2022_tells_the_2022_story(demo_console: TestClient) -> None:
    stood = demo_console.get("/console/accounts/facebook/DonaldTrump?at=2022-06-01T00:00")
    assert stood.status_code == 200
    page = stood.text
    assert "as it was known then" in page and "Show it as we know it now" in page
    assert "2023-01-07" in page  # the two-year term, as announced in June 2021
    assert "2023-01-25" not in page and "2023-01-1" not in page  # nothing recorded in 2023
    assert 'href="/console/reviews/' not in page and 'href="/console/appeals/' not in page

    known_now = demo_console.get("/console/accounts/facebook/DonaldTrump?at=2022-06-01T00:00&known=now")
    assert known_now.status_code == 200
    later = known_now.text
    assert "as we know it now" in later and "Show it as it was known then" in later
    assert "2023-01-25" in later  # the lift, recorded since
    assert 'href="/console/reviews/' in later and 'href="/console/appeals/' in later
    # Links keep the reading: a sanction's page from this one is also "as we know it now".
    assert "known=now" in later

    # The sanction's own page, and its statement of reasons: the end announced then.
    found = re.search(r'href="(/console/sanctions/snc_[A-Za-z0-9]+)', page)
    assert found is not None
    sanction_page = demo_console.get(f"{found.group(1)}?at=2022-06-01T00:00").text
    assert "2023-01-07" in sanction_page or "7 January 2023" in sanction_page
    assert "2023-01-25" not in sanction_page and "25 January 2023" not in sanction_page
    sanction_now = demo_console.get(f"{found.group(1)}?at=2022-06-01T00:00&known=now").text
    assert "2023-01-25" in sanction_now or "25 January 2023" in sanction_now

    french = demo_console.get("/console/accounts/facebook/DonaldTrump?at=2022-06-01T00:00&lang=fr").text
    assert "tel qu'on le connaissait alors" in french.replace("&#39;", "'")


def test_the_demo_standing_in_2022_as_then_known(db: Database) -> None:
    """The API and the services: in June 2022 the term ran to 2023-01-07 and was held until its
    review (so the standing named no end); only in January 2023 did it become "until 25 January
    2023"."""
    from reprieve.domain.model import AccountRef
    from reprieve.services import sanctions, standing

    assert load_demo(db, synthetic=0)
    june = parse_instant("2022-06-01T00:00:00Z")
    ref = AccountRef.parse("instagram/realdonaldtrump")
    then = standing.get_standing(db, ref, at=june, as_of=june, caller=Caller("test")).to_json()
    now = standing.get_standing(db, ref, at=june, caller=Caller("test")).to_json()
    assert then["until"] is None and now["until"] == "2023-01-25T00:00:00Z"
    (held,) = then["sanctions"]
    known = sanctions.get_sanction(db, held, at=june, caller=Caller("test"), as_of=june).to_json()
    assert known["ends_at"] == "2023-01-07T00:00:00Z" and known["hold_until_review"] is True


def test_the_demo_is_recorded_in_the_order_of_its_story(db: Database) -> None:
    """The demo tells its operators' steps in the order of their instants (issue 22): its log's
    recording instants never go backwards, each step is recorded at its own instant (none raised
    to a later one's), and as of T it holds exactly what its story had recorded by T."""
    from sqlalchemy import select

    from reprieve.domain.filters import SanctionFilter
    from reprieve.domain.model import AccountRef
    from reprieve.services import sanctions, standing
    from reprieve.store import tables

    assert load_demo(db, synthetic=30)
    e = tables.events.c
    with db.read() as conn:
        log = conn.execute(select(e.seq, e.type, e.at, e.actor).order_by(e.seq)).all()
    instants = [parse_instant(at) for _seq, _type, at, _actor in log]
    assert instants == sorted(instants)
    told = {(type_, at, actor) for _seq, type_, at, actor in log}
    for step in (
        ("sanction.imposed", "2021-01-07T16:00:00Z", "meta:trust-and-safety"),
        ("sanction.imposed", "2021-01-08T23:00:00Z", "x-corp:safety"),  # Twitter, after Meta's
        ("sanction.imposed", "2021-01-10T23:59:00Z", "amazon:trust-and-safety"),
        ("sanction.lifted", "2021-05-17T12:00:00Z", "apple:app-review"),
        ("sanction.amended", "2021-06-04T15:00:00Z", "meta:trust-and-safety"),
        ("sanction.lifted", "2022-11-19T23:00:00Z", "x-corp:safety"),
        ("appeal.filed", "2023-01-17T15:00:00Z", "meta:trust-and-safety"),  # between the experts' assessments
        ("assessment.filed", "2023-01-18T16:00:00Z", "meta:elections-expert"),
        ("review.decided", "2023-01-25T18:00:00Z", "meta:trust-and-safety"),
        ("violation.recorded", "2023-06-14T07:47:00Z", "meta:integrity"),
    ):
        assert step in told, step
    # As of 1 June 2022: the suspensions of March to May known, June's (recorded at noon) and July's not yet.
    june = parse_instant("2022-06-01T00:00:00Z")
    test = Caller("test")
    for account, known in (
        ("parody_account_2021", True),
        ("angry_commenter", True),
        ("crypto_giveaway_bot", False),
        ("threats_account", False),
    ):
        listed = sanctions.list_sanctions(db, SanctionFilter(account=f"twitter/{account}"), at=june, as_of=june).items
        assert bool(listed) is known, account
    then = standing.get_standing(db, AccountRef.parse("twitter/realDonaldTrump"), at=june, as_of=june, caller=test)
    assert then.to_json()["status"] == "terminated" and then.to_json()["until"] is None  # the amnesty came later


def test_the_demo_account_page_says_until_its_review_while_held(demo_console: TestClient) -> None:
    """Meta's term ended on 2023-01-07 and was held until the experts' review (decided on the
    25th): on the 10th as it stood then, the page says "until its review" (issue 22 item 5)."""
    page = demo_console.get("/console/accounts/facebook/DonaldTrump?at=2023-01-10T00:00")
    assert page.status_code == 200
    assert "until its review" in page.text and "as it was known then" in page.text
    french = demo_console.get("/console/accounts/facebook/DonaldTrump?at=2023-01-10T00:00&lang=fr").text
    assert "jusqu'à son réexamen" in french.replace("&#39;", "'")
    # In June 2022 the term had not ended yet: no review awaited.
    assert "until its review" not in demo_console.get("/console/accounts/facebook/DonaldTrump?at=2022-06-01T00:00").text


def test_the_demo_standing_is_pending_review_in_january_2023(db: Database) -> None:
    from reprieve.domain.model import AccountRef
    from reprieve.services import standing

    assert load_demo(db, synthetic=0)
    day = parse_instant("2023-01-10T00:00:00Z")
    ref = AccountRef.parse("facebook/DonaldTrump")
    then = standing.get_standing(db, ref, at=day, as_of=day, caller=Caller("test")).to_json()
    now = standing.get_standing(db, ref, at=day, caller=Caller("test")).to_json()
    assert (then["until"], then["pending_review"]) == (None, True)
    # As we know it now, the review lifted it on the 25th: still waiting for it on the 10th.
    assert (now["until"], now["pending_review"]) == ("2023-01-25T00:00:00Z", True)
    after = standing.get_standing(db, ref, at=parse_instant("2023-02-01T00:00:00Z"), caller=Caller("test")).to_json()
    assert after["pending_review"] is False


def test_the_demo_instagram_account_follows_the_link_recorded_in_december_2020(db: Database) -> None:
    """The demo links Trump's Facebook and Instagram accounts on 2020-12-01, before Meta's
    suspension reaching both: Instagram is suspended through the link in 2021, as it stood then
    and as we know it now; before the link was recorded, the identity did not exist yet."""
    from reprieve.domain.model import AccountRef
    from reprieve.services import catalogue, standing

    assert load_demo(db, synthetic=0)
    day = parse_instant("2021-06-01T00:00:00Z")
    ref = AccountRef.parse("instagram/realdonaldtrump")
    then = standing.get_standing(db, ref, at=day, as_of=day, caller=Caller("test")).to_json()
    now = standing.get_standing(db, ref, at=day, caller=Caller("test")).to_json()
    assert then["status"] == now["status"] == "suspended" and then["sanctions"] == now["sanctions"]
    identity = catalogue.get_account(db, ref).identity
    linked = catalogue.get_identity(db, identity, as_of=day)
    assert [str(r) for r in linked.accounts] == ["facebook/DonaldTrump", "instagram/realdonaldtrump"]
    with pytest.raises(NotFoundError):
        catalogue.get_identity(db, identity, as_of=parse_instant("2020-11-30T00:00:00Z"))
