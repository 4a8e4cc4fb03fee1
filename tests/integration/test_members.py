"""Members of the console: creation, argon2 hashes, sign-in, sessions and the lock-out, on every
backend."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.model import Role
from reprieve.domain.time import format_instant
from reprieve.services import catalogue, members
from reprieve.services.callers import Caller
from reprieve.store import eventlog, tables
from reprieve.store.db import Database

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()


@pytest.fixture
def meta(db: Database, now: datetime) -> str:
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("test", now=now)
    )
    return "meta"


def create(db: Database, now: datetime, **fields: str | None) -> members.CreatedMemberView:
    values: dict[str, str | None] = {
        "email": "mia@meta.example",
        "name": "Mia",
        "role": "moderator",
        "operator": "meta",
        "password": PASSWORD,
    }
    values.update(fields)
    return members.create_member(db, members.CreateMember.parse(**values), caller=Caller("test", now=now))  # type: ignore[arg-type]


def test_a_member_is_stored_with_an_argon2id_hash_and_recorded_without_it(
    db: Database, now: datetime, meta: str
) -> None:
    created = create(db, now, email="Mia@Meta.Example")
    assert created.email == "mia@meta.example"
    with db.read() as conn:
        row = conn.execute(select(tables.members)).one()
        event = conn.execute(select(tables.events).where(tables.events.c.type == "member.created")).one()
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert PASSWORD not in event.data and "$argon2" not in event.data and "mia@meta.example" not in event.data


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"email": "not-an-address"}, ValidationError),
        ({"password": "short"}, ValidationError),
        ({"role": "platform"}, ValidationError),
        ({"role": "instance-admin"}, ValidationError),  # with an operator
        ({"operator": None}, ValidationError),
        ({"operator": "nowhere"}, NotFoundError),
    ],
)
def test_bad_members_are_refused_and_nothing_is_written(
    db: Database, now: datetime, meta: str, fields: dict[str, str | None], error: type[Exception]
) -> None:
    with pytest.raises(error):
        create(db, now, **fields)
    assert members.list_members(db, caller=Caller("test")) == []


def test_an_e_mail_is_taken_once(db: Database, now: datetime, meta: str) -> None:
    create(db, now)
    with pytest.raises(ConflictError):
        create(db, now, email="MIA@meta.example", name="Another")


def test_sign_in_opens_a_session_that_expires_and_sign_out_closes(db: Database, now: datetime, meta: str) -> None:
    create(db, now)
    member, secret = members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    assert member.role is Role.MODERATOR and member.principal.operator == "meta"
    assert members.session_member(db, secret, now=now) == member
    assert members.session_member(db, secret, now=now + members.SESSION_TTL) is None
    assert members.session_member(db, "forged", now=now) is None
    with db.read() as conn:
        assert conn.execute(select(tables.console_sessions.c.id)).scalar_one() != secret  # only its hash
    members.sign_out(db, secret)
    assert members.session_member(db, secret, now=now) is None


def test_the_back_off_after_five_failures_doubles_up_to_its_cap(db: Database, now: datetime, meta: str) -> None:
    create(db, now)
    for second in range(4):
        with pytest.raises(members.SignInRefused, match="wrong"):
            members.sign_in(db, email="mia@meta.example", password="guess", now=now + timedelta(seconds=second))
    at = now + timedelta(seconds=4)
    waits = []
    for _ in range(6):  # the fifth failure and those after it, each once its back-off is over
        with pytest.raises(members.SignInThrottled) as refused:
            members.sign_in(db, email="mia@meta.example", password="guess", now=at)
        waits.append(refused.value.retry_after)
        assert members.locked_until(db, "mia@meta.example", now=at) == at + timedelta(seconds=waits[-1])
        with pytest.raises(members.SignInThrottled, match="too many"):  # even the right password, not counted
            members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=at + timedelta(seconds=1))
        at += timedelta(seconds=waits[-1])
    assert waits == [60, 120, 240, 480, 900, 900]
    assert members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=at)[0].name == "Mia"


def test_a_success_resets_the_count(db: Database, now: datetime, meta: str) -> None:
    create(db, now)
    for second in range(4):
        with pytest.raises(members.SignInRefused):
            members.sign_in(db, email="mia@meta.example", password="guess", now=now + timedelta(seconds=second))
    members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now + timedelta(seconds=5))
    with pytest.raises(members.SignInRefused, match="wrong"):
        members.sign_in(db, email="mia@meta.example", password="guess", now=now + timedelta(seconds=6))
    assert members.locked_until(db, "mia@meta.example", now=now + timedelta(seconds=7)) is None


def test_old_attempts_and_expired_sessions_are_forgotten(db: Database, now: datetime, meta: str) -> None:
    create(db, now)
    members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    later = now + members.SESSION_TTL + members.LIMITS.known_for
    _member, fresh = members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=later)
    with db.read() as conn:
        attempts = conn.execute(select(tables.sign_in_attempts.c.at)).scalars().all()
        sessions = conn.execute(select(tables.console_sessions.c.id)).scalars().all()
    assert len(attempts) == 1 and len(sessions) == 1
    assert members.session_member(db, fresh, now=later) is not None


def test_a_disabled_member_loses_every_session_and_cannot_sign_in(db: Database, now: datetime, meta: str) -> None:
    created = create(db, now)
    create(db, now, email="max@meta.example", name="Max")
    _, first = members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    _, second = members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    _, other = members.sign_in(db, email="max@meta.example", password=PASSWORD, now=now)
    with db.read() as conn:
        before = eventlog.count_events(conn)
    later = now + timedelta(minutes=5)
    disabled = members.disable_member(db, "MIA@meta.example", caller=Caller("admin", now=later))
    assert disabled.id == created.id and disabled.disabled_at == later
    assert members.session_member(db, first, now=later) is None
    assert members.session_member(db, second, now=later) is None
    assert members.session_member(db, other, now=later) is not None  # the others' go on
    with pytest.raises(members.SignInRefused):
        members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=later)
    with db.read() as conn:
        recorded = eventlog.read_events(conn, after=before, limit=10)
    assert [(e.type, e.actor, json.loads(e.data)) for e in recorded] == [
        ("member.disabled", "admin", {"id": created.id})
    ]
    listed = {m.email: format_instant(m.disabled_at) for m in members.list_members(db, caller=Caller("test"))}
    assert listed == {"mia@meta.example": format_instant(later), "max@meta.example": None}


def test_disabling_names_a_member_of_ones_own_operator_once(db: Database, now: datetime, meta: str) -> None:
    created = create(db, now)
    with db.read() as conn:
        before = eventlog.count_events(conn)
    with pytest.raises(NotFoundError):
        members.disable_member(db, "nobody@meta.example", caller=Caller("admin", now=now))
    with pytest.raises(NotFoundError):  # another operator's admin does not see Meta's members
        members.disable_member(db, created.id, caller=Caller("admin", now=now, operators=["x"]))
    members.disable_member(db, created.id, caller=Caller("admin", now=now))
    with pytest.raises(ConflictError, match="was disabled at"):
        members.disable_member(db, created.id, caller=Caller("admin", now=now))
    with db.read() as conn:
        assert eventlog.count_events(conn) == before + 1


def test_a_disabled_member_enabled_again_signs_in_with_their_password_and_no_old_session(
    db: Database, now: datetime, meta: str
) -> None:
    created = create(db, now)
    _, old = members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    later = now + timedelta(minutes=5)
    members.disable_member(db, "mia@meta.example", caller=Caller("admin", now=later))
    with db.read() as conn:
        before = eventlog.count_events(conn)
    with pytest.raises(NotFoundError):  # another operator's admin does not see Meta's members
        members.enable_member(db, created.id, caller=Caller("admin", now=later, operators=["x"]))
    with pytest.raises(NotFoundError):
        members.enable_member(db, "nobody@meta.example", caller=Caller("admin", now=later))
    enabled = members.enable_member(
        db, "MIA@meta.example", caller=Caller("second admin", now=later, operators=["meta"])
    )
    assert enabled.id == created.id and enabled.disabled_at is None
    assert members.session_member(db, old, now=later) is None  # the session ended with the disabling
    member, fresh = members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=later)
    assert member.id == created.id and members.session_member(db, fresh, now=later) is not None
    with pytest.raises(ConflictError, match="is not disabled"):
        members.enable_member(db, created.id, caller=Caller("admin", now=later))
    with db.read() as conn:
        recorded = eventlog.read_events(conn, after=before, limit=10)
    assert [(e.type, e.actor, json.loads(e.data)) for e in recorded] == [
        ("member.enabled", "second admin", {"id": created.id})
    ]
    assert {m.email: format_instant(m.disabled_at) for m in members.list_members(db, caller=Caller("test"))} == {
        "mia@meta.example": None
    }


NEW_PASSWORD = "a longer new passphrase"


def test_a_member_changes_their_password_and_every_other_session_ends(db: Database, now: datetime, meta: str) -> None:
    created = create(db, now)
    member_id = created.id
    _, this = members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    _, other = members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    with db.read() as conn:
        before = eventlog.count_events(conn)
    with pytest.raises(ValidationError, match="new_password: must be at least 10") as short:
        members.change_password(db, member_id, current=PASSWORD, new="short", keep_session=this, now=now)
    assert short.value.field == "new_password"
    with pytest.raises(ValidationError, match="current_password: is not your password"):
        members.change_password(db, member_id, current="guess", new=NEW_PASSWORD, keep_session=this, now=now)
    assert members.session_member(db, other, now=now) is not None  # refusals change nothing
    members.change_password(db, member_id, current=PASSWORD, new=NEW_PASSWORD, keep_session=this, now=now)
    assert members.session_member(db, this, now=now) is not None  # the session in use goes on
    assert members.session_member(db, other, now=now) is None  # the others end
    with pytest.raises(members.SignInRefused):
        members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    assert members.sign_in(db, email="mia@meta.example", password=NEW_PASSWORD, now=now)[0].id == member_id
    with db.read() as conn:
        recorded = eventlog.read_events(conn, after=before, limit=10)
        row = conn.execute(select(tables.members.c.password_hash)).scalar_one()
    assert [(e.type, json.loads(e.data)) for e in recorded] == [("member.password_changed", {"id": member_id})]
    assert recorded[0].actor == members.get_member(db, member_id).actor
    assert NEW_PASSWORD not in recorded[0].data and NEW_PASSWORD not in row and row.startswith("$argon2id$")


def test_guessing_the_current_password_counts_toward_the_sign_in_lock_out(
    db: Database, now: datetime, meta: str
) -> None:
    member_id = create(db, now).id
    for _ in range(members.MAX_FAILURES):
        with pytest.raises(ValidationError, match="current_password"):
            members.change_password(db, member_id, current="guess", new=NEW_PASSWORD, keep_session=None, now=now)
    with pytest.raises(ValidationError, match="too many failed attempts"):  # even the right one, now
        members.change_password(db, member_id, current=PASSWORD, new=NEW_PASSWORD, keep_session=None, now=now)
    with pytest.raises(members.SignInRefused):
        members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    later = now + timedelta(minutes=16)
    members.change_password(db, member_id, current=PASSWORD, new=NEW_PASSWORD, keep_session=None, now=later)


def test_an_admin_resets_a_forgotten_password_and_every_session_ends(db: Database, now: datetime, meta: str) -> None:
    created = create(db, now)
    _, session = members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    with pytest.raises(NotFoundError):  # another operator's admin does not see Meta's members
        members.reset_password(
            db, "mia@meta.example", password=NEW_PASSWORD, caller=Caller("admin", now=now, operators=["x"])
        )
    with pytest.raises(ValidationError, match="password: must be at least"):
        members.reset_password(db, "mia@meta.example", password="short", caller=Caller("admin", now=now))
    assert members.session_member(db, session, now=now) is not None
    reset = members.reset_password(db, "MIA@meta.example", password=NEW_PASSWORD, caller=Caller("admin", now=now))
    assert reset.id == created.id and reset.password_changed_at == now
    assert members.session_member(db, session, now=now) is None
    assert members.sign_in(db, email="mia@meta.example", password=NEW_PASSWORD, now=now)[0].id == created.id
