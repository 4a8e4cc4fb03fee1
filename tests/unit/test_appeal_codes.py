from reprieve.services import appeal_codes


def test_the_code_is_ten_base32_characters_and_depends_on_the_key_and_the_sanction() -> None:
    a = appeal_codes.derive(b"k" * 32, "snc_1")
    assert len(a) == appeal_codes.LENGTH and a.isalnum() and a.isupper()
    assert a != appeal_codes.derive(b"k" * 32, "snc_2")
    assert a != appeal_codes.derive(b"j" * 32, "snc_1")
    assert appeal_codes.derive(b"k" * 32, "snc_1") == a


def test_the_legacy_code_depends_on_the_creation_hash() -> None:
    a = appeal_codes.derive_legacy("0" * 64)
    assert len(a) == appeal_codes.LENGTH and a.isalnum() and a.isupper()
    assert a != appeal_codes.derive_legacy("1" + "0" * 63)


def test_a_printed_code_typed_back_in_lower_case_with_its_dash_normalises_to_the_code() -> None:
    code = appeal_codes.derive(b"k" * 32, "snc_1")
    printed = appeal_codes.printed(code)
    assert printed[5] == "-"
    assert appeal_codes.normalise(f" {printed.lower()} ") == code
