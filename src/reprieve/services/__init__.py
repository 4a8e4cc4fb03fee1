"""Use cases: one function per command. Each opens a unit of work, asks the domain, records
events and commits. The API, the CLI and the console call these and nothing below them."""
