"""Terms around time over HTTP (issue 22, PRODUCT.md section 8): a term held until its review
(``hold_until_review``), a cancelled sanction, and an amendment of a sanction not started yet."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api_support import World, bearer, sanction_body

from reprieve.domain.model import Role
from reprieve.domain.time import format_instant

PROBLEM = "https://reprieve.dev/problems/"


def _in(world: World, days: int) -> str:
    return format_instant(world.clock() + timedelta(days=days)) or ""


def _held(world: World, account: str) -> dict[str, Any]:
    """A suspension of ten days from now, held until its review at its end."""
    end = _in(world, 10)
    body = sanction_body("facebook", account, ends_at=end, review_at=end, hold_until_review=True)
    del body["duration"]
    created = world.client.post("/v1/sanctions", headers=world.headers["moderator"], json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


def _standing(world: World, account: str, at: str) -> dict[str, Any]:
    path = f"/v1/platforms/facebook/accounts/{account}/standing"
    return dict(world.client.get(path, params={"at": at}, headers=world.headers["moderator"]).json())


def _sanction(world: World, sid: str, at: str) -> dict[str, Any]:
    return dict(world.client.get(f"/v1/sanctions/{sid}", params={"at": at}, headers=world.headers["moderator"]).json())


def _decide(world: World, sid: str, outcome: str, **fields: Any) -> dict[str, Any]:
    """Open a review of ``sid`` now, before a panel of one, assess it, and decide ``outcome``."""
    name = world.unique("expert-")
    expert = bearer(world.token(Role.REVIEWER, "meta", name=name)["token"])
    opened = world.client.post(
        f"/v1/sanctions/{sid}/reviews", headers=world.headers["moderator"], json={"panel": [name], "reason": "due"}
    )
    assert opened.status_code == 201, opened.text
    path = f"/v1/reviews/{opened.json()['id']}"
    assess = {"risk": "low", "factors": [], "rationale": "Calm."}
    assert world.client.post(f"{path}/assessments", headers=expert, json=assess).status_code == 201
    decided = world.client.post(
        f"{path}/decision", headers=expert, json={"outcome": outcome, "rationale": "r", **fields}
    )
    assert decided.status_code == 200, decided.text
    return dict(decided.json())


def test_a_held_term_stays_in_force_after_its_end_until_its_review_is_decided(world: World) -> None:
    w = world
    created = _held(w, "held")
    sid = created["id"]
    assert (created["state"], created["hold_until_review"], created["pending_review"]) == ("active", True, False)
    assert created["history"][0]["hold_until_review"] is True
    imposed = [
        e
        for e in w.client.get("/v1/events", headers=w.headers["auditor"]).json()["items"]
        if e["type"] == "sanction.imposed"
    ]
    assert imposed[-1]["data"]["hold_until_review"] is True
    # No end is announced while it is held: not before its ends_at, nor after.
    before = _standing(w, "held", _in(w, 5))
    assert (before["status"], before["until"]) == ("suspended", None)
    after = _standing(w, "held", _in(w, 20))
    assert (after["status"], after["until"]) == ("suspended", None)
    shown = _sanction(w, sid, _in(w, 20))
    assert (shown["state"], shown["ends_at"], shown["pending_review"]) == ("active", created["ends_at"], True)
    expired = w.client.get(
        "/v1/sanctions", params={"state": "expired", "at": _in(w, 20)}, headers=w.headers["moderator"]
    ).json()
    assert sid not in [s["id"] for s in expired["items"]]
    due = w.client.get("/v1/reviews", params={"state": "due", "at": _in(w, 20)}, headers=w.headers["auditor"]).json()
    assert sid in [r["sanction"] for r in due["items"]]

    # Upheld with a next review: held to that one.
    w.clock.advance(timedelta(days=20))
    _decide(w, sid, "uphold", next_review_at=_in(w, 30))
    again = _sanction(w, sid, _in(w, 10))
    assert (again["state"], again["pending_review"], again["review_at"]) == ("active", True, _in(w, 30))
    assert _standing(w, "held", _in(w, 40))["status"] == "suspended"

    # Upheld without: it ends at the decision.
    w.clock.advance(timedelta(days=31))
    decided_at = _in(w, 0)
    _decide(w, sid, "uphold")
    over = _sanction(w, sid, decided_at)
    assert (over["state"], over["pending_review"], over["hold_until_review"]) == ("expired", False, False)
    assert over["ends_at"] == decided_at
    assert _standing(w, "held", decided_at)["status"] == "good"
    assert _standing(w, "held", format_instant(w.clock() - timedelta(seconds=1)) or "")["status"] == "suspended"


def test_a_review_decision_ends_a_held_term_or_sets_a_new_one(world: World) -> None:
    w = world
    lifted = _held(w, "to-lift")["id"]
    extended = _held(w, "to-extend")["id"]
    terminated = _held(w, "to-terminate")["id"]
    w.clock.advance(timedelta(days=12))
    _decide(w, lifted, "lift")
    assert _sanction(w, lifted, _in(w, 0))["state"] == "lifted"
    assert _standing(w, "to-lift", _in(w, 0))["status"] == "good"
    _decide(w, extended, "extend", ends_at=_in(w, 30))
    term = _sanction(w, extended, _in(w, 0))
    assert (term["hold_until_review"], term["ends_at"], term["pending_review"]) == (False, _in(w, 30), False)
    assert _standing(w, "to-extend", _in(w, 0))["until"] == _in(w, 30)
    assert _standing(w, "to-extend", _in(w, 30))["status"] == "good"
    _decide(w, terminated, "terminate")
    final = _sanction(w, terminated, _in(w, 0))
    assert (final["kind"], final["ends_at"], final["hold_until_review"]) == ("termination", None, False)
    assert _standing(w, "to-terminate", _in(w, 1000))["status"] == "terminated"


def test_a_hold_needs_a_review(world: World) -> None:
    w, h = world, world.headers["moderator"]
    before = w.client.get("/v1/events", params={"limit": 1000}, headers=w.headers["auditor"]).json()["items"]
    body = sanction_body("facebook", "no-review", hold_until_review=True)
    refused = w.client.post("/v1/sanctions", headers=h, json=body)
    assert refused.status_code == 422
    assert "give a review_at" in refused.json()["detail"]
    plain = w.sanction("meta", duration="P30D")
    amend = w.client.post(
        f"/v1/sanctions/{plain['id']}/amend", headers=h, json={"hold_until_review": True, "reason": "r"}
    )
    assert amend.status_code == 422 and "give a review_at" in amend.json()["detail"]
    held = _held(w, "keeps-its-review")
    cleared = w.client.post(f"/v1/sanctions/{held['id']}/amend", headers=h, json={"review_at": None, "reason": "r"})
    assert cleared.status_code == 422 and "give a review_at" in cleared.json()["detail"]
    after = w.client.get("/v1/events", params={"limit": 1000}, headers=w.headers["auditor"]).json()["items"]
    new = [e["type"] for e in after[len(before) :]]
    assert new.count("sanction.imposed") == 2 and "sanction.amended" not in new  # the refused changed nothing
    # An amendment may set the hold, with a review, and release it.
    review = _in(w, 30)
    hold = w.client.post(
        f"/v1/sanctions/{plain['id']}/amend",
        headers=h,
        json={"hold_until_review": True, "review_at": review, "reason": "r"},
    )
    assert hold.status_code == 200 and hold.json()["hold_until_review"] is True, hold.text
    assert _standing(w, plain["subject"]["account"], _in(w, 1))["until"] is None
    release = w.client.post(
        f"/v1/sanctions/{plain['id']}/amend", headers=h, json={"hold_until_review": False, "reason": "r"}
    )
    assert release.status_code == 200 and release.json()["hold_until_review"] is False
    assert _standing(w, plain["subject"]["account"], _in(w, 1))["until"] == plain["ends_at"]


def test_a_cancelled_sanction_shows_cancelled(world: World) -> None:
    w, h = world, world.headers["moderator"]
    later = w.client.post(
        "/v1/sanctions", headers=h, json=sanction_body("facebook", "later", starts_at=_in(w, 10))
    ).json()
    scheduled = w.client.post(
        "/v1/sanctions", headers=h, json=sanction_body("facebook", "later2", starts_at=_in(w, 10))
    ).json()
    lifted = w.client.post(f"/v1/sanctions/{later['id']}/lift", headers=h, json={"reason": "in error"}).json()
    assert (lifted["state"], lifted["lifted_at"]) == ("cancelled", later["starts_at"])
    for state, expected in (("cancelled", [later["id"]]), ("scheduled", [scheduled["id"]]), ("lifted", [])):
        listed = w.client.get("/v1/sanctions", params={"state": state, "operator": "meta"}, headers=h).json()["items"]
        ids = [s["id"] for s in listed if s["id"] in (later["id"], scheduled["id"])]
        assert ids == expected, state
    refused = w.client.post(
        f"/v1/sanctions/{later['id']}/amend", headers=h, json={"ends_at": _in(w, 90), "reason": "r"}
    )
    assert refused.status_code == 409 and "cancelled" in refused.json()["detail"]


def test_an_amendment_of_a_sanction_not_started_takes_effect_at_its_start(world: World) -> None:
    w, h = world, world.headers["moderator"]
    later = w.client.post(
        "/v1/sanctions", headers=h, json=sanction_body("facebook", "soon", starts_at=_in(w, 10))
    ).json()
    amended = w.client.post(
        f"/v1/sanctions/{later['id']}/amend", headers=h, json={"ends_at": _in(w, 90), "reason": "r"}
    )
    assert amended.status_code == 200, amended.text
    body = amended.json()
    assert body["history"][-1]["effective_at"] == later["starts_at"]
    assert (body["state"], body["ends_at"]) == ("scheduled", _in(w, 90))
    assert _standing(w, "soon", _in(w, 50))["until"] == _in(w, 90)


def test_standing_says_pending_review_while_held_past_its_end(world: World) -> None:
    """``until: null`` and ``pending_review: true`` while the term is held past its end; false
    before its end, once the review is decided, and as known before the hold was recorded; the
    index says the same as the database."""
    from reprieve.domain.time import parse_instant, to_micros
    from reprieve.enforcement import EnforcementIndex

    w = world
    recorded = format_instant(w.clock()) or ""
    sid = _held(w, "pending")["id"]
    before, after = _standing(w, "pending", _in(w, 5)), _standing(w, "pending", _in(w, 20))
    assert (before["until"], before["pending_review"]) == (None, False)
    assert (after["until"], after["pending_review"], after["sanctions"]) == (None, True, [sid])
    # The index, built now, answers the same for any instant from now on.
    index = EnforcementIndex.build(w.db, now=w.clock())
    for at in (_in(w, 5), _in(w, 20)):
        from_index = index.standing("facebook", "pending", to_micros(parse_instant(at)))
        assert from_index == _standing(w, "pending", at), at
    # As known before the sanction was recorded: nothing to wait for.
    path = "/v1/platforms/facebook/accounts/pending/standing"
    earlier = w.client.get(path, params={"at": _in(w, 20), "as_of": _in(w, -1)}, headers=w.headers["moderator"]).json()
    assert (earlier["status"], earlier["pending_review"]) == ("good", False)
    assert recorded  # as known when it was recorded: held, pending after its end
    then = w.client.get(path, params={"at": _in(w, 20), "as_of": recorded}, headers=w.headers["moderator"]).json()
    assert then["pending_review"] is True
    # Reviewed on day 15 (upheld with a new end): no longer pending, the end known again.
    w.clock.advance(timedelta(days=15))
    _decide(w, sid, "extend", ends_at=_in(w, 10))
    decided = _standing(w, "pending", _in(w, 1))
    assert decided["pending_review"] is False and decided["until"] == _in(w, 10)
    # Past its end and before the decision, as we know it now: it was waiting for its review.
    waiting = _standing(w, "pending", _in(w, -3))
    assert (waiting["pending_review"], waiting["until"]) == (True, _in(w, 10))
    index = EnforcementIndex.build(w.db, now=w.clock())
    assert index.standing("facebook", "pending", to_micros(parse_instant(_in(w, 1)))) == decided
