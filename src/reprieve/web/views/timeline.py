"""The history of a sanction or of an identity, with who did each thing and why, from the log."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import quote

from reprieve.domain.content import ContentChangeType
from reprieve.domain.filters import AppealFilter, ReviewFilter
from reprieve.domain.sanctions import ChangeType
from reprieve.domain.time import format_instant
from reprieve.services import appeals, audit, reviews
from reprieve.services.content import ContentDecisionView
from reprieve.services.views import SanctionView
from reprieve.web.auth import Desk
from reprieve.web.rendering import format_for_page


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a timeline; every word a person reads is a key of the catalogue or a value
    that is already words (a date, a name, a reason)."""

    effective_at: str
    seq: int
    what: str  #: a key of the catalogue: timeline.imposed, timeline.lifted, ...
    who: str  #: the actor, shown as "by {who}"
    why: str
    sanction: str
    link: str | None = None
    #: keys of the catalogue (``kind.suspension``, ``review_outcome.lift``...), then a text (a date)
    detail_keys: tuple[str, ...] = ()
    detail: str = ""
    #: the link's words: a key of the catalogue taking ``{id}`` and ``{kind}`` (``link_kind``, a key)
    link_key: str = "timeline.link_sanction"
    link_id: str = ""
    link_kind: str = ""
    #: who filed an appeal, as a relation (``subject``, ``representative``): "filed by the user"
    relation: str = ""
    #: a change taking effect more than 24 hours before it was recorded (PRODUCT.md section 8):
    #: when it was recorded (empty: not backdated), and why (empty once erased)
    recorded_at: str = ""
    backdated_why: str = ""

    @property
    def backdated(self) -> bool:
        return bool(self.recorded_at)

    @property
    def who_key(self) -> str:
        """ "by root (command line)" for the CLI's ``cli:root``; "by {who}" for a member or a token."""
        return "timeline.by_cli" if self.who.startswith("cli:") else "timeline.by"

    @property
    def who_name(self) -> str:
        return self.who.removeprefix("cli:")


def logged_event(desk: Desk, seq: int) -> audit.EventView | None:
    """The event ``seq`` of the log as the member's operator sees it (None if it is another's)."""
    items = audit.list_events(desk.db, after=seq - 1, limit=1, caller=desk.caller).items
    return items[0] if items and items[0].seq == seq else None


def sanction_entries(desk: Desk, sanction: SanctionView) -> list[Entry]:
    """The sanction's timeline as the page reads it: its history as known ``desk.as_of`` (the
    ``SanctionView`` was read so), with the reviews and appeals recorded by then."""
    entries = []
    for change in sanction.history:
        event = logged_event(desk, change.seq)
        data = event.data if event else {}
        reason = data.get("reason")
        if isinstance(reason, dict):  # an imposition's reason is the DSA record; others say why in words
            reason = reason.get("explanation") or reason.get("policy")
        why = str(reason or "")
        keys: tuple[str, ...] = ()
        detail = ""
        if change.type is not ChangeType.LIFTED:
            keys = (f"kind.{change.kind.value}",) if change.kind else ()
            ends = format_for_page(change.ends_at)
            detail = f"→ {ends}" if ends else ""
            keys += () if ends else ("timeline.no_end",)
        entries.append(
            Entry(
                format_instant(change.effective_at) or "",
                change.seq,
                f"timeline.{change.type.value}",
                event.actor_name if event else "",
                why,
                sanction.id,
                f"/console/sanctions/{sanction.id}",
                keys,
                detail,
                link_id=sanction.id,
                recorded_at=(format_instant(change.recorded_at) or "") if change.backdated else "",
                backdated_why=change.backdated_reason or "",
            )
        )
    for review in reviews.list_reviews(
        desk.db,
        ReviewFilter(sanction=sanction.id, operators=desk.tenant.operators),
        at=desk.instant,
        limit=100,
        as_of=desk.as_of,
    ).items:
        if not isinstance(review, reviews.ReviewView):  # only open and decided reviews are listed here
            continue
        if review.opened_at is not None:
            entries.append(
                Entry(
                    format_instant(review.opened_at) or "",
                    0,
                    "timeline.review_opened",
                    review.opened_by or "",
                    review.reason or "",
                    sanction.id,
                    f"/console/reviews/{review.id}",
                    link_key="timeline.link_review",
                    link_id=review.id,
                )
            )
        if review.decided_at is not None:
            outcome = (f"review_outcome.{review.outcome.value}",) if review.outcome else ()
            entries.append(
                Entry(
                    format_instant(review.decided_at) or "",
                    0,
                    "timeline.review_decided",
                    # Neither who decided nor why: the line never showed them (they are in the
                    # review's decision, which this line did not read).
                    "",
                    "",
                    sanction.id,
                    f"/console/reviews/{review.id}",
                    outcome,
                    link_key="timeline.link_review",
                    link_id=review.id,
                )
            )
    for appeal in appeals.list_appeals(
        desk.db, AppealFilter(sanction=sanction.id, operators=desk.tenant.operators), limit=100, as_of=desk.as_of
    ).items:
        link = {
            "link_key": "timeline.link_appeal",
            "link_id": appeal.id,
            "link_kind": f"appeal_kind.{appeal.kind.value}",
        }
        entries.append(
            Entry(
                format_instant(appeal.received_at) or "",
                0,
                "timeline.appeal_filed",
                "",
                (appeal.statement or "")[:300],
                sanction.id,
                f"/console/appeals/{appeal.id}",
                (f"appeal_kind.{appeal.kind.value}", f"channel.{appeal.channel.value}"),
                relation=appeal.filed_by.relation.value,
                **link,
            )
        )
        decision = appeal.decision
        if decision:
            entries.append(
                Entry(
                    format_instant(decision.decided_at) or "",
                    0,
                    "timeline.appeal_decided",
                    decision.decided_by or "",
                    decision.rationale or "",
                    sanction.id,
                    f"/console/appeals/{appeal.id}",
                    (f"appeal_outcome.{decision.outcome.value}",),
                    **link,
                )
            )
    # reviews' and appeals' deciders are recorded by id (issue 21): named here, outside the chain
    names = audit.resolve_actors(desk.db, {e.who for e in entries})
    return [replace(e, who=names[e.who]) if e.who in names else e for e in entries]


def content_entries(desk: Desk, decision: ContentDecisionView) -> list[Entry]:
    """A content decision's history as the item's and the author's pages read it: each change
    as known ``desk.as_of`` (the view was read so), who made it and why, from the log."""
    entries = []
    for change in decision.changes:
        event = logged_event(desk, change.seq)
        data = event.data if event else {}
        reason = data.get("reason")
        if isinstance(reason, dict):  # a decision's reason is the DSA record; the others say why in words
            reason = reason.get("explanation") or reason.get("policy")
        keys: tuple[str, ...] = ()
        detail = ""
        if change.type is not ContentChangeType.RESTORED:
            keys = (f"content_kind.{change.kind.value}",) if change.kind else ()
            ends = format_for_page(change.ends_at)
            parts = (", ".join(change.territorial_scope), f"→ {ends}" if ends else "")
            detail = " ".join(part for part in parts if part)
            keys += () if ends else ("timeline.no_end",)
        entries.append(
            Entry(
                format_instant(change.effective_at) or "",
                change.seq,
                f"timeline.content_{change.type.value}",
                event.actor_name if event else "",
                str(reason or ""),
                decision.id,
                f"/console/platforms/{decision.item.platform}/items/{quote(decision.item.item, safe='/')}",
                keys,
                detail,
                link_key="timeline.link_item",
                link_id=decision.item.item,
                recorded_at=(format_instant(change.recorded_at) or "") if change.backdated else "",
                backdated_why=change.backdated_reason or "",
            )
        )
    names = audit.resolve_actors(desk.db, {e.who for e in entries})
    return [replace(e, who=names[e.who]) if e.who in names else e for e in entries]


def ordered(entries: list[Entry]) -> list[Entry]:
    """Most recent first."""
    return sorted(entries, key=lambda e: (e.effective_at, e.seq), reverse=True)
