"""Use cases: one function per command. Each opens a unit of work, asks the domain, records
events and commits. The API, the CLI and the console call these and nothing below them: the
database handle they pass (``Database``) and the clock (``Clock``) are named here."""

from reprieve.store.db import Database
from reprieve.store.uow import Clock

__all__ = ["Clock", "Database"]
