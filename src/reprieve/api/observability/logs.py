"""Logs: one JSON object per line (or plain text), each carrying the id of the request it is about.

The request id lives in a context variable set by the request middleware; anyio copies the
context into the thread pool, so a line logged from a route or a service run for a request
carries that request's id too.
"""

from __future__ import annotations

import logging
import re
import secrets
from contextvars import ContextVar
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

#: The id of the request being handled, if any.
REQUEST_ID: ContextVar[str | None] = ContextVar("reprieve_request_id", default=None)

#: An incoming ``X-Request-ID`` is kept if it matches this (1 to 128 characters that need no
#: quoting in a header, a log or a URL); otherwise a new id replaces it.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:+=@/-]{1,128}$")

#: The fields a record may carry (``extra=``) that go into the JSON object, in this order.
FIELDS = ("request_id", "method", "route", "status", "duration_ms", "operator")

#: The logger of the one line per request.
ACCESS_LOGGER = "reprieve.access"


class LogFormat(StrEnum):
    """What ``reprieve serve --log-format`` writes."""

    JSON = "json"
    TEXT = "text"


def new_request_id() -> str:
    return secrets.token_hex(16)


def accepted_request_id(value: str | None) -> str | None:
    """``value`` if it is acceptable as a request id, else None."""
    if value is not None and REQUEST_ID_PATTERN.match(value):
        return value
    return None


def _time(record: logging.LogRecord) -> str:
    instant = datetime.fromtimestamp(record.created, UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id is not None:
            data["request_id"] = request_id
        for name in FIELDS[1:]:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exception"] = record.exc_text
        return orjson.dumps(data, default=str).decode()


class TextFormatter(logging.Formatter):
    """For a terminal: ``time level logger [request id] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        return line if request_id is None else f"{line} request_id={request_id}"


def logging_config(log_format: LogFormat | str = LogFormat.JSON, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the API process, uvicorn's own loggers included
    (give it to ``uvicorn.run(log_config=...)``, which applies it in every worker).

    As uvicorn does: access lines (one per request) on stdout, everything else on stderr.
    """
    formatter = JsonFormatter if LogFormat(log_format) is LogFormat.JSON else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stdout"},
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            ACCESS_LOGGER: {"handlers": ["access"], "level": level, "propagate": False},
            # uvicorn's loggers have handlers of their own unless told otherwise.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }
