"""The console (``/console``) and the public pages (``/appeal``) mounted into the API's app.

``mount_console(app, problem_for=...)`` adds the routers of ``CONSOLE_ROUTERS``, the vendored static files, the
security headers and the HTML error pages. The API's JSON routes are untouched: errors under
``/console`` and ``/appeal`` are answered as pages, everywhere else as problem+json.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from reprieve.domain.errors import ConflictError, ForbiddenError, NotFoundError, ReprieveError, ValidationError
from reprieve.web import notice_form, public, views
from reprieve.web.auth import RoleRefused, SignInRequired
from reprieve.web.i18n import request_language, translate
from reprieve.web.rendering import STATIC_PREFIX, render
from reprieve.web.security import PROTECTED_PREFIXES, CsrfRefused, SecurityHeaders

#: Every router of the console and the public pages; a new page's module adds its router here.
CONSOLE_ROUTERS: tuple[APIRouter, ...] = (*views.ROUTERS, public.router, notice_form.router)

_STATUS = {ValidationError: 400, NotFoundError: 404, ConflictError: 409, ForbiddenError: 403}


def static_directory() -> Path:
    return Path(str(resources.files("reprieve.web").joinpath("static")))


def _is_page(request: Request) -> bool:
    return request.url.path.startswith(PROTECTED_PREFIXES)


def error_page(request: Request, status: int, message: str) -> Response:
    return render(
        request, "error.html", status_code=status, status=status, message=message, back_to_form=form_page(request)
    )


def _http_message(request: Request, exc: StarletteHTTPException) -> str:
    """Starlette's own English phrase ("Not Found") in the page's language; a detail of ours as it is."""
    lang = request_language(request)
    if exc.detail == HTTPStatus(exc.status_code).phrase:
        if exc.status_code == 404:
            return translate(lang, "error.not_found")
        if exc.status_code == 405:
            return translate(lang, "error.method_not_allowed")
    return str(exc.detail)


def form_page(request: Request) -> str | None:
    """After a refused form (a POST), the console page it was sent from, for a link back to it that
    keeps what was typed (the browser's own back, see console.js); None if not a page of this console."""
    if request.method != "POST":
        return None
    referer = urlsplit(request.headers.get("referer") or "")
    path = referer.path
    if referer.netloc != request.url.netloc or not path.startswith("/console") or "//" in path:
        return None
    if path.startswith("/console/sign-") or len(path) + len(referer.query) > 1000:
        return None
    return path + (f"?{referer.query}" if referer.query else "")


def mount_console(app: FastAPI, *, problem_for: Callable[[Exception], Response]) -> None:
    """Serve the console and the public pages from ``app``; ``problem_for`` answers an error
    outside them (the API's problem+json)."""
    app.mount(STATIC_PREFIX, StaticFiles(directory=static_directory()), name="console-static")
    for router in CONSOLE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.add_middleware(SecurityHeaders)

    async def sign_in_required(request: Request, _exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/console"
        # A path, never a URL built from the Host header: the browser resolves it against the
        # address it used.
        return RedirectResponse("/console/sign-in?" + urlencode({"next": target}), 303)

    async def role_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RoleRefused)
        return error_page(request, 403, translate(request_language(request), "error.role", role=exc.role.value))

    async def csrf_refused(request: Request, _exc: Exception) -> Response:
        return error_page(request, 403, translate(request_language(request), "error.csrf"))

    async def page_error(request: Request, exc: Exception) -> Response:
        """Under /console and /appeal an error is a page; elsewhere the API's problem+json."""
        if not _is_page(request):
            return problem_for(exc)
        if isinstance(exc, ReprieveError):
            status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 500)
            return error_page(request, status, exc.message)
        if isinstance(exc, RequestValidationError):
            detail = "; ".join(
                f"{'.'.join(str(part) for part in error.get('loc', ())[1:])}: {error.get('msg')}"
                for error in exc.errors()
            )
            return error_page(request, 400, detail or "invalid request")
        assert isinstance(exc, StarletteHTTPException)
        return error_page(request, exc.status_code, _http_message(request, exc))

    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(RoleRefused, role_refused)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    for exc_class in (ReprieveError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(exc_class, page_error)
