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
from reprieve.domain.personal import PersonalRef
from reprieve.domain.policy import policy_from_data
from reprieve.policies import shipped_policy_data
from reprieve.services.callers import Caller
from reprieve.store import personal, queries
from reprieve.store.asof import identity_as_of, known_as_of
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

# --- views ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OperatorView:
    id: str
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class OperatorDetailView:
    """An operator and the ids of its platforms."""

    id: str
    name: str
    platforms: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "platforms": list(self.platforms)}


@dataclass(frozen=True, slots=True)
class PlatformView:
    id: str
    operator: str
    name: str
    kind: PlatformKind
    capabilities: tuple[str, ...]
    policy: dict[str, Any]

    @classmethod
    def of(cls, platform: Platform) -> PlatformView:
        return cls(platform.id, platform.operator, platform.name, platform.kind, platform.capabilities, platform.policy)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "name": self.name,
            "kind": self.kind.value,
            "capabilities": list(self.capabilities),
            "policy": self.policy,
        }


@dataclass(frozen=True, slots=True)
class AccountView:
    """A recorded account: its display name, its identity and its platform's operator."""

    ref: AccountRef
    #: None when the account has none, or once erased (``display_name_erased``): null on the wire.
    display_name: str | None
    identity: str
    operator: str
    display_name_erased: bool = False

    @property
    def platform(self) -> str:
        return self.ref.platform

    @property
    def account(self) -> str:
        return self.ref.account

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.ref.platform,
            "account": self.ref.account,
            "display_name": self.display_name,
            "identity": self.identity,
            "operator": self.operator,
        }


@dataclass(frozen=True, slots=True)
class IdentityView:
    """Accounts of one operator linked together; ``created_seq``: the log position it began at."""

    id: str
    operator: str
    accounts: tuple[AccountRef, ...]
    created_seq: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "accounts": [{"platform": r.platform, "account": r.account} for r in self.accounts],
            "created_seq": self.created_seq,
        }


# --- commands ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateOperator:
    id: str
    name: str

    @classmethod
    def parse(cls, *, id: str, name: str) -> CreateOperator:
        ensure_slug(id, field="id")
        ensure_text(name, field="name", max_length=200, multiline=False)
        return cls(id, name)


@dataclass(frozen=True, slots=True)
class CreatePlatform:
    """A platform to create, its kind, capabilities and policy parsed (``parse``)."""

    id: str
    operator: str
    name: str
    kind: PlatformKind
    capabilities: tuple[str, ...]
    policy: dict[str, Any]

    @classmethod
    def parse(
        cls,
        *,
        id: str,
        operator: str,
        name: str,
        kind: str | PlatformKind = PlatformKind.SOCIAL,
        capabilities: Sequence[str] | None = None,
        policy: dict[str, Any] | str | None = None,
    ) -> CreatePlatform:
        """ValidationError naming the field, in the order the fields were always checked."""
        ensure_slug(id, field="id")
        ensure_text(name, field="name", max_length=200, multiline=False)
        platform_kind = parse_enum(PlatformKind, kind, field="kind")
        caps = ensure_capabilities(list(capabilities) if capabilities is not None else list(DEFAULT_CAPABILITIES))
        return cls(id, operator, name, platform_kind, caps, resolve_policy(policy, caps))


@dataclass(frozen=True, slots=True)
class PutAccount:
    ref: AccountRef
    display_name: str | None = None

    @classmethod
    def parse(cls, ref: AccountRef, *, display_name: str | None = None) -> PutAccount:
        if display_name is not None:
            ensure_text(display_name, field="display_name", max_length=200, required=False, multiline=False)
        return cls(ref, display_name)


@dataclass(frozen=True, slots=True)
class LinkIdentities:
    operator: str
    accounts: tuple[AccountRef, ...]

    @classmethod
    def parse(cls, *, operator: str, accounts: Sequence[AccountRef]) -> LinkIdentities:
        if len(accounts) < 1:
            raise ValidationError("give at least one account", field="accounts")
        if len(accounts) > 1000:
            raise ValidationError("at most 1000 accounts at once", field="accounts")
        return cls(operator, tuple(accounts))


# --- use cases -----------------------------------------------------------------------------


def create_operator(db: Database, command: CreateOperator, *, caller: Caller) -> OperatorView:
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        if queries.operator_row(uow.conn, command.id) is not None:
            raise ConflictError(f"operator {command.id!r} already exists")
        uow.record([NewEvent.of(OperatorCreated(id=command.id, name=command.name), uow.at, command.id)])
    return OperatorView(command.id, command.name)


def get_operator(db: Database, operator_id: str, *, caller: Caller | None = None) -> OperatorDetailView:
    """The operator; one the caller may not see does not exist."""
    if caller is not None:
        caller.ensure_sees(operator_id, "operator", operator_id)
    with db.read() as conn:
        row = queries.operator_row(conn, operator_id)
        if row is None:
            raise NotFoundError(f"no operator {operator_id!r}")
        platforms = queries.list_platform_ids(conn, operator_id)
    return OperatorDetailView(row["id"], row["name"], tuple(platforms))


def list_operators(db: Database) -> list[OperatorView]:
    with db.read() as conn:
        return [OperatorView(r["id"], r["name"]) for r in queries.list_operators(conn)]


def create_platform(db: Database, command: CreatePlatform, *, caller: Caller) -> PlatformView:
    """Create a platform of an operator the caller may see (another operator does not exist)."""
    operator = command.operator
    caller.ensure_sees(operator, "operator", operator)
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        if queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        if db.platform(uow.conn, command.id) is not None:
            # Platform ids are one namespace for the whole installation (they are the public names in
            # checks and index keys): say only that the id is taken, not by whom nor what it is.
            raise ConflictError(f"the platform id {command.id!r} is taken; platform ids are shared by every operator")
        created = PlatformCreated(
            id=command.id,
            operator=operator,
            name=command.name,
            kind=command.kind.value,
            capabilities=list(command.capabilities),
            policy=command.policy,
        )
        uow.record([NewEvent.of(created, uow.at, operator)])
    return PlatformView(command.id, operator, command.name, command.kind, command.capabilities, command.policy)


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


def get_platform(db: Database, platform_id: str, *, caller: Caller | None = None) -> PlatformView:
    """The platform; one of an operator the caller may not see does not exist."""
    with db.read() as conn:
        platform = require_platform(db, conn, platform_id)
    if caller is not None:
        caller.ensure_sees(platform.operator, "platform", platform_id)
    return PlatformView.of(platform)


def list_platforms(db: Database, operator: str | None = None) -> list[PlatformView]:
    with db.read() as conn:
        return [PlatformView.of(require_platform(db, conn, p)) for p in queries.list_platform_ids(conn, operator)]


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
        name = names.get(ref)
        events.append(
            NewEvent.of(
                AccountRegistered(
                    ref.platform,
                    ref.account,
                    identity,
                    operator,
                    None if name is None else _keep(db, uow, operator, ref, name),
                ),
                uow.at,
                operator,
            )
        )
    uow.record(events)
    return EnsuredAccounts(known, created)


def put_account(db: Database, command: PutAccount, *, caller: Caller) -> tuple[AccountView, bool]:
    """Create the account, or update its display name; returns (account, created). A platform of
    an operator the caller may not see does not exist."""
    ref, display_name = command.ref, command.display_name
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        platform = require_platform(db, uow.conn, ref.platform)
        caller.ensure_sees(platform.operator, "platform", ref.platform)
        existing = queries.account_row(uow.conn, ref)
        if existing is None:
            ensure_accounts(db, uow, [ref], display_names={ref: display_name} if display_name else None)
            created = True
        else:
            created = False
            if display_name is not None and display_name != _display_name(uow.conn, existing)[0]:
                kept = _keep(db, uow, platform.operator, ref, display_name)
                uow.record(
                    [
                        NewEvent.of(
                            AccountRenamed(platform=ref.platform, account=ref.account, display_name=kept),
                            uow.at,
                            platform.operator,
                        )
                    ]
                )
    return get_account(db, ref), created


def get_account(db: Database, ref: AccountRef) -> AccountView:
    with db.read() as conn:
        row = queries.account_row(conn, ref)
        if row is None:
            require_platform(db, conn, ref.platform)
            raise NotFoundError(f"no account {ref} (accounts are created on first use)")
        platform = require_platform(db, conn, ref.platform)
        name, erased = _display_name(conn, row)
        return AccountView(ref, name, row["identity_id"], platform.operator, erased)


def recorded_accounts(db: Database, refs: Sequence[AccountRef]) -> dict[AccountRef, AccountView]:
    """The accounts among ``refs`` that are recorded (the others are absent)."""
    with db.read() as conn:
        rows = {ref: queries.account_row(conn, ref) for ref in refs}
        texts = personal.read_many(conn, [row["display_name_ref"] for row in rows.values() if row is not None])
        found = {}
        for ref, row in rows.items():
            if row is not None:
                name, erased = personal.resolved(row["display_name"], row["display_name_ref"], texts)
                operator = require_platform(db, conn, ref.platform).operator
                found[ref] = AccountView(ref, name, row["identity_id"], operator, erased)
        return found


def _keep(db: Database, uow: UnitOfWork, operator: str, ref: AccountRef, name: str) -> PersonalRef:
    """Keep an account's display name outside the chain; the reference its event carries."""
    return personal.put(
        db, uow.conn, operator=operator, kind="account.display_name", subject=str(ref), value=name, now=uow.now
    )


def _display_name(conn: Connection, row: Any) -> tuple[str | None, bool]:
    """An account row's display name (an old event's text, or its reference resolved) and whether
    it was erased."""
    ref = row["display_name_ref"]
    return personal.resolved(row["display_name"], ref, personal.read_many(conn, [ref]))


def link_identities(db: Database, command: LinkIdentities, *, caller: Caller) -> IdentityView:
    """Link accounts of one operator into one identity, merging the identities they were in.
    An operator, or a platform of one, the caller may not see does not exist."""
    operator, accounts = command.operator, command.accounts
    caller.ensure_sees(operator, "operator", operator)
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        for platform_id in dict.fromkeys(ref.platform for ref in accounts):
            caller.ensure_sees(require_platform(db, uow.conn, platform_id).operator, "platform", platform_id)
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


def get_identity(
    db: Database, identity_id: str, *, caller: Caller | None = None, as_of: datetime | None = None
) -> IdentityView:
    """An identity and its accounts; ``as_of``: as the events recorded by then knew it, with the
    links made by then (one a later link merged away is found too). Caller None: the
    installation, which sees every operator."""
    if as_of is not None:
        with db.read() as conn:
            then = identity_as_of(conn, identity_id, known_as_of(conn, as_of))
        if then is None or (caller is not None and not caller.sees(then.operator)):
            raise NotFoundError(f"no identity {identity_id!r}")
        return IdentityView(then.id, then.operator, then.accounts, then.created_seq)
    with db.read() as conn:
        row = queries.identity_row(conn, identity_id)
        if row is not None and caller is not None:
            caller.ensure_sees(row["operator_id"], "identity", identity_id)
        if row is None:
            raise NotFoundError(f"no identity {identity_id!r}")
        refs = queries.identity_accounts(conn, identity_id)
    return IdentityView(identity_id, row["operator_id"], tuple(refs), row["created_seq"])
