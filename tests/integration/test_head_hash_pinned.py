"""The log of a fixed story, with fixed ids and instants, has a known head hash.

It pins the bytes of the canonical JSON of every event kind the story records (``event_story``):
a refactoring that changes one byte of one payload, or the order of the events, breaks it.
"""

from __future__ import annotations

from event_story import tell
from sqlalchemy import select

from reprieve.domain.events import EventType
from reprieve.domain.ids import SequentialIds
from reprieve.services.audit import verify_audit_log
from reprieve.store import tables
from reprieve.store.db import Database

#: The story's head. Changed on purpose by issue 21 only: new events name who acted by id (the
#: worker is ``system:worker``, the public form ``system:public-form``; decisions, reviews and
#: assessments name their actor, an assessment its panel seat by position, a token or member its
#: id), and carry references into ``personal_data`` (``{"ref": ...}``) for an appeal's statement
#: and reply, a dispute's texts, a display name and each entry of a review's panel; the story ends
#: with a retention period set and an erasure (``retention.set``, ``person.erased``). Changed on
#: purpose by issue 22 (recording instants never go backwards, PRODUCT.md section 8): the story's
#: Twitter ban, told at 2021-01-08T23:00 after Meta's events of February 2021, is recorded at the
#: head's instant (2021-02-07T10:00:00Z), where it also starts. Changed on purpose by issue 23 (statements
#: of reasons issued once per decision, PRODUCT.md section 8): each creation that restricts something, each
#: amendment of kind or term and each review decision is followed by a ``statement.issued`` event carrying
#: the SHA-256 of the statement's JSON as issued (so its bytes are pinned too): seven more events.
#: Changed on purpose by issue 23: what a statement says (its decision's own date, the redress open
#: until issue + window, ground and source in words, a slot for the appeal code, headings out of the
#: JSON); the complaint window runs from the delivery of the latest decision's statement, or its issue
#: when none is recorded, so the complaint about the sanction scheduled ahead (issued 2021-08-13,
#: starting 2021-09-01) is due by 2022-02-13, no longer 2022-03-01 (its ``deadline_at``); the story
#: ends with a ``statement.delivered`` (one more event); a sanction giving effect to an authority's
#: order (its ``order`` in ``sanction.imposed``, an ``order_information.issued`` event instead of a
#: statement, the worker's announcement of its end: four more events), and the erasure blanks the
#: statements issued about alice's sanctions (``person.erased`` lists them in ``documents``). It must
#: not change otherwise. Changed on purpose by issue 24 (decisions on content, PRODUCT.md section 9): a
#: post disabled in Germany then removed everywhere, a photo labelled then restored, each decision
#: followed by its ``statement.issued`` (seven more events). Changed on purpose by issue 24 (the evidence
#: forgotten as an event): both decisions carry evidence, beside the log (no payload changes), and the
#: story ends with the worker forgetting it, one ``evidence.forgotten`` (one more event; the 99 before
#: it, and the head a764f692... they ended on, are unchanged).
#: Changed on purpose by issue 25 (strikes from content): a removal of carol's that counts as a strike, its
#: ``statement.issued``, the sanction Meta's ladder imposes for her second strike (``sanction.imposed``, its
#: ``statement.issued``, and the worker's ``sanction.ended``), and the strike's ``violation.recorded`` naming
#: the decision (``content_decision``): six more events.
#: Changed on purpose by issue 25 (complaints about content): carol complains about that removal on the
#: public form (``appeal.filed`` with ``sanction`` null and ``content_decision``), the complaint is granted
#: (``appeal.decided`` naming the decision, ``content.restored`` and ``sanction.lifted`` of the ladder's
#: sanction, each with its reason), so the worker no longer announces that sanction's end: three more events.
#: Changed on purpose by issue 26 (notices): two notices about carol's removed post, the second's
#: notifier anonymous (art. 16(2)(c)), form one case: ``case.opened`` and two ``notice.received``
#: (three more events).
#: Changed on purpose by issue 25 (a decision on a complaint issues its statement of reasons): carol's
#: granted complaint's restoration of her post and lift of the ladder's sanction are each followed by
#: their ``statement.issued`` (saying what they decide and why, naming the complaint): two more events.
#: Changed on purpose by issue 26 (decisions on notices): the case of the two notices is decided with
#: no action and a referral (art. 18): ``case.decided`` and two ``notice.decided`` (three more events).
#: Then (issue 26 part 2, notifiers' complaints) its first notifier complains about "no action", and
#: the complaint is granted: ``appeal.filed``, ``appeal.decided`` and ``case.reopened`` (three more).
HEAD = "d237532dfbab6e860ec07398eb39aa1c94963f355736001604c7e0de2f2f563b"
EVENTS = 120
#: What the story leaves out: a redelivery names a delivery of the outbox; the cut-over's
#: checkpoint is made only for a log with events older than issue 21 (tests/integration/test_cut_over.py).
NOT_TOLD = {EventType.WEBHOOK_REDELIVERY_REQUESTED, EventType.LOG_CHECKPOINTED}


def test_the_story_has_the_pinned_head_hash(db: Database) -> None:
    db.ids = SequentialIds()
    tell(db)
    result = verify_audit_log(db)
    assert result.ok, result
    assert (result.events, result.head) == (EVENTS, HEAD)


def test_the_story_tells_every_kind_of_event(db: Database) -> None:
    tell(db)
    with db.read() as conn:
        told = set(conn.execute(select(tables.events.c.type).distinct()).scalars())
    assert told == {t.value for t in EventType} - NOT_TOLD
