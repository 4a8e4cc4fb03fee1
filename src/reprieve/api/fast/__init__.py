"""The fast paths in front of FastAPI: ASGI adapters that answer the common request of a hot
route themselves, over the route's own validation and services, and hand the rest to it."""
