"""The console's catalogues: English and French hold the same keys with the same parameters, and
every key a template or view names exists (a missing one would show as itself on the page)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from reprieve.web.i18n import LANGUAGES, catalog, translate

WEB = Path(__file__).resolve().parents[2] / "src" / "reprieve" / "web"
#: ``t("key")`` and ``translate(lang, "key")`` with a literal key, in templates and views.
LITERAL = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_.-]+)["']|translate\([^,()]+,\s*["']([a-z_]+\.[a-z_.]+)["']""")
#: ``t("prefix." ~ value)``: keys built from a value; each prefix must hold some keys.
PREFIX = re.compile(r"""\bt\(\s*["']([a-z_]+\.)["']\s*~""")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def console_sources() -> list[Path]:
    files = [*WEB.glob("templates/*.html"), *WEB.glob("views/*.py"), *WEB.glob("*.py")]
    return [f for f in files if "public" not in f.name]


def test_both_languages_hold_the_same_keys_and_parameters() -> None:
    english, french = catalog("en"), catalog("fr")
    assert set(english) == set(french)
    for key, text in english.items():
        assert text.strip() and french[key].strip(), key
        assert fields(text) == fields(french[key]), key


def test_every_key_the_console_names_exists() -> None:
    english = catalog("en")
    used, prefixes = set(), set()
    for source in console_sources():
        text = source.read_text(encoding="utf-8")
        used |= {a or b for a, b in LITERAL.findall(text)}
        prefixes |= set(PREFIX.findall(text))
    assert used, "the pattern found no key: it no longer matches how templates call t()"
    assert sorted(k for k in used if k not in english) == []
    assert sorted(p for p in prefixes if not any(k.startswith(p) for k in english)) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_missing_key_shows_as_itself_and_french_falls_back_to_english(lang: str) -> None:
    assert translate(lang, "no.such.key") == "no.such.key"
    assert translate("de", "dashboard.title") == "Dashboard"
    assert translate("fr", "dashboard.title") == "Tableau de bord"
    assert translate(lang, "sanction.title", id="snc_1").endswith("snc_1")
