"""Operators, platforms, accounts and identities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.events import (
    AccountRegistered,
    AccountRenamed,
    IdentitiesLinked,
    NewEvent,
    OperatorCreated,
    PlatformCreated,
)
from reprieve.domain.model import (
    DEFAULT_CAPABILITIES,
    AccountRef,
    Platform,
    PlatformKind,
    ensure_capabilities,
    ensure_slug,
    ensure_text,
    parse_enum,
)
from reprieve.domain.policy import policy_from_data
from reprieve.policies import shipped_policy_data
from reprieve.store import queries
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork


def create_operator(db: Database, *, id: str, name: str, actor: str, now: datetime) -> dict[str, Any]:
    ensure_slug(id, field="id")
    ensure_text(name, field="name", max_length=200, multiline=False)
    with UnitOfWork(db, actor=actor, now=now) as uow:
        if queries.operator_row(uow.conn, id) is not None:
            raise ConflictError(f"operator {id!r} already exists")
        uow.record([NewEvent.of(OperatorCreated(id=id, name=name), uow.at, id)])
    return {"id": id, "name": name}


def get_operator(db: Database, operator_id: str) -> dict[str, Any]:
    with db.read() as conn:
        row = queries.operator_row(conn, operator_id)
        if row is None:
            raise NotFoundError(f"no operator {operator_id!r}")
        platforms = queries.list_platform_ids(conn, operator_id)
    return {"id": row["id"], "name": row["name"], "platforms": platforms}


def list_operators(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return [{"id": r["id"], "name": r["name"]} for r in queries.list_operators(conn)]


def create_platform(
    db: Database,
    *,
    id: str,
    operator: str,
    name: str,
    kind: str = "social",
    capabilities: Sequence[str] | None = None,
    policy: dict[str, Any] | str | None = None,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    ensure_slug(id, field="id")
    ensure_text(name, field="name", max_length=200, multiline=False)
    platform_kind = parse_enum(PlatformKind, kind, field="kind")
    caps = ensure_capabilities(list(capabilities) if capabilities is not None else list(DEFAULT_CAPABILITIES))
    policy_object = resolve_policy(policy, caps)
    with UnitOfWork(db, actor=actor, now=now) as uow:
        if queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        if db.platform(uow.conn, id) is not None:
            # Platform ids are one namespace for the whole installation (they are the public names in
            # checks and index keys): say only that the id is taken, not by whom nor what it is.
            raise ConflictError(f"the platform id {id!r} is taken; platform ids are shared by every operator")
        created = PlatformCreated(
            id=id, operator=operator, name=name, kind=platform_kind.value, capabilities=list(caps), policy=policy_object
        )
        uow.record([NewEvent.of(created, uow.at, operator)])
    return platform_view(Platform(id, operator, name, platform_kind, caps, policy_object))


def resolve_policy(policy: dict[str, Any] | str | None, capabilities: tuple[str, ...]) -> dict[str, Any]:
    """The policy a platform keeps: a shipped one by name (copied, so later releases do not change
    it under the platform's feet), or an object validated against the platform's capabilities."""
    if policy is None:
        return {}
    if isinstance(policy, str):
        return shipped_policy_data(policy)
    if not isinstance(policy, dict):
        raise ValidationError("must be the name of a shipped policy or a policy object", field="policy")
    try:
        policy_from_data(policy, capabilities=capabilities)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="policy") from None
    return policy


def platform_view(platform: Platform) -> dict[str, Any]:
    return {
        "id": platform.id,
        "operator": platform.operator,
        "name": platform.name,
        "kind": platform.kind.value,
        "capabilities": list(platform.capabilities),
        "policy": platform.policy,
    }


def get_platform(db: Database, platform_id: str) -> dict[str, Any]:
    with db.read() as conn:
        return platform_view(require_platform(db, conn, platform_id))


def list_platforms(db: Database, operator: str | None = None) -> list[dict[str, Any]]:
    with db.read() as conn:
        return [platform_view(require_platform(db, conn, p)) for p in queries.list_platform_ids(conn, operator)]


def require_platform(db: Database, conn: Any, platform_id: str) -> Platform:
    platform = db.platform(conn, platform_id)
    if platform is None:
        raise NotFoundError(f"no platform {platform_id!r}")
    return platform


@dataclass(frozen=True, slots=True)
class EnsuredAccounts:
    identities: dict[AccountRef, str]
    created: list[AccountRef]


def ensure_accounts(
    db: Database, uow: UnitOfWork, refs: Sequence[AccountRef], *, display_names: dict[AccountRef, str] | None = None
) -> EnsuredAccounts:
    """Register the accounts among ``refs`` that do not exist yet, each in its own identity."""
    unique = list(dict.fromkeys(refs))
    known = queries.accounts_rows(uow.conn, unique)
    created = [ref for ref in unique if ref not in known]
    names = display_names or {}
    events = []
    for ref, identity in zip(created, db.ids.new_ids("idt", uow.now, len(created)), strict=True):
        operator = require_platform(db, uow.conn, ref.platform).operator
        known[ref] = identity
        events.append(
            NewEvent.of(
                AccountRegistered(ref.platform, ref.account, identity, operator, names.get(ref)),
                uow.at,
                operator,
            )
        )
    uow.record(events)
    return EnsuredAccounts(known, created)


def put_account(
    db: Database, ref: AccountRef, *, display_name: str | None = None, actor: str, now: datetime
) -> tuple[dict[str, Any], bool]:
    """Create the account, or update its display name; returns (account, created)."""
    if display_name is not None:
        ensure_text(display_name, field="display_name", max_length=200, required=False, multiline=False)
    with UnitOfWork(db, actor=actor, now=now) as uow:
        platform = require_platform(db, uow.conn, ref.platform)
        existing = queries.account_row(uow.conn, ref)
        if existing is None:
            ensure_accounts(db, uow, [ref], display_names={ref: display_name} if display_name else None)
            created = True
        else:
            created = False
            if display_name is not None and display_name != existing["display_name"]:
                uow.record(
                    [
                        NewEvent.of(
                            AccountRenamed(platform=ref.platform, account=ref.account, display_name=display_name),
                            uow.at,
                            platform.operator,
                        )
                    ]
                )
    return get_account(db, ref), created


def get_account(db: Database, ref: AccountRef) -> dict[str, Any]:
    with db.read() as conn:
        row = queries.account_row(conn, ref)
        if row is None:
            require_platform(db, conn, ref.platform)
            raise NotFoundError(f"no account {ref} (accounts are created on first use)")
        platform = require_platform(db, conn, ref.platform)
        return {
            "platform": ref.platform,
            "account": ref.account,
            "display_name": row["display_name"],
            "identity": row["identity_id"],
            "operator": platform.operator,
        }


def recorded_accounts(db: Database, refs: Sequence[AccountRef]) -> dict[AccountRef, dict[str, Any]]:
    """The rows of the accounts among ``refs`` that are recorded (the others are absent)."""
    with db.read() as conn:
        rows = {ref: queries.account_row(conn, ref) for ref in refs}
    return {ref: row for ref, row in rows.items() if row is not None}


def link_identities(
    db: Database, *, operator: str, accounts: Sequence[AccountRef], actor: str, now: datetime
) -> dict[str, Any]:
    """Link accounts of one operator into one identity, merging the identities they were in."""
    if len(accounts) < 1:
        raise ValidationError("give at least one account", field="accounts")
    if len(accounts) > 1000:
        raise ValidationError("at most 1000 accounts at once", field="accounts")
    with UnitOfWork(db, actor=actor, now=now) as uow:
        if queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        for ref in accounts:
            platform = require_platform(db, uow.conn, ref.platform)
            if platform.operator != operator:
                raise ValidationError(
                    f"{ref} is on platform {platform.id!r} of operator {platform.operator!r}, not "
                    f"{operator!r}: accounts of two operators cannot be linked",
                    field="accounts",
                )
        ensured = ensure_accounts(db, uow, accounts)
        identities = list(dict.fromkeys(ensured.identities[ref] for ref in accounts))
        survivor, merged = identities[0], identities[1:]
        if merged:
            uow.record(
                [
                    NewEvent.of(
                        IdentitiesLinked(
                            identity=survivor,
                            merged=merged,
                            operator=operator,
                            accounts=[{"platform": r.platform, "account": r.account} for r in accounts],
                        ),
                        uow.at,
                        operator,
                    )
                ]
            )
    return get_identity(db, survivor)


def get_identity(db: Database, identity_id: str) -> dict[str, Any]:
    with db.read() as conn:
        row = queries.identity_row(conn, identity_id)
        if row is None:
            raise NotFoundError(f"no identity {identity_id!r}")
        refs = queries.identity_accounts(conn, identity_id)
    return {
        "id": identity_id,
        "operator": row["operator_id"],
        "accounts": [{"platform": r.platform, "account": r.account} for r in refs],
        "created_seq": row["created_seq"],
    }
