"""Identity links in both clocks (issue 22 item 3, PRODUCT.md section 8).

A sanction of a Facebook account reaching Instagram reaches an Instagram account from the link
on: a standing, a check or an identity read at an instant before the link, or as known before
the link was recorded, does not see it. On SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api_support import World

from reprieve.domain.model import AccountRef
from reprieve.domain.time import parse_instant, to_micros
from reprieve.enforcement import EnforcementIndex, IndexFollower
from reprieve.services import catalogue, standing
from reprieve.services.callers import Caller

BEFORE = "2025-02-01T00:00:00Z"  # sanctioned, not linked yet
LINKED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)  # the link is recorded (and takes effect)
AFTER = "2025-04-01T00:00:00Z"


def linked_world(w: World) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """A Facebook account suspended for a year from 10 January 2025 on Facebook and Instagram,
    an Instagram account of the same person, linked to it on 1 March 2025; now: 1 May 2025."""
    h = w.headers["moderator"]
    w.clock.now = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
    sanction = w.sanction("meta", scope=["facebook", "instagram"], duration="P1Y")
    fb = sanction["subject"]["account"]
    ig = w.unique("insta")
    catalogue.put_account(
        w.db, catalogue.PutAccount.parse(AccountRef("instagram", ig)), caller=Caller("t", now=w.clock())
    )
    ig_identity = catalogue.get_account(w.db, AccountRef("instagram", ig)).identity
    w.clock.now = LINKED
    link = w.client.post(
        "/v1/identities",
        headers=h,
        json={
            "operator": "meta",
            "accounts": [{"platform": "facebook", "account": fb}, {"platform": "instagram", "account": ig}],
        },
    )
    assert link.status_code == 201, link.text
    w.clock.now = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
    return fb, ig, sanction, {"survivor": link.json()["id"], "instagram": ig_identity}


def standing_of(w: World, platform: str, account: str, **params: str) -> dict[str, Any]:
    answer = w.client.get(
        f"/v1/platforms/{platform}/accounts/{account}/standing", params=params, headers=w.headers["moderator"]
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def check_of(w: World, account: str, **fields: str) -> dict[str, Any]:
    body = {"checks": [{"platform": "instagram", "account": account, "capability": "post"}], **fields}
    answer = w.client.post("/v1/checks", headers=w.headers["moderator"], json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["results"][0]
    return result


def test_instagram_inherits_the_facebook_sanction_only_from_the_link_on(world: World) -> None:
    w = world
    fb, ig, sanction, identities = linked_world(w)
    sid = sanction["id"]
    # Now, and after the link whatever we knew: suspended through the link.
    now = standing_of(w, "instagram", ig)
    assert (now["status"], now["sanctions"]) == ("suspended", [sid])
    assert standing_of(w, "instagram", ig, at=AFTER)["sanctions"] == [sid]
    # Before the link, as we know it now: the Facebook sanction did not reach it.
    before = standing_of(w, "instagram", ig, at=BEFORE)
    assert (before["status"], before["sanctions"]) == ("good", [])
    assert before["identity"] == identities["instagram"]  # its own identity then
    # As it stood then (at = as_of before the link): the same.
    stood = standing_of(w, "instagram", ig, at=BEFORE, as_of=BEFORE)
    assert (stood["status"], stood["sanctions"]) == ("good", [])
    # Facebook's own account is suspended then, link or not.
    assert standing_of(w, "facebook", fb, at=BEFORE)["sanctions"] == [sid]
    assert standing_of(w, "facebook", fb, at=BEFORE, as_of=BEFORE)["sanctions"] == [sid]
    # The checks say the same.
    assert check_of(w, ig)["allowed"] is False and check_of(w, ig)["sanction"] == sid
    assert check_of(w, ig, at=BEFORE)["allowed"] is True
    assert check_of(w, ig, at=BEFORE, as_of=BEFORE)["allowed"] is True


def test_a_link_recorded_later_does_not_count_as_known_before(world: World) -> None:
    w = world
    _, ig, sanction, _ = linked_world(w)
    # On 1 April (after the link) as known on 15 February (before it was recorded): not linked.
    known_before = standing_of(w, "instagram", ig, at=AFTER, as_of="2025-02-15T00:00:00Z")
    assert (known_before["status"], known_before["sanctions"]) == ("good", [])
    assert check_of(w, ig, at=AFTER, as_of="2025-02-15T00:00:00Z")["allowed"] is True
    # As known from the link's recording on: linked.
    known_after = standing_of(w, "instagram", ig, at=AFTER, as_of="2025-03-01T09:00:00Z")
    assert known_after["sanctions"] == [sanction["id"]]


def test_an_identity_as_known_before_and_after_its_link(world: World) -> None:
    w, h = world, world.headers["moderator"]
    fb, ig, _, identities = linked_world(w)
    survivor, merged = identities["survivor"], identities["instagram"]
    both = [{"platform": "facebook", "account": fb}, {"platform": "instagram", "account": ig}]

    now = w.client.get(f"/v1/identities/{survivor}", headers=h)
    assert now.status_code == 200 and now.json()["accounts"] == both
    before = w.client.get(f"/v1/identities/{survivor}", params={"as_of": BEFORE}, headers=h)
    assert before.status_code == 200 and before.json()["accounts"] == both[:1]
    # The Instagram identity, merged away by the link: as it was before it, and gone since.
    merged_then = w.client.get(f"/v1/identities/{merged}", params={"as_of": BEFORE}, headers=h)
    assert merged_then.status_code == 200 and merged_then.json()["accounts"] == both[1:]
    assert w.client.get(f"/v1/identities/{merged}", params={"as_of": AFTER}, headers=h).status_code == 404
    assert w.client.get(f"/v1/identities/{merged}", headers=h).status_code == 404
    # Before either account existed: no identity.
    assert (
        w.client.get(f"/v1/identities/{survivor}", params={"as_of": "2024-01-01T00:00:00Z"}, headers=h).status_code
        == 404
    )
    # Another operator's identity does not exist for this token.
    assert w.client.get(f"/v1/identities/{survivor}", headers=w.headers["x-moderator"]).status_code == 404
    assert w.client.get(f"/v1/identities/{survivor}", params={"as_of": "soon"}, headers=h).status_code == 422


def test_the_index_answers_the_present_and_leaves_the_time_before_a_link_to_the_database(world: World) -> None:
    w = world
    w.clock.now = datetime(2025, 1, 5, 9, 0, tzinfo=UTC)
    index = EnforcementIndex.build(w.db, now=w.clock())  # built before the link
    follower = IndexFollower(index, w.db)
    _, ig, sanction, _ = linked_world(w)
    follower.poll()
    assert not index.covers(to_micros(parse_instant(BEFORE)))  # before the link: the database's
    assert index.covers(to_micros(w.clock()))  # the present is still the index's
    now_us = to_micros(w.clock())
    assert index.standing("instagram", ig, now_us)["sanctions"] == [sanction["id"]]
    before = standing.get_standing(w.db, AccountRef("instagram", ig), at=parse_instant(BEFORE))
    assert before.sanctions == ()
    # An index built after the link starts at the link at the earliest (here: its build instant).
    rebuilt = EnforcementIndex.build(w.db, now=parse_instant(BEFORE))
    assert rebuilt.horizon == to_micros(LINKED)
