"""A real uvicorn server in a thread of the test process, for tests that talk to it over HTTP."""

from __future__ import annotations

import threading
from typing import Any


def uvicorn_server(app: Any) -> Any:
    """uvicorn on a free port of 127.0.0.1 that says when it has started (or given up): ``ready``
    is set either way."""
    import uvicorn

    class Server(uvicorn.Server):
        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config)
            self.ready = threading.Event()

        async def startup(self, sockets: Any = None) -> None:
            try:
                await super().startup(sockets)
            finally:
                self.ready.set()

    return Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
