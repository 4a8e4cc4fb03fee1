"""``POST /v1/imports``: history decided before Reprieve — sanctions, or decisions on content — each
row with when its user was informed (PRODUCT.md section 8)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, model_validator

from reprieve.api.content_schemas import _DECIDE_EXAMPLE, ContentDecisionCreate
from reprieve.api.schemas import _IMPORT_EXAMPLE, ImportedStatementIn, ImportRow, Instant, Out, Schema
from reprieve.domain.errors import ValidationError as DomainValidationError
from reprieve.services import content_import, sanctions
from reprieve.services.content import DecideContent
from reprieve.services.sanctions import ImposeSanction


class ContentImportRow(ContentDecisionCreate):
    """A content decision taken before Reprieve: the create body, with when its user was informed."""

    model_config = ConfigDict(extra="forbid")

    informed_at: Instant | None = Field(
        default=None,
        description="when the platform informed the user; never before starts_at nor in the future; "
        "required unless the import says `informed_at_start`",
    )
    statement: ImportedStatementIn | None = None


_CONTENT_IMPORT_EXAMPLE: dict[str, Any] = {
    "content_decisions": [
        {
            **{k: v for k, v in _DECIDE_EXAMPLE.items() if k != "evidence"},
            "starts_at": "2023-03-01T09:00:00Z",
            "informed_at": "2023-03-01T09:05:00Z",
            "statement": {"reference": "tdb:example-statement-0002", "issued_at": "2023-03-01T09:00:00Z"},
        }
    ],
    "informed_at_start": False,
}


class ImportCreate(Schema):
    """Either ``sanctions`` or ``content_decisions``: one kind of history per import."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [_IMPORT_EXAMPLE, _CONTENT_IMPORT_EXAMPLE]}
    )

    sanctions: list[ImportRow] | None = Field(default=None, min_length=1, max_length=sanctions.MAX_IMPORT_ROWS)
    content_decisions: list[ContentImportRow] | None = Field(
        default=None, min_length=1, max_length=content_import.MAX_IMPORT_ROWS
    )
    informed_at_start: bool = Field(
        default=False, description="a row without informed_at says its user was informed at its starts_at"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> ImportCreate:
        if (self.sanctions is None) == (self.content_decisions is None):
            raise ValueError("give either sanctions or content_decisions (one kind of history per import)")
        return self

    def to_commands(self) -> list[ImposeSanction]:
        """The sanctions' commands, parsed once; a row refused is named by its position."""
        commands = []
        for number, row in enumerate(self.sanctions or (), 1):
            try:
                commands.append(
                    sanctions.imported_command(
                        row.to_command(),
                        row.informed_at,
                        row.statement.model_dump() if row.statement else None,
                        informed_at_start=self.informed_at_start,
                    )
                )
            except DomainValidationError as exc:
                raise DomainValidationError(f"sanction #{number}: {exc.message}") from None
        return commands

    def to_content_commands(self) -> list[DecideContent]:
        """The content decisions' commands, parsed once; a row refused is named by its position."""
        commands = []
        for number, row in enumerate(self.content_decisions or (), 1):
            try:
                commands.append(
                    content_import.imported_decision(
                        row.to_command(),
                        row.informed_at,
                        row.statement.model_dump() if row.statement else None,
                        informed_at_start=self.informed_at_start,
                    )
                )
            except DomainValidationError as exc:
                raise DomainValidationError(f"content decision #{number}: {exc.message}") from None
        return commands


class ImportOut(Out):
    imported: int = Field(description="rows recorded: all of them (an import is all or nothing)")
