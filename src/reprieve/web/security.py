"""What keeps the console's pages safe in a browser: the CSRF token, the security headers,
cookies, and who the client is.

CSRF: a random value in an HttpOnly, SameSite=Lax cookie (``reprieve_csrf``, made before any
session), and in a hidden field of each form (``{{ csrf_field() }}``) an HMAC, under the
installation's key (``services.security_log.web_key``), of that value *and* of the session
cookie. ``csrf_protect``, a dependency of every router of the console and the public pages,
refuses a POST whose field is not that HMAC (403) before the view runs: a cookie planted by a
sibling site, with its own value in the form, does not pass, and a signed-in page's token is
good for its session only. The cookie is renewed at sign-in.

Headers: a strict Content-Security-Policy (everything from our own origin, no inline script or
style, no framing) and the usual companions, on every answer under ``/console`` and ``/appeal``
and on every HTML answer of the app (the statement of reasons, the report, error pages, the
landing page ``/``); the API's ``/docs`` page and its files get the same: Swagger UI is vendored
(``api/static/swagger``) and started by a script file, so it needs no CDN and no inline script.

Client address: the socket's peer, or, when the peer is one of ``REPRIEVE_TRUSTED_PROXIES``, the
right-most address of ``X-Forwarded-For`` that is not a trusted proxy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from datetime import timedelta
from functools import cache
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from reprieve.config import PublicSettings
from reprieve.services import security_log

R = TypeVar("R", bound=Response)

CSRF_COOKIE = "reprieve_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "reprieve_session"

#: The paths whose answers are pages (errors too) and always get the headers below.
PROTECTED_PREFIXES = ("/console", "/appeal", "/notice")
#: The API's documentation page and its vendored Swagger UI files (same headers as the console).
DOCS_PATHS = ("/docs",)

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

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(request: Request) -> str:
    """Who the client is: the socket's peer, or behind a trusted proxy (``app.state.trusted_proxies``)
    the right-most address of ``X-Forwarded-For`` that is not a trusted proxy itself."""
    peer = request.client.host if request.client is not None else "unknown"
    proxies: Sequence[Network] = getattr(request.app.state, "trusted_proxies", ())
    peer_ip = _ip(peer)
    if not proxies or peer_ip is None or not _trusted(peer_ip, proxies):
        return peer
    hops = [hop for header in request.headers.getlist("x-forwarded-for") for hop in header.split(",")]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            return peer  # not what a proxy of ours writes: trust nothing further left
        if not _trusted(address, proxies):
            return str(address)
    return peer


def security_log_retention(request: Request) -> timedelta:
    """How long the security log keeps its rows (``app.state.security_log_days``)."""
    return timedelta(days=getattr(request.app.state, "security_log_days", 90))


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
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=is_https(request))


def _nonce(request: Request) -> str:
    """The browser's CSRF cookie value, or a new one that ``apply_cookies`` will set."""
    nonce: str | None = getattr(request.state, "csrf_nonce", None)
    if nonce is None:
        cookie = request.cookies.get(CSRF_COOKIE)
        nonce = cookie if cookie and 20 <= len(cookie) <= 100 else None
        if nonce is None:
            nonce = secrets.token_urlsafe(32)
            request.state.new_csrf_token = True
        request.state.csrf_nonce = nonce
    return nonce


def _bound_token(request: Request, nonce: str, session: str) -> str:
    key = security_log.web_key(request.app.state.db)
    mac = hmac.new(key, f"csrf|{nonce}|{session}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _session_of(request: Request) -> str:
    if getattr(request.state, "csrf_renewed", False):
        return ""  # a new cookie was just made: the next page computes its own token
    session = request.cookies.get(SESSION_COOKIE, "")
    return session if len(session) <= 100 else ""


def csrf_token(request: Request) -> str:
    """The token of this browser's forms: bound to its CSRF cookie and its session."""
    return _bound_token(request, _nonce(request), _session_of(request))


def renew_csrf_token(request: Request) -> str:
    """A fresh cookie (at sign-in, so that a token planted before cannot be used after)."""
    request.state.csrf_nonce = secrets.token_urlsafe(32)
    request.state.new_csrf_token = True
    request.state.csrf_renewed = True
    return str(request.state.csrf_nonce)


def apply_cookies(request: Request, response: R) -> R:
    """Set the cookies this request decided on (a new CSRF token, a language)."""
    if getattr(request.state, "new_csrf_token", False):
        set_cookie(response, request, CSRF_COOKIE, request.state.csrf_nonce)
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
    """Router dependency: a POST must carry, in its form (or header), the token of its CSRF
    cookie and session cookie."""
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
    if not cookie or not 20 <= len(cookie) <= 100 or not sent:
        raise CsrfRefused()
    expected = _bound_token(request, cookie, _session_of(request))
    if not hmac.compare_digest(expected.encode(), sent.encode()):
        raise CsrfRefused()


ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[MutableMapping[str, Any]], Awaitable[None]]],
    Awaitable[None],
]


class SecurityHeaders:
    """ASGI middleware adding ``SECURITY_HEADERS`` to the answers of the console's paths, of the
    API's documentation page and its files, and to every HTML answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        page = path.startswith(PROTECTED_PREFIXES)
        docs = path.startswith(DOCS_PATHS)

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                present = {name.lower(): value for name, value in headers}
                html = present.get(b"content-type", b"").lower().startswith(b"text/html")
                if page or docs or html:
                    extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                    message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
