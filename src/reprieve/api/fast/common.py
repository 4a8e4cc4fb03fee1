"""What the fast paths in front of FastAPI (``FastChecks``, ``FastViolations``) share: which
requests they may answer themselves, reading the body within its limit, and handing a request
they are unsure of to the app with its body replayed."""

from __future__ import annotations

import re
from typing import NamedTuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reprieve.api.schemas import SLUG_PATTERN
from reprieve.domain.errors import ValidationError
from reprieve.domain.text import check_text

JSON = b"application/json"
#: ``Slug``'s pattern.
SLUG = re.compile(SLUG_PATTERN.removeprefix("^").removesuffix("$"))
#: ``AccountId``'s (and ``ItemId``'s) pattern in printable ASCII only: stricter than the schema's,
#: so that whatever passes here the schema accepts too; anything else is for the route to judge.
ACCOUNT = re.compile(r"[\x21-\x2e\x30-\x7e][\x21-\x7e]{0,199}")


def text_ok(value: str, *, required: bool, multiline: bool = True) -> bool:
    """Whether the schema's text rule (``reprieve.domain.text``) lets ``value`` through."""
    try:
        check_text(value, field="text", required=required, multiline=multiline)
    except ValidationError:
        return False
    return True


def eligible_authorization(scope: Scope, max_body_bytes: int) -> bytes | None:
    """The request's (first) Authorization header if a fast path may answer it: a JSON body, no
    ``Idempotency-Key`` (the Idempotency middleware keeps and replays those answers) and no
    Content-Length over the limit (BodyLimit answers 413 from the header). None otherwise."""
    authorization = None
    json_body: bool | None = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is None:  # the first one, as the route reads it
                authorization = value
        elif name == b"idempotency-key":
            return None
        elif name == b"content-type" and json_body is None:
            json_body = value.partition(b";")[0].strip().lower() == JSON
        elif name == b"content-length" and not (value.isdigit() and int(value) <= max_body_bytes):
            return None
    return authorization if json_body else None


class Body(NamedTuple):
    data: bytes
    more: bool  #: the client has more to send (only when ``too_large``)
    too_large: bool


async def read_body(receive: Receive, max_bytes: int) -> Body | None:
    """The body, read until its end or until it passes ``max_bytes``; None if the client left."""
    chunks: list[bytes] = []
    size = 0
    more = False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = message.get("more_body", False)
        if size > max_bytes or not more:
            break
    return Body(b"".join(chunks), more, size > max_bytes)


def replay(body: bytes, receive: Receive, *, more: bool) -> Receive:
    """A ``receive`` that hands over ``body`` first, then what the client sends next, if anything."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed


async def read_or_hand_over(app: ASGIApp, max_bytes: int, scope: Scope, receive: Receive, send: Send) -> bytes | None:
    """The body for a fast path to answer; None when there is nothing for it to do: the client
    left, or the body is over ``max_bytes`` and ``app`` (BodyLimit) has answered 413."""
    read = await read_body(receive, max_bytes)
    if read is None:
        return None
    if read.too_large:  # BodyLimit reads the rest, if any, and answers 413
        await app(scope, replay(read.data, receive, more=read.more), send)
        return None
    return read.data
