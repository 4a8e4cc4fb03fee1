"""The console's sanction page shows the authority's order a decision gives effect to (DSA art. 9)
and lists the art. 9(5) information issued for it, in English and French; an erased document is
marked erased. On SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

from api_support import Clock
from fastapi.testclient import TestClient
from test_console_web import REASON, console, quick_hashing, sign_in  # noqa: F401 (fixtures)

from reprieve.domain.model import AccountRef
from reprieve.services import people, sanctions
from reprieve.services.callers import Caller
from reprieve.store.db import Database

ORDER = {"authority": "Arcom", "member_state": "FR", "reference": "2026/118-AB", "received_at": "2024-05-01T09:00:00Z"}


def test_the_sanction_page_shows_the_order_and_its_information(
    console: TestClient,  # noqa: F811
    db: Database,
    clock: Clock,
) -> None:
    command = sanctions.ImposeSanction.parse(
        subject=AccountRef.parse("facebook/ordered"),
        kind="suspension",
        reason=REASON,
        order={**ORDER, "territorial_scope": ["FR", "BE"]},
    )
    sanction_id = str(sanctions.impose_sanction(db, command, caller=Caller("test", now=clock.now)).to_json()["id"])
    sign_in(console, "auditor@meta.example")
    page = console.get(f"/console/sanctions/{sanction_id}")
    assert page.status_code == 200
    assert "Authority&#39;s order (DSA art. 9)" in page.text and "Arcom (FR), order 2026/118-AB" in page.text
    assert "limited to FR, BE" in page.text and "instead of a statement of reasons" in page.text
    assert "information on the authority&#39;s order (art. 9(5))" in page.text
    french = console.get(f"/console/sanctions/{sanction_id}?lang=fr")
    assert (
        "Injonction d&#39;une autorité (DSA art. 9)" in french.text
        and "Arcom (FR), injonction 2026/118-AB" in french.text
    )
    assert "information sur l&#39;injonction de l&#39;autorité (art. 9(5))" in french.text

    erase = people.ErasePerson.parse(operator="meta", account="facebook/ordered")
    assert people.erase_person(db, erase, caller=Caller("test", now=clock.now)).erased
    erased = console.get(f"/console/sanctions/{sanction_id}?lang=en")
    assert "erased with its person (its SHA-256 is kept)" in erased.text
