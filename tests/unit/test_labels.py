"""Every Transparency Database constant a person may read has a label in English and in French."""

from __future__ import annotations

import re

import pytest

from reprieve.dsa import enums, labels


@pytest.mark.parametrize(
    "constants",
    [
        enums.STATEMENT_CATEGORIES,
        enums.KEYWORDS,
        enums.DECISION_GROUNDS,
        enums.CONTENT_TYPES,
    ],
    ids=["categories", "keywords", "grounds", "content types"],
)
def test_every_constant_has_a_label_in_both_languages(constants: frozenset[str]) -> None:
    for constant in constants:
        english, french = labels.label(constant, "en"), labels.label(constant, "fr")
        for text in (english, french):
            assert text.strip() and text != constant, constant
            assert not re.search(r"[A-Z]{2,}_|[a-z]_[a-z]", text), (constant, text)  # no constant, no snake_case


def test_labels_are_what_the_transparency_database_shows() -> None:
    assert labels.label("STATEMENT_CATEGORY_SCAMS_AND_FRAUD") == "Scams and fraud"
    assert labels.label("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "fr") == "Escroqueries et fraudes"
    assert labels.label("free text", "fr") == "free text" and labels.label(None) == ""


def test_the_usual_capabilities_read_in_words_and_a_platform_s_own_as_itself() -> None:
    from reprieve.domain.model import DEFAULT_CAPABILITIES

    for name in DEFAULT_CAPABILITIES:
        assert labels.capability(name, "en") != name
        assert labels.capability(name, "fr").strip()
    assert labels.capability("post", "fr") == "publication" and labels.capability("teleport", "fr") == "teleport"


def test_every_value_a_page_shows_has_words_in_both_catalogues() -> None:
    """Kinds, states, outcomes, channels, relations and risks: each value has its key in English
    and in French (a missing key would show the raw value's key on the page)."""
    from reprieve.domain.appeals import AppealKind, AppealOutcome, AppealState, Channel, Relation
    from reprieve.domain.events import EventType
    from reprieve.domain.model import SanctionKind, SanctionState, Status
    from reprieve.domain.reviews import ReviewOutcome, ReviewState, Risk
    from reprieve.web.i18n import catalog

    families = {
        "appeal_kind": AppealKind,
        "appeal_outcome": AppealOutcome,
        "appeal_state": AppealState,
        "channel": Channel,
        "relation": Relation,
        "kind": SanctionKind,
        "state": SanctionState,
        "status": Status,
        "review_outcome": ReviewOutcome,
        "review_state": ReviewState,
        "risk": Risk,
        "audit.event": EventType,
        "audit.summary": EventType,
    }
    for lang in ("en", "fr"):
        strings = catalog(lang)
        missing = [
            f"{prefix}.{value.value}"
            for prefix, enum in families.items()
            for value in enum
            if f"{prefix}.{value.value}" not in strings
        ]
        assert missing == [], (lang, missing)
