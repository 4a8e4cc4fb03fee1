"""When the user was informed, on the console's sanction page (English and French) and on the
public appeal form's closed-window answer (issue 23 item 3). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from api_support import Clock
from fastapi.testclient import TestClient
from test_console_web import console, impose, quick_hashing, sign_in  # noqa: F401 (fixtures)
from test_public_appeal_form import (  # noqa: F401 (fixtures)
    Page,
    answers,
    client,
    code_of,
    event_count,
    send,
    suspend,
    ticker,
)

from reprieve.domain.deliveries import Receipt
from reprieve.services import deliveries, statements
from reprieve.services.callers import Caller
from reprieve.store.db import Database


def _deliver(db: Database, clock: Clock, sanction_id: str, *, channel: str = "email") -> None:
    (issued,) = statements.statements_of(db, sanction_id, caller=Caller("test"))
    deliveries.record_delivery(db, issued.id, Receipt(clock(), channel), caller=Caller("test", now=clock()))


def test_the_sanction_page_says_when_the_user_was_informed(
    console: TestClient,  # noqa: F811
    db: Database,
    clock: Clock,
) -> None:
    sanction_id = impose(db, clock, "facebook/yan")
    sign_in(console, "auditor@meta.example")
    page = console.get(f"/console/sanctions/{sanction_id}")
    assert page.status_code == 200
    assert "User informed" in page.text and "no delivery recorded" in page.text
    clock.advance(timedelta(days=3))
    _deliver(db, clock, sanction_id)
    sign_in(console, "auditor@meta.example")
    page = console.get(f"/console/sanctions/{sanction_id}")
    informed = clock().strftime("%Y-%m-%d %H:%M UTC")
    assert "no delivery recorded" not in page.text
    assert f"{informed} (by email)" in page.text and f"{informed} (email)" in page.text
    french = console.get(f"/console/sanctions/{sanction_id}?lang=fr")
    assert "Utilisateur informé" in french.text and "(par email)" in french.text and "Remis" in french.text


def test_the_public_form_says_when_the_requester_was_informed_once_the_window_closed(
    client: TestClient,  # noqa: F811
    db: Database,
    clock: Clock,
) -> None:
    sanction = suspend(db, clock, "told", duration="P5Y")  # issued 2024-06-01T12:00:00Z
    clock.advance(timedelta(days=10))
    _deliver(db, clock, sanction["id"], channel="in_app")  # told on 11 June 2024
    clock.advance(timedelta(days=400))
    code = code_of(db, sanction["id"])
    before = event_count(db)
    page = Page(send(client, answers(sanction["id"], code)).text)
    assert (
        "The time to contest this decision ended on 11 December 2024, 12:00 UTC, six months after you were "
        "informed of it (11 June 2024, 12:00 UTC)" in page.text
    )
    french = Page(send(client, answers(sanction["id"], code), lang="fr").text)
    assert "a expiré le 11 décembre 2024 à 12 h 00 UTC" in french.text
    assert "informé (11 juin 2024 à 12 h 00 UTC)" in french.text
    assert event_count(db) == before
