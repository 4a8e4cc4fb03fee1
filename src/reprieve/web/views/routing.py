"""Routers of the console and of the public pages: each checks the CSRF token of every POST."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from reprieve.web.security import csrf_protect


def console_router() -> APIRouter:
    """A router of pages under ``/console``; each view names the roles it admits (``web.auth``)."""
    return APIRouter(prefix="/console", dependencies=[Depends(csrf_protect)], default_response_class=HTMLResponse)


def public_router(prefix: str) -> APIRouter:
    """A router of pages anyone may open (no sign-in), e.g. ``/appeal``."""
    return APIRouter(prefix=prefix, dependencies=[Depends(csrf_protect)], default_response_class=HTMLResponse)
