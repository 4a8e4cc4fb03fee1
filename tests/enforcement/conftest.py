"""Fixtures of the enforcement index tests."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

import pytest
from enforcement_history import ACTOR, CATALOGUE, POLICIES, History

from reprieve.services import catalogue
from reprieve.services.callers import Caller
from reprieve.store.db import Database


@pytest.fixture
def history(db: Database, now: datetime) -> Callable[[int], History]:
    """``history(seed)``: the catalogue of ``CATALOGUE`` on ``db``, ready for random steps."""

    def make(seed: int) -> History:
        h = History(db, random.Random(seed), now)
        for operator, platforms in CATALOGUE.items():
            catalogue.create_operator(
                db, catalogue.CreateOperator.parse(id=operator, name=operator.title()), caller=Caller(ACTOR, now=now)
            )
            for platform, capabilities in platforms.items():
                created = catalogue.create_platform(
                    db,
                    catalogue.CreatePlatform.parse(
                        id=platform,
                        operator=operator,
                        name=platform.title(),
                        capabilities=capabilities,
                        policy=POLICIES.get(platform),
                    ),
                    caller=Caller(ACTOR, now=now),
                )
                h.capabilities[platform] = list(created.capabilities)
                h.operator_of[platform] = operator
        return h

    return make
