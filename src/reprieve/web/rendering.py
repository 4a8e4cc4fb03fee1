"""Jinja2 pages: ``render(request, "page.html", **context)`` with what every template needs.

Every template receives: ``t`` (the translation function of the request's language), ``lang``,
``lang_url(code)``, ``csrf_field()`` (the hidden input every form must hold), ``member`` (the
signed-in member or None), ``at`` (the instant the page shows, if not now), ``url(path, **query)``
(a console link that keeps ``?at=``), ``static(name)``, ``label(constant)`` and ``capability(name)`` (a
Transparency Database constant, a capability, in words: ``dsa/labels.py``), and the filters ``instant`` and ``day``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from reprieve.domain.errors import ValidationError
from reprieve.domain.time import parse_instant
from reprieve.dsa import labels
from reprieve.web.i18n import LANGUAGE_NAMES, LANGUAGES, request_language, translator
from reprieve.web.security import CSRF_FIELD, apply_cookies, csrf_token

STATIC_PREFIX = "/console/static"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reprieve.web", "templates"),
        autoescape=select_autoescape(("html", "svg")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["instant"] = format_for_page
    env.filters["day"] = lambda value: format_for_page(value)[:10] if value else ""
    return env


def format_for_page(value: str | datetime | None) -> str:
    """An instant as shown on a page: ``2021-01-07 00:00 UTC``; empty for None."""
    if value is None or value == "":
        return ""
    moment = parse_instant(value) if isinstance(value, str) else value.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def parse_page_instant(text: str | None) -> datetime | None:
    """``?at=`` as a date picker sends it (``2022-06-01T00:00``, read as UTC) or as RFC 3339."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if len(value) in (16, 19) and "T" in value and not value.endswith(("Z", "z")) and "+" not in value[10:]:
        value += "Z"
    return parse_instant(value, field="at")


#: ``?known=now`` beside ``?at=``: the page shows that instant as we know it now (record time:
#: every event), rather than as it stood then (only the events recorded by then).
KNOWN = "known"
KNOWN_NOW = "now"


def page_instant(request: Request) -> datetime | None:
    """The instant of ``?at=``; a malformed one is a ValidationError (a 400 page)."""
    try:
        return parse_page_instant(request.query_params.get("at"))
    except ValidationError:
        raise
    except (ValueError, OverflowError):  # pragma: no cover - parse_instant raises ValidationError
        raise ValidationError("not an instant", field="at") from None


def _with_query(path: str, params: dict[str, Any]) -> str:
    query = {key: value for key, value in params.items() if value not in (None, "")}
    if not query:
        return path
    return path + ("&" if "?" in path else "?") + urlencode(query, doseq=True)


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` rendered for this request, with the cookies it decided on."""
    lang = request_language(request)
    token = csrf_token(request)
    at_text = request.query_params.get("at") or ""
    at = context.pop("at", None)
    if at is None:
        try:
            at = parse_page_instant(at_text)
        except ValidationError:
            at = None

    known_now = at is not None and request.query_params.get(KNOWN) == KNOWN_NOW

    def url(path: str, **query: Any) -> str:
        if at is not None and "at" not in query:
            query["at"] = at.strftime("%Y-%m-%dT%H:%M")
            if known_now and KNOWN not in query:
                query[KNOWN] = KNOWN_NOW
        return _with_query(path, query)

    def switch_url() -> str:
        """This page with the other reading of ``at``: as it stood then, or as we know it now."""
        params = {k: v for k, v in request.query_params.items() if k != KNOWN}
        if not known_now:
            params[KNOWN] = KNOWN_NOW
        return _with_query(request.url.path, params)

    def lang_url(code: str) -> str:
        params = dict(request.query_params)
        params["lang"] = code
        return _with_query(request.url.path, params)

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(token))

    values: dict[str, Any] = {
        "request": request,
        "t": translator(lang),
        "lang": lang,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "lang_url": lang_url,
        "csrf_token": token,
        "csrf_field": csrf_field,
        "member": getattr(request.state, "member", None),
        "at": at,
        "at_value": at.strftime("%Y-%m-%dT%H:%M") if at is not None else "",
        "known_now": known_now,
        "switch_url": switch_url,
        "url": url,
        "static": lambda name: f"{STATIC_PREFIX}/{name}",
        "path": request.url.path,
        "label": lambda value: labels.label(value, lang),
        "capability": lambda name: labels.capability(name, lang),
    }
    values.update(context)
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    return apply_cookies(request, response)
