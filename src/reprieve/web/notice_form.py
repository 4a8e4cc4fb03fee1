"""The public notice form at ``/notice`` (DSA art. 16): no sign-in, the art. 16(2) elements, then
``services.notices.receive_notice`` on the ``web`` channel; the receipt (art. 16(4)) with the
notice's reference and a status code; ``/notice/status`` looks a notice's state up by both.

* As the appeal form (``web.public``): the console's double-submit CSRF token, a per-process limit
  on page loads and a limit in the database on filings and status lookups per client address
  (every attempt counts, so that status codes cannot be guessed by trying many), a 429 page with
  ``Retry-After`` beyond them; English and French; works without JavaScript; each error is tied
  to its field and listed in a summary.
* The page says who processes the notifier's data, why, for how long and their rights (GDPR
  art. 13). The name and e-mail go to the service (``notice_notifiers``), the explanation, the
  location and the law to ``personal_data``; none of them into the receipt page or a log line.
* ``?platform=&item=`` (or ``&account=``) and ``&location=`` fill the form in: a platform's
  "report" link can send its user here with the content named.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from reprieve.domain.appeals import Channel
from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.notices import (
    EXPLANATION_MAX,
    LEGAL_GROUND_MAX,
    LOCATION_MAX,
    NAME_MAX,
    NOT_SPECIFIED,
    AboutKind,
    Language,
    NotifierKind,
    allows_anonymous,
)
from reprieve.domain.reason import CATEGORIES
from reprieve.domain.text import is_blank
from reprieve.services import Database, appeals, catalogue, notices
from reprieve.services.callers import PUBLIC_FORM_ACTOR, Caller
from reprieve.web.i18n import request_language, translator
from reprieve.web.public import FormError, app_limits, long_instant
from reprieve.web.ratelimit import DatabaseRateLimiter, RateLimiter
from reprieve.web.rendering import render
from reprieve.web.security import client_address
from reprieve.web.views.routing import public_router

router = public_router("/notice")

#: How the event log names who filed through the form: never the notifier (personal data).
PUBLIC_FORM = Caller(PUBLIC_FORM_ACTOR)

#: The form's fields in page order: the error summary lists them in this order.
FIELDS = (
    "platform",
    "about_kind",
    "about_id",
    "location",
    "category",
    "illegal",
    "legal_ground",
    "explanation",
    "notifier_kind",
    "name",
    "email",
    "bona_fide",
)
#: The categories in the order the form offers them: "not specified" first, the others by code.
CATEGORY_CHOICES = (NOT_SPECIFIED, *sorted(CATEGORIES - {NOT_SPECIFIED}))
EMAIL_MAX = 320
REFERENCE_MAX = 64


@dataclass
class NoticeLimits:
    """``pages`` loads (per process), ``filings`` and ``lookups`` attempts (in the database) per address."""

    pages: RateLimiter
    filings: DatabaseRateLimiter
    lookups: DatabaseRateLimiter

    @classmethod
    def default(cls, clock: Callable[[], float] = time.time) -> NoticeLimits:
        """30 page loads a minute, 5 notices and 10 status lookups in 10 minutes, per client address."""
        return cls(
            RateLimiter(30, 60, clock=clock),
            DatabaseRateLimiter("notice-filing", 5, 600, clock=clock),
            DatabaseRateLimiter("notice-status", 10, 600, clock=clock),
        )


def limits_of(request: Request) -> NoticeLimits:
    """The notice form's limits (``app.state.notice_limits``; a test sets its own with a clock it moves)."""
    return app_limits(request, "notice_limits", NoticeLimits.default)


@dataclass
class NoticeForm:
    """What the notifier typed, kept as typed so that the page can show it again."""

    platform: str = ""
    about_kind: str = ""
    about_id: str = ""
    location: str = ""
    category: str = NOT_SPECIFIED
    illegal: str = ""
    legal_ground: str = ""
    explanation: str = ""
    notifier_kind: str = ""
    name: str = ""
    email: str = ""
    bona_fide: bool = False

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> NoticeForm:
        def text(name: str) -> str:
            value = data.get(name)
            return value if isinstance(value, str) else ""

        return cls(
            platform=text("platform").strip(),
            about_kind=text("about_kind"),
            about_id=text("about_id").strip(),
            location=text("location").strip(),
            category=text("category") or NOT_SPECIFIED,
            illegal=text("illegal"),
            legal_ground=text("legal_ground").strip(),
            explanation=text("explanation").replace("\r\n", "\n"),
            notifier_kind=text("notifier_kind"),
            name=text("name").strip(),
            email=text("email").strip(),
            bona_fide=text("bona_fide") == "yes",
        )

    @property
    def is_illegal(self) -> bool:
        return self.illegal == "yes"

    def problems(self, platforms: set[str]) -> dict[str, str]:
        """Each field's first problem, as a message key of the catalog (the service checks again)."""
        found: dict[str, str] = {}
        if self.platform not in platforms:
            found["platform"] = "notice.error.platform"
        if self.about_kind not in {k.value for k in AboutKind}:
            found["about_kind"] = "notice.error.about_kind"
        if not self.about_id:
            found["about_id"] = "notice.error.about_id.required"
        elif len(self.about_id) > 200 or any(ch.isspace() for ch in self.about_id):
            found["about_id"] = "notice.error.about_id.format"
        if not self.location:
            found["location"] = "notice.error.location.required"
        elif len(self.location) > LOCATION_MAX or not self.location.lower().startswith(("http://", "https://")):
            found["location"] = "notice.error.location.format"
        if self.category not in CATEGORIES:
            found["category"] = "notice.error.category"
        if self.illegal not in {"yes", "no"}:
            found["illegal"] = "notice.error.illegal"
        if self.is_illegal and is_blank(self.legal_ground):
            found["legal_ground"] = "notice.error.legal_ground.required"
        elif self.is_illegal and len(self.legal_ground) > LEGAL_GROUND_MAX:
            found["legal_ground"] = "notice.error.legal_ground.too_long"
        if is_blank(self.explanation):
            found["explanation"] = "notice.error.explanation.required"
        elif len(self.explanation) > EXPLANATION_MAX:
            found["explanation"] = "notice.error.explanation.too_long"
        if self.notifier_kind not in {k.value for k in NotifierKind}:
            found["notifier_kind"] = "notice.error.notifier_kind"
        anonymous = allows_anonymous(self.category, self.is_illegal)
        if not self.name and not anonymous:
            found["name"] = "notice.error.name.required"
        elif len(self.name) > NAME_MAX:
            found["name"] = "notice.error.name.too_long"
        if not self.email and not anonymous:
            found["email"] = "notice.error.email.required"
        elif self.email and (len(self.email) > EMAIL_MAX or "@" not in self.email.strip("@")):
            found["email"] = "notice.error.email.format"
        if not self.bona_fide:
            found["bona_fide"] = "notice.error.bona_fide"
        return found

    def command(self, language: str) -> notices.ReceiveNotice:
        notifier: dict[str, Any] = {"kind": self.notifier_kind}
        if self.name:
            notifier["name"] = self.name
        if self.email:
            notifier["email"] = self.email
        return notices.ReceiveNotice.parse(
            platform=self.platform,
            about={self.about_kind: self.about_id},
            location=self.location,
            explanation=self.explanation,
            category=self.category,
            illegal=self.is_illegal,
            legal_ground=self.legal_ground if self.is_illegal else None,
            notifier=notifier,
            bona_fide=self.bona_fide,
            channel=Channel.WEB,
            language=language,
        )


#: An error before it is said: the field (None: the whole form) and the catalog key.
RawError = tuple[str | None, str]


@dataclass
class Outcome:
    notice: notices.NoticeView | None = None
    errors: list[RawError] = field(default_factory=list)


def _platforms(db: Database) -> list[tuple[str, str]]:
    return sorted(((p.id, p.name) for p in catalogue.list_platforms(db)), key=lambda p: p[1].lower())


def file_from_form(db: Database, form: NoticeForm, *, language: str, now: datetime) -> Outcome:
    """Check the form, then receive the notice through the service."""
    problems = form.problems({p for p, _ in _platforms(db)})
    if problems:
        return Outcome(errors=[(name, problems[name]) for name in FIELDS if name in problems])
    try:
        notice = notices.receive_notice(db, form.command(language), caller=PUBLIC_FORM.at(now))
    except NotFoundError:
        return Outcome(errors=[("platform", "notice.error.platform")])
    except ValidationError as error:
        # The form's own checks mirror the service's; should they drift, point at the field concerned.
        name = (error.field or "").replace("notifier.", "").replace("about.item", "about_id")
        name = name.replace("about.account", "about_id").replace("about", "about_kind")
        if name == "kind":
            name = "notifier_kind"
        return Outcome(errors=[(name if name in FIELDS else None, "notice.error.generic")])
    return Outcome(notice=notice)


# --- pages -----------------------------------------------------------------------------------


def _limited(request: Request, retry_after: int) -> HTMLResponse:
    minutes = max(1, math.ceil(retry_after / 60))
    response = render(request, "public/limited.html", status_code=429, minutes=minutes)
    response.headers["retry-after"] = str(retry_after)
    return response


def _messages(request: Request, raw: list[RawError]) -> list[FormError]:
    t = translator(request_language(request))
    return [FormError(name, t(key)) for name, key in raw]


def _form_page(
    request: Request, db: Database, form: NoticeForm, errors: list[FormError], *, status_code: int = 200
) -> HTMLResponse:
    by_field = {e.field: e.message for e in errors if e.field is not None}
    return render(
        request,
        "public/notice_form.html",
        status_code=status_code,
        form=form,
        errors=errors,
        by_field=by_field,
        platforms=_platforms(db),
        categories=CATEGORY_CHOICES,
    )


@router.get("", response_class=HTMLResponse)
async def notice_form(request: Request) -> HTMLResponse:
    """The empty form, filled in from ``?platform=&item=|account=&location=`` if given."""
    decision = limits_of(request).pages.hit(client_address(request))
    if not decision.allowed:
        return _limited(request, decision.retry_after)
    q = request.query_params
    kind = "account" if q.get("account") and not q.get("item") else ("item" if q.get("item") else "")
    form = NoticeForm(
        platform=q.get("platform", "").strip()[:63],
        about_kind=kind,
        about_id=(q.get("item") or q.get("account") or "").strip()[:200],
        location=q.get("location", "").strip()[:LOCATION_MAX],
    )
    db: Database = request.app.state.db
    return await run_in_threadpool(_form_page, request, db, form, [])


@router.post("", response_class=HTMLResponse)
async def file_notice(request: Request) -> HTMLResponse:
    """Receive the notice: the receipt with its reference and status code, or the form with its errors."""
    db: Database = request.app.state.db
    decision = await run_in_threadpool(limits_of(request).filings.hit, db, client_address(request))
    if not decision.allowed:
        return _limited(request, decision.retry_after)
    form = NoticeForm.read(await request.form())
    now: datetime = request.app.state.clock()
    lang = request_language(request)
    outcome = await run_in_threadpool(file_from_form, db, form, language=lang, now=now)
    if outcome.notice is None:
        return await run_in_threadpool(
            _form_page, request, db, form, _messages(request, outcome.errors), status_code=422
        )
    notice = outcome.notice
    # Only what the notifier may keep: no name, no e-mail, nothing they wrote.
    return render(
        request,
        "public/notice_received.html",
        status_code=201,
        reference=notice.id,
        code=notice.receipt.code,
        receipt=notice.receipt,
        received=long_instant(lang, notice.received_at),
    )


@dataclass
class StatusForm:
    reference: str = ""
    code: str = ""


@router.get("/status", response_class=HTMLResponse)
def status_form(request: Request) -> HTMLResponse:
    """The lookup form: the notice's reference and the status code printed on its receipt."""
    decision = limits_of(request).pages.hit(client_address(request))
    if not decision.allowed:
        return _limited(request, decision.retry_after)
    form = StatusForm(reference=request.query_params.get("reference", "").strip()[:REFERENCE_MAX])
    return render(request, "public/notice_status.html", form=form, errors=[], by_field={}, status=None)


@router.post("/status", response_class=HTMLResponse)
async def look_up_status(request: Request) -> HTMLResponse:
    """The notice's state, or the same error for a wrong code and an unknown reference."""
    db: Database = request.app.state.db
    decision = await run_in_threadpool(limits_of(request).lookups.hit, db, client_address(request))
    if not decision.allowed:
        return _limited(request, decision.retry_after)
    data = await request.form()
    reference = data.get("reference")
    code = data.get("code")
    form = StatusForm(
        reference=reference.strip() if isinstance(reference, str) else "",
        code=code.strip() if isinstance(code, str) else "",
    )
    raw: list[RawError] = []
    if not form.reference:
        raw.append(("reference", "notice.error.reference.required"))
    if not form.code:
        raw.append(("code", "notice.error.code.required"))
    status = None
    if not raw:
        ok_reference = len(form.reference) <= REFERENCE_MAX
        status = await run_in_threadpool(notices.notice_status, db, form.reference, form.code) if ok_reference else None
        if status is None:
            raw.append(("code", "notice.error.code.mismatch"))
    if raw:
        errors = _messages(request, raw)
        by_field = {e.field: e.message for e in errors if e.field is not None}
        return render(
            request,
            "public/notice_status.html",
            status_code=422,
            form=form,
            errors=errors,
            by_field=by_field,
            status=None,
        )
    assert status is not None
    return _status_page(request, form, status, ContestForm(), [], now=request.app.state.clock())


def _status_page(
    request: Request,
    form: StatusForm,
    status: notices.NoticeStatus,
    contest: ContestForm,
    errors: list[FormError],
    *,
    now: datetime,
    status_code: int = 200,
) -> HTMLResponse:
    """The notice's state, its reply once decided, and while it may be contested the form to do so."""
    lang = request_language(request)
    reply = status.reply
    open_until = reply.complaint_until if reply is not None and reply.complaint_until >= now else None
    return render(
        request,
        "public/notice_status.html",
        status_code=status_code,
        form=form,
        errors=errors,
        by_field={e.field: e.message for e in errors if e.field is not None},
        status=status,
        received=long_instant(lang, status.received_at),
        reply=reply.texts[Language(lang)] if reply is not None else None,
        contest=contest,
        contest_until=long_instant(lang, open_until) if open_until is not None else None,
    )


# --- contesting the decision (art. 20(1)) --------------------------------------------------------

STATEMENT_MAX = 20_000


@dataclass
class ContestForm:
    """A notifier's complaint about the decision on their notice, as typed."""

    name: str = ""
    email: str = ""
    statement: str = ""

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> ContestForm:
        def text(name: str) -> str:
            value = data.get(name)
            return value if isinstance(value, str) else ""

        return cls(text("name").strip(), text("email").strip(), text("statement").replace("\r\n", "\n"))

    def problems(self) -> list[RawError]:
        found: list[RawError] = []
        if not self.name or len(self.name) > NAME_MAX:
            found.append(("name", "notice.error.contest.name"))
        if self.email and (len(self.email) > EMAIL_MAX or "@" not in self.email.strip("@")):
            found.append(("email", "notice.error.contest.email"))
        if is_blank(self.statement) or len(self.statement) > STATEMENT_MAX:
            found.append(("statement", "notice.error.contest.statement"))
        return found


def contest_from_form(
    db: Database, reference: str, contest: ContestForm, *, now: datetime
) -> tuple[str | None, list[RawError]]:
    """File the notifier's complaint through the service: its id, or the errors to show."""
    problems = contest.problems()
    if problems:
        return None, problems
    filed_by: dict[str, Any] = {"name": contest.name, "relation": "notifier"}
    if contest.email:
        filed_by["email"] = contest.email
    try:
        command = appeals.FileAppeal.parse(
            sanction_id=None,
            notice_id=reference,
            kind="complaint",
            filed_by=filed_by,
            statement=contest.statement,
            channel=Channel.WEB,
        )
        return appeals.file_appeal(db, command, caller=PUBLIC_FORM.at(now)).id, []
    except ConflictError:
        return None, [(None, "notice.error.contest.open")]
    except ValidationError as error:
        if error.field in ("notice", "received_at"):
            return None, [(None, "notice.error.contest.closed")]
        name = (error.field or "").replace("filed_by.", "")
        return None, [(name if name in ("name", "email", "statement") else None, "notice.error.generic")]


@router.post("/contest", response_class=HTMLResponse)
async def contest_decision(request: Request) -> HTMLResponse:
    """A notifier's complaint about the decision on their notice, with its reference and status
    code (checked again: a wrong code and an unknown reference are the lookup's same error)."""
    db: Database = request.app.state.db
    decision = await run_in_threadpool(limits_of(request).filings.hit, db, client_address(request))
    if not decision.allowed:
        return _limited(request, decision.retry_after)
    data = await request.form()
    reference, code = data.get("reference"), data.get("code")
    form = StatusForm(
        reference=reference.strip()[:REFERENCE_MAX] if isinstance(reference, str) else "",
        code=code.strip() if isinstance(code, str) else "",
    )
    status = await run_in_threadpool(notices.notice_status, db, form.reference, form.code) if form.code else None
    if status is None:
        errors = _messages(request, [("code", "notice.error.code.mismatch")])
        return render(
            request,
            "public/notice_status.html",
            status_code=422,
            form=form,
            errors=errors,
            by_field={e.field: e.message for e in errors if e.field is not None},
            status=None,
        )
    contest = ContestForm.read(data)
    now: datetime = request.app.state.clock()
    appeal_id, raw = await run_in_threadpool(contest_from_form, db, status.id, contest, now=now)
    if appeal_id is None:
        return _status_page(request, form, status, contest, _messages(request, raw), now=now, status_code=422)
    return render(request, "public/notice_contested.html", status_code=201, appeal=appeal_id, reference=status.id)
