"""The HTTP API v1: ``create_app(db)`` builds it; ``reprieve serve`` runs it (``server.serve``)."""
