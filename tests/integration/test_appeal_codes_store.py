from collections.abc import Callable
from typing import Any

import pytest

from reprieve.domain.errors import NotFoundError
from reprieve.services import appeal_codes
from reprieve.store.db import Database


def test_each_sanction_has_its_own_code_and_only_that_code_matches(
    db: Database, meta: str, impose: Callable[..., dict[str, Any]]
) -> None:
    first = impose("facebook/alice", "suspension", duration="P30D")["id"]
    second = impose("facebook/bob", "suspension", duration="P30D")["id"]
    with db.read() as conn:
        code = appeal_codes.code_for(conn, first)
        assert code != appeal_codes.code_for(conn, second)
        assert appeal_codes.matches(conn, first, appeal_codes.printed(code).lower())
        assert not appeal_codes.matches(conn, second, code)
        assert not appeal_codes.matches(conn, "no-such-sanction", code)
        with pytest.raises(NotFoundError):
            appeal_codes.code_for(conn, "no-such-sanction")
