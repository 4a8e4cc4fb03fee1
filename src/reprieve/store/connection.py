"""The types of what the store hands out, for the code that passes them on without running SQL
(services, runtime): a connection in a transaction, a table."""

from __future__ import annotations

from sqlalchemy import Connection, Table

__all__ = ["Connection", "Table"]
