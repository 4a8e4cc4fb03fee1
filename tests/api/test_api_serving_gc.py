"""While an app with the enforcement index serves, what existed when it started is left out of
garbage collections (``gc.freeze``) and the youngest generation is collected less often; once
it stops, both are as they were."""

from __future__ import annotations

import gc

from api_support import World
from starlette.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.api.enforcement import YOUNG_THRESHOLD, attach_index


def test_what_exists_at_start_is_frozen_while_serving_and_thawed_after(world: World) -> None:
    thresholds = gc.get_threshold()
    app = attach_index(create_app(world.db, clock=world.clock), world.db)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *thresholds[1:])
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds
