"""The pages: one module per part of the console, each with its ``router``.

Every router is made by ``console_router()`` (under ``/console``) or ``public_router()`` (no
sign-in), which check the CSRF token of every POST. A new module adds its router to ``ROUTERS``.
"""

from __future__ import annotations

from fastapi import APIRouter

from reprieve.web.views import (
    accounts,
    amnesties,
    audit,
    content,
    dashboard,
    due_process,
    members,
    notices,
    password,
    queues,
    sanctions,
    session,
)

ROUTERS: tuple[APIRouter, ...] = (
    session.router,
    dashboard.router,
    queues.router,
    accounts.router,
    sanctions.router,
    content.router,
    notices.router,
    due_process.router,
    amnesties.router,
    audit.router,
    members.router,
    password.router,
)
