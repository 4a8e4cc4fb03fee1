"""The public appeal form at ``/appeal``: no sign-in, the reference and the appeal code printed on
the statement of reasons, then ``services.appeals.file_appeal`` on the ``web`` channel. The
reference is a sanction's (``snc_...``) or, for a complaint about content, a content decision's
(``cd_...``), whose statement prints its own code.

* A wrong code and an unknown reference get the same answer: the form does not tell which
  sanctions exist.
* The requester's e-mail goes to the service (which keeps it in ``appeal_requesters``) and
  nowhere else: not into the confirmation page, not into a log line.
* CSRF: the console's double-submit token (a cookie and a hidden field, checked by the router of
  ``public_router``), which needs no session.
* Rate limits per client address (``PublicLimits``): page loads, in memory per process, and
  filings, in the database so that the limit holds across processes and restarts; beyond them,
  a 429 page with ``Retry-After``. Every filing attempt counts, so that codes cannot be guessed
  by trying many. The client address is the socket's, or the one a trusted proxy forwarded
  (``web.security.client_address``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from reprieve.domain.appeals import AppealKind, Channel, Relation, Requester
from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.text import is_blank
from reprieve.domain.time import format_instant, parse_instant
from reprieve.services import Database, appeal_codes, appeals, deliveries
from reprieve.services.callers import PUBLIC_FORM_ACTOR, Caller
from reprieve.web.i18n import request_language, translator
from reprieve.web.ratelimit import DatabaseRateLimiter, RateLimiter
from reprieve.web.rendering import render
from reprieve.web.security import client_address
from reprieve.web.views.routing import public_router

router = public_router("/appeal")

#: How the event log names who filed through the form: never the requester (personal data).
PUBLIC_FORM = Caller(PUBLIC_FORM_ACTOR)

#: The form's fields in page order: the error summary lists them in this order.
FIELDS = ("sanction", "code", "kind", "statement", "name", "email", "relation")
NAME_MAX = 200
EMAIL_MAX = 320
STATEMENT_MAX = 20_000
SANCTION_MAX = 64


# --- rate limits ---------------------------------------------------------------------------


@dataclass
class PublicLimits:
    """``pages`` loads of the form (per process) and ``filings`` attempts (in the database) per address."""

    pages: RateLimiter
    filings: DatabaseRateLimiter

    @classmethod
    def default(cls, clock: Callable[[], float] = time.time) -> PublicLimits:
        """30 page loads a minute and 5 filings in 10 minutes, per client address; ``clock`` in
        seconds (wall time: the filings' count is kept in the database)."""
        return cls(RateLimiter(30, 60, clock=clock), DatabaseRateLimiter("appeal-filing", 5, 600, clock=clock))


_limits_lock = threading.Lock()

_Limits = TypeVar("_Limits")


def app_limits(request: Request, name: str, default: Callable[[], _Limits]) -> _Limits:
    """The app's limits of a public form (``app.state.<name>``, made by ``default`` on first use;
    a test sets its own with a clock it moves)."""
    state = request.app.state
    with _limits_lock:
        limits: _Limits | None = getattr(state, name, None)
        if limits is None:
            limits = default()
            setattr(state, name, limits)
    return limits


def limits_of(request: Request) -> PublicLimits:
    """The appeal form's limits (``app.state.public_limits``)."""
    return app_limits(request, "public_limits", PublicLimits.default)


# --- the form --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormError:
    """An error to show: next to ``field`` (None: about the whole form) and in the summary."""

    field: str | None
    message: str


@dataclass
class AppealForm:
    """What the requester typed, kept as typed so that the page can show it again."""

    sanction: str = ""
    code: str = ""
    kind: str = ""
    name: str = ""
    email: str = ""
    relation: str = ""
    statement: str = ""
    meeting_requested: bool = False

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> AppealForm:
        def text(name: str) -> str:
            value = data.get(name)
            return value if isinstance(value, str) else ""

        return cls(
            sanction=text("sanction").strip(),
            code=text("code").strip(),
            kind=text("kind"),
            name=text("name").strip(),
            email=text("email").strip(),
            relation=text("relation"),
            statement=text("statement").replace("\r\n", "\n"),
            meeting_requested=text("meeting_requested") == "yes",
        )

    def problems(self) -> dict[str, str]:
        """Each field's first problem, as a message key of the catalog."""
        found: dict[str, str] = {}
        if not self.sanction:
            found["sanction"] = "public.error.sanction.required"
        elif len(self.sanction) > SANCTION_MAX or not all(
            ch.isascii() and (ch.isalnum() or ch in "_-") for ch in self.sanction
        ):
            found["sanction"] = "public.error.sanction.format"
        if not self.code:
            found["code"] = "public.error.code.required"
        if self.kind not in {k.value for k in AppealKind}:
            found["kind"] = "public.error.kind.required"
        if is_blank(self.name):
            found["name"] = "public.error.name.required"
        elif len(self.name) > NAME_MAX:
            found["name"] = "public.error.name.too_long"
        if not self.email:
            found["email"] = "public.error.email.required"
        elif len(self.email) > EMAIL_MAX or not _is_email(self.email):
            found["email"] = "public.error.email.format"
        if self.relation not in {r.value for r in Relation}:
            found["relation"] = "public.error.relation.required"
        if is_blank(self.statement):
            found["statement"] = "public.error.statement.required"
        elif len(self.statement) > STATEMENT_MAX:
            found["statement"] = "public.error.statement.too_long"
        return found

    @property
    def about_content(self) -> bool:
        """Whether the reference is a content decision's: a complaint about content."""
        return self.sanction.startswith(appeal_codes.CONTENT_PREFIX)

    def filed_by(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "relation": self.relation}


def _is_email(text: str) -> bool:
    """The domain's own rule for an e-mail address (``Requester.parse``)."""
    try:
        Requester.parse({"name": "-", "email": text, "relation": Relation.SUBJECT.value})
    except ValidationError:
        return False
    return True


#: An error before it is said: the field (None: the whole form), the catalog key, its parameters.
RawError = tuple[str | None, str, dict[str, str]]


@dataclass
class Outcome:
    """What filing gave: the appeal, or the errors to show."""

    appeal: appeals.AppealView | None = None
    errors: list[RawError] = field(default_factory=list)


def file_from_form(db: Database, form: AppealForm, *, now: datetime) -> Outcome:
    """Check the form, then the code, then file the appeal through the service."""
    problems = form.problems()
    if problems:
        return Outcome(errors=[(name, problems[name], {}) for name in FIELDS if name in problems])
    with db.read() as conn:
        known = appeal_codes.matches(conn, form.sanction, form.code)
    if not known:
        return Outcome(errors=[("code", "public.error.code.mismatch", {})])
    if form.about_content and form.kind != AppealKind.COMPLAINT:
        return Outcome(errors=[("kind", "public.error.kind.content_complaint_only", {})])
    try:
        command = appeals.FileAppeal.parse(
            sanction_id=None if form.about_content else form.sanction,
            content_decision_id=form.sanction if form.about_content else None,
            kind=form.kind,
            filed_by=form.filed_by(),
            statement=form.statement,
            channel=Channel.WEB,
            meeting_requested=form.meeting_requested,
        )
        appeal = appeals.file_appeal(db, command, caller=PUBLIC_FORM.at(now))
    except NotFoundError:
        return Outcome(errors=[("code", "public.error.code.mismatch", {})])
    except ConflictError:
        return Outcome(errors=[(None, "public.error.kind.already_open", {})])
    except ValidationError as error:
        if form.about_content:
            return Outcome(errors=[_content_admissibility_error(db, form, error, now=now)])
        return Outcome(errors=[_admissibility_error(db, form, error)])
    return Outcome(appeal=appeal)


def _content_admissibility_error(db: Database, form: AppealForm, error: ValidationError, *, now: datetime) -> RawError:
    """The service's 422 about a complaint about content, said for the requester: its window
    closed (with the deadline), or the content was restored."""
    if error.field == "content_decision":
        deadline = appeals.content_complaint_deadline(db, form.sanction)
        if now > deadline:
            return "kind", "public.error.kind.window_closed_content", {"deadline": format_instant(deadline) or ""}
        return "kind", "public.error.kind.restored", {}
    name = (error.field or "").removeprefix("filed_by.")
    return (name if name in FIELDS else None), "public.error.generic", {}


def _admissibility_error(db: Database, form: AppealForm, error: ValidationError) -> RawError:
    """The service's 422, said for the requester: the complaint window with its deadline, or why not."""
    if error.field == "kind":
        deadline = appeals.complaint_deadline_of(db, form.sanction)
        # When the platform reported the statement delivered (or an import said when), say so.
        informed = deliveries.informed_of(db, form.sanction, at=deadline).informed_at
        if informed is not None:
            params = {"deadline": format_instant(deadline) or "", "informed_at": format_instant(informed) or ""}
            return "kind", "public.error.kind.window_closed_informed", params
        return "kind", "public.error.kind.window_closed", {"deadline": format_instant(deadline) or ""}
    if error.field == "sanction":
        key = "public.error.kind.not_active" if form.kind == AppealKind.REINSTATEMENT else "public.error.kind.lifted"
        return "kind", key, {}
    # The form's own checks mirror the service's; should they drift, point at the field concerned.
    name = (error.field or "").removeprefix("filed_by.")
    return (name if name in FIELDS else None), "public.error.generic", {}


# --- pages -----------------------------------------------------------------------------------


def _limited(request: Request, retry_after: int) -> HTMLResponse:
    minutes = max(1, math.ceil(retry_after / 60))
    response = render(request, "public/limited.html", status_code=429, minutes=minutes)
    response.headers["retry-after"] = str(retry_after)
    return response


def _form_page(request: Request, form: AppealForm, errors: list[FormError], *, status_code: int = 200) -> HTMLResponse:
    by_field = {e.field: e.message for e in errors if e.field is not None}
    return render(request, "public/form.html", status_code=status_code, form=form, errors=errors, by_field=by_field)


def _messages(request: Request, raw: list[RawError]) -> list[FormError]:
    lang = request_language(request)
    t = translator(lang)
    said = []
    for name, key, params in raw:
        for instant in ("deadline", "informed_at"):
            if instant in params:
                params = dict(params, **{instant: long_instant(lang, params[instant])})
        said.append(FormError(name, t(key, **params)))
    return said


def long_instant(lang: str, value: str | datetime | None) -> str:
    """An instant in words for the requester: ``10 July 2024, 00:00 UTC`` / ``10 juillet 2024 à 00 h 00 UTC``."""
    if value is None or value == "":
        return ""
    moment = parse_instant(value) if isinstance(value, str) else value
    t = translator(lang)
    month = t(f"public.month.{moment.month}")
    day = t("public.first_day") if moment.day == 1 else str(moment.day)  # French says "1er"
    return t(
        "public.instant",
        day=day,
        month=month,
        year=str(moment.year),
        hour=f"{moment.hour:02d}",
        minute=f"{moment.minute:02d}",
    )


@router.get("", response_class=HTMLResponse)
def appeal_form(request: Request) -> HTMLResponse:
    """The empty form; ``?sanction=`` or ``?content_decision=`` (the statement's link) fills in the reference."""
    decision = limits_of(request).pages.hit(client_address(request))
    if not decision.allowed:
        return _limited(request, decision.retry_after)
    prefill = request.query_params.get("sanction", "") or request.query_params.get("content_decision", "")
    form = AppealForm(sanction=prefill.strip()[:SANCTION_MAX])
    return _form_page(request, form, [])


@router.post("", response_class=HTMLResponse)
async def file_appeal(request: Request) -> HTMLResponse:
    """File the appeal: the confirmation with its reference, or the form again with its errors."""
    db: Database = request.app.state.db
    decision = await run_in_threadpool(limits_of(request).filings.hit, db, client_address(request))
    if not decision.allowed:
        return _limited(request, decision.retry_after)
    form = AppealForm.read(await request.form())
    now: datetime = request.app.state.clock()
    outcome = await run_in_threadpool(file_from_form, db, form, now=now)
    if outcome.appeal is None:
        return _form_page(request, form, _messages(request, outcome.errors), status_code=422)
    appeal = outcome.appeal
    lang = request_language(request)
    # Only what the requester may keep: no name, no e-mail (the page may be printed or shared).
    return render(
        request,
        "public/received.html",
        status_code=201,
        reference=appeal.id,
        kind=appeal.kind,
        received=long_instant(lang, appeal.received_at),
        deadline=long_instant(lang, appeal.deadline_at),
    )
