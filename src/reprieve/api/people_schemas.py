"""Schemas of personal data's erasure (issue 21): one per direction."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from reprieve.api.schemas import Out, Schema, Slug
from reprieve.services.people import ErasePerson


class ErasureCreate(Schema):
    """Whom to erase within ``operator``: exactly one of ``email``, ``reference``, ``account``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"operator": "meta", "account": "facebook/satire_weekly"}]},
    )

    operator: Slug = Field(examples=["meta"])
    email: str | None = Field(
        default=None,
        max_length=320,
        description="every appeal requester of the operator with this e-mail",
        examples=["jane@example.com"],
    )
    reference: str | None = Field(
        default=None,
        pattern=r"^rqr_[0-9A-Z]{26}$",
        description="one appeal requester, by the reference appeal.filed events carry",
    )
    account: str | None = Field(
        default=None, max_length=300, description="platform/account: the account's display names"
    )

    def to_command(self) -> ErasePerson:
        return ErasePerson.parse(
            operator=self.operator, email=self.email, reference=self.reference, account=self.account
        )


class ErasedOut(Out):
    what: str = Field(description="the kind: appeal.statement, appeal.reply, dispute.body, requester.contact, ...")
    ref: str = Field(description="its reference (pd_..., or the requester's rqr_...)")


class KeptOut(Out):
    what: str
    ref: str = Field(description="its reference, or the appeal, dispute or account whose old event holds it")
    why: str = Field(description="the legal obligation, or that an event recorded before the cut-over holds it")
    until: str | None = Field(description="RFC 3339: erasable from then on; null: once the cut-over has run")


class ErasureOut(Out):
    operator: str
    erased: list[ErasedOut]
    kept: list[KeptOut]
    event: int | None = Field(description="the seq of the person.erased event; null: nothing was erased")
