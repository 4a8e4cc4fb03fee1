"""Pure domain model: no framework, no database, no clock (time is passed in)."""
