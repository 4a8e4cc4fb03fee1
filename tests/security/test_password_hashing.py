"""The members' passwords are hashed with the application's own parameters: argon2id with the
library's recommended ones (RFC 9106, low memory). The rest of the suite hashes at the smallest
cost (``quick_password_hashing`` in tests/conftest.py); these tests put the application's hasher back
(``production_hashing``) and check what it stores and that a sign-in goes through it."""

from __future__ import annotations

from datetime import datetime

from argon2 import Type, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import select

from hashing_support import PRODUCTION_HASHER, QUICK_HASHER
from reprieve.services import catalogue, members
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.store.db import Database

PASSWORD = "correct horse battery"


def _member(db: Database, now: datetime) -> str:
    caller = Caller("test", now=now)
    catalogue.create_operator(db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=caller)
    command = members.CreateMember.parse(
        email="mia@meta.example", name="Mia", role="moderator", operator="meta", password=PASSWORD
    )
    return members.create_member(db, command, caller=caller).id


def _stored_hash(db: Database) -> str:
    with db.read() as conn:
        return str(conn.execute(select(tables.members.c.password_hash)).scalar_one())


def test_the_application_hashes_with_argon2id_at_the_recommended_cost() -> None:
    assert PRODUCTION_HASHER.type is Type.ID
    assert (PRODUCTION_HASHER.time_cost, PRODUCTION_HASHER.memory_cost, PRODUCTION_HASHER.parallelism) == (
        RFC_9106_LOW_MEMORY.time_cost,
        RFC_9106_LOW_MEMORY.memory_cost,
        RFC_9106_LOW_MEMORY.parallelism,
    )
    assert QUICK_HASHER.memory_cost < PRODUCTION_HASHER.memory_cost  # the suite's is not the application's


def test_a_member_is_stored_and_signs_in_with_the_applications_parameters(
    db: Database, now: datetime, production_hashing: None
) -> None:
    member = _member(db, now)
    stored = _stored_hash(db)
    assert extract_parameters(stored) == RFC_9106_LOW_MEMORY
    signed_in, secret = members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    assert signed_in.id == member and secret
    assert _stored_hash(db) == stored  # nothing to rehash


def test_a_hash_of_other_parameters_is_replaced_at_the_next_sign_in(
    db: Database, now: datetime, production_hashing: None
) -> None:
    _member(db, now)
    with db.engine.begin() as conn:
        conn.execute(tables.members.update().values(password_hash=QUICK_HASHER.hash(PASSWORD)))
    members.sign_in(db, email="mia@meta.example", password=PASSWORD, now=now)
    assert extract_parameters(_stored_hash(db)) == RFC_9106_LOW_MEMORY
