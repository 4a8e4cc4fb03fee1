"""DSA transparency: the user's statement of reasons, the Transparency Database export and its
submission, the transparency report (PRODUCT.md section 6)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import iterate_in_threadpool

from reprieve.api.deps import IDEMPOTENT, AsOf, OpaqueId, Reader, allow, allow_only
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import SLUG_PATTERN, Instant
from reprieve.domain.deliveries import Receipt
from reprieve.domain.errors import GoneError
from reprieve.domain.model import Role
from reprieve.domain.periods import period
from reprieve.domain.time import format_instant
from reprieve.dsa import pages, tdb
from reprieve.dsa.report import csv_rows
from reprieve.dsa.statement import parse_lang as statement_language
from reprieve.dsa.submit import TdbSettings
from reprieve.http.deps import Now, Tenant
from reprieve.services import deliveries, statements, transparency

router = APIRouter(tags=["transparency"])

#: Sending statements to the EU is an operator's act: its admins and moderators.
Submitter = Annotated[Tenant, Depends(allow(Role.MODERATOR))]
#: Delivering statements to users is the platform's: its machine clients report the receipts.
Deliverer = Annotated[Tenant, Depends(allow(Role.PLATFORM))]
OperatorQuery = Annotated[str | None, Query(pattern=SLUG_PATTERN, description="default: the token's operator")]
FromQuery = Annotated[str | None, Query(alias="from", max_length=40, description="RFC 3339 instant or date, included")]
ToQuery = Annotated[str | None, Query(max_length=40, description="RFC 3339 instant or date, excluded")]


def answers(*media_types: str, description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the 200 answer in each of ``media_types``, with the problem answers."""
    return {**problem_responses(), 200: {"description": description, "content": {m: {} for m in media_types}}}


class Lang(StrEnum):
    EN = "en"
    FR = "fr"


class PageFormat(StrEnum):
    JSON = "json"
    HTML = "html"


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"


class SubmissionCreate(BaseModel):
    """Send the operator's statements, not sent before, to the Transparency Database.

    Where they go and with which token is the installation's configuration (``REPRIEVE_TDB_URL``,
    ``REPRIEVE_TDB_TOKEN_<OPERATOR>``): a body naming an ``endpoint`` or a ``token`` is refused."""

    model_config = ConfigDict(extra="forbid")
    operator: str | None = Field(default=None, pattern=SLUG_PATTERN)
    from_: str | None = Field(default=None, alias="from", max_length=40)
    to: str | None = Field(default=None, max_length=40)
    batch_size: int = Field(default=100, ge=1, le=100, description="statements per POST")


class DeliveryCreate(BaseModel):
    """A statement reached its user: when, and by which channel (a short code, never an address)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"delivered_at": "2026-12-07T09:30:00Z", "channel": "in_app"}]}
    )
    delivered_at: Instant = Field(description="when the user received it: not before its issue, not in the future")
    channel: str = Field(
        max_length=32,
        description="how: in_app, email, post, sms, other (1 to 32 of a-z, 0-9, '_', '-', starting with a letter)",
    )


class DeliveryOut(BaseModel):
    statement: str
    sanction: str | None = Field(None, description="the sanction the statement is about (absent: a content decision)")
    content_decision: str | None = Field(None, description="the content decision it is about (absent: a sanction)")
    delivered_at: str
    channel: str
    recorded: bool = Field(description="false: a receipt was recorded before; it is answered unchanged")


def tdb_settings(request: Request) -> TdbSettings:
    """The app's settings (tests set ``app.state.tdb``), else the environment's, read at each request."""
    configured = getattr(request.app.state, "tdb", None)
    return configured if isinstance(configured, TdbSettings) else TdbSettings.from_env()


@router.get(
    "/v1/sanctions/{sanction_id}/statement",
    responses=answers("application/json", "text/html", description="the statement (format=json) or its page (html)"),
    summary="A preview of the statement of reasons (DSA art. 17), rebuilt now, in English or French, JSON or HTML",
)
def get_statement(
    tenant: Reader,
    sanction_id: OpaqueId,
    now: Now,
    as_of: AsOf,
    lang: Lang = Lang.EN,
    format: PageFormat = PageFormat.JSON,
) -> Response:
    """A preview, rebuilt from what is known at `as_of` (default now): the record of what the
    user was sent is the statements issued (`/v1/sanctions/{id}/statements`,
    `/v1/statements/{id}`). A past `as_of`: from the sanction's changes recorded by then (404 if
    the sanction was recorded later)."""
    statement = transparency.statement_of_reasons(
        tenant.db,
        sanction_id,
        language=statement_language(lang.value),
        caller=tenant.caller(now if as_of is None else as_of),
        as_of=as_of,
    )
    if format is PageFormat.HTML:
        return HTMLResponse(pages.render_statement(statement))
    return JSONResponse(statement)


@router.get(
    "/v1/sanctions/{sanction_id}/statements",
    responses=problem_responses(),
    summary="The statements of reasons issued for a sanction's decisions, oldest first (never their text)",
)
def list_issued_statements(tenant: Reader, sanction_id: OpaqueId, as_of: AsOf) -> dict[str, Any]:
    """One per decision that needed one (creation, change of kind or term, review decision, a lift
    on a granted complaint about the content decision whose strike imposed it), of
    kind `statement`; a decision giving effect to an authority's order (DSA art. 9) has the art.
    9(5) information instead, of kind `order_information`. An imported sanction issued none: its
    `platform_statement` says what the platform's own statement was (reference and date, no text)
    and when the user was informed; null otherwise. A past `as_of`: those issued by then."""
    caller = tenant.caller()
    items = statements.statements_of(tenant.db, sanction_id, caller=caller, as_of=as_of)
    platform = statements.platform_statement_of(tenant.db, sanction_id, caller=caller, as_of=as_of)
    return {"items": [item.to_json() for item in items], "platform_statement": platform and platform.to_json()}


@router.get(
    "/v1/statements/{statement_id}",
    responses={
        **answers("application/json", "text/html", description="the statement exactly as issued"),
        410: problem_responses(410)[410],
    },
    summary="A statement of reasons exactly as issued: its JSON, or its page (format=html, Accept: text/html); "
    "lang=fr: its French rendering",
)
def get_issued_statement(
    request: Request,
    tenant: Reader,
    statement_id: OpaqueId,
    now: Now,
    format: PageFormat | None = None,
    lang: Annotated[Lang | None, Query(description="default: the language it was issued in")] = None,
) -> Response:
    """The stored bytes, never rebuilt: the same on every read; `ETag` is their SHA-256. The
    page with `?format=html`, or with `Accept: text/html` and no `format`. `lang`: another
    rendering of the same issue (same id, decision and `issued_at`), worded from the issue's
    stored JSON the first time it is asked and kept: the same bytes on every later read. A page is
    made from the JSON as issued the first time it is asked for, then kept and returned as made.
    Erased with its person (`POST /v1/people/erase`): 410, a problem carrying `erased: true` and the
    SHA-256 kept (`sha256` of the JSON; `page_sha256` of the page asked for, if one was made)."""
    language = None if lang is None else statement_language(lang.value)
    if language is None and not _wants_html(request, format):  # the JSON of record: nothing to render
        issued = statements.issued_statement(tenant.db, statement_id, caller=tenant.caller())
        if issued.document is None:
            raise GoneError(
                f"statement {statement_id!r} was erased with its person: its text is gone, its SHA-256 is kept",
                details={"erased": True, "sha256": issued.view.sha256},
            )
        headers = _headers(issued.view, issued.view.sha256, issued.view.language)
        return Response(content=issued.document.encode(), media_type="application/json", headers=headers)
    found = statements.rendered_statement(tenant.db, statement_id, caller=tenant.caller(now), language=language)
    return _statement_response(request, found, format)


#: The copy delivered to the user holds the appeal code: the platform's machines deliver it, and
#: nobody else (an operator's console, auditors, admins) is served it.
CopyReader = Annotated[Tenant, Depends(allow_only(Role.PLATFORM))]


@router.get(
    "/v1/statements/{statement_id}/delivery-copy",
    responses={
        **answers("application/json", "text/html", description="the statement with its appeal code filled in"),
        **problem_responses(403),
    },
    summary="The copy of an issued statement to deliver to its user: as issued, with the appeal code filled in "
    "(a platform token only)",
)
def get_delivery_copy(
    request: Request,
    tenant: CopyReader,
    statement_id: OpaqueId,
    now: Now,
    format: PageFormat | None = None,
    lang: Annotated[Lang | None, Query(description="default: the language it was issued in")] = None,
) -> Response:
    """The stored text (or its kept rendering in `lang`) with the appeal code filled in: in the
    JSON, `redress.internal_complaint.code`; in the page, the element
    `<span class="code" data-fill="appeal-code">`. Nothing else differs from the stored bytes;
    nothing of it is stored. `Cache-Control: no-store`: it holds a credential."""
    language = None if lang is None else statement_language(lang.value)
    found = statements.delivery_copy(tenant.db, statement_id, caller=tenant.caller(now), language=language)
    response = _statement_response(request, found, format)
    response.headers["Cache-Control"] = "no-store"
    return response


def _wants_html(request: Request, format: PageFormat | None) -> bool:
    return format is PageFormat.HTML or (format is None and _prefers_html(request.headers.get("accept", "")))


def _statement_response(request: Request, found: statements.Rendered, format: PageFormat | None) -> Response:
    wants_html = _wants_html(request, format)
    text = found.page if wants_html else found.document
    digest = found.page_sha256 if wants_html else found.sha256
    media = "text/html; charset=utf-8" if wants_html else "application/json"
    return Response(content=text.encode(), media_type=media, headers=_headers(found.view, digest, found.language))


def _headers(view: statements.IssuedView, digest: str, language: str) -> dict[str, str]:
    headers = {"ETag": f'"{digest}"', "Vary": "Accept", "Content-Language": language}
    if view.delivered_at is not None and view.channel is not None:
        # Beside the bytes, never in them: the text stays exactly as issued.
        headers["Reprieve-Delivered-At"] = format_instant(view.delivered_at) or ""
        headers["Reprieve-Delivery-Channel"] = view.channel
    return headers


@router.post(
    "/v1/statements/{statement_id}/delivery",
    status_code=201,
    response_model=DeliveryOut,
    response_model_exclude_none=True,
    dependencies=IDEMPOTENT,
    responses={
        **problem_responses(403, 413),
        200: {"description": "a receipt was recorded before: it is answered unchanged (`recorded: false`)"},
    },
    summary="Record that a statement of reasons reached its user (a platform token): the first receipt counts "
    "and the complaint window runs from it",
)
def deliver_statement(
    tenant: Deliverer, statement_id: OpaqueId, body: DeliveryCreate, now: Now, response: Response
) -> dict[str, Any]:
    """201 with `recorded: true` for the first receipt, recorded by a `statement.delivered` event;
    200 with `recorded: false` and the first receipt, unchanged, for any later one (nothing is
    written). `delivered_at` before the statement's `issued_at` or in the future: 422 naming it."""
    receipt = Receipt.parse(body.delivered_at, body.channel)
    answer = deliveries.record_delivery(tenant.db, statement_id, receipt, caller=tenant.caller(now))
    if not answer.recorded:
        response.status_code = 200
    return answer.to_json()


def _prefers_html(accept: str) -> bool:
    """``text/html`` named before any JSON type in ``Accept`` (a browser's header)."""
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    html = kinds.index("text/html") if "text/html" in kinds else None
    json_at = next((i for i, k in enumerate(kinds) if k in ("application/json", "application/*")), None)
    return html is not None and (json_at is None or html < json_at)


@router.get(
    "/v1/transparency/statements",
    responses=answers("application/json", "text/csv", description="statements (json) or the daily-dump CSV (csv)"),
    summary="Statements of reasons in the Transparency Database's v2 schema (JSON) or daily-dump layout (CSV)",
)
def export_statements(
    tenant: Reader,
    operator: OperatorQuery = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    format: ExportFormat = ExportFormat.JSON,
) -> Response:
    chosen = transparency.require_operator(tenant.db, operator, tenant.caller())
    within = period(from_, to)
    if format is ExportFormat.CSV:
        lines = transparency.export_csv(tenant.db, operator=chosen, within=within)
        return StreamingResponse(
            iterate_in_threadpool(lines),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="sor-{chosen}.csv"'},
        )
    chunks = transparency.export_json(tenant.db, operator=chosen, within=within)
    return StreamingResponse(iterate_in_threadpool(chunks), media_type="application/json")


@router.post(
    "/v1/transparency/submissions",
    status_code=202,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Request a submission of the statements not sent before to the configured Transparency Database; "
    "the worker runs it (409 when submission is off: REPRIEVE_TDB_URL unset)",
)
def submit_statements(tenant: Submitter, body: SubmissionCreate, now: Now, request: Request) -> dict[str, Any]:
    chosen = transparency.require_operator(tenant.db, body.operator, tenant.caller())
    within = period(body.from_, body.to)
    return transparency.request_submission(
        tenant.db,
        tdb_settings(request),
        operator=chosen,
        within=within,
        batch_size=body.batch_size,
        caller=tenant.caller(now),
    ).to_json()


@router.get(
    "/v1/transparency/submissions",
    responses=problem_responses(),
    summary="How many statements the configured Transparency Database accepted or rejected, or are in flight, "
    "and the latest submission runs",
)
def submission_counts(tenant: Reader, request: Request, operator: OperatorQuery = None) -> dict[str, Any]:
    chosen = transparency.require_operator(tenant.db, operator, tenant.caller())
    settings = tdb_settings(request)
    endpoint = settings.endpoint() if settings.url is not None else None
    return transparency.submission_status(tenant.db, operator=chosen, endpoint=endpoint).to_json()


@router.get(
    "/v1/transparency/submissions/{run_id}",
    responses=problem_responses(),
    summary="A submission run's progress, and the states of its statements (the rejected ones with the "
    "database's field errors)",
)
def get_submission(tenant: Reader, run_id: OpaqueId) -> dict[str, Any]:
    return transparency.get_run(tenant.db, run_id, caller=tenant.caller()).to_json()


@router.get(
    "/v1/transparency/report",
    responses=answers("application/json", "text/csv", "text/html", description="the report's figures or its page"),
    summary="The transparency report (DSA art. 15 and 24) of an operator for a period: JSON, CSV or a printable page",
)
def get_report(
    tenant: Reader,
    now: Now,
    operator: OperatorQuery = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    format: ReportFormat = ReportFormat.JSON,
) -> Response:
    chosen = transparency.require_operator(tenant.db, operator, tenant.caller())
    within = period(from_, to, required=True)
    report = transparency.transparency_report(tenant.db, operator=chosen, within=within, caller=tenant.caller(now))
    if format is ReportFormat.HTML:
        return HTMLResponse(pages.render_report(report))
    if format is ReportFormat.CSV:
        text = "".join(tdb.csv_lines([("section", "item", "value"), *csv_rows(report)]))
        return Response(text, media_type="text/csv; charset=utf-8")
    return JSONResponse(report)
