"""The renderings of issued documents are kept compressed with a preset dictionary, the issued JSON
as it is (``store.issued``): a read gives back the very bytes issued, and the dictionary of a
packing never changes."""

from __future__ import annotations

import hashlib

import pytest

from reprieve.store import issued

#: Rows packed with dictionary 1 cannot be read without these very bytes: a new dictionary is a
#: new packing (``issued.PACKING``), never an edit of this one.
DICTIONARY_1_SHA256 = "9e678a6264d967f547e44c7e56a09b5693aa9b16e6f9a93f8e6022ecab694da1"


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
    assert issued.unpacked(packed, issued.PACKING) == text
    assert issued.unpacked(None, issued.PACKING) is None
    assert issued.unpacked(text.encode(), issued.PLAIN) == text  # the issued JSON, kept as it is


def test_a_statement_like_text_packs_to_a_fraction_of_its_size() -> None:
    """What the dictionary is for: the boilerplate of a statement costs almost nothing."""
    page = issued.dictionary(1)[-4000:].decode(errors="ignore")
    assert len(issued._packed(page)) < len(page.encode()) / 10
