"""What the views share: the due-process caller of a member, form fields, redirects with a notice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Depends
from starlette.datastructures import FormData, ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from reprieve.domain.errors import ConflictError, NotFoundError, ReprieveError, ValidationError
from reprieve.domain.model import Role, parse_enum
from reprieve.domain.text import is_blank, refuse_controls, trim
from reprieve.domain.time import Duration, parse_duration_input
from reprieve.web.auth import Desk
from reprieve.web.i18n import request_language, translate
from reprieve.web.security import apply_cookies

E = TypeVar("E", bound=StrEnum)


def sees_contact(desk: Desk) -> bool:
    """An appeal's requester's contact: shown to moderators and admins only (as on the API)."""
    return desk.may(Role.MODERATOR)


async def form_of(request: Request) -> FormData:
    """The posted form, read on the event loop (reading waits on the client, not on the
    database); as a dependency (``FormDep``) it lets a handler be a plain function, which FastAPI
    runs in its thread pool so that the database calls never block the loop."""
    return await request.form()


#: A handler's posted form: ``def handler(request: Request, desk: ..., form: FormDep)``.
FormDep = Annotated[FormData, Depends(form_of)]


def text(form: ImmutableMultiDict[str, Any], name: str, *, max_length: int = 10_000, multiline: bool = True) -> str:
    """A form field, trimmed as the Transparency Database trims (blank is ``""``, i.e. missing);
    control characters (NUL among them) are refused as on the API, tab and line breaks only in a
    ``multiline`` field."""
    value = form.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("must be text", field=name)
    if len(value) > max_length:
        raise ValidationError(f"at most {max_length} characters", field=name)
    return trim(refuse_controls(value, field=name, multiline=multiline))


def optional(form: ImmutableMultiDict[str, Any], name: str, *, max_length: int = 10_000) -> str | None:
    return text(form, name, max_length=max_length) or None


def values(form: ImmutableMultiDict[str, Any], name: str) -> list[str]:
    """The non-blank values of a repeated field, trimmed; a control character is refused."""
    given = [v for v in form.getlist(name) if isinstance(v, str)]
    return [trim(v) for v in given if not is_blank(refuse_controls(v, field=name, multiline=False))]


def require_confirmation(form: ImmutableMultiDict[str, Any]) -> None:
    """Every action of the console stands behind a confirmation box (checked here, not only in HTML)."""
    if form.get("confirm") != "yes":
        raise ValidationError("tick the confirmation box to go ahead", field="confirm")


def filter_choice(value: str | None, kind: type[E], name: str) -> E | None:
    """A list filter's choice: empty is "any" (the form's first option), else one of the enum's
    values (a ValidationError naming ``name`` otherwise: a 400 page)."""
    return parse_enum(kind, value, field=name) if value else None


def page_instant_value(value: str | None) -> str | None:
    """A ``datetime-local`` field (``2024-06-01T12:00``) as an RFC 3339 instant in UTC; None if empty."""
    if not value:
        return None
    if len(value) in (16, 19) and "T" in value and not value.endswith(("Z", "z")) and "+" not in value[10:]:
        return value + "Z"
    return value


def redirect(request: Request, path: str, **query: Any) -> RedirectResponse:
    """Back to a page after a change (303), with ``?done=`` naming what was done."""
    params = {k: v for k, v in query.items() if v is not None}
    target = path + ("?" + urlencode(params) if params else "")
    return apply_cookies(request, RedirectResponse(target, status_code=303))


def back_or(form: ImmutableMultiDict[str, Any], default: str) -> str:
    """Where a form asked to go back to (a console page only), else ``default``."""
    back = form.get("back")
    if isinstance(back, str) and back.startswith("/console/") and "//" not in back and len(back) < 300:
        return back
    return default


# --- forms that forgive: a refused form comes back filled in, its errors beside its fields ------


@dataclass(frozen=True, slots=True)
class FieldError:
    """An error to show: beside the form's field ``name`` (None: about the whole form) and in the
    summary at the top of the page, which links to ``anchor`` (the field's element id)."""

    name: str | None
    message: str
    anchor: str | None = None


@dataclass
class FormState:
    """A form of a page as it is shown: empty, or as a refused submission typed it, with its errors.

    ``action`` names the form (``impose``, ``amend``, ...), ``target`` the object it acts on where a
    page holds several such forms (a sanction's id); templates ask ``refused.of("amend", s.id)``."""

    action: str = ""
    typed: Mapping[str, list[str]] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    target: str = ""
    changed_since: bool = False

    def of(self, action: str, target: str = "") -> FormState:
        """This state if it is the one of form ``action`` (on ``target``), else an empty one."""
        if self.action == action and (not target or not self.target or self.target == target):
            return self
        return EMPTY_FORM

    def __bool__(self) -> bool:
        return bool(self.action)

    def get(self, name: str, default: str = "") -> str:
        found = self.typed.get(name)
        return found[0] if found else default

    def getlist(self, name: str) -> list[str]:
        return list(self.typed.get(name, ()))

    def has(self, name: str, value: str = "yes") -> bool:
        return value in self.typed.get(name, ())

    def error(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.name == name), None)


EMPTY_FORM = FormState()

#: The domain's names of fields (``reason.explanation``) as the forms' fields (``explanation``).
_FORM_FIELD = {
    "reason.ground": "ground",
    "reason.category": "category",
    "reason.policy": "policy",
    "reason.explanation": "explanation",
    "reason.facts": "facts",
    "reason.source": "source",
    "reason.legal_ground": "legal_or_contractual_ground",
    "reason.contractual_ground": "legal_or_contractual_ground",
    "reason.content_type": "content_type",
    "reason.content_date": "content_date",
    "reason.territorial_scope": "territorial_scope",
    "automated.detection": "automated_detection",
    "automated.decision": "automated_decision",
    "review_at": "review_after",
    "probation.duration": "probation",
    "subject": "subject",
    "starts_at": "duration",
    "evidence.reference": "evidence_reference",
    "evidence.sha256": "evidence_sha256",
}
#: Each form field's label (a key of the catalogue): the messages name fields as the page does.
FIELD_LABELS = {
    "kind": "field.kind",
    "scope": "field.scope",
    "denies": "field.denies",
    "term": "form.term",
    "duration": "form.duration",
    "ends_at": "form.ends_at",
    "review_after": "form.review_after",
    "policy": "field.policy",
    "ground": "field.ground",
    "legal_or_contractual_ground": "field.legal_or_contractual_ground",
    "category": "field.category",
    "explanation": "field.explanation",
    "facts": "field.facts",
    "source": "field.source",
    "content_type": "form.content_type",
    "content_date": "form.content_date",
    "territorial_scope": "form.territorial_scope",
    "automated_detection": "form.automated_detection",
    "automated_decision": "form.automated_decision",
    "confirm": "form.confirm",
    "reason": "field.reason",
    "effective_at": "field.effective_at",
    "backdated_reason": "field.backdated_reason",
    "indefinite": "field.indefinite",
    "hold_until_review": "field.hold_until_review",
    "panel": "field.panel",
    "risk": "field.risk",
    "factors": "field.factors",
    "rationale": "field.rationale",
    "outcome": "field.outcome",
    "probation": "form.probation",
    "reply": "field.reply",
    "operator": "field.operator",
    "platforms": "field.platforms",
    "kinds": "field.kinds",
    "started_before": "field.started_before",
    "exclude_categories": "field.exclude_categories",
    "exclude_policies": "field.exclude_policies",
    "typed_count": "form.typed_count",
    "subject": "field.subject",
    "version": "form.version",
    "item": "field.item",
    "language": "field.language",
    "kind_other": "field.kind_other",
    "strike": "field.strike",
    "evidence_reference": "field.evidence_reference",
    "evidence_sha256": "field.evidence_sha256",
}


def typed_of(form: Any) -> dict[str, list[str]]:
    """What was typed in a form, every value as text (files and the CSRF token left out)."""
    typed: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key != "csrf_token" and len(typed) < 100:
            typed.setdefault(key, []).append(value[:20_000])
    return typed


class FormErrors(ValidationError):
    """Several fields of one form refused at once (each a ValidationError naming its field)."""

    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def refusal(
    request: Request,
    action: str,
    form: Any,
    exc: ReprieveError,
    *,
    fields: Mapping[str, str],
    target: str = "",
    labels: Mapping[str, str] | None = None,
) -> tuple[FormState, int]:
    """The form ``action`` as typed in ``form`` with ``exc`` beside its field (each of them, for
    FormErrors), and the status of the page that shows it again (400 bad input, 404 a name that
    does not exist, 409 a conflict). ``fields``: the form's field names and their elements' ids
    (the summary links to them, in the order of ``fields``); ``labels``: this form's own label keys
    where they differ from ``FIELD_LABELS`` (an amendment's "New end")."""
    status = 400 if isinstance(exc, ValidationError) else 404 if isinstance(exc, NotFoundError) else 409
    each = exc.errors if isinstance(exc, FormErrors) else [exc]
    errors = [_field_error(request, e, fields, labels or {}) for e in each]
    order = list(fields)
    errors.sort(key=lambda e: order.index(e.name) if e.name in order else len(order))
    return FormState(action, typed_of(form), errors, target), status


def _field_error(
    request: Request, exc: ReprieveError, fields: Mapping[str, str], labels: Mapping[str, str]
) -> FieldError:
    lang = request_language(request)
    name = getattr(exc, "field", None)
    message = exc.message
    if name and message.startswith(f"{name}: "):
        message = message[len(name) + 2 :]
    shown = _FORM_FIELD.get(name, name) if name else None
    if shown is not None and shown not in fields:
        shown = next((f for f in fields if name and name.split(".")[-1] == f), None)
    if shown is not None:
        label = translate(lang, labels.get(shown) or FIELD_LABELS.get(shown, "form.field"))
        message = f"{label}: {message}"
    return FieldError(shown, message, fields.get(shown) if shown else None)


#: The errors a form shows beside its fields rather than on an error page.
FORM_ERRORS = (ValidationError, NotFoundError, ConflictError)


def refused_page(
    request: Request,
    action: str,
    form: Any,
    exc: ReprieveError,
    fields: Mapping[str, str],
    page: Callable[[FormState, int], Response],
    *,
    target: str = "",
    labels: Mapping[str, str] | None = None,
) -> Response:
    """The page ``page(state, status)`` again, with the refused form ``action`` filled in as typed."""
    state, status = refusal(request, action, form, exc, fields=fields, target=target, labels=labels)
    return page(state, status)


def term_of(
    form: ImmutableMultiDict[str, Any],
    *,
    presets: bool = True,
    duration_field: str = "duration",
) -> tuple[Duration | None, str | None, bool]:
    """The term a form asks for: (duration, end as an RFC 3339 instant, indefinite). A preset
    (``term``: an ISO 8601 duration or ``indefinite``) or a typed duration or end, exactly one;
    an empty duration and end with no preset is refused (never a silent indefinite term)."""
    preset = text(form, "term", max_length=20) if presets else ""
    typed = text(form, duration_field, max_length=80, multiline=False)
    ends = page_instant_value(text(form, "ends_at", max_length=40, multiline=False) or None)
    if preset and preset != "other":
        if typed or ends:
            raise ValidationError(
                "choose a preset or type a duration or an end, not both (choose 'Other' to type one)",
                field=duration_field if typed else "ends_at",
            )
        if preset == "indefinite":
            return None, None, True
        return parse_duration_input(preset, field="term"), None, False
    if typed and ends:
        raise ValidationError("give a duration or an end, not both", field=duration_field)
    if typed:
        return parse_duration_input(typed, field=duration_field), None, False
    if ends:
        return None, ends, False
    raise ValidationError(
        "give a duration or an end, or choose 'Indefinite' if the sanction has no end", field=duration_field
    )


class Checks:
    """Checks of a form's fields run one after the other, each refusal kept, so that a refused
    form names every field at fault at once: ``value = checks.run(lambda: ...)``, then ``done()``."""

    def __init__(self) -> None:
        self.found: list[ValidationError] = []

    def run(self, check: Callable[[], Any], default: Any = None) -> Any:
        try:
            return check()
        except FormErrors as exc:
            self.found.extend(exc.errors)
        except ValidationError as exc:
            self.found.append(exc)
        return default

    def refuse(self, message: str, field: str) -> None:
        self.found.append(ValidationError(message, field=field))

    def done(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise FormErrors(self.found)
