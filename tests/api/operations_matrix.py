"""Requests of the webhook, amnesty and transparency routes for the tenancy matrix
(``test_api_tenancy``): each sets up what it needs through the services (the events it records
are counted in ``SETUP_EVENTS``), then calls."""

from __future__ import annotations

import httpx2 as httpx
from api_support import SETUP, World

from reprieve.domain.amnesty import make_filter
from reprieve.dsa.submit import TdbSettings
from reprieve.runtime import amnesty as amnesty_runner
from reprieve.services import amnesty, transparency, webhooks
from reprieve.services.callers import Caller

#: Events each request's own setup records.
#: Events each request's setup records: a sanction's are three since issue 23 (its account, its
#: creation and the statement of reasons it issued).
SETUP_EVENTS = {
    "get-webhook": 1,
    "delete-webhook": 1,
    "disable-webhook": 1,
    "enable-webhook": 1,
    "list-deliveries": 1,
    "redeliver": 4,
    "get-amnesty": 2,
    "revert-amnesty": 2,
    "get-statement": 3,
    "list-issued-statements": 3,
    "get-issued-statement": 3,
    "get-delivery-copy": 3,
}


def _webhook(w: World, target: str) -> str:
    hook = webhooks.create_webhook(
        w.db,
        webhooks.CreateWebhook(operator=target, url="http://127.0.0.1:9/hook", event_types=["*"]),
        caller=Caller(SETUP, now=w.clock()),
    )
    return str(hook.id)


def create_webhook(w: World, h: dict[str, str], target: str) -> httpx.Response:
    body = {"operator": target, "url": "http://127.0.0.1:9/hook", "event_types": ["sanction.lifted"]}
    return w.client.post("/v1/webhooks", json=body, headers=h)


def list_webhooks(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/webhooks", params={"operator": target}, headers=h)


def get_webhook(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/webhooks/{_webhook(w, target)}", headers=h)


def delete_webhook(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.delete(f"/v1/webhooks/{_webhook(w, target)}", headers=h)


def disable_webhook(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.post(f"/v1/webhooks/{_webhook(w, target)}/disable", headers=h)


def enable_webhook(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.post(f"/v1/webhooks/{_webhook(w, target)}/enable", headers=h)


def list_deliveries(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/webhooks/{_webhook(w, target)}/deliveries", headers=h)


def redeliver(w: World, h: dict[str, str], target: str) -> httpx.Response:
    hook = _webhook(w, target)
    w.sanction(target)  # queues a delivery of its events to the endpoint
    delivery = webhooks.list_deliveries(w.db, hook, limit=1).items[0].id
    return w.client.post(f"/v1/webhooks/deliveries/{delivery}/redeliver", headers=h)


# --- DSA transparency (issue 7) -------------------------------------------------------------

#: A port nothing listens on: submissions are recorded as runs, for the worker; nothing is sent.
TDB_ENDPOINT = "http://127.0.0.1:9/api/v1"
PERIOD = {"from": "2020-01-01", "to": "2030-01-01"}


def _tdb(w: World) -> None:
    """Submission on, to a database nothing answers for (the worker is not run here)."""
    w.client.app.state.tdb = TdbSettings(TDB_ENDPOINT, {"REPRIEVE_TDB_TOKEN_META": "t", "REPRIEVE_TDB_TOKEN_X": "t"})


def get_statement(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/sanctions/{w.sanction(target)['id']}/statement", params={"lang": "fr"}, headers=h)


def list_issued_statements(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/sanctions/{w.sanction(target)['id']}/statements", headers=h)


def get_issued_statement(w: World, h: dict[str, str], target: str) -> httpx.Response:
    sanction_id = w.sanction(target)["id"]
    admin = w.headers["instance-admin"]
    (issued, *_) = w.client.get(f"/v1/sanctions/{sanction_id}/statements", headers=admin).json()["items"]
    return w.client.get(f"/v1/statements/{issued['id']}", headers=h)


def get_delivery_copy(w: World, h: dict[str, str], target: str) -> httpx.Response:
    sanction_id = w.sanction(target)["id"]
    admin = w.headers["instance-admin"]
    (issued, *_) = w.client.get(f"/v1/sanctions/{sanction_id}/statements", headers=admin).json()["items"]
    return w.client.get(f"/v1/statements/{issued['id']}/delivery-copy", headers=h)


def export_statements(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/transparency/statements", params={"operator": target, "format": "csv"}, headers=h)


def submit_statements(w: World, h: dict[str, str], target: str) -> httpx.Response:
    _tdb(w)
    return w.client.post("/v1/transparency/submissions", json={"operator": target}, headers=h)


def submission_counts(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/transparency/submissions", params={"operator": target}, headers=h)


def get_submission(w: World, h: dict[str, str], target: str) -> httpx.Response:
    _tdb(w)
    run = transparency.request_submission(
        w.db,
        w.client.app.state.tdb,
        operator=target,
        within=transparency.period(None, None),
        caller=Caller(SETUP, now=w.clock()),
    )
    return w.client.get(f"/v1/transparency/submissions/{run.run.id}", headers=h)


def transparency_report(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/transparency/report", params={**PERIOD, "operator": target}, headers=h)


# --- amnesties (issue 5) --------------------------------------------------------------------

#: Matches nothing, so that a started amnesty lifts none of the sanctions other requests use.
NOTHING = {"started_before": "2000-01-01T00:00:00Z"}


def _amnesty(w: World, target: str) -> str:
    """A completed amnesty of ``target`` that lifted nothing (2 events: started, completed)."""
    started = amnesty.start(
        w.db,
        make_filter(target, started_before=NOTHING["started_before"]),
        reason="r",
        caller=Caller(SETUP).at(w.clock()),
    )
    return str(amnesty_runner.run(w.db, started.id, now=w.clock()).id)


def create_amnesty(w: World, h: dict[str, str], target: str) -> httpx.Response:
    body = {"operator": target, "filter": NOTHING, "reason": "General amnesty", "dry_run": False}
    response = w.client.post("/v1/amnesties", json=body, headers=h)
    amnesty_runner.join_background()  # its thread records its completion: counted before the next request
    return response


def get_amnesty(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get(f"/v1/amnesties/{_amnesty(w, target)}", headers=h)


def revert_amnesty(w: World, h: dict[str, str], target: str) -> httpx.Response:
    response = w.client.post(f"/v1/amnesties/{_amnesty(w, target)}/revert", json={"reason": "r"}, headers=h)
    amnesty_runner.join_background()
    return response


# --- the access log of personal data (issue 21) ----------------------------------------------


def personal_access(w: World, h: dict[str, str], target: str) -> httpx.Response:
    return w.client.get("/v1/personal-access", params={"operator": target}, headers=h)
