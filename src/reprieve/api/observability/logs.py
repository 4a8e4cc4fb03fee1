"""Logs: one JSON object per line (or plain text), each carrying the id of the request it is about.

The request id lives in a context variable set by the request middleware; anyio copies the
context into the thread pool, so a line logged from a route or a service run for a request
carries that request's id too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import sys
import time
import weakref
from contextvars import ContextVar
from datetime import UTC, datetime
from enum import StrEnum
from typing import IO, Any

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
    """32 hex digits. Not secret, only unique: drawn from ``random`` (reseeded in a forked
    child) rather than the system's random source, a system call a request; not a count,
    which would tell anyone how many requests a process has served."""
    return f"{random.getrandbits(128):032x}"


def accepted_request_id(value: str | None) -> str | None:
    """``value`` if it is acceptable as a request id, else None."""
    if value is not None and REQUEST_ID_PATTERN.match(value):
        return value
    return None


_second: list[Any] = [None, ""]  # the last whole second formatted, and its text: one per second


def _time(record: logging.LogRecord) -> str:
    return _time_text(record.created)


def _time_text(created: float) -> str:
    """RFC 3339 in UTC to the millisecond (``2026-11-21T20:15:03.042Z``)."""
    second = int(created)
    if _second[0] != second:
        _second[1] = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second[0] = second
    return f"{_second[1]}.{int((created - second) * 1000):03d}Z"


_started = time.time()


def access_record(message: str, fields: dict[str, Any]) -> logging.LogRecord:
    """The ``reprieve.access`` record of one request, made without what ``Logger.info`` works
    out for every record (the caller's frame, thread and process names): a third of the cost
    of a request answered from the index. Carries every attribute a formatter may ask for."""
    record = logging.LogRecord.__new__(logging.LogRecord)
    created = time.time()
    record.__dict__.update(_ACCESS_TEMPLATE)
    record.__dict__.update(fields)
    record.msg = message
    record.created = created
    record.msecs = (created - int(created)) * 1000
    record.relativeCreated = (created - _started) * 1000
    return record


def log_access(logger: logging.Logger, message: str, fields: dict[str, Any]) -> None:
    """``logger.handle(access_record(message, fields))``; but when ``logger`` is as
    ``logging_config`` leaves it (one stream handler writing JSON, no filters, not propagating),
    the line ``JsonFormatter`` would make is written directly: the record, the calls through
    logging and the formatter's lookups cost more than the line itself. In an event loop, the
    stream is flushed once at the end of the loop's turn, for all the lines of the turn."""
    handler = _json_stream(logger)
    if handler is None:
        logger.handle(access_record(message, fields))
        return
    data: dict[str, Any] = {"time": _time_text(time.time()), "level": "info", "logger": logger.name, "message": message}
    for name in FIELDS:
        value = fields.get(name)
        if value is not None:
            data[name] = value
    try:
        line = orjson.dumps(data, default=str).decode() + handler.terminator
        with handler.lock:  # type: ignore[union-attr]  # made by Handler.__init__
            handler.stream.write(line)
        _flush_after_this_turn(handler)
    except Exception:  # as StreamHandler.emit
        handler.handleError(access_record(message, fields))


#: Per event loop, the handlers it will flush at the end of its current turn.
_TO_FLUSH: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[logging.Handler]] = weakref.WeakKeyDictionary()


def _flush_after_this_turn(handler: logging.Handler) -> None:
    """Flush ``handler`` once the running event loop's turn ends, once for all the lines the
    turn wrote (a flush is a system call, during which the GIL goes to another thread and
    must then be won back); at once outside an event loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        handler.flush()
        return
    pending = _TO_FLUSH.get(loop)
    if pending is None:
        pending = _TO_FLUSH[loop] = set()
    if handler not in pending:
        pending.add(handler)
        loop.call_soon(_flush_pending, handler, pending)


def _flush_pending(handler: logging.Handler, pending: set[logging.Handler]) -> None:
    pending.discard(handler)
    try:
        handler.flush()
    except Exception:  # as StreamHandler.emit: logging never stops the app
        handler.handleError(access_record("flush", {}))


def _json_stream(logger: logging.Logger) -> logging.StreamHandler[Any] | None:
    """The handler ``log_access`` may write to directly, if the configuration allows it."""
    handlers = logger.handlers
    if len(handlers) != 1 or logger.propagate or logger.filters or logger.disabled:
        return None
    handler = handlers[0]
    if (
        type(handler) is not logging.StreamHandler
        or type(handler.formatter) is not JsonFormatter
        or handler.filters
        or handler.level > logging.INFO
    ):
        return None
    return handler


_ACCESS_TEMPLATE: dict[str, Any] = {
    "name": ACCESS_LOGGER,
    "args": (),
    "levelname": "INFO",
    "levelno": logging.INFO,
    "pathname": __file__,
    "filename": "middleware.py",
    "module": "middleware",
    "lineno": 0,
    "funcName": "Observe",
    "exc_info": None,
    "exc_text": None,
    "stack_info": None,
    "thread": None,
    "threadName": None,
    "processName": None,
    "process": None,
    "taskName": None,
}


#: Lines of a database error that quote the values of a row: PostgreSQL's ``DETAIL:`` (``Key
#: (email)=(...) already exists``, ``Failing row contains (...)``) and SQLAlchemy's bound
#: parameters (hidden by ``hide_parameters`` on Reprieve's engines; this is the second fence).
_ROW_VALUES = re.compile(r"^(DETAIL:|\[parameters:).*$", re.MULTILINE)


def redact_values(text: str) -> str:
    """A traceback without the lines that quote a row's values (an e-mail, a name)."""
    return _ROW_VALUES.sub(lambda m: m.group(1) + " (left out of the log)", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the request's fields."""

    def formatException(self, ei: Any) -> str:
        return redact_values(super().formatException(ei))

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
        for name, value in _extra_fields(record).items():
            data.setdefault(name, value)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exception"] = redact_values(record.exc_text)
        return orjson.dumps(data, default=str).decode()


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """What a record carries as ``extra={"fields": {...}}`` beyond ``FIELDS`` (the worker's cycle
    report): each becomes a field of the JSON object, or ``name=value`` on a text line."""
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


class RedactingFormatter(logging.Formatter):
    """A plain formatter whose tracebacks leave out the lines that quote a row's values."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_values(super().format(record))  # the traceback may have been formatted before


class TextFormatter(RedactingFormatter):
    """For a terminal: ``time level logger [request id] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id is not None:
            line = f"{line} request_id={request_id}"
        extra = _extra_fields(record)
        return line + "".join(f" {name}={value}" for name, value in extra.items()) if extra else line


def access_handler() -> logging.StreamHandler[IO[str]]:
    """The access log's handler: stdout through a buffer of its own, whatever ``PYTHONUNBUFFERED``
    (or ``python -u``) made of ``sys.stdout``, so that ``log_access`` writes a turn's lines with
    one system call when the turn ends. Unbuffered, each line was a system call made holding the
    GIL, which it then gave up to the group-commit writer until the writer's next statement.
    Lines still in the buffer are written at exit (``logging.shutdown``); a stdout with no file
    descriptor (a test's capture) is used as it is."""
    return logging.StreamHandler(buffered_stdout())


def buffered_stdout() -> IO[str]:
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return sys.stdout
    return open(os.dup(fd), "w", buffering=1 << 16, encoding="utf-8", errors="backslashreplace")


def logging_config(
    log_format: LogFormat | str = LogFormat.JSON, level: str = "INFO", *, access_log: bool = True
) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the API process, uvicorn's own loggers included
    (give it to ``uvicorn.run(log_config=...)``, which applies it in every worker).

    As uvicorn does: access lines (one per request) on stdout, everything else on stderr.
    ``access_log=False`` leaves the access lines out (they cost about a quarter of a single
    check's time; see docs/benchmarks.md).
    """
    formatter = JsonFormatter if LogFormat(log_format) is LogFormat.JSON else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"},
            "access": {"()": f"{access_handler.__module__}.{access_handler.__qualname__}", "formatter": "default"},
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            ACCESS_LOGGER: {"handlers": ["access"], "level": level if access_log else "WARNING", "propagate": False},
            # uvicorn's loggers have handlers of their own unless told otherwise.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }
