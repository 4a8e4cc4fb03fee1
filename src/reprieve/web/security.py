"""What keeps the console's pages safe in a browser: the CSRF token, the security headers, cookies.

CSRF: the double-submit pattern. Every page carries a random token in an HttpOnly, SameSite=Lax
cookie and in a hidden field of each of its forms (``{{ csrf_field() }}``); ``csrf_protect``, a
dependency of every router of the console, refuses a POST whose field does not match the cookie
(403) before the view runs. The token is renewed at sign-in.

Headers: a strict Content-Security-Policy (everything from our own origin, no inline script or
style, no framing) and the usual companions, on every answer under ``/console`` and ``/appeal``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from functools import cache
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from reprieve.services.transparency import PublicSettings

R = TypeVar("R", bound=Response)

CSRF_COOKIE = "reprieve_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

#: The paths whose answers get the headers below (the API's /docs page loads Swagger UI from a CDN).
PROTECTED_PREFIXES = ("/console", "/appeal")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class CsrfRefused(Exception):
    """Raised when a POST to the console carries no CSRF token, or one that is not its cookie's."""

    def __init__(self, message: str = "the form's security token is missing or out of date; reload the page") -> None:
        super().__init__(message)
        self.message = message


@cache
def served_over_https() -> bool:
    """Whether users reach this installation over https (``REPRIEVE_PUBLIC_URL``, the address the
    statements of reasons print): behind a proxy that ends TLS, requests arrive as plain http."""
    return PublicSettings().public_url.lower().startswith("https://")


def is_https(request: Request) -> bool:
    """Whether cookies get ``Secure``: the request came over https, or the public address is https."""
    return request.url.scheme == "https" or served_over_https()


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    """Every cookie of the console: HttpOnly, SameSite=Lax, Secure when served over https."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=is_https(request)
    )


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser: its cookie's, or a new one that ``apply_cookies`` will set."""
    token: str | None = getattr(request.state, "csrf_token", None)
    if token is None:
        cookie = request.cookies.get(CSRF_COOKIE)
        token = cookie if cookie and 20 <= len(cookie) <= 100 else None
        if token is None:
            token = secrets.token_urlsafe(32)
            request.state.new_csrf_token = True
        request.state.csrf_token = token
    return token


def renew_csrf_token(request: Request) -> str:
    """A fresh token (at sign-in, so that a token planted before cannot be used after)."""
    request.state.csrf_token = secrets.token_urlsafe(32)
    request.state.new_csrf_token = True
    return str(request.state.csrf_token)


def apply_cookies(request: Request, response: R) -> R:
    """Set the cookies this request decided on (a new CSRF token, a language)."""
    if getattr(request.state, "new_csrf_token", False):
        set_cookie(response, request, CSRF_COOKIE, request.state.csrf_token)
    for name, value, max_age in getattr(request.state, "cookies", ()):
        if value is None:
            response.delete_cookie(name, path="/")
        else:
            set_cookie(response, request, name, value, max_age=max_age)
    return response


def queue_cookie(request: Request, name: str, value: str | None, *, max_age: int | None = None) -> None:
    """Ask for a cookie to be set (or deleted, with None) on this request's answer."""
    if not hasattr(request.state, "cookies"):
        request.state.cookies = []
    request.state.cookies.append((name, value, max_age))


async def csrf_protect(request: Request) -> None:
    """Router dependency: a POST must carry the CSRF cookie's value in its form (or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # Starlette keeps it: the view reads the same form again
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise CsrfRefused()


ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[MutableMapping[str, Any]], Awaitable[None]]],
    Awaitable[None],
]


class SecurityHeaders:
    """ASGI middleware adding ``SECURITY_HEADERS`` to the answers of the console's paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PROTECTED_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
