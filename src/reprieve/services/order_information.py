"""The information of DSA art. 9(5), issued for a decision giving effect to an authority's order
instead of a statement of reasons (art. 17(5); PRODUCT.md section 8).

A sibling of ``services.statements``: issued once, in the decision's own unit of work, into the
same store (``issued_documents``, kind ``order_information``) as its JSON, the document of record,
recorded by an ``order_information.issued`` event carrying its id and SHA-256; read back byte for
byte through ``GET /v1/statements/{id}`` (its page made when first asked for,
``statements.statement_page``) and listed with a sanction's statements; erased with its person.
"""

from __future__ import annotations

import orjson

from reprieve.domain.events import NewEvent, OrderInformationIssued
from reprieve.domain.time import format_instant
from reprieve.dsa import order_information as info
from reprieve.store import issued, queries
from reprieve.store.uow import UnitOfWork

#: In the platform's default language, as statements are until accounts have one.
LANGUAGE = "en"


def issue_order_information(uow: UnitOfWork, sanction_id: str, decision_seq: int) -> str:
    """Issue the art. 9(5) information for ``sanction_id``'s creation (event ``decision_seq``),
    which gives effect to the order it records, once that event is recorded in ``uow``. Returns
    the document's id."""
    with uow.command(actor=uow.actor, now=uow.now, savepoint=False):
        now = uow.now
        sanction = queries.load_sanction(uow.conn, sanction_id)
        assert sanction is not None and sanction.order is not None, f"no order on sanction {sanction_id!r}"
        (document_id,) = uow.db.ids.new_ids("oin", now, 1)
        body = info.build(
            sanction,
            sanction.order,
            document_id=document_id,
            decision=decision_seq,
            issued_at=format_instant(now) or "",
        )
        document = orjson.dumps(body).decode()
        doc = issued.IssuedDocument(
            id=document_id,
            operator=sanction.operator,
            kind=info.KIND,
            sanction_id=sanction.id,
            decision_seq=decision_seq,
            issued_at=now,
            language=LANGUAGE,
            format_version=info.FORMAT_VERSION,
            document=document,
            sha256=issued.sha256_of(document),
            erased=False,
        )
        event = OrderInformationIssued(
            doc.id, doc.operator, sanction.id, decision_seq, doc.language, doc.format_version, doc.sha256
        )
        uow.record([NewEvent.of(event, uow.at, sanction.operator)])
        issued.insert(uow.conn, [doc])
    return document_id
