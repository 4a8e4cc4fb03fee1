"""Who may do what: the role table of PRODUCT.md section 4, in one place.

API routes (``api.deps.allow``) and console views (``web.auth.desk``, ``Desk.may``) name the roles
a thing is *for*; ``admitted`` adds the roles that also hold every permission of those: the
instance-admin holds every role's, an operator's admin holds the moderator's. Nothing else widens
a role: the audit log stays the auditor's (an admin who needs it creates an auditor token, and
that is recorded), a seat on a review panel is given by naming it in the panel (an admin, like a
moderator, may sit on one and may decide any review), and a platform token never decides.
"""

from __future__ import annotations

from reprieve.domain.model import Role

#: Roles that hold other roles' permissions besides their own. The instance-admin holds every
#: role's: ``admitted`` always admits it, whatever the roles named (none: the instance-admin's own).
INCLUDES: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset({Role.MODERATOR}),
}


def admitted(*roles: Role) -> frozenset[Role]:
    """The roles that may do what ``roles`` are for: those, the instance-admin, and the roles that
    hold theirs."""
    named = frozenset(roles)
    holders = {role for role, held in INCLUDES.items() if held & named}
    return frozenset({Role.INSTANCE_ADMIN, *named, *holders})


def may(role: Role, *roles: Role) -> bool:
    """Whether a holder of ``role`` may do what ``roles`` are for."""
    return role in admitted(*roles)


#: Who decides sanctions, appeals, amnesties and any review: people, never a machine client.
MODERATING = admitted(Role.MODERATOR)
