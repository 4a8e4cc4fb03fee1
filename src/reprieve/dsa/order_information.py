"""The information DSA art. 9(5) asks for when a decision gives effect to an authority's order,
given instead of a statement of reasons (art. 17(5)): which authority and order, the effect given,
its territorial scope, and the redress open. Kept small: a JSON document and a lean page, in the
platform's default language (English), issued once into the store of issued documents
(``services.order_information``)."""

from __future__ import annotations

from typing import Any

from reprieve.domain.orders import Order
from reprieve.domain.sanctions import Sanction
from reprieve.domain.time import format_instant
from reprieve.dsa.pages import environment

#: The kind of document it is in the store of issued documents.
KIND = "order_information"
#: The layout of the JSON (``build``); raised when it changes.
FORMAT_VERSION = 1

TITLE = "Information about an order from an authority"
INTRO = (
    "We acted on your account to give effect to an order from a public authority (Digital Services "
    "Act, article 9). This notice gives you the information article 9(5) requires; no separate statement "
    "of reasons is issued for this decision (article 17(5))."
)
REDRESS = (
    "You may challenge the order before the courts of the Member State of the authority that issued it, "
    "under that State's law. You may also contest our decision through our internal complaint-handling "
    "system (article 20), before an out-of-court dispute settlement body (article 21), or before a court."
)
EVERYWHERE = "Not limited by the order: wherever the service is offered."


def build(sanction: Sanction, order: Order, *, document_id: str, decision: int, issued_at: str) -> dict[str, Any]:
    """The art. 9(5) information about ``sanction``'s creation, which gives effect to ``order``."""
    term = sanction.changes[0]
    assert term.kind is not None
    territories = list(order.territorial_scope)
    return {
        "id": document_id,
        "kind": KIND,
        "format_version": FORMAT_VERSION,
        "lang": "en",
        "title": TITLE,
        "intro": INTRO,
        "legal_basis": ["DSA art. 9(5)", "DSA art. 17(5)"],
        "sanction": sanction.id,
        "decision": decision,
        "issued_at": issued_at,
        "account": {"platform": sanction.subject.platform, "account": sanction.subject.account},
        "order": order.to_dict(),
        "effect": {
            "kind": term.kind.value,
            "denies": list(term.denies),
            "scope": list(sanction.scope),
            "starts_at": format_instant(term.effective_at),
            "ends_at": format_instant(term.end),
        },
        "territorial_scope": {
            "member_states": territories,
            "text": ", ".join(territories) if territories else EVERYWHERE,
        },
        "redress": REDRESS,
    }


def render(document: dict[str, Any]) -> str:
    """The page of ``build``'s document: lean HTML, no script (made when first asked for,
    ``services.statements.statement_page``)."""
    return environment().get_template("order_information.html").render(d=document)
