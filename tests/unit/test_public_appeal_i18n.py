"""The public appeal form's strings: English and French hold the same keys, French is translated,
the form's templates and view use exactly the keys of its catalogue, and the merged catalogue of
each language holds them."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

from reprieve.web import i18n

WEB = Path(str(resources.files("reprieve.web")))
#: ``t("public.x")`` in a template, ``"public.x"`` in the view; ``public.month.{n}`` is built.
KEY = re.compile(r"""["'](public\.[a-z_.]+[a-z_])["']""")


def strings(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((WEB / "locales" / f"public.{lang}.json").read_text(encoding="utf-8"))
    return data


def used_keys() -> set[str]:
    sources = [*sorted((WEB / "templates" / "public").glob("*.html")), WEB / "public.py"]
    found = {key for path in sources for key in KEY.findall(path.read_text(encoding="utf-8"))}
    return found | {f"public.month.{n}" for n in range(1, 13)}


def test_english_and_french_hold_the_same_keys_and_every_text_is_filled() -> None:
    english, french = strings("en"), strings("fr")
    assert set(english) == set(french)
    assert all(text.strip() for text in [*english.values(), *french.values()])
    assert all(key.startswith("public.") for key in english)


def test_french_is_translated_with_the_same_parameters() -> None:
    english, french = strings("en"), strings("fr")
    same = {key for key in english if english[key] == french[key]}
    assert same == {"public.limited.minutes"}, same  # "{n} minutes" is the same word in both
    for key in english:
        assert set(re.findall(r"{(\w+)}", english[key])) == set(re.findall(r"{(\w+)}", french[key])), key


def test_every_key_the_form_uses_exists_and_is_merged_into_each_language() -> None:
    used = used_keys()
    assert "public.error.code.mismatch" in used and "public.received.title" in used
    assert used == set(strings("en")), (sorted(used - set(strings("en"))), sorted(set(strings("en")) - used))
    for lang in i18n.LANGUAGES:
        assert used <= set(i18n.catalog(lang))
    assert i18n.translate("fr", "public.title") == strings("fr")["public.title"]
    assert i18n.translate("en", "app.name") != "app.name"  # the console's own strings are still there
