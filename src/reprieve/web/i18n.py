"""English and French for the console and the public pages.

Strings live in ``web/locales/<lang>.json``, one flat object of ``"key": "text"``; texts may name
parameters as ``{name}`` (``str.format``). Templates call ``t("key", name=value)``. A key missing
from a language falls back to English, and a key missing from English shows as itself, so that a
forgotten string is visible on the page (and ``tests/unit/test_console_i18n.py`` fails).

The language of a request: ``?lang=`` (remembered in a cookie), else the cookie, else the
browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from starlette.requests import Request

from reprieve.web.security import queue_cookie

LANGUAGES: tuple[str, ...] = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "reprieve_lang"
#: What the language switch shows for each language, in that language.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}

Translate = Callable[..., str]


@cache
def catalog(lang: str) -> dict[str, str]:
    """The strings of ``lang``, read once from the package: ``<lang>.json``, then each ``<part>.<lang>.json``
    (e.g. ``public.fr.json``, the public appeal form's), so that each part keeps its own file."""
    locales = resources.files("reprieve.web").joinpath("locales")
    strings: dict[str, str] = json.loads(locales.joinpath(f"{lang}.json").read_text(encoding="utf-8"))
    for part in sorted((p for p in locales.iterdir() if p.name.endswith(f".{lang}.json")), key=lambda p: p.name):
        strings.update(json.loads(part.read_text(encoding="utf-8")))
    return strings


def translate(lang: str, key: str, /, **params: Any) -> str:
    text = catalog(lang).get(key) if lang in LANGUAGES else None
    if text is None:
        text = catalog(DEFAULT_LANGUAGE).get(key, key)
    return text.format(**params) if params else text


def translator(lang: str) -> Translate:
    """``t(key, **params)`` for one language: what templates and views call."""

    def t(key: str, /, **params: Any) -> str:
        return translate(lang, key, **params)

    return t


def request_language(request: Request) -> str:
    """The language this request is answered in (and remember a ``?lang=`` choice in a cookie)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        if request.cookies.get(LANG_COOKIE) != asked:
            queue_cookie(request, LANG_COOKIE, asked, max_age=365 * 24 * 3600)
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
