"""The machinery that runs beside the use cases: the group commit, the worker loop and its
leases, webhook delivery, NATS and the amnesty runner. It calls ``services``, never the reverse."""
