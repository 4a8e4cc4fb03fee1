"""The texts of issued documents are kept compressed with a preset dictionary (``store.issued``):
a read gives back the very bytes issued, and the dictionary of a packing never changes."""

from __future__ import annotations

import hashlib

import pytest

from reprieve.store import issued

#: Rows packed with dictionary 1 cannot be read without these very bytes: a new dictionary is a
#: new packing (``issued.PACKING``), never an edit of this one.
DICTIONARY_1_SHA256 = "ddb5759a8de589557ee1b6b9505eb8b35918802bfb27f2e33e0bac8e65102225"


def test_the_dictionary_of_packing_1_is_the_one_rows_were_packed_with() -> None:
    assert hashlib.sha256(issued.dictionary(1)).hexdigest() == DICTIONARY_1_SHA256


@pytest.mark.parametrize(
    "text",
    [
        "",
        '{"title":"Statement of reasons","facts":"Posts calling for violence"}',
        "<p>Décision prise le 9 janvier 2021 — « réexamen » ✓ 🚫</p>" * 40,
        "\x00 nul and \ufffd replacement",
    ],
)
def test_a_text_packed_is_read_back_byte_for_byte(text: str) -> None:
    packed = issued._packed(text)
    assert issued._unpacked(packed, issued.PACKING) == text
    assert issued._unpacked(None, issued.PACKING) is None


def test_a_statement_like_text_packs_to_a_fraction_of_its_size() -> None:
    """What the dictionary is for: the boilerplate of a statement costs almost nothing."""
    page = issued.dictionary(1)[-4000:].decode(errors="ignore")
    assert len(issued._packed(page)) < len(page.encode()) / 10
