"""Requests of the due-process routes for the tenancy matrix (``test_api_tenancy``): each sets up
what it needs through the services (the events it records are counted there), then calls."""

from __future__ import annotations

import httpx2 as httpx
from api_support import World

from reprieve.services import appeals, reviews, tokens
from reprieve.services.callers import Caller

SETUP = Caller("api-test-setup")

#: Events each request's own setup records.
SETUP_EVENTS = {
    "get-review": 4,
    "open-review": 3,
    "assess": 4,
    "decide-review": 5,
    "file-appeal": 3,
    "get-appeal": 4,
    "decide-appeal": 4,
    "attach-appeal": 5,
    "record-dispute": 4,
}


def _name(w: World, h: dict[str, str]) -> str:
    """The name of the token behind these headers, to seat it on a panel."""
    return tokens.authenticate(w.db, h["Authorization"].removeprefix("Bearer "), now=w.clock()).name


def _review(w: World, target: str, panel: list[str]) -> tuple[str, str]:
    sanction = w.sanction(target)["id"]
    review = reviews.open_review(w.db, sanction, panel=panel, reason="r", caller=SETUP.at(w.clock()))
    return sanction, str(review.id)


def _appeal(w: World, sanction: str) -> str:
    appeal = appeals.file_appeal(
        w.db,
        appeals.FileAppeal.parse(
            sanction_id=sanction, kind="complaint", filed_by={"name": "Someone"}, statement="s", channel="web"
        ),
        caller=SETUP.at(w.clock()),
    )
    return str(appeal.id)


def list_reviews(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/reviews", params={"operator": target}, headers=h)


def get_review(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/reviews/{_review(w, target, ['someone'])[1]}", headers=h)


def open_review(w: World, h: dict[str, str], target: str) -> httpx.Response:
    sanction = w.sanction(target)["id"]
    return w.client.post(f"/v1/sanctions/{sanction}/reviews", json={"panel": ["a"], "reason": "r"}, headers=h)


def assess(w: World, h: dict[str, str], target: str) -> httpx.Response:
    review = _review(w, target, [_name(w, h)])[1]
    body = {"risk": "low", "factors": [], "rationale": "r"}
    return w.client.post(f"/v1/reviews/{review}/assessments", json=body, headers=h)


def decide_review(w: World, h: dict[str, str], target: str) -> httpx.Response:
    name = _name(w, h)
    review = _review(w, target, [name])[1]
    reviews.file_assessment(
        w.db,
        review,
        reviews.FileAssessment.parse(risk="low", factors=[], rationale="r"),
        caller=Caller(name, names=(name,), now=w.clock()),
    )
    return w.client.post(f"/v1/reviews/{review}/decision", json={"outcome": "uphold", "rationale": "r"}, headers=h)


def file_appeal(w: World, h: dict[str, str], target: str) -> httpx.Response:
    body = {
        "sanction": w.sanction(target)["id"],
        "kind": "complaint",
        "channel": "api",
        "statement": "s",
        "filed_by": {"name": "Someone"},
    }
    return w.client.post("/v1/appeals", json=body, headers=h)


def list_appeals(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/appeals", params={"operator": target}, headers=h)


def get_appeal(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/appeals/{_appeal(w, w.sanction(target)['id'])}", headers=h)


def decide_appeal(w: World, h: dict[str, str], target: str) -> httpx.Response:
    appeal = _appeal(w, w.sanction(target)["id"])
    body = {"outcome": "denied", "rationale": "r", "reply": "r"}
    return w.client.post(f"/v1/appeals/{appeal}/decision", json=body, headers=h)


def attach_appeal(w: World, h: dict[str, str], target: str) -> httpx.Response:
    sanction, review = _review(w, target, ["someone"])
    return w.client.post(f"/v1/appeals/{_appeal(w, sanction)}/attach", json={"review": review}, headers=h)


def record_dispute(w: World, h: dict[str, str], target: str) -> httpx.Response:
    appeal = _appeal(w, w.sanction(target)["id"])
    body = {"body": "Appeals Centre Europe", "submitted_at": "2024-01-01T00:00:00Z"}
    return w.client.post(f"/v1/appeals/{appeal}/disputes", json=body, headers=h)


def record_violation(w: World, h: dict[str, str], target: str) -> httpx.Response:
    body = {
        "id": w.unique("v"),
        "platform": w.PLATFORM[target],
        "account": w.unique("acct"),
        "policy": "Spam",
        "severity": "low",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    }
    return w.client.post("/v1/violations", json=body, headers=h)
