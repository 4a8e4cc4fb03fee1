"""The statement of reasons sent to the user (DSA art. 17), in English and French, as JSON and HTML."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from reprieve.domain.errors import NotFoundError, ValidationError
from reprieve.dsa import pages
from reprieve.dsa.statement import Lang, parse_lang
from reprieve.services import appeal_codes, sanctions, transparency
from reprieve.services.callers import Caller
from reprieve.store.db import Database

REASON = {
    "ground": "illegal_content",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "legal_ground": "Article 421-2-5 of the French Criminal Code",
    "policy": "Dangerous organisations",
    "explanation": "Praise of an attack while it was ongoing.",
    "facts": "Three posts of 6 January 2021.",
    "territorial_scope": ["FR", "BE"],
    "content_type": ["CONTENT_TYPE_TEXT"],
    "content_date": "2024-05-30",
}


@pytest.fixture
def suspension(impose: Callable[..., dict[str, Any]], meta: str) -> dict[str, Any]:
    return impose(
        "facebook/sor-subject",
        "suspension",
        scope=["facebook", "instagram"],
        reason=dict(REASON),
        ends_at="2024-07-01T12:00:00Z",
        automated={"detection": True, "decision": "partially"},
    )


def test_english_statement_says_what_why_and_how_to_contest(
    db: Database, suspension: dict[str, Any], now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPRIEVE_PUBLIC_URL", "https://appeals.example.eu/")
    s = transparency.statement_of_reasons(db, suspension["id"], language=Lang.EN, caller=Caller("test", now=now))
    assert s["measure"]["kind"] == "suspension" and "suspension" in s["measure"]["text"].lower()
    assert [p["name"] for p in s["scope"]] == ["Facebook", "Instagram"]
    assert s["territorial_scope"]["countries"] == ["BE", "FR"]
    assert s["duration"] == {
        "starts_at": "2024-06-01T12:00:00Z",
        "ends_at": "2024-07-01T12:00:00Z",
        "lifted_at": None,
        "text": "from 1 June 2024 until 1 July 2024.",
    }
    assert s["facts"] == REASON["facts"]
    assert s["automated"]["detection"] is True and s["automated"]["decision"] == "partially"
    assert s["ground"]["legal_ground"] == REASON["legal_ground"] and s["ground"]["explanation"] == REASON["explanation"]
    complaint = s["redress"]["internal_complaint"]
    assert complaint["url"] == f"https://appeals.example.eu/appeal?sanction={suspension['id']}"
    with db.read() as conn:
        assert complaint["code"] == appeal_codes.printed(appeal_codes.code_for(conn, suspension["id"]))
        assert appeal_codes.matches(conn, suspension["id"], complaint["code"])
    # Art. 20: at least six months after the decision (the default policy's window).
    assert complaint["deadline"] == "2024-12-01T12:00:00Z"
    assert "1 December 2024" in complaint["text"]
    assert "Article 21" in s["redress"]["out_of_court"]["text"] and s["redress"]["courts"]["text"]


def test_french_statement(db: Database, suspension: dict[str, Any], now: datetime) -> None:
    s = transparency.statement_of_reasons(db, suspension["id"], language=Lang.FR, caller=Caller("test", now=now))
    assert s["title"] == "Exposé des motifs"
    assert s["duration"]["text"] == "du 1er juin 2024 au 1er juillet 2024."  # French says "1er" for the first
    assert "1er décembre 2024" in s["redress"]["internal_complaint"]["text"]
    assert s["ground"]["text"].startswith("L'information a été considérée comme un contenu illicite")


def test_html_page_escapes_and_needs_no_javascript(
    db: Database, impose: Callable[..., dict[str, Any]], meta: str, now: datetime
) -> None:
    sanction = impose(
        "facebook/html-subject",
        "restriction",
        denies=["post"],
        duration="P7D",
        reason=dict(REASON, facts="<script>alert(1)</script> & more"),
    )
    html = pages.render_statement(
        transparency.statement_of_reasons(db, sanction["id"], language=Lang.FR, caller=Caller("test", now=now))
    )
    assert '<html lang="fr">' in html and "<script>" not in html and "&lt;script&gt;" in html
    assert "Code de recours" in html and f"/appeal?sanction={sanction['id']}" in html
    assert "Fonctions indisponibles: publication" in html  # the capability in words
    # The category in words, not the Transparency Database's constant (which the export keeps).
    assert "Risque pour la sécurité publique" in html and "STATEMENT_CATEGORY_" not in html


def test_a_lifted_sanction_has_no_complaint_deadline_left(
    db: Database, suspension: dict[str, Any], now: datetime
) -> None:
    sanctions.lift_sanction(
        db, suspension["id"], sanctions.LiftSanction.parse(reason="Reinstated."), caller=Caller("t", now=now)
    )
    s = transparency.statement_of_reasons(db, suspension["id"], language=Lang.EN, caller=Caller("test", now=now))
    assert s["duration"]["lifted_at"] == "2024-06-01T12:00:00Z"
    assert s["redress"]["internal_complaint"]["deadline"] is None
    assert "has been lifted" in s["redress"]["internal_complaint"]["text"]


def test_unknown_language_or_sanction_is_refused(db: Database, suspension: dict[str, Any], now: datetime) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_lang("de")  # at the edge, before the use case
    assert refused.value.field == "lang"
    with pytest.raises(NotFoundError):
        transparency.statement_of_reasons(db, "snc_nope", language=Lang.EN, caller=Caller("test", now=now))
    with pytest.raises(NotFoundError):
        transparency.statement_of_reasons(
            db, suspension["id"], language=Lang.EN, caller=Caller("test", now=now, operators=["x"])
        )


def test_once_the_window_closed_the_statement_says_so(
    db: Database, impose: Callable[..., dict[str, Any]], meta: str, now: datetime
) -> None:
    # Taking effect in 2023, recorded now: its statement is issued now and, no delivery recorded, the
    # complaint window runs from that issue (issue 23, store.due_process.latest_decision_told); seven
    # months later it has closed.
    old = impose("facebook/old-subject", "suspension", reason=dict(REASON), starts_at="2023-01-01T00:00:00Z")
    later = Caller("test", now=now + timedelta(days=214))
    statement = transparency.statement_of_reasons(db, old["id"], language=Lang.EN, caller=later)
    complaint = statement["redress"]["internal_complaint"]
    assert complaint["deadline"] is None and "window has closed" in complaint["text"]


def test_a_lift_scheduled_later_is_announced_and_the_complaint_stays_open(
    db: Database, suspension: dict[str, Any], now: datetime
) -> None:
    sanctions.lift_sanction(
        db,
        suspension["id"],
        sanctions.LiftSanction.parse(reason="Early release.", effective_at="2024-06-15T00:00:00Z"),
        caller=Caller("t", now=now),
    )
    s = transparency.statement_of_reasons(db, suspension["id"], language=Lang.FR, caller=Caller("test", now=now))
    assert s["duration"]["text"].endswith("Cette décision sera levée le 15 juin 2024.")
    assert s["redress"]["internal_complaint"]["deadline"] == "2024-12-01T12:00:00Z"
