"""The members' password hashers of the tests: the application's own, and the cheapest one the
suite hashes with (``quick_password_hashing`` in tests/conftest.py)."""

from __future__ import annotations

from argon2 import PasswordHasher

from reprieve.services import members

#: The application's hasher: argon2id with the library's recommended parameters (RFC 9106),
#: some 0.2 s of CPU per hash and per check on the test machine.
PRODUCTION_HASHER = members._hasher
#: argon2id at its smallest cost: a member made, a sign-in, a demo loaded cost a millisecond.
QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
